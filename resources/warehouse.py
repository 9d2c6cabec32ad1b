"""The DuckDB warehouse: one long table ``results`` of every number graphdistill measures.

One row per (asset, partition, metric, seed). A report replaces its partition's rows in one
transaction, so re-running a partition never duplicates or half-writes rows, and one query
answers "what did every method score on every dataset".
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource

if TYPE_CHECKING:
    import duckdb
    import polars as pl

RESULT_COLUMNS = {
    "asset": "VARCHAR", "partition": "VARCHAR", "dataset": "VARCHAR", "setting": "VARCHAR",
    "method": "VARCHAR", "metric": "VARCHAR", "value": "DOUBLE", "seed": "INTEGER",
    "seconds": "DOUBLE", "device": "VARCHAR", "code_version": "VARCHAR", "run_id": "VARCHAR",
    "created_at": "TIMESTAMP",
}
SCOREBOARD_SQL = """
SELECT asset, dataset, method, setting, metric, avg(value) AS mean, stddev_samp(value) AS std,
       count(*) AS runs
FROM results GROUP BY ALL ORDER BY dataset, metric, mean DESC
"""


class DuckDBWarehouse(ConfigurableResource):
    """DuckDB file at ``path``; any DuckDB-compatible location (e.g. ``md:``/``s3`` via httpfs)."""

    path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        import duckdb

        if "://" not in self.path and not self.path.startswith(":"):
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(20):
            try:
                conn = duckdb.connect(self.path)
                break
            except duckdb.IOException:  # another process holds the write lock; wait for it
                if attempt == 19:
                    raise
                time.sleep(0.5)
        try:
            columns = ", ".join(f"{name} {kind}" for name, kind in RESULT_COLUMNS.items())
            conn.execute(f"CREATE TABLE IF NOT EXISTS results ({columns})")
            yield conn
        finally:
            conn.close()

    def replace_results(self, asset: str, partition: str, rows: Sequence[dict[str, Any]]) -> int:
        """Replace every row of ``asset``/``partition`` by ``rows`` atomically; returns the count."""
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        records = [
            tuple({"asset": asset, "partition": partition, "created_at": now, **row}.get(c)
                  for c in RESULT_COLUMNS)
            for row in rows
        ]
        placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
        with self.connect() as conn:
            conn.execute("BEGIN TRANSACTION")
            try:
                conn.execute("DELETE FROM results WHERE asset = ? AND partition = ?", [asset, partition])
                if records:
                    conn.executemany(f"INSERT INTO results VALUES ({placeholders})", records)
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
        return len(records)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        with self.connect() as conn:
            return conn.execute(sql, params or []).pl()

    def scoreboard(self) -> pl.DataFrame:
        """Mean, std and count of every metric per asset x dataset x method x setting."""
        return self.query(SCOREBOARD_SQL)

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

# Per dataset, student method and mode (inductive rows carry ind_test_acc), each seed's
# setting with the best validation accuracy (ties: the setting name), among the seeds every
# candidate setting has: choosing a hyperparameter setting per dataset is model selection,
# so test accuracy never takes part. Returns one row per (dataset, method, mode).
STUDENTS_CHOSEN_SQL = """
WITH per_seed AS (
    SELECT dataset, setting, method, seed, max(value) FILTER (metric = 'val_acc') AS val,
           max(value) FILTER (metric = 'test_acc') AS test, max(value) FILTER (metric = 'ind_test_acc') AS ind_test
    FROM results WHERE asset = ? GROUP BY ALL),
runs AS (
    SELECT *, CASE WHEN ind_test IS NULL THEN 'transductive' ELSE 'inductive' END AS mode
    FROM per_seed WHERE val IS NOT NULL AND test IS NOT NULL),
candidates AS (SELECT dataset, method, mode, count(DISTINCT setting) AS settings FROM runs GROUP BY ALL),
covered AS (
    SELECT dataset, method, mode, seed FROM runs JOIN candidates USING (dataset, method, mode)
    GROUP BY ALL HAVING count(*) = any_value(settings)),
chosen AS (
    SELECT runs.* FROM runs JOIN covered USING (dataset, method, mode, seed)
    QUALIFY row_number() OVER (PARTITION BY dataset, method, mode, seed ORDER BY val DESC, setting) = 1),
picks AS (SELECT dataset, method, mode, setting, count(*) AS times FROM chosen GROUP BY ALL)
SELECT dataset, method, mode, any_value(settings) AS candidates, avg(test) AS mean, stddev_samp(test) AS std,
       avg(ind_test) AS ind_mean, stddev_samp(ind_test) AS ind_std, avg(val) AS val_mean, count(*) AS seeds,
       (SELECT string_agg(setting || ' x' || times, ', ' ORDER BY times DESC, setting) FROM picks p
        WHERE p.dataset = c.dataset AND p.method = c.method AND p.mode = c.mode) AS chosen
FROM chosen c JOIN candidates USING (dataset, method, mode)
GROUP BY ALL HAVING any_value(settings) > 1 ORDER BY dataset, method, mode
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

    def students_chosen_on_validation(self, asset: str) -> pl.DataFrame:
        """Per dataset, student method and mode with more than one setting in ``asset``'s rows:
        test accuracy of the setting chosen per seed on validation accuracy, and which were chosen."""
        return self.query(STUDENTS_CHOSEN_SQL, [asset])

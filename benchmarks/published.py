"""Benchmark rows kept in the repository, beside the code that measured them.

    .venv/bin/python -m benchmarks.published save [--assets benchmark_students ...]
    .venv/bin/python -m benchmarks.published load [--replace]

The warehouse is local state: a fresh checkout, CI machine or GPU lease starts with an empty
one, and a long benchmark (ten PROTEINS split seeds with three architectures, five Coauthor
CS student seeds) takes more than one sitting. ``save`` writes every ``benchmark_*`` row of
the warehouse, and the rows of the reports the benchmarks materialize (``teacher_report``,
``student_report``, ``condensation_report``),
to ``benchmarks/results/<asset>.csv`` (text, so a change of numbers shows in a diff next to
the change of code); ``load`` adds to each partition (dataset | setting) the
seeds the warehouse does not hold yet, so ``--resume`` continues from the seeds measured
elsewhere and two machines that ran different seeds (``--first-seed``) end up with all of
them. A seed the warehouse already holds stays as it is (a newer local run wins) unless
``--replace``. Rows keep their ``code_version``, ``device`` and ``created_at``: where and with
what code each number was measured stays known.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from benchmarks.common import warehouse
from resources.warehouse import RESULT_COLUMNS, DuckDBWarehouse

RESULTS_DIR = Path(__file__).parent / "results"
# Report assets whose rows the benchmarks write through the asset graph.
BENCHMARKED_REPORTS = ("teacher_report", "student_report", "condensation_report")
SCHEMA = {"VARCHAR": pl.String, "DOUBLE": pl.Float64, "INTEGER": pl.Int32, "TIMESTAMP": pl.Datetime("us")}


def save(results: DuckDBWarehouse, folder: Path, assets: list[str] | None = None) -> dict[str, int]:
    """Write the rows of ``assets`` (default: every ``benchmark_*`` asset and the benchmarked
    reports) to one CSV each,
    sorted so that an unchanged number gives an unchanged line; returns rows per asset."""
    stored = results.query("SELECT DISTINCT asset FROM results WHERE asset LIKE 'benchmark%' OR list_contains(?, asset)",
                           [list(BENCHMARKED_REPORTS)])["asset"].to_list()
    unknown = sorted(set(assets or []) - set(stored))
    if unknown:
        raise ValueError(f"no rows in the warehouse for asset(s) {unknown}; stored: {sorted(stored)}")
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for asset in assets or sorted(stored):
        rows = results.query("SELECT * FROM results WHERE asset = ? ORDER BY ALL", [asset])
        target = folder / f"{asset}.csv"
        partial = target.with_suffix(".csv.tmp")
        rows.write_csv(partial)
        partial.replace(target)  # a stopped save never leaves a cut file behind
        written[asset] = rows.height
    return written


def read_rows(path: Path) -> pl.DataFrame:
    """One saved CSV with the warehouse's column types; a file that is not one says so."""
    schema = {name: SCHEMA[kind] for name, kind in RESULT_COLUMNS.items()}
    try:
        rows = pl.read_csv(path, schema=schema)
    except (pl.exceptions.PolarsError, ValueError) as err:
        raise ValueError(f"{path} is not a saved results file with columns {list(schema)}: {err}") from err
    missing = rows.filter(pl.any_horizontal(pl.col("asset", "partition", "metric").is_null()))
    if missing.height:
        raise ValueError(f"{path}: {missing.height} row(s) without asset, partition or metric")
    return rows


def _seed_in(rows: pl.DataFrame) -> pl.Expr:
    """Whether a row's seed is one of ``rows``' seeds (a row without a seed counts as seed -1)."""
    return pl.col("seed").fill_null(-1).is_in(rows["seed"].fill_null(-1).unique().to_list())


def load(results: DuckDBWarehouse, folder: Path, replace: bool = False) -> dict[str, int]:
    """Add the saved rows of ``folder`` to the warehouse, per partition the seeds it lacks
    (every saved seed with ``replace``); returns the number of seeds added per asset."""
    tables = [read_rows(path) for path in sorted(folder.glob("*.csv"))]  # every file parses before any write
    added: dict[str, int] = {}
    for rows in tables:
        assets = rows["asset"].unique().to_list()
        stored = results.query("SELECT * FROM results WHERE list_contains(?, asset)", [assets]).cast(rows.schema)
        for (asset, partition), saved in rows.group_by("asset", "partition", maintain_order=True):
            held = stored.filter((pl.col("asset") == asset) & (pl.col("partition") == partition))
            if replace:
                held = held.filter(~_seed_in(saved))
            new = saved.filter(~_seed_in(held))
            if new.height == 0:
                continue
            merged = pl.concat([held, new]).drop("asset", "partition")
            results.replace_results(asset, partition, merged.to_dicts())
            added[asset] = added.get(asset, 0) + new["seed"].n_unique()
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["save", "load"])
    parser.add_argument("--assets", nargs="+", help="save only these assets (default: every benchmark_* asset and the benchmarked reports)")
    parser.add_argument("--replace", action="store_true", help="load over the seeds the warehouse already holds")
    parser.add_argument("--folder", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    if args.action == "save":
        counts = save(warehouse(), args.folder, args.assets)
        print(*(f"{asset}: {n} rows -> {args.folder / asset}.csv" for asset, n in counts.items()), sep="\n")
    else:
        counts = load(warehouse(), args.folder, args.replace)
        print(*[f"{asset}: {n} partition seeds added" for asset, n in counts.items()] or ["nothing new to load"], sep="\n")


if __name__ == "__main__":
    main()

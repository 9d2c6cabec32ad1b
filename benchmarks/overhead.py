"""What orchestration costs next to the work it runs: run wall time against kernel seconds.

    .venv/bin/python -m benchmarks.overhead [--dataset cora] [--repeats 3]
                                            [--partitions condensed_graph:clustgdd-r0.5 teacher:gcn]

Each partition is materialized ``repeats`` times by two paths: ``graphdistill``'s in-process
run (``Runner``, as ``graphdistill materialize`` does, definitions already loaded) and a
``dagster asset materialize`` subprocess (a fresh process that loads the definitions, then a
step subprocess). Kernel seconds are the asset's own ``wall_time_s`` (the timed block around
the kernel call); the rest of the run's wall time is orchestration: imports, IO managers,
checks, event storage. Rows go to `results` with ``asset = 'benchmark_overhead'``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import warehouse
from graphdistill.runs import Runner, Step
from resources.home import REPO_ROOT, ensure_dagster_home
from resources.provenance import code_version


def kernel_seconds(asset: str, partition: str) -> float:
    """``wall_time_s`` of the latest materialization of ``asset`` ``partition``."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(AssetKey(asset))
    materialization = event.asset_materialization
    assert materialization.partition == partition, (materialization.partition, partition)
    return float(materialization.metadata["wall_time_s"].value)


def dagster_cli(asset: str, partition: str) -> float:
    dagster = Path(sys.executable).parent / "dagster"
    start = time.perf_counter()
    subprocess.run([str(dagster), "asset", "materialize", "-f", "definitions.py", "--select", asset,
                    "--partition", partition], cwd=REPO_ROOT, env=os.environ.copy(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="cora")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--partitions", nargs="+", default=["condensed_graph:clustgdd-r0.5", "teacher:gcn"],
                        help="asset:setting pairs on --dataset")
    args = parser.parse_args()
    ensure_dagster_home()
    runner, results = Runner(), warehouse()
    runner.ensure("dataset", args.dataset)

    print(f"| asset | path | run wall s | kernel s | overhead s | overhead % of kernel |  "
          f"({args.dataset}, mean of {args.repeats} runs)")
    print("|---|---|---|---|---|---|")
    for pair in args.partitions:
        asset, setting = pair.split(":")
        partition = f"{args.dataset}|{setting}"
        rows = []
        for path in ("graphdistill (in process)", "dagster asset materialize"):
            walls, kernels = [], []
            for _ in range(args.repeats):
                if path.startswith("graphdistill"):
                    start = time.perf_counter()
                    runner.run(Step([asset], partition))
                    walls.append(time.perf_counter() - start)
                else:
                    walls.append(dagster_cli(asset, partition))
                kernels.append(kernel_seconds(asset, partition))
            wall, kernel = statistics.mean(walls), statistics.mean(kernels)
            print(f"| {asset} {partition} | {path} | {wall:.2f} | {kernel:.2f} | {wall - kernel:.2f} | "
                  f"{100 * (wall - kernel) / kernel:.0f} |", flush=True)
            common = {"dataset": args.dataset, "setting": setting, "method": path, "code_version": code_version(),
                      "device": "cpu"}
            rows += [common | {"metric": metric, "value": value, "seed": seed}
                     for seed, (w, k) in enumerate(zip(walls, kernels))
                     for metric, value in (("run_wall_seconds", w), ("kernel_seconds", k))]
        results.replace_results("benchmark_overhead", f"{partition}|{asset}", rows)


if __name__ == "__main__":
    main()

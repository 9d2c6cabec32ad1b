"""Graph-level distillation benchmark: Mirage and coresets vs full data on TU datasets.

    .venv/bin/python -m benchmarks.graph_distillation [--datasets MUTAG PTC_MR] [--settings full mirage-l2 ...]
        [--matched random herding kcenter] [--seeds 10] [--first-seed 0] [--epochs 100] [--lr 0.01]
        [--archs gin gcn gat] [--pooling sum|mean] [--device auto] [--distill-only] [--resume]

Per split seed, every Mirage setting among ``--settings`` is a candidate; for each arch the
candidate with the best *validation* accuracy gives the ``mirage-val`` row (the test graphs
never choose). The coresets of ``--matched`` are then built at the same number of graphs
(``<method>-count``) and at the same byte budget (``<method>-bytes``) as the set chosen for the
first arch; a count-matched coreset that would keep every training graph is the ``full`` row
and is not trained again, and a byte budget too small for the first-ranked graph of every
class (IMDB-BINARY: Mirage's 5 tree sets take 13 kB) has no coreset; both are logged. Every
split seed is reported (no top-k seed selection); the epoch is selected on validation graphs
only. Rows go to ``results`` with ``asset = 'benchmark_graph_distillation'``, written after
every split seed; ``--resume`` keeps the split seeds an earlier run finished for these settings
and every one of ``--archs``, and runs the rest. A ``--pooling`` other than ``sum`` writes to
``benchmark_graph_distillation_<pooling>pool``, so both readouts keep their rows side by side.
``--first-seed K`` runs split seeds ``K..seeds-1`` only: two machines (or two homes on one)
share the seeds, and ``python -m benchmarks.published`` merges their rows.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

import torch
from torch import Tensor
from torch_geometric.data import Data

from benchmarks.common import mean_pm, pick_device, stored_rows, warehouse
from kernels.graph_condense import DistilledGraphs, condense_graphs
from kernels.graph_condense.evaluate import pick_by_validation, train_on_distilled
from kernels.graphs import GraphTrainConfig, graph_labels, load_tu_dataset, stratified_splits
from resources import graphdistill_home
from resources.home import data_root
from resources.provenance import code_version
from resources.settings import load_settings

ASSET = "benchmark_graph_distillation"
MIRAGE_VAL = "mirage-val"


class Tally:
    """Rows for the warehouse and per-(row label, metric) values for the printed table."""

    def __init__(self, dataset: str, asset: str, device: torch.device) -> None:
        self.dataset, self.asset, self.device = dataset, asset, device
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.values: dict[tuple[str, str], list[float]] = defaultdict(list)

    def add(self, label: str, method: str, metric: str, value: float, seed: int, seconds: float) -> None:
        self.rows[label].append({"dataset": self.dataset, "setting": label, "method": method, "metric": metric,
                                 "value": float(value), "seed": seed, "seconds": seconds, "device": str(self.device),
                                 "code_version": code_version()})
        self.values[label, metric].append(float(value))

    def restore(self, rows: list[dict], required: list[set[str]], metrics: set[str]) -> set[int]:
        """Take over the rows of an earlier run for the split seeds where at least one label of
        every set in ``required`` has every metric of ``metrics`` (a run with other settings
        or architectures left some out); returns those seeds."""
        found: dict[tuple[str, int], set[str]] = defaultdict(set)
        for row in rows:
            found[row["setting"], row["seed"]].add(row["metric"])
        seeds: dict[str, set[int]] = defaultdict(set)
        for (label, seed), present in found.items():
            if metrics <= present:
                seeds[label].add(seed)
        done = set.intersection(*(set().union(*(seeds[label] for label in labels)) for labels in required))
        for row in rows:
            if row["seed"] in done:
                self.rows[row["setting"]].append(row)
                self.values[row["setting"], row["metric"]].append(row["value"])
        return done

    def add_set(self, label: str, distilled: DistilledGraphs, seed: int) -> None:
        info = distilled.info
        for metric, value in (("distill_seconds", info["seconds"]), ("distilled_bytes", info["nbytes"]),
                              ("bytes_fraction", info["bytes_fraction"]), ("distilled_graphs", info["num_graphs"])):
            self.add(label, info["method"], metric, value, seed, info["seconds"])

    def add_run(self, label: str, arch: str, distilled: DistilledGraphs, trained, seed: int) -> None:
        for metric in ("test_acc", "test_auc", "val_acc"):
            if metric in trained.metrics:
                self.add(label, distilled.info["method"], f"{metric}@{arch}", trained.metrics[metric], seed,
                         trained.seconds)

    def flush(self, results, archs: list[str], seeds_done: int) -> None:
        """Write every row so far and print the table: a run stopped early keeps its finished seeds."""
        for label, rows in self.rows.items():
            results.replace_results(self.asset, f"{self.dataset}|{label}", rows)
        header = " | ".join(f"{a} acc | {a} auc" for a in archs)
        print(f"| dataset | setting | graphs | bytes | % of train bytes | distill s | {header} |",
              "|---|---|---|---|---|---|" + "---|---|" * len(archs), *(self.line(label, archs) for label in self.rows),
              f"({self.dataset}: {self.device}, {seeds_done} split seeds, mean ± std over split seeds)", sep="\n",
              flush=True)

    def line(self, label: str, archs: list[str]) -> str:
        def mean(metric: str) -> float:
            return statistics.fmean(self.values[label, metric])

        cells = [mean_pm(self.values[label, f"{m}@{a}"]) if self.values.get((label, f"{m}@{a}")) else "-"
                 for a in archs for m in ("test_acc", "test_auc")]
        return (f"| {self.dataset} | {label} | {mean('distilled_graphs'):.1f} | {mean('distilled_bytes'):,.0f} | "
                f"{100 * mean('bytes_fraction'):.2f} | {mean('distill_seconds'):.3f} | {' | '.join(cells)} |")


def matched_budgets(reference: DistilledGraphs, train_labels: Tensor, classes: int) -> dict[str, dict]:
    """Coreset budgets matching ``reference``: its number of graphs (spread over the classes)
    and its bytes.

    The count budget is left out where it would keep every training graph, as when Mirage's
    depth-1 trees give more tree sets than a class has graphs (PROTEINS, ENZYMES): that coreset
    is the training set itself, already the ``full`` row.
    """
    budgets = {"count": {"per_class": math.ceil(reference.num_graphs / classes)},
               "bytes": {"byte_budget": reference.nbytes()}}
    if budgets["count"]["per_class"] >= int(train_labels.bincount().max()):
        del budgets["count"]
    return budgets


def matched_coresets(reference: DistilledGraphs, graphs: list[Data], train: Tensor, methods: list[str], seed: int,
                     log: Callable[[str], None]) -> dict[str, DistilledGraphs]:
    """The coresets ``<method>-count`` / ``<method>-bytes`` of the training graphs ``train`` at
    ``reference``'s budgets, leaving out (and logging) those that cannot be built: a byte
    budget too small for the first-ranked graph of every class has no coreset."""
    labels = graph_labels(graphs)
    budgets = matched_budgets(reference, labels[train], int(labels.max()) + 1)
    if "count" not in budgets:
        log(f"count-matched coresets skipped: {reference.num_graphs} distilled graphs would keep every training "
            f"graph (the full row)")
    coresets = {}
    for method in methods:
        for suffix, params in budgets.items():
            label = f"{method}-{suffix}"
            try:
                coresets[label] = condense_graphs(method, params | {"seed": seed}, graphs, train)
            except ValueError as err:
                log(f"{label} skipped: {err}")
    return coresets


def run_dataset(name: str, args: argparse.Namespace, settings, results) -> None:
    graphs = load_tu_dataset(name, settings.graph_dataset(name), data_root(), graphdistill_home() / "pyg")
    labels = graph_labels(graphs)
    classes = int(labels.max()) + 1
    chosen = {key: settings.graph_distillation_setting(key) for key in args.settings}
    protocol = settings.graph_distillation_evaluation
    cfg = {arch: GraphTrainConfig(epochs=args.epochs, lr=args.lr or protocol.lr_for(arch)) for arch in args.archs}
    asset = ASSET if args.pooling == "sum" else f"{ASSET}_{args.pooling}pool"
    model = {"pooling": args.pooling}
    device = pick_device(args.device)
    tally = Tally(name, asset, device)
    # Mirage candidates may be skipped on a split, and one of a coreset's two budgets; every
    # other row has every seed.
    required = [{key} for key, setting in chosen.items() if setting.method != "mirage"]
    required += [{f"{m}-count", f"{m}-bytes"} for m in args.matched]
    required += [{MIRAGE_VAL}] if any(setting.method == "mirage" for setting in chosen.values()) else []
    # A seed is done when every architecture of this run was trained on it.
    metrics = {"distilled_bytes"} | {f"test_acc@{arch}" for arch in ([] if args.distill_only else args.archs)}
    done = tally.restore(stored_rows(results, asset, name, args.seeds), required, metrics) if args.resume else set()
    todo = [seed for seed in range(args.first_seed, args.seeds) if seed not in done]
    if not todo:  # every seed is stored: print its table
        tally.flush(results, args.archs, len(done))
    for seed in todo:
        started = time.perf_counter()

        def progress(line: str) -> None:  # a seed of NCI1 takes minutes: show where it is
            print(f"  {name} seed {seed}: {line} ({time.perf_counter() - started:.0f} s into the seed)", flush=True)

        split = stratified_splits(labels, seed)
        sets = {}
        for key, setting in chosen.items():
            try:
                sets[key] = condense_graphs(setting.method, setting.params, graphs, split[0])
            except ValueError as err:  # e.g. a θ at which a class keeps no tree set on this split
                if setting.method != "mirage":
                    raise
                progress(f"candidate {key} skipped: {err}")
        candidates = [key for key in chosen if chosen[key].method == "mirage" and key in sets]
        for key, distilled in sets.items():
            tally.add_set(key, distilled, seed)
        reference = sets[candidates[0]] if candidates else None
        for position, arch in enumerate([] if args.distill_only else args.archs):
            trained = {key: train_on_distilled(arch, model, sets[key], graphs, split, cfg[arch], num_classes=classes,
                                               seed=seed, device=device) for key in sets}
            for key, run in trained.items():
                tally.add_run(key, arch, sets[key], run, seed)
            if candidates:
                best = pick_by_validation({key: trained[key] for key in candidates})
                tally.add_run(MIRAGE_VAL, arch, sets[best], trained[best], seed)
                tally.add(MIRAGE_VAL, "mirage", f"chosen@{arch}", candidates.index(best), seed, 0.0)
                if position == 0:
                    reference = sets[best]
                    tally.add_set(MIRAGE_VAL, reference, seed)
            progress(f"{arch} trained on {len(trained)} sets")
        coresets = {} if reference is None else matched_coresets(reference, graphs, split[0], args.matched, seed,
                                                                 log=progress)
        for label, matched in coresets.items():
            tally.add_set(label, matched, seed)
            for arch in [] if args.distill_only else args.archs:
                run = train_on_distilled(arch, model, matched, graphs, split, cfg[arch], num_classes=classes,
                                         seed=seed, device=device)
                tally.add_run(label, arch, matched, run, seed)
            progress(f"{label} trained")
        done.add(seed)
        tally.flush(results, args.archs, len(done))


def main() -> None:
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["MUTAG", "PTC_MR"])
    parser.add_argument("--settings", nargs="+", default=[key for key, s in settings.graph_distillation.items()
                                                           if s.method in ("full", "mirage")])
    parser.add_argument("--matched", nargs="+", default=["random", "herding", "kcenter"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0, help="run split seeds from this one on "
                        "(default: 0)")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, help="one learning rate for every architecture (default: the protocol's "
                        "per-architecture rate, graph_distillation_evaluation in settings.yaml)")
    parser.add_argument("--archs", nargs="+", default=["gin", "gcn", "gat"])
    parser.add_argument("--pooling", choices=["sum", "mean"], default=settings.graph_distillation_evaluation.pooling,
                        help="graph readout of every model (default: the protocol's, graph_distillation_evaluation)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                        help="where the GNNs train; distillation is CPU work (default: auto)")
    parser.add_argument("--distill-only", action="store_true", help="distil and report sizes and seconds only")
    parser.add_argument("--resume", action="store_true", help="keep the split seeds already in the warehouse "
                        "for these datasets, settings and archs, and run the rest")
    args = parser.parse_args()
    if not 0 <= args.first_seed < args.seeds:
        parser.error(f"--first-seed {args.first_seed} is outside the split seeds 0..{args.seeds - 1}")
    results = warehouse()
    for name in args.datasets:
        run_dataset(name, args, settings, results)

if __name__ == "__main__":
    main()

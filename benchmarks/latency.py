"""Inference latency: MLP student vs GraphSAGE teacher with neighbourhood fetching.

    .venv/bin/python -m benchmarks.latency [--dataset sbm-arxiv] [--batch-size 1000] [--repeats 3]

Both models predict every node of the graph in batches. The teacher must first fetch each
batch's 2-hop neighbourhood (PyG ``NeighborLoader`` with every neighbour kept, as a GNN
serving real requests does) and run message passing; the student reads only the batch's
features. Weights are random: latency does not depend on them. Reports seconds for all
nodes, milliseconds per batch and the ratio; rows go to `results` as
``asset = 'benchmark_latency'``.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from benchmarks.common import warehouse
from kernels.data import load_dataset
from kernels.evaluate.train import TrainConfig, neighbor_loader
from kernels.models import build_model
from resources import graphdistill_home
from resources.home import data_root
from resources.provenance import code_version
from resources.settings import load_settings


@torch.no_grad()
def time_teacher(net, data, batch_size: int) -> float:
    start = time.perf_counter()
    everything = data.clone()
    everything.train_mask = torch.ones(data.num_nodes, dtype=torch.bool)  # seeds: every node
    for batch in neighbor_loader(everything, TrainConfig(fanouts=[-1, -1], batch_size=batch_size)):
        net(batch.x, batch.edge_index)[: batch.batch_size]
    return time.perf_counter() - start


@torch.no_grad()
def time_student(net, data, batch_size: int) -> float:
    start = time.perf_counter()
    for chunk in torch.split(torch.arange(data.num_nodes), batch_size):
        net(data.x[chunk], None)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="sbm-arxiv")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=256)
    args = parser.parse_args()
    torch.manual_seed(0)
    settings = load_settings()
    data = load_dataset(args.dataset, settings.dataset(args.dataset), data_root(), graphdistill_home() / "pyg")
    classes = int(data.y.max()) + 1
    teacher = build_model("sage", {"hidden": args.hidden}, data.num_features, classes).eval()
    student = build_model("mlp", {"hidden": args.hidden}, data.num_features, classes).eval()
    batches = -(-data.num_nodes // args.batch_size)

    # One untimed pass each first: allocator and thread-pool warm-up is not inference latency.
    timings = {"sage": [time_teacher(teacher, data, args.batch_size) for _ in range(args.repeats + 1)][1:],
               "mlp": [time_student(student, data, args.batch_size) for _ in range(args.repeats + 1)][1:]}
    ratio = statistics.mean(timings["sage"]) / statistics.mean(timings["mlp"])
    print(f"{args.dataset}: {data.num_nodes} nodes, {data.edge_index.size(1)} directed edges, "
          f"batches of {args.batch_size} ({batches} batches), CPU threads {torch.get_num_threads()}")
    print("| model | all nodes (s) | per batch (ms) |")
    print("|---|---|---|")
    for model, secs in timings.items():
        per_batch = [1000 * s / batches for s in secs]
        print(f"| {model} | {statistics.mean(secs):.3f} ± {statistics.pstdev(secs):.3f} | "
              f"{statistics.mean(per_batch):.2f} |")
    print(f"speed-up of the MLP student: {ratio:.0f}x")
    rows = [{"dataset": args.dataset, "setting": f"batch{args.batch_size}", "method": model,
             "metric": "inference_seconds_all_nodes", "value": s, "seed": i, "seconds": s, "device": "cpu",
             "code_version": code_version()} for model, secs in timings.items() for i, s in enumerate(secs)]
    rows.append({"dataset": args.dataset, "setting": f"batch{args.batch_size}", "method": "mlp/sage",
                 "metric": "inference_speedup", "value": ratio, "seed": 0, "device": "cpu",
                 "code_version": code_version()})
    warehouse().replace_results("benchmark_latency", f"{args.dataset}|batch{args.batch_size}", rows)


if __name__ == "__main__":
    main()

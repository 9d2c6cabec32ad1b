import re

import pytest
import torch
from torch_geometric.utils import is_undirected

from kernels.condense import CONDENSERS, CondensedGraph, budget_size, class_budgets, condense
from kernels.condense.clustgdd import ClustGDDConfig, refine
from kernels.condense.kmeans import kmeans
from kernels.evaluate import TrainConfig
from kernels.evaluate.condensed import evaluate_condensed

# Small loops so every method runs in about a second on a shared CPU.
FAST = {
    "clustgdd": {"linear_epochs": 50, "refine_steps": 4, "eval_every": 2, "select_epochs": 15, "hidden": 32},
    "gcond": {"epochs": 2, "outer_loops": 2, "hidden": 32, "generator_hidden": 16},
    "doscond": {"epochs": 3, "hidden": 32, "generator_hidden": 16},
    "gcdm": {"epochs": 5, "hidden": 32, "generator_hidden": 16},
}
SHORT = TrainConfig(epochs=40, patience=40)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny graphs gain nothing from threads, and the test machine is shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run(method, data, **params):
    return condense(method, {"ratio": 0.5} | FAST.get(method, {}) | params, data)


_DEFAULT_RUNS: dict[str, CondensedGraph] = {}


def default_run(method, small_graph):
    """One condensation per method shared by the read-only tests (``small_graph`` is seeded)."""
    if method not in _DEFAULT_RUNS:
        _DEFAULT_RUNS[method] = run(method, small_graph)
    return _DEFAULT_RUNS[method]


@pytest.mark.parametrize("method", CONDENSERS.names())
def test_condensed_graph_meets_budget_and_invariants(method, small_graph):
    graph = default_run(method, small_graph)
    n_train = int(small_graph.train_mask.sum())  # 30: 10 per class
    labelled = graph.y[graph.y >= 0]
    assert labelled.numel() == (n_train if method == "whole" else 15)
    assert graph.stats["budget"] == 15 and graph.stats["nodes"] == graph.num_nodes
    assert torch.equal(torch.bincount(labelled, minlength=3), torch.tensor([10, 10, 10] if method == "whole" else [5, 5, 5]))
    assert graph.x.shape == (graph.num_nodes, small_graph.num_features) and graph.x.dtype == torch.float32
    assert torch.isfinite(graph.x).all()
    assert graph.edge_weight.shape == (graph.edge_index.size(1),) and (graph.edge_weight >= 0).all()
    assert (graph.edge_index[0] != graph.edge_index[1]).all()
    assert is_undirected(graph.edge_index, graph.edge_weight, num_nodes=graph.num_nodes)
    assert graph.nbytes() == graph.stats["bytes"] and graph.stats["seconds"] >= 0


@pytest.mark.parametrize("method", CONDENSERS.names())
def test_condensation_is_deterministic_under_a_seed(method, small_graph):
    a, b = default_run(method, small_graph), run(method, small_graph)
    for name in ("x", "y", "edge_index", "edge_weight"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name


def test_seed_changes_random_choices(small_graph):
    assert not torch.equal(run("random", small_graph, seed=0).x, run("random", small_graph, seed=1).x)


def test_payload_round_trip(small_graph, tmp_path):
    graph = default_run("clustgdd", small_graph)
    torch.save(graph.to_payload(), tmp_path / "g.pt")
    back = CondensedGraph.from_payload(torch.load(tmp_path / "g.pt", weights_only=True))
    assert torch.equal(back.x, graph.x) and torch.equal(back.edge_weight, graph.edge_weight)
    assert back.params == graph.params and back.stats == graph.stats and back.method == "clustgdd"
    assert back.params["ratio"] == 0.5 and back.summary()["nodes"] == 15


@pytest.mark.parametrize("ratio", [0, 1.5, -1])
@pytest.mark.parametrize("method", ["clustgdd", "random", "whole"])
def test_bad_ratio_is_rejected_with_its_value(method, ratio, small_graph):
    with pytest.raises(ValueError, match=rf"(?s){method}.*ratio must be in \(0, 1\], got {re.escape(str(float(ratio)))}"):
        condense(method, {"ratio": ratio}, small_graph)


def test_unknown_method_and_bad_params_are_named(small_graph):
    with pytest.raises(ValueError, match=r"unknown condenser 'gcnd'.*clustgdd"):
        condense("gcnd", {"ratio": 0.5}, small_graph)
    with pytest.raises(ValueError, match=r"(?s)'clustgdd'.*alpha.*1.5"):
        condense("clustgdd", {"ratio": 0.5, "alpha": 1.5}, small_graph)
    with pytest.raises(ValueError, match=r"(?s)'doscond'.*outer_loops"):
        condense("doscond", {"ratio": 0.5, "outer_loops": 3}, small_graph)
    with pytest.raises(ValueError, match=r"(?s)'random'.*hops"):
        condense("random", {"ratio": 0.5, "hops": 2}, small_graph)  # extra fields are refused


def test_class_budgets_are_exact_proportional_and_cover_every_class():
    y = torch.tensor([0] * 100 + [1] * 2 + [2] * 1)
    assert class_budgets(y, 5, 3).tolist() == [3, 1, 1]
    assert class_budgets(y, 103, 3).tolist() == [100, 2, 1]
    assert class_budgets(torch.tensor([0] * 7 + [1] * 7 + [2] * 6), 10, 3).sum() == 10
    assert class_budgets(torch.tensor([0, 0, 2]), 2, 3).tolist() == [1, 0, 1]  # no class 1 to condense
    assert budget_size(140, 0.5, 7) == 70 and budget_size(140, 0.01, 7) == 7
    with pytest.raises(ValueError, match="budget 1"):
        class_budgets(y, 1, 3)


def test_kmeans_returns_exactly_k_clusters_even_with_duplicates():
    points = torch.cat([torch.zeros(6, 2), torch.ones(2, 2)])
    assign = kmeans(points, 4, generator=torch.Generator().manual_seed(0))
    assert torch.bincount(assign, minlength=4).gt(0).all()


def test_coresets_use_teacher_logits_when_given(small_graph):
    teacher = torch.randn(small_graph.num_nodes, 3, generator=torch.Generator().manual_seed(0))
    plain = condense("kcenter", {"ratio": 0.5}, small_graph)
    taught = condense("kcenter", {"ratio": 0.5}, small_graph, teacher_logits=teacher)
    assert not torch.equal(plain.x, taught.x)


def test_clustgdd_trains_an_accurate_gcn(small_graph):
    clust = evaluate_condensed(default_run("clustgdd", small_graph), small_graph, cfg=SHORT, seeds=(0, 1))
    rand = evaluate_condensed(default_run("random", small_graph), small_graph, cfg=SHORT, seeds=(0, 1))
    assert clust["test_acc_mean"] > 0.6
    assert clust["test_acc_mean"] >= rand["test_acc_mean"] - 0.05
    assert len(clust["test_acc"]) == 2 and clust["seeds"] == [0, 1] and clust["seconds"] > 0


def test_protocol_ignores_unlabelled_nodes(small_graph):
    report = evaluate_condensed(default_run("whole", small_graph), small_graph, cfg=TrainConfig(epochs=20, patience=20),
                                seeds=(0,))
    assert 0.6 < report["test_acc_mean"] <= 1 and report["best_epoch"][0] >= 1


def test_weighted_adjacency_carries_edge_weights_into_gcn():
    from kernels.evaluate.condensed import weighted_adjacency
    from kernels.models import build_model

    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    x = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    net = build_model("gcn", {"hidden": 8}, 4, 2, seed=0).eval()
    plain = net(x, weighted_adjacency(edge_index, 3))
    assert torch.allclose(plain, net(x, edge_index), atol=1e-6)
    assert not torch.allclose(plain, net(x, weighted_adjacency(edge_index, 3, torch.tensor([5.0, 5.0, 0.1, 0.1]))))


def test_nan_during_refinement_names_the_step(small_graph):
    graph = run("clustgdd", small_graph, refine_steps=0)
    targets = torch.full((graph.num_nodes, 3), float("nan"))  # e.g. a diverged linear model
    cfg = ClustGDDConfig(ratio=0.5, **FAST["clustgdd"])
    with pytest.raises(FloatingPointError, match=r"refinement: loss is not finite at step 1 \(ce=[\d.]+, consistency=nan\)"):
        refine(graph, targets, small_graph, cfg, log=lambda _: None)


def test_nan_features_fail_fast_with_the_stage(small_graph):
    small_graph.x[0, 0] = float("nan")
    with pytest.raises(FloatingPointError, match=r"clustgdd linear classifier: loss is not finite at step 1"):
        run("clustgdd", small_graph)

import re

import pytest
import torch
from torch_geometric.utils import is_undirected

from kernels.condense import CONDENSERS, CondensedGraph, budget_size, class_budgets, condense
from kernels.condense.clustgdd import ClustGDDConfig, aggregate, refine
from kernels.condense.kmeans import kmeans
from kernels.condense.propagate import normalized_adjacency
from kernels.evaluate import TrainConfig
from kernels.evaluate.condensed import evaluate_condensed

# Small loops so every method runs in about a second on a shared CPU.
FAST = {
    "clustgdd": {"linear_epochs": 50, "refine_steps": 4, "eval_every": 2, "select_epochs": 15, "hidden": 32},
    "gcond": {"epochs": 3, "outer_loops": 3, "inner_loops": 2, "generator_hidden": 16},
    "doscond": {"epochs": 5, "generator_hidden": 16},
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


def test_kmeans_finds_separated_blobs():
    gen = torch.Generator().manual_seed(0)
    blobs = torch.arange(3).repeat_interleave(20)
    points = torch.randn(60, 4, generator=gen) * 0.1 + 10 * blobs[:, None].float()
    assign = kmeans(points, 3, generator=torch.Generator().manual_seed(1))
    # One cluster per blob, whatever the cluster ids.
    assert {tuple(assign[blobs == b].unique().tolist()) for b in range(3)} == {(0,), (1,), (2,)}


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


def test_generated_adjacency_is_symmetric_non_negative_and_starts_sparse():
    from kernels.condense.synthetic import StructureGenerator

    torch.manual_seed(0)
    adj = StructureGenerator(16, hidden=8, edge_prior=0.01)(torch.rand(9, 16))
    assert torch.allclose(adj, adj.t()) and (adj >= 0).all() and (adj.diagonal() == 0).all()
    off = adj[~torch.eye(9, dtype=torch.bool)]
    assert off.max() < 0.05  # near edge_prior, not the complete graph an unbiased sigmoid gives


def test_closed_form_class_gradients_match_autograd():
    from kernels.condense.gcond import class_weight_gradients

    g = torch.Generator().manual_seed(0)
    z, y = torch.randn(12, 5, generator=g), torch.tensor([0, 1, 2] * 4)
    weight, bias = torch.randn(5, 3, generator=g, requires_grad=True), torch.randn(3, generator=g)
    grads = class_weight_gradients(z, y, weight, bias, 3)
    for c in range(3):
        loss = torch.nn.functional.cross_entropy(z[y == c] @ weight + bias, y[y == c])
        assert torch.allclose(grads[c], torch.autograd.grad(loss, weight)[0], atol=1e-6)


def _minimise(loss, params, lr: float, steps: int) -> tuple[float, float]:
    """Adam on ``loss()`` for ``steps`` steps; returns the loss before and after."""
    opt = torch.optim.Adam(params, lr=lr)
    before = loss().item()
    for _ in range(steps):
        opt.zero_grad()
        loss().backward()
        opt.step()
    return before, loss().item()


def test_gradient_matching_steps_reduce_the_distance(small_graph):
    from kernels.condense.gcond import class_weight_gradients, gradient_distance
    from kernels.condense.propagate import normalized_adjacency, sgc_features
    from kernels.condense.synthetic import SyntheticGraph

    torch.manual_seed(0)
    budgets = torch.tensor([3, 3, 3])
    syn = SyntheticGraph(small_graph, budgets, seed=0, generator_hidden=16)
    z = sgc_features(normalized_adjacency(small_graph.edge_index, small_graph.num_nodes), small_graph.x, 2)
    mask = small_graph.train_mask
    weight, bias = torch.randn(small_graph.num_features, 3), torch.zeros(3)
    g_real = class_weight_gradients(z[mask], small_graph.y[mask], weight, bias, 3)

    def distance():
        return gradient_distance(g_real, class_weight_gradients(syn.propagated(2), syn.y, weight, bias, 3)).sum()
    before, after = _minimise(distance, syn.parameters(), lr=0.01, steps=20)
    assert after < 0.5 * before


def test_gcdm_real_class_means_equal_a_full_graph_pass_and_matching_closes_the_gap(small_graph):
    from kernels.condense.gcdm import RealClassMeans, class_means
    from kernels.condense.propagate import normalized_adjacency
    from kernels.condense.synthetic import SyntheticGraph

    g = torch.Generator().manual_seed(0)
    w1, w2 = torch.randn(small_graph.num_features, 8, generator=g), torch.randn(8, 8, generator=g)
    adj = normalized_adjacency(small_graph.edge_index, small_graph.num_nodes).to_dense()
    hidden = torch.relu(adj @ small_graph.x @ w1)
    mask, y = small_graph.train_mask, small_graph.y
    full = [class_means(hidden[mask], y[mask], 3), class_means((adj @ hidden @ w2)[mask], y[mask], 3)]
    real = RealClassMeans(small_graph, 3)(w1, w2)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(real, full))

    syn = SyntheticGraph(small_graph, torch.tensor([3, 3, 3]), seed=0, generator_hidden=None)

    def gap():
        h = torch.relu(syn.x @ w1)  # edgeless synthetic graph: Â' = I
        return sum((r - class_means(s, syn.y, 3)).pow(2).sum() for r, s in zip(real, [h, h @ w2]))
    before, after = _minimise(gap, syn.parameters(), lr=0.05, steps=30)
    assert after < 0.5 * before


@pytest.mark.parametrize("method", ["gcond", "doscond", "gcdm"])
def test_learned_condensers_train_an_accurate_gcn(method, small_graph):
    report = evaluate_condensed(default_run(method, small_graph), small_graph, cfg=SHORT, seeds=(0,))
    rand = evaluate_condensed(default_run("random", small_graph), small_graph, cfg=SHORT, seeds=(0,))
    assert report["test_acc_mean"] > 0.6 and report["test_acc_mean"] >= rand["test_acc_mean"] - 0.05


def test_clustgdd_feature_choices_share_the_clusters(small_graph):
    base = run("clustgdd", small_graph, refine_steps=0, features="propagated")
    cfg = ClustGDDConfig(ratio=0.5)
    rescaled = run("clustgdd", small_graph, refine_steps=0, features="rescaled")
    raw = run("clustgdd", small_graph, refine_steps=0, features="raw")
    # Same clusters, so rescaling the PPR features rescales every condensed node alike.
    assert torch.allclose(rescaled.x, base.x / (1 - cfg.alpha**cfg.hops), atol=1e-5)
    assert torch.equal(raw.edge_index, base.edge_index) and not torch.allclose(raw.x, base.x)
    with pytest.raises(ValueError, match=r"(?s)'clustgdd'.*features"):
        run("clustgdd", small_graph, features="smoothed")


@pytest.mark.parametrize("arch", ["gcn", "appnp", "sage", "gat", "mlp"])
def test_sparse_features_give_the_same_logits_where_the_model_accepts_them(arch, small_graph):
    from kernels.evaluate.condensed import weighted_adjacency
    from kernels.evaluate.train import sparse_features
    from kernels.models import MODELS, build_model

    assert sparse_features(small_graph.x) is small_graph.x  # dense features stay dense
    x = small_graph.x * (torch.rand(small_graph.x.shape, generator=torch.Generator().manual_seed(0)) < 0.05)
    sparse = sparse_features(x)
    assert sparse.layout == torch.sparse_csr
    net = build_model(arch, {}, small_graph.num_features, 3, seed=0).eval()
    adj = weighted_adjacency(small_graph.edge_index, small_graph.num_nodes)
    if MODELS.get(arch).sparse_features:
        assert torch.allclose(net(sparse, adj), net(x, adj), atol=1e-5)
    else:  # the flag is what keeps the protocol from passing sparse features to this model
        with pytest.raises(RuntimeError):
            net(sparse, adj)


def test_clustgdd_adjacency_is_ct_a_c_without_the_diagonal():
    """A' = Cᵀ Â C on a hand-made path 0-1-2-3 with clusters {0, 1} and {2, 3}."""
    adj = normalized_adjacency(torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]), 4)
    z = torch.tensor([[1.0], [3.0], [5.0], [7.0]])
    x, edge_index, edge_weight = aggregate(z, adj, torch.tensor([0, 0, 1, 1]), 2)
    c = torch.tensor([[0.5, 0.0], [0.5, 0.0], [0.0, 0.5], [0.0, 0.5]])  # column-normalised assignment
    expected = c.t() @ adj.to_dense() @ c
    assert torch.allclose(x, c.t() @ z)
    assert edge_index.tolist() == [[0, 1], [1, 0]]  # only the off-diagonal pair
    assert torch.allclose(edge_weight, torch.stack([expected[0, 1], expected[1, 0]]))
    # Â's only edge between the clusters is 1-2 with weight 1/sqrt(3 * 3); C scales it by 1/4.
    assert torch.allclose(edge_weight, torch.full((2,), 1 / 12))

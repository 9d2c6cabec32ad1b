import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from kernels.graph_condense import GRAPH_CONDENSERS, DistilledGraphs, condense_graphs
from kernels.graph_condense.evaluate import model_params, pick_by_validation, train_on_distilled
from kernels.graph_condense.mirage import TreeCodebook, mine_frequent, transactions
from kernels.graphs import GraphTrainConfig, build_graph_model, graph_labels, load_tu_dataset, stratified_splits
from kernels.graphs import train_graph_classifier
from kernels.graphs.train import TrainedGraphModel, support_sampler
from tests.conftest import require_real_data


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny graphs: see tests/conftest.py


def graph(edges, labels, cls=0, num_features=4):
    """Undirected labelled graph with one-hot features."""
    e = torch.tensor(edges, dtype=torch.long).t().reshape(2, -1)
    label = torch.tensor(labels)
    return Data(x=torch.nn.functional.one_hot(label, num_features).float(), edge_index=torch.cat([e, e.flip(0)], 1),
                node_label=label, y=torch.tensor([cls]))


def ids(codebook, g):
    return codebook.colour(g.node_label, g.edge_index).tolist()


def test_tree_ids_tell_rooted_trees_apart_and_match_isomorphic_ones():
    book = TreeCodebook(depth=2)
    end, middle, other_end = ids(book, graph([(0, 1), (1, 2)], [0, 0, 0]))
    assert end == other_end and end != middle
    # Same graph, nodes permuted: 0-1-2-3 path with labels 1,0,0,2 written in another order.
    path = graph([(0, 1), (1, 2), (2, 3)], [1, 0, 0, 2])
    perm = graph([(3, 2), (2, 0), (0, 1)], [0, 2, 0, 1])
    assert sorted(ids(book, path)) == sorted(ids(book, perm))
    # Labels matter, and depth 2 sees beyond depth 1: both middles of a 5-path have
    # degree-2 neighbours only at depth 1 but differ at depth 2.
    assert ids(book, graph([(0, 1)], [0, 1]))[0] != ids(book, graph([(0, 1)], [0, 0]))[0]
    five = graph([(0, 1), (1, 2), (2, 3), (3, 4)], [0] * 5)
    assert len(set(ids(TreeCodebook(1), five)[1:4])) == 1
    assert ids(book, five)[1] != ids(book, five)[2]


def test_materialised_tree_is_the_unrolled_computation_tree_with_the_same_id():
    book = TreeCodebook(depth=2)
    g = graph([(0, 1), (1, 2)], [1, 0, 2])
    colours = ids(book, g)
    middle, end = book.tree(colours[1], 4), book.tree(colours[0], 4)
    # middle: root, 2 children, each with 1 child (the middle again); end: root, 1 child, 2 grandchildren
    assert (middle.num_nodes, end.num_nodes) == (5, 4)
    assert middle.root_mask.tolist() == [True] + [False] * 4
    assert middle.x.argmax(1).tolist().count(0) == 3  # middle label at the root and as grandchildren
    for tree, colour in ((middle, colours[1]), (end, colours[0])):
        # edges point child -> parent, so recolouring the tree reproduces the root's id
        assert book.colour(tree.x.argmax(1), tree.edge_index)[0] == colour


@pytest.mark.parametrize("arch, params", [("gin", {}), ("gcn", {"normalize": "mean"}), ("gat", {"heads": 2})])
def test_root_embedding_on_the_tree_equals_the_node_embedding_when_layers_equal_depth(arch, params):
    torch.manual_seed(0)
    g = graph([(0, 1), (1, 2), (2, 3), (3, 0), (1, 3), (3, 4)], [0, 1, 2, 0, 3])
    book = TreeCodebook(depth=2)
    colours = ids(book, g)
    trees = [book.tree(c, 4) for c in colours]
    net = build_graph_model(arch, {"hidden": 8, "layers": 2} | params, 4, 2).eval()
    h = net.embed(g.x, g.edge_index)
    for v, tree in enumerate(trees):
        assert torch.allclose(net.embed(tree.x, tree.edge_index)[0], h[v], atol=1e-5)
    # One layer more than the trees are deep reads past the leaves: the old default of 3
    # layers on depth-2 trees trained on embeddings no real node has.
    deeper = build_graph_model(arch, {"hidden": 8, "layers": 3} | params, 4, 2).eval()
    h3 = deeper.embed(g.x, g.edge_index)
    assert not all(torch.allclose(deeper.embed(t.x, t.edge_index)[0], h3[v], atol=1e-5)
                   for v, t in enumerate(trees))


def test_symmetric_gcn_normalisation_is_not_exact_on_trees():
    """D^-1/2 (A+I) D^-1/2 needs each leaf's real degree, which the depth-L tree has lost."""
    torch.manual_seed(0)
    g = graph([(0, 1), (1, 2), (2, 3), (3, 0), (1, 3), (3, 4)], [0, 1, 2, 0, 3])
    book = TreeCodebook(depth=2)
    net = build_graph_model("gcn", {"hidden": 8, "layers": 2, "normalize": "sym"}, 4, 2).eval()
    h = net.embed(g.x, g.edge_index)
    tree = book.tree(ids(book, g)[3], 4)
    assert not torch.allclose(net.embed(tree.x, tree.edge_index)[0], h[3], atol=1e-5)


def test_fpgrowth_finds_the_expected_itemsets():
    matrix = np.array([[1, 1, 0], [1, 1, 1], [1, 0, 0], [0, 1, 1]], dtype=bool)
    found = dict(mine_frequent(matrix, 0.5, None, maximal=False))
    assert found == {(0,): 0.75, (1,): 0.75, (2,): 0.5, (0, 1): 0.5, (1, 2): 0.5}
    assert dict(mine_frequent(matrix, 0.5, None, maximal=True)) == {(0, 1): 0.5, (1, 2): 0.5}
    assert set(dict(mine_frequent(matrix, 0.5, 1, maximal=False))) == {(0,), (1,), (2,)}


def test_multiset_transactions_count_repeats():
    assert transactions([torch.tensor([5, 5, 7])], multiset=False) == [{5, 7}]
    assert transactions([torch.tensor([5, 5, 7])], multiset=True) == [{(5, 1), (5, 2), (7, 1)}]


def two_class_toy(count=40, seed=0):
    """Class 0: paths labelled 0 with one node 1; class 1: cycles labelled 0 with one node 2."""
    gen = torch.Generator().manual_seed(seed)
    graphs = []
    for i in range(count):
        n, cls = int(torch.randint(4, 8, (1,), generator=gen)), i % 2
        edges = [(j, j + 1) for j in range(n - 1)] + ([(n - 1, 0)] if cls else [])
        labels = [0] * n
        labels[int(torch.randint(n, (1,), generator=gen))] = 1 + cls
        graphs.append(graph(edges, labels, cls))
    return graphs


def test_mirage_sets_are_per_class_and_weighted_by_support():
    graphs = two_class_toy()
    out = condense_graphs("mirage", {"depth": 1, "theta": 0.5}, graphs, torch.arange(40))
    assert set(out.labels.tolist()) == {0, 1}
    assert ((out.weights >= 0.5) & (out.weights <= 1)).all()
    for i in range(out.num_graphs):
        g = out.graph(i)
        assert int(g.root_mask.sum()) == int(out.member_ptr[i + 1] - out.member_ptr[i])
    assert out.info["num_graphs"] == out.num_graphs and 0 < out.info["bytes_fraction"] < 1


def test_drop_shared_removes_sets_as_frequent_in_another_class():
    same = [graph([(0, 1)], [0, 0], cls) for cls in (0, 1, 0, 1)]
    distinct = [graph([(0, 1)], [1, 1], 0), graph([(0, 1)], [2, 2], 1)]
    with pytest.raises(ValueError, match=r"class 0 keeps no frequent tree set"):
        condense_graphs("mirage", {"depth": 1, "theta": 0.5}, same, torch.arange(4))
    kept = condense_graphs("mirage", {"depth": 1, "theta": 0.3, "drop_shared": True}, same + distinct,
                           torch.arange(6))
    assert kept.num_graphs == 2  # only the class-specific trees survive
    both = condense_graphs("mirage", {"depth": 1, "theta": 0.3, "drop_shared": False}, same + distinct,
                           torch.arange(6))
    assert both.num_graphs > 2


def test_multiset_keeps_repeated_trees_as_copies():
    star = graph([(0, 1), (0, 2), (0, 3)], [0, 1, 1, 1], 0)
    out = condense_graphs("mirage", {"depth": 1, "theta": 1.0, "multiset": True, "itemsets": "maximal",
                                     "drop_shared": False}, [star], torch.tensor([0]))
    assert out.num_graphs == 1 and int(out.graph(0).root_mask.sum()) == 4  # centre + 3 leaves


def test_sampling_follows_support_within_a_class_and_the_class_share_across():
    graphs = two_class_toy()[:30] + [g for g in two_class_toy(20, seed=1) if int(g.y) == 0]
    out = condense_graphs("mirage", {"depth": 1, "theta": 0.2}, graphs, torch.arange(len(graphs)))
    labels, prior = out.labels, torch.bincount(graph_labels(graphs)).float() / len(graphs)
    for cls in (0, 1):
        mine = labels == cls
        assert torch.allclose(out.sample_weights[mine] / out.sample_weights[mine].sum(),
                              out.weights[mine] / out.weights[mine].sum())
        assert float(out.sample_weights[mine].sum()) == pytest.approx(float(prior[cls]), rel=1e-5)
    draws = torch.tensor(list(support_sampler(out.sample_weights, 40000, seed=0)))
    freq = torch.bincount(draws, minlength=out.num_graphs).float() / draws.numel()
    assert torch.allclose(freq, out.sample_weights / out.sample_weights.sum(), atol=0.01)
    uniform = condense_graphs("mirage", {"depth": 1, "theta": 0.2, "sample_by_support": False}, graphs,
                              torch.arange(len(graphs)))
    assert uniform.sample_weights is None


def test_only_training_graphs_reach_distillation():
    graphs = two_class_toy()
    spy = graph([(0, 1), (1, 2)], [3, 3, 3], 0)  # label 3 exists nowhere else
    everything = graphs + [spy]
    params = {"depth": 1, "theta": 0.01, "drop_shared": False, "itemsets": "maximal"}
    seen = condense_graphs("mirage", params, everything, torch.arange(41))
    assert (seen.piece_x[:, 3] > 0).any()  # the spy's trees would be kept if it were training data
    held_out = condense_graphs("mirage", params, everything, torch.arange(40))
    assert not (held_out.piece_x[:, 3] > 0).any()
    for method in ("random", "herding", "kcenter", "full"):
        extra = {} if method == "full" else {"per_class": 25}
        out = condense_graphs(method, extra, everything, torch.arange(40))
        assert 40 not in out.piece_ids.tolist()


@pytest.mark.parametrize("params, field", [({"depth": 0}, "depth"), ({"theta": 0.0}, "theta"),
                                           ({"theta": 1.5}, "theta"), ({"top_k": 0}, "top_k"),
                                           ({"lr": 0.1}, "lr")])
def test_bad_mirage_settings_name_the_field_and_value(params, field):
    value = str(next(iter(params.values())))
    with pytest.raises(ValueError, match=rf"(?s)'mirage'.*{field}.*input_value={value}"):
        condense_graphs("mirage", params, two_class_toy(), torch.arange(40))


def test_unknown_method_and_bad_indices_are_rejected():
    with pytest.raises(ValueError, match=r"unknown graph condenser 'mirrage'.*mirage"):
        condense_graphs("mirrage", {}, two_class_toy(), torch.arange(40))
    with pytest.raises(ValueError, match=r"train_idx must lie in \[0, 40\)"):
        condense_graphs("mirage", {}, two_class_toy(), torch.tensor([0, 40]))
    with pytest.raises(ValueError, match="exactly one of per_class and byte_budget"):
        condense_graphs("random", {}, two_class_toy(), torch.arange(40))


@pytest.mark.parametrize("method", ["random", "herding", "kcenter"])
def test_coresets_keep_the_budget_and_dataset_indices(method):
    graphs = two_class_toy()
    train_idx = torch.arange(0, 40, 2).tolist() + torch.arange(1, 30, 2).tolist()
    out = condense_graphs(method, {"per_class": 3, "seed": 1}, graphs, torch.tensor(train_idx))
    assert torch.bincount(out.labels).tolist() == [3, 3]
    assert set(out.piece_ids.tolist()) <= set(train_idx)
    assert all(int(graphs[i].y) == c for i, c in zip(out.piece_ids.tolist(), out.labels.tolist()))
    assert torch.equal(out.piece_ids, condense_graphs(method, {"per_class": 3, "seed": 1}, graphs,
                                                      torch.tensor(train_idx)).piece_ids)
    budget = condense_graphs(method, {"byte_budget": 3000}, graphs, torch.tensor(train_idx))
    used = sum(graphs[i].x.nbytes + graphs[i].edge_index.nbytes + graphs[i].y.nbytes for i in budget.piece_ids)
    assert 0 < used <= 3000


def test_full_keeps_every_training_graph_and_payload_round_trips(tmp_path):
    graphs = two_class_toy()
    out = condense_graphs("full", {}, graphs, torch.arange(10, 40))
    assert out.piece_ids.tolist() == list(range(10, 40)) and out.info["bytes_fraction"] > 1
    torch.save(out.to_payload(), tmp_path / "d.pt")
    back = DistilledGraphs.from_payload(torch.load(tmp_path / "d.pt", weights_only=True))
    assert torch.equal(back.graph(3).edge_index, graphs[13].edge_index)
    assert back.info == out.info and back.nbytes() == out.nbytes()
    assert sorted(GRAPH_CONDENSERS.names()) == ["full", "herding", "kcenter", "mirage", "random"]


def test_mirage_then_gin_beats_chance_on_a_toy_task():
    graphs = two_class_toy(80)
    train, val, test = stratified_splits(graph_labels(graphs), seed=0)
    out = condense_graphs("mirage", {"depth": 2, "theta": 0.1, "itemsets": "maximal"}, graphs, train)
    model = train_graph_classifier("gin", {"hidden": 16, "layers": 2}, out.graphs(), [graphs[i] for i in val],
                                   [graphs[i] for i in test], GraphTrainConfig(epochs=20),
                                   sample_weights=out.sample_weights, num_classes=2, seed=0)
    assert model.metrics["test_acc"] > 0.5


def test_mirage_then_gin_on_mutag(tmp_path):
    root = require_real_data("tu", "MUTAG")
    graphs = load_tu_dataset("MUTAG", None, root, tmp_path)
    train, val, test = stratified_splits(graph_labels(graphs), seed=0)
    out = condense_graphs("mirage", {"depth": 2, "theta": 0.1, "itemsets": "maximal"}, graphs, train)
    assert out.info["bytes_fraction"] < 0.2 and out.num_graphs < 100
    model = train_graph_classifier("gin", {"layers": 2, "pooling": "mean"}, out.graphs(), [graphs[i] for i in val],
                                   [graphs[i] for i in test], GraphTrainConfig(epochs=20), num_classes=2,
                                   sample_weights=out.sample_weights, seed=0)
    assert model.metrics["test_acc"] > 0.5


def test_a_tree_set_fixes_the_layer_count_and_a_coreset_keeps_the_configured_one():
    graphs = two_class_toy()
    trees = condense_graphs("mirage", {"depth": 2, "theta": 0.2, "itemsets": "maximal"}, graphs, torch.arange(40))
    coreset = condense_graphs("random", {"per_class": 3}, graphs, torch.arange(40))
    assert model_params(trees, {"layers": 5, "hidden": 8}) == {"layers": 2, "hidden": 8}
    assert model_params(coreset, {"layers": 5}) == {"layers": 5}
    train, val, test = stratified_splits(graph_labels(graphs), seed=0)
    trained = train_on_distilled("gin", {"hidden": 8}, trees, graphs, (train, val, test), GraphTrainConfig(epochs=2),
                                 num_classes=2, seed=0)
    assert trained.params["layers"] == 2


def run_with(val_acc, test_acc):
    return TrainedGraphModel("gin", {}, 4, 2, {}, {"val_acc": val_acc, "test_acc": test_acc}, 1, 1, 0.0)


def test_selection_reads_validation_accuracy_only_and_ties_keep_the_first():
    runs = {"small": run_with(0.70, 0.90), "large": run_with(0.80, 0.60)}
    assert pick_by_validation(runs) == "large"  # the test accuracy would have picked "small"
    assert pick_by_validation({"a": run_with(0.8, 0.1), "b": run_with(0.8, 0.9)}) == "a"
    with pytest.raises(ValueError, match="no runs"):
        pick_by_validation({})


def test_byte_budget_matched_to_mirage_keeps_every_coreset_within_it(tmp_path):
    root = require_real_data("tu", "MUTAG")
    graphs = load_tu_dataset("MUTAG", None, root, tmp_path)
    train, _, _ = stratified_splits(graph_labels(graphs), seed=1)
    budget = condense_graphs("mirage", {"depth": 2, "theta": 0.1, "itemsets": "maximal"}, graphs, train).nbytes()
    for method in ("random", "herding", "kcenter"):
        out = condense_graphs(method, {"byte_budget": budget, "seed": 1}, graphs, train)
        used = sum(graphs[i].x.nbytes + graphs[i].edge_index.nbytes + graphs[i].y.nbytes for i in out.piece_ids)
        assert 0 < used <= budget and set(out.labels.tolist()) == {0, 1}

import shutil

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from kernels.data.staging import DatasetError
from kernels.graphs import (GRAPH_MODELS, GraphTrainConfig, TrainedGraphModel, binary_auc, build_graph_model,
                            graph_labels, load_tu_dataset, pool_nodes, stratified_splits, train_graph_classifier)
from kernels.graphs.train import support_sampler
from tests.conftest import require_real_data


pytestmark = pytest.mark.usefixtures("one_thread")  # tiny graphs: see tests/conftest.py


def write_tu(folder, name, graphs, node_labels=True):
    """Write ``graphs`` (edge lists, node labels, class) in the TU raw text layout."""
    raw = folder / name
    raw.mkdir(parents=True)
    a, indicator, glabels, nlabels, offset = [], [], [], [], 0
    for gid, (edges, labels, cls) in enumerate(graphs, start=1):
        for u, v in edges:
            a += [f"{u + offset + 1}, {v + offset + 1}", f"{v + offset + 1}, {u + offset + 1}"]
        indicator += [str(gid)] * len(labels)
        nlabels += [str(lab) for lab in labels]
        glabels.append(str(cls))
        offset += len(labels)
    (raw / f"{name}_A.txt").write_text("\n".join(a) + "\n")
    (raw / f"{name}_graph_indicator.txt").write_text("\n".join(indicator) + "\n")
    (raw / f"{name}_graph_labels.txt").write_text("\n".join(glabels) + "\n")
    if node_labels:
        (raw / f"{name}_node_labels.txt").write_text("\n".join(nlabels) + "\n")


TINY = [([(0, 1), (1, 2)], [0, 1, 0], 0), ([(0, 1), (1, 2), (2, 3), (3, 0)], [2, 2, 1, 1], 1),
        ([(0, 1)], [0, 2], 1)]


def test_tiny_tu_files_load_with_one_hot_labels_kept_as_integers(tmp_path):
    write_tu(tmp_path / "tu", "TINY", TINY)
    graphs = load_tu_dataset("TINY", {"download": False}, tmp_path, tmp_path / "cache")
    assert len(graphs) == 3 and graph_labels(graphs).tolist() == [0, 1, 1]
    assert graphs[1].node_label.tolist() == [2, 2, 1, 1]
    assert all(torch.equal(g.x, torch.nn.functional.one_hot(g.node_label, 3).float()) for g in graphs)
    assert graphs[1].edge_index.size(1) == 8


def test_unlabelled_nodes_get_one_hot_degrees_clipped_at_max_degree(tmp_path):
    star = ([(0, i) for i in range(1, 5)], [0] * 5, 0)
    write_tu(tmp_path / "tu", "NOLAB", [star, ([(0, 1)], [0, 0], 1)], node_labels=False)
    graphs = load_tu_dataset("NOLAB", {"download": False}, tmp_path, tmp_path / "c1")
    assert graphs[0].node_label.tolist() == [4, 1, 1, 1, 1] and graphs[0].x.shape == (5, 5)
    clipped = load_tu_dataset("NOLAB", {"download": False, "max_degree": 2}, tmp_path, tmp_path / "c2")
    assert clipped[0].node_label.tolist() == [2, 1, 1, 1, 1] and clipped[0].x.shape == (5, 3)


def test_unknown_dataset_and_bad_settings_are_named(tmp_path):
    with pytest.raises(DatasetError, match=r"'NOPE'.*download is disabled"):
        load_tu_dataset("NOPE", {"download": False}, tmp_path, tmp_path / "cache")
    with pytest.raises(DatasetError, match=r"(?s)'TINY'.*use_node_atr"):
        load_tu_dataset("TINY", {"use_node_atr": True}, tmp_path, tmp_path / "cache")


def test_mutag_loads_188_graphs(tmp_path):
    root = require_real_data("tu", "MUTAG")
    graphs = load_tu_dataset("MUTAG", None, root, tmp_path)
    assert len(graphs) == 188 and graphs[0].x.size(1) == 7
    assert sum(g.num_nodes for g in graphs) == 3371
    assert torch.bincount(graph_labels(graphs)).tolist() == [63, 125]


def test_corrupt_raw_file_is_caught_by_the_folder_checksum_list(tmp_path):
    root = require_real_data("tu", "MUTAG")
    shutil.copytree(root / "tu" / "MUTAG", tmp_path / "tu" / "MUTAG")
    sums = [line for line in (root / "tu" / "SHA256SUMS").read_text().splitlines() if "MUTAG/" in line]
    (tmp_path / "tu" / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    with open(tmp_path / "tu" / "MUTAG" / "MUTAG_A.txt", "a") as fh:
        fh.write("1, 2\n")
    with pytest.raises(DatasetError, match=r"MUTAG_A\.txt.*corrupt"):
        load_tu_dataset("MUTAG", None, tmp_path, tmp_path / "cache")


DGCNN_TEXT = """2
3 1
0 2 1 2
2 1 0
1 1 0
2 -1
3 1 1
0 1 0
"""


def _dgcnn_zip(folder, name, text):
    import zipfile

    (folder / "dgcnn_format").mkdir(parents=True)
    with zipfile.ZipFile(folder / "dgcnn_format" / f"{name}.zip", "w") as archive:
        archive.writestr(f"{name}/{name}.txt", text)


def test_dgcnn_zip_loads_tags_as_one_hot_labels_and_neighbour_lists_as_edges(tmp_path):
    _dgcnn_zip(tmp_path / "tu", "TOY", DGCNN_TEXT)
    first, second = load_tu_dataset("TOY", {"format": "dgcnn"}, tmp_path, tmp_path / "cache")
    assert first.node_label.tolist() == [0, 2, 1] and first.x.shape == (3, 4)  # width: largest tag + 1
    assert torch.equal(first.x.argmax(-1), first.node_label)
    # Node 0 lists 1 and 2, each lists 0: both directions, messages from neighbour to node.
    assert sorted(map(tuple, first.edge_index.t().tolist())) == [(0, 1), (0, 2), (1, 0), (2, 0)]
    assert (first.y.item(), second.y.item()) == (1, 0)  # labels 1 / -1 renumbered in sorted order
    assert sorted(map(tuple, second.edge_index.t().tolist())) == [(0, 1), (1, 0)]


def test_truncated_or_malformed_dgcnn_text_names_the_line(tmp_path):
    bad = DGCNN_TEXT.replace("2 1 0\n", "2 1 7\n")  # neighbour id 7 in a 3-node graph
    _dgcnn_zip(tmp_path / "bad" / "tu", "TOY", bad)
    with pytest.raises(DatasetError, match=r"TOY.*line 4"):
        load_tu_dataset("TOY", {"format": "dgcnn"}, tmp_path / "bad", tmp_path / "cache")
    _dgcnn_zip(tmp_path / "short" / "tu", "TOY", DGCNN_TEXT.rsplit("3 1", 1)[0])
    with pytest.raises(DatasetError, match="ends before the graphs it announced"):
        load_tu_dataset("TOY", {"format": "dgcnn"}, tmp_path / "short", tmp_path / "cache")


def test_missing_dgcnn_zip_without_download_names_both_places_looked(tmp_path):
    looked = r"no raw files for 'TOY'.*and no '.*dgcnn_format/TOY\.zip'.*download is disabled"
    with pytest.raises(DatasetError, match=looked):
        load_tu_dataset("TOY", {"format": "dgcnn", "download": False}, tmp_path, tmp_path / "cache")


def test_dd_loads_from_its_dgcnn_zip():
    root = require_real_data("tu", "dgcnn_format", "DD.zip")
    graphs = load_tu_dataset("DD", {"format": "dgcnn", "download": False}, root, root / "unused")
    # The DD card: 1,178 graphs, 334,925 nodes, 843,046 undirected edges, classes 691 / 487.
    assert len(graphs) == 1178 and sum(g.num_nodes for g in graphs) == 334925
    assert sum(g.num_edges for g in graphs) == 2 * 843046
    assert graph_labels(graphs).bincount().tolist() == [691, 487]


def test_stratified_splits_are_disjoint_covering_stratified_and_seeded():
    labels = torch.tensor([0] * 60 + [1] * 30 + [2] * 10)
    train, val, test = stratified_splits(labels, seed=0)
    joined = torch.cat([train, val, test])
    assert joined.numel() == 100 and joined.unique().numel() == 100
    assert torch.bincount(labels[train]).tolist() == [48, 24, 8]
    assert torch.bincount(labels[val], minlength=3).tolist() == [6, 3, 1]
    again = stratified_splits(labels, seed=0)
    other = stratified_splits(labels, seed=1)
    assert torch.equal(train, again[0]) and not torch.equal(train, other[0])
    with pytest.raises(ValueError, match="summing to 1"):
        stratified_splits(labels, seed=0, fractions=(0.5, 0.2, 0.2))


def random_graph(num_nodes, num_features, gen):
    edges = torch.randint(num_nodes, (2, 3 * num_nodes), generator=gen)
    return torch.randn(num_nodes, num_features, generator=gen), torch.cat([edges, edges.flip(0)], dim=1)


@pytest.mark.parametrize("name", GRAPH_MODELS.names())
def test_every_model_maps_a_batch_to_graph_logits(name):
    gen = torch.Generator().manual_seed(0)
    x, edge_index = random_graph(12, 5, gen)
    batch = torch.tensor([0] * 5 + [1] * 7)
    net = build_graph_model(name, {"hidden": 16, "layers": 2}, 5, 3).eval()
    assert net(x, edge_index, batch).shape == (2, 3)


def test_root_pooling_sums_only_the_root_embeddings():
    gen = torch.Generator().manual_seed(1)
    x, edge_index = random_graph(10, 4, gen)
    batch = torch.tensor([0] * 4 + [1] * 6)
    roots = torch.zeros(10, dtype=torch.bool)
    roots[[0, 2, 5]] = True
    net = build_graph_model("gin", {"hidden": 8, "layers": 2}, 4, 2).eval()
    h = net.embed(x, edge_index)
    pooled = pool_nodes(h, batch, 2, "sum", roots)
    assert torch.allclose(pooled[0], h[0] + h[2]) and torch.allclose(pooled[1], h[5])
    assert torch.allclose(net(x, edge_index, batch, roots), net.head(pooled))
    assert torch.allclose(pool_nodes(h, batch, 2, "mean")[1], h[4:].mean(0))


def test_unknown_model_and_bad_fields_are_rejected():
    with pytest.raises(ValueError, match=r"unknown graph model 'gnn'.*gin"):
        build_graph_model("gnn", {}, 4, 2)
    with pytest.raises(ValueError, match=r"layers"):
        build_graph_model("gin", {"layers": 0}, 4, 2)


def test_rank_auc_matches_hand_counts_with_ties():
    scores = torch.tensor([0.1, 0.4, 0.4, 0.8, 0.9])
    y = torch.tensor([0, 0, 1, 1, 0])
    # positive pairs (pos > neg): 0.4>0.1, 0.4=0.4 (half), 0.8>0.1, 0.8>0.4 -> 3.5 of 6
    assert binary_auc(scores, y) == pytest.approx(3.5 / 6)
    assert binary_auc(torch.tensor([0.2, 0.9]), torch.tensor([0, 1])) == 1.0


def test_support_sampler_draws_in_proportion_to_weights():
    weights = torch.tensor([1.0, 3.0, 6.0])
    draws = torch.tensor(list(support_sampler(weights, 20000, seed=0)))
    freq = torch.bincount(draws, minlength=3).float() / draws.numel()
    assert torch.allclose(freq, weights / weights.sum(), atol=0.015)
    with pytest.raises(ValueError, match="non-negative"):
        support_sampler(torch.tensor([1.0, -1.0]), 10, seed=0)


def separable_graphs(count, seed):
    """Class = whether the (path) graph's nodes carry label 0 or label 1."""
    gen = torch.Generator().manual_seed(seed)
    graphs = []
    for i in range(count):
        n, cls = int(torch.randint(3, 8, (1,), generator=gen)), i % 2
        src = torch.arange(n - 1)
        edge_index = torch.stack([torch.cat([src, src + 1]), torch.cat([src + 1, src])])
        label = torch.full((n,), cls)
        graphs.append(Data(x=torch.nn.functional.one_hot(label, 2).float(), edge_index=edge_index,
                           node_label=label, y=torch.tensor([cls])))
    return graphs


def test_training_learns_a_separable_task_and_round_trips(tmp_path):
    graphs = separable_graphs(60, seed=0)
    model = train_graph_classifier("gcn", {"hidden": 16, "layers": 2}, graphs[:40], graphs[40:50], graphs[50:],
                                   GraphTrainConfig(epochs=15, patience=15), seed=0)
    assert model.metrics["test_acc"] == 1.0 and model.metrics["test_auc"] == 1.0
    assert 1 <= model.best_epoch <= model.epochs_run <= 15
    torch.save(model.to_payload(), tmp_path / "m.pt")
    back = TrainedGraphModel.from_payload(torch.load(tmp_path / "m.pt", weights_only=True))
    batch = next(iter(DataLoader(graphs[50:], batch_size=10)))
    assert torch.allclose(back.module()(batch.x, batch.edge_index, batch.batch),
                          model.module()(batch.x, batch.edge_index, batch.batch))

import shutil

import numpy as np
import pytest
import torch

from kernels.data import DatasetError, graph_summary, load_dataset
from kernels.data.splits import FractionSplit, PerClassSplit, apply_split
from kernels.data.synthetic import SyntheticSBMConfig, synthetic_sbm
from tests.conftest import require_real_data


def test_cora_has_the_published_sizes_and_public_split(cora):
    summary = graph_summary(cora)
    assert (summary["num_nodes"], summary["num_edges"], summary["num_classes"]) == (2708, 10556, 7)
    assert (summary["num_train"], summary["num_val"], summary["num_test"]) == (140, 500, 1000)
    assert summary["num_features"] == 1433
    assert 0.8 < summary["homophily"] < 0.82


def test_citeseer_sizes(pyg_cache):
    root = require_real_data("planetoid", "ind.citeseer.x")
    data = load_dataset("citeseer", {"format": "planetoid", "name": "CiteSeer"}, root, pyg_cache)
    assert data.num_nodes == 3327 and int(data.y.max()) + 1 == 6


def test_amazon_photo_gets_a_seeded_per_class_split(pyg_cache):
    root = require_real_data("gnn-benchmark", "amazon-photo.zip")
    params = {"format": "gnn-benchmark", "file": "gnn-benchmark/amazon-photo.zip", "pyg_class": "Amazon",
              "name": "Photo", "split": {"train_per_class": 20, "val_per_class": 30, "seed": 3}}
    data = load_dataset("amazon-photo", params, root, pyg_cache)
    assert data.num_nodes == 7650
    assert torch.bincount(data.y[data.train_mask]).tolist() == [20] * 8
    again = load_dataset("amazon-photo", params, root, pyg_cache)
    assert torch.equal(data.train_mask, again.train_mask)


def _write_npz(path, num_nodes=60, num_classes=3, seed=0):
    """A graph in the gnn-benchmark npz layout (CSR adjacency and attributes)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    adj = sp.random(num_nodes, num_nodes, density=0.1, format="csr", random_state=seed)
    attr = sp.random(num_nodes, 8, density=0.5, format="csr", random_state=seed)
    np.savez(path, adj_data=adj.data, adj_indices=adj.indices, adj_indptr=adj.indptr, adj_shape=adj.shape,
             attr_data=attr.data, attr_indices=attr.indices, attr_indptr=attr.indptr, attr_shape=attr.shape,
             labels=np.repeat(np.arange(num_classes), num_nodes // num_classes))


def test_a_new_npz_dataset_needs_only_a_settings_entry(tmp_path):
    _write_npz(tmp_path / "mygraph.npz")
    params = {"format": "gnn-benchmark", "file": "mygraph.npz",
              "split": {"train_per_class": 5, "val_per_class": 5, "seed": 0}}
    data = load_dataset("mygraph", params, tmp_path, tmp_path / "cache")
    assert data.num_nodes == 60 and data.x.shape == (60, 8)
    assert int(data.train_mask.sum()) == 15 and int(data.val_mask.sum()) == 15


def test_largest_component_keeps_the_biggest_island_before_the_split(tmp_path):
    import scipy.sparse as sp

    # Two rings, of 40 and 20 nodes, with labels cycling through 3 classes.
    ring = lambda start, n: [(start + i, start + (i + 1) % n) for i in range(n)]
    rows, cols = zip(*(ring(0, 40) + ring(40, 20)))
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(60, 60))
    attr = sp.csr_matrix(np.eye(60, 8))
    np.savez(tmp_path / "islands.npz", adj_data=adj.data, adj_indices=adj.indices, adj_indptr=adj.indptr,
             adj_shape=adj.shape, attr_data=attr.data, attr_indices=attr.indices, attr_indptr=attr.indptr,
             attr_shape=attr.shape, labels=np.arange(60) % 3)
    params = {"format": "gnn-benchmark", "file": "islands.npz", "largest_component": True,
              "split": {"train_per_class": 5, "val_per_class": 5, "seed": 0}}
    data = load_dataset("islands", params, tmp_path, tmp_path / "cache")
    assert data.num_nodes == 40 and data.edge_index.size(1) == 80
    assert int(data.train_mask.sum()) == 15 and int(data.test_mask.sum()) == 10
    whole = load_dataset("islands", params | {"largest_component": False}, tmp_path, tmp_path / "cache")
    assert whole.num_nodes == 60


def test_unknown_format_is_named_with_the_choices(tmp_path):
    with pytest.raises(DatasetError, match=r"'graphml'.*planetoid"):
        load_dataset("x", {"format": "graphml"}, tmp_path, tmp_path)


def test_bad_config_value_is_named(tmp_path):
    with pytest.raises(DatasetError, match="num_nodes"):
        load_dataset("tiny", {"format": "synthetic-sbm", "num_nodes": -5}, None, tmp_path)


def test_missing_raw_file_is_named(tmp_path):
    with pytest.raises(DatasetError, match="nothere.npz"):
        load_dataset("x", {"format": "gnn-benchmark", "file": "nothere.npz"}, tmp_path, tmp_path / "cache")


def test_corrupt_raw_file_fails_and_leaves_no_cache(tmp_path):
    (tmp_path / "broken.npz").write_bytes(b"not a numpy archive")
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match="broken.npz"):
        load_dataset("x", {"format": "gnn-benchmark", "file": "broken.npz"}, tmp_path, cache)
    assert not any(p.is_file() for p in cache.rglob("*"))


def test_checksum_mismatch_is_reported_as_corrupt(tmp_path):
    root = require_real_data("planetoid", "ind.cora.x")
    folder = tmp_path / "planetoid"
    shutil.copytree(root / "planetoid", folder)
    (folder / "ind.cora.y").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=r"ind\.cora\.y.*corrupt"):
        load_dataset("cora", {"format": "planetoid", "name": "Cora"}, tmp_path, tmp_path / "cache")


def test_synthetic_sbm_is_seeded_homophilous_and_undirected():
    cfg = SyntheticSBMConfig(num_nodes=500, avg_degree=8, num_classes=4, homophily=0.9, seed=1)
    a, b = synthetic_sbm(cfg), synthetic_sbm(cfg)
    assert torch.equal(a.edge_index, b.edge_index) and torch.equal(a.x, b.x)
    summary = graph_summary(a)
    assert 0.85 < summary["homophily"] < 0.95
    assert 1500 < summary["num_edges"] / 2 <= 2000
    from torch_geometric.utils import is_undirected

    assert is_undirected(a.edge_index)


@pytest.mark.parametrize("homophily", [0.1, 0.5])
def test_cross_class_sbm_reaches_the_asked_homophily_even_below_chance(homophily):
    # Four classes: edges to random nodes could not go below 0.25 edge homophily.
    cfg = SyntheticSBMConfig(num_nodes=800, avg_degree=8, num_classes=4, homophily=homophily, cross_class=True)
    assert abs(graph_summary(synthetic_sbm(cfg))["homophily"] - homophily) < 0.05


def test_splits_are_disjoint_and_sized():
    data = synthetic_sbm(SyntheticSBMConfig(num_nodes=400, num_classes=4, seed=0))
    apply_split(data, PerClassSplit(train_per_class=10, val_per_class=15, seed=0))
    assert torch.bincount(data.y[data.train_mask]).tolist() == [10] * 4
    assert int(data.val_mask.sum()) == 60
    assert not (data.train_mask & data.val_mask).any() and not (data.test_mask & data.val_mask).any()
    apply_split(data, FractionSplit(train_fraction=0.5, val_fraction=0.25, seed=0))
    assert int(data.train_mask.sum()) == 200 and int(data.test_mask.sum()) == 100


def test_split_larger_than_a_class_is_refused():
    data = synthetic_sbm(SyntheticSBMConfig(num_nodes=40, num_classes=4, seed=0))
    with pytest.raises(ValueError, match="fewer than"):
        apply_split(data, PerClassSplit(train_per_class=20, val_per_class=30))

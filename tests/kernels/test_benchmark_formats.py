"""The field's benchmark graphs load from tiny fixtures written in each publisher's own file
layout, through the same code path a user's real files take."""
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from kernels.data import DatasetError, load_dataset

N, F, CLASSES = 12, 4, 3
RNG = np.random.default_rng(0)
FEATURES = RNG.random((N, F)).astype(np.float32)
LABELS = np.arange(N) % CLASSES
EDGES = np.array([[i, (i + 1) % N] for i in range(N)] + [[0, 6], [3, 9]])  # one direction each


def _split_masks(split: int) -> dict[str, np.ndarray]:
    """A 50/25/25 split that differs per split index."""
    order = np.roll(np.arange(N), split)
    masks = {name: np.zeros(N, dtype=bool) for name in ("train_mask", "val_mask", "test_mask")}
    masks["train_mask"][order[:6]], masks["val_mask"][order[6:9]], masks["test_mask"][order[9:]] = True, True, True
    return masks


def _write_csv_gz(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as fh:
        fh.writelines(",".join(str(v) for v in np.atleast_1d(row)) + "\n" for row in rows)


def _check(data, split: int = 0, undirected_edges: int | None = None) -> None:
    assert data.num_nodes == N and data.x.shape == (N, F)
    assert data.y.tolist() == LABELS.tolist()
    expected = _split_masks(split)
    for name, mask in expected.items():
        assert data[name].dtype.is_floating_point is False and data[name].tolist() == mask.tolist(), name
    if undirected_edges is not None:
        assert data.edge_index.size(1) == undirected_edges


def test_ogb_arxiv_from_the_official_zip_layout_is_undirected_with_the_time_split(tmp_path):
    base = tmp_path / "ogb" / "arxiv"
    _write_csv_gz(base / "raw" / "edge.csv.gz", EDGES)
    _write_csv_gz(base / "raw" / "node-feat.csv.gz", FEATURES)
    _write_csv_gz(base / "raw" / "node-label.csv.gz", LABELS)
    masks = _split_masks(0)
    for part, name in (("train", "train_mask"), ("valid", "val_mask"), ("test", "test_mask")):
        _write_csv_gz(base / "split" / "time" / f"{part}.csv.gz", np.flatnonzero(masks[name]))
    data = load_dataset("ogbn-arxiv", {"format": "ogb", "name": "ogbn-arxiv"}, tmp_path, tmp_path / "cache")
    _check(data, undirected_edges=2 * len(EDGES))
    assert np.allclose(data.x.numpy(), FEATURES, atol=1e-6)

    (base / "split" / "time" / "valid.csv.gz").unlink()
    with pytest.raises(DatasetError, match=r"\['split/time/valid.csv.gz'\] for 'ogbn-arxiv' are missing from"):
        load_dataset("ogbn-arxiv", {"format": "ogb", "name": "ogbn-arxiv"}, tmp_path, tmp_path / "cache")


def test_heterophilous_npz_picks_one_of_its_ten_splits(tmp_path):
    splits = [_split_masks(i) for i in range(10)]
    folder = tmp_path / "heterophilous"
    folder.mkdir()
    np.savez(folder / "roman_empire.npz", node_features=FEATURES, node_labels=LABELS, edges=EDGES,
             **{f"{name}s": np.stack([s[name] for s in splits]) for name in ("train_mask", "val_mask", "test_mask")})
    for split in (0, 3):
        data = load_dataset("roman-empire", {"format": "heterophilous", "name": "roman-empire", "split": split},
                            tmp_path, tmp_path / "cache")
        _check(data, split, undirected_edges=2 * len(EDGES))


def _write_geom_gcn(root: Path, stem: str, one_hot_indices: bool) -> None:
    folder = root / "geom-gcn" / "new_data" / stem
    folder.mkdir(parents=True)
    if one_hot_indices:  # Actor: the indices of the non-zero features
        cells = [",".join(str(j) for j in range(F) if FEATURES[i, j] > 0.5) or "0" for i in range(N)]
    else:
        cells = [",".join(f"{v:.6f}" for v in FEATURES[i]) for i in range(N)]
    (folder / "out1_node_feature_label.txt").write_text(
        "node_id\tfeature\tlabel\n" + "".join(f"{i}\t{cells[i]}\t{LABELS[i]}\n" for i in range(N)))
    (folder / "out1_graph_edges.txt").write_text("node_id\tnode_id\n" + "".join(f"{a}\t{b}\n" for a, b in EDGES))
    splits = root / "geom-gcn" / "splits"
    splits.mkdir(exist_ok=True)
    for i in range(10):
        np.savez(splits / f"{stem}_split_0.6_0.2_{i}.npz", **_split_masks(i))


@pytest.mark.parametrize("name", ["texas", "chameleon", "actor"])
def test_geom_gcn_layout_loads_through_each_pyg_class(tmp_path, name):
    _write_geom_gcn(tmp_path, "film" if name == "actor" else name, one_hot_indices=name == "actor")
    data = load_dataset(name, {"format": "geom-gcn", "name": name, "split": 2}, tmp_path, tmp_path / "cache")
    assert data.num_nodes == N and data.y.tolist() == LABELS.tolist()
    assert data.train_mask.tolist() == _split_masks(2)["train_mask"].tolist()
    assert data.edge_index.size(1) == len(EDGES)


def test_graphsaint_flickr_files_give_its_roles(tmp_path):
    folder = tmp_path / "graphsaint" / "flickr"
    folder.mkdir(parents=True)
    adj = sp.coo_matrix((np.ones(2 * len(EDGES)), (np.r_[EDGES[:, 0], EDGES[:, 1]], np.r_[EDGES[:, 1], EDGES[:, 0]])),
                        shape=(N, N)).tocsr()
    np.savez(folder / "adj_full.npz", data=adj.data, indices=adj.indices, indptr=adj.indptr, shape=adj.shape)
    np.save(folder / "feats.npy", FEATURES)
    (folder / "class_map.json").write_text(json.dumps({str(i): int(LABELS[i]) for i in range(N)}))
    masks = _split_masks(0)
    (folder / "role.json").write_text(json.dumps({role: np.flatnonzero(masks[name]).tolist() for role, name in
                                                  (("tr", "train_mask"), ("va", "val_mask"), ("te", "test_mask"))}))
    data = load_dataset("flickr", {"format": "graphsaint", "name": "flickr"}, tmp_path, tmp_path / "cache")
    _check(data, undirected_edges=2 * len(EDGES))


def test_a_split_beyond_the_published_ten_is_refused():
    with pytest.raises(DatasetError, match="split"):
        load_dataset("texas", {"format": "geom-gcn", "name": "texas", "split": 10}, None, Path("/nonexistent"))


def test_missing_files_without_internet_name_the_folder_the_files_and_the_download(tmp_path, monkeypatch):
    import torch_geometric.data

    def offline(url, folder, *args, **kwargs):
        raise OSError(f"no route to {url}")

    monkeypatch.setattr(torch_geometric.data, "download_url", offline)
    with pytest.raises(DatasetError, match=r"(?s)no raw files for 'ogbn-arxiv' under '.*ogb/arxiv'.*"
                                           r"raw/edge.csv.gz.*nodeproppred/arxiv.zip.*no route"):
        load_dataset("ogbn-arxiv", {"format": "ogb", "name": "ogbn-arxiv"}, tmp_path, tmp_path / "cache")

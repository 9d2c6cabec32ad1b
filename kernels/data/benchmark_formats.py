"""Formats of the field's benchmark graphs beyond Planetoid and gnn-benchmark.

Each reads the files in their publisher's own layout under the data root, through PyG's
dataset class for that publisher where there is one (GraphSAINT's Flickr and Reddit, the
heterophilous benchmark, geom-gcn's WebKB / Wikipedia / Actor graphs), and downloads through
the same class (or PyG's ``download_url``) when the data root lacks them. OGB's node files
are compressed CSVs read with polars: the ``ogb`` package's loader asks for confirmation on
stdin when its release marker is missing and is not needed to read five CSV files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch_geometric.data import Data

from kernels.data.formats import download_into, register_format, staged_or_downloaded
from kernels.data.staging import DatasetError, verify_checksum

FIXED_SPLITS = 10  # the heterophilous and geom-gcn benchmarks publish ten splits each


def pick_split(data: Data, split: int, what: str) -> Data:
    """Keep column ``split`` of ``[N, splits]`` masks, as the one split a dataset entry uses."""
    available = data.train_mask.size(1) if data.train_mask.dim() == 2 else 1
    if split >= available:
        raise DatasetError(f"{what} has {available} published splits; split {split} does not exist")
    for name in ("train_mask", "val_mask", "test_mask"):
        masks = data[name]
        data[name] = (masks[:, split] if masks.dim() == 2 else masks).bool()
    return data


class HeterophilousConfig(BaseModel):
    """A graph of the heterophilous benchmark (Platonov et al., 2023): the authors' ``.npz``
    (``node_features``, ``node_labels``, ``edges``, ten ``train/val/test_masks``) at
    ``<folder>/<name with underscores>.npz``; ``split`` picks one of the ten."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["heterophilous"] = "heterophilous"
    name: Literal["roman-empire", "amazon-ratings", "minesweeper", "tolokers", "questions"]
    split: int = Field(0, ge=0, lt=FIXED_SPLITS)
    folder: str = "heterophilous"


@register_format("heterophilous", HeterophilousConfig)
def load_heterophilous(cfg: HeterophilousConfig, data_root: Path | None, cache: Path) -> Data:
    from torch_geometric.datasets import HeterophilousGraphDataset

    stem = cfg.name.replace("-", "_")
    folder = data_root / cfg.folder if data_root else None
    files = [folder / f"{stem}.npz"] if folder else []
    data = staged_or_downloaded(repr(cfg.name), folder, files, cache / "heterophilous",
                                lambda root: root / stem / "raw",
                                lambda root: HeterophilousGraphDataset(str(root), cfg.name)[0])
    return pick_split(data, cfg.split, cfg.name)


class GeomGCNConfig(BaseModel):
    """A geom-gcn graph (Pei et al., 2020) with its ten published 60/20/20 splits, in the
    geom-gcn repository's layout under ``folder``: ``new_data/<name>/out1_node_feature_label.txt``,
    ``new_data/<name>/out1_graph_edges.txt``, ``splits/<name>_split_0.6_0.2_<i>.npz`` (Actor's
    files are named ``film``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["geom-gcn"] = "geom-gcn"
    name: Literal["chameleon", "squirrel", "actor", "cornell", "texas", "wisconsin"]
    split: int = Field(0, ge=0, lt=FIXED_SPLITS)
    folder: str = "geom-gcn"


@register_format("geom-gcn", GeomGCNConfig)
def load_geom_gcn(cfg: GeomGCNConfig, data_root: Path | None, cache: Path) -> Data:
    from torch_geometric.datasets import Actor, WebKB, WikipediaNetwork

    stem = "film" if cfg.name == "actor" else cfg.name
    folder = data_root / cfg.folder if data_root else None
    files = ([folder / "new_data" / stem / f"out1_{part}.txt" for part in ("node_feature_label", "graph_edges")]
             + [folder / "splits" / f"{stem}_split_0.6_0.2_{i}.npz" for i in range(FIXED_SPLITS)]) if folder else []
    if cfg.name == "actor":
        raw_dir, make = (lambda root: root / "raw"), (lambda root: Actor(str(root))[0])
    elif cfg.name in ("chameleon", "squirrel"):
        raw_dir = lambda root: root / cfg.name / "geom_gcn" / "raw"  # noqa: E731
        make = lambda root: WikipediaNetwork(str(root), cfg.name, geom_gcn_preprocess=True)[0]  # noqa: E731
    else:
        raw_dir, make = (lambda root: root / cfg.name / "raw"), (lambda root: WebKB(str(root), cfg.name)[0])
    data = staged_or_downloaded(repr(cfg.name), folder, files, cache / "geom-gcn", raw_dir, make)
    return pick_split(data, cfg.split, cfg.name)


class GraphSAINTConfig(BaseModel):
    """Flickr or Reddit as GraphSAINT publishes them (``adj_full.npz``, ``feats.npy``,
    ``class_map.json``, ``role.json`` under ``<folder>/<name>/``), read by PyG's ``Flickr`` /
    ``Reddit2`` with GraphSAINT's train / val / test roles."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["graphsaint"] = "graphsaint"
    name: Literal["flickr", "reddit"]
    folder: str = "graphsaint"


GRAPHSAINT_FILES = ("adj_full.npz", "feats.npy", "class_map.json", "role.json")


@register_format("graphsaint", GraphSAINTConfig)
def load_graphsaint(cfg: GraphSAINTConfig, data_root: Path | None, cache: Path) -> Data:
    from torch_geometric.datasets import Flickr, Reddit2

    cls = Flickr if cfg.name == "flickr" else Reddit2
    folder = data_root / cfg.folder if data_root else None
    files = [folder / cfg.name / name for name in GRAPHSAINT_FILES] if folder else []
    return staged_or_downloaded(repr(cfg.name), folder, files, cache / "graphsaint" / cfg.name,
                                lambda root: root / "raw", lambda root: cls(str(root))[0])


class OGBConfig(BaseModel):
    """An OGB node-property graph with its official split: ``ogbn-arxiv`` (``split/time``) or
    ``ogbn-products`` (``split/sales_ranking``), in the layout of OGB's zip under
    ``<folder>/<arxiv|products>/`` (``raw/edge.csv.gz``, ``raw/node-feat.csv.gz``,
    ``raw/node-label.csv.gz``, ``split/<split>/{train,valid,test}.csv.gz``).

    ``to_undirected`` adds each edge's reverse: ogbn-arxiv's citation edges are directed, and
    the condensation and GNN-to-MLP literature trains on the undirected graph.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["ogb"] = "ogb"
    name: Literal["ogbn-arxiv", "ogbn-products"]
    folder: str = "ogb"
    to_undirected: bool = True


OGB_LAYOUT = {"ogbn-arxiv": ("arxiv", "time"), "ogbn-products": ("products", "sales_ranking")}
OGB_URL = "http://snap.stanford.edu/ogb/data/nodeproppred/{}.zip"


def _ogb_files(base: Path, split: str) -> list[Path]:
    return ([base / "raw" / f"{part}.csv.gz" for part in ("edge", "node-feat", "node-label")]
            + [base / "split" / split / f"{part}.csv.gz" for part in ("train", "valid", "test")])


def read_ogb_node_graph(base: Path, split: str, to_undirected: bool) -> Data:
    """An OGB node-property graph from its CSV files under ``base`` (the zip's folder)."""
    import polars as pl
    from torch_geometric.utils import to_undirected as undirected

    def table(path: Path) -> torch.Tensor:
        return torch.from_numpy(pl.read_csv(path, has_header=False).to_numpy())

    edge, x, y, *splits = (table(path) for path in _ogb_files(base, split))
    edge_index = edge.t().long().contiguous()
    if to_undirected:
        edge_index = undirected(edge_index, num_nodes=x.size(0))
    data = Data(x=x.float(), y=y.view(-1).long(), edge_index=edge_index)
    for name, index in zip(("train_mask", "val_mask", "test_mask"), splits):
        mask = torch.zeros(x.size(0), dtype=torch.bool)
        mask[index.view(-1).long()] = True
        data[name] = mask
    return data


@register_format("ogb", OGBConfig)
def load_ogb(cfg: OGBConfig, data_root: Path | None, cache: Path) -> Data:
    from torch_geometric.data import download_url, extract_zip

    stem, split = OGB_LAYOUT[cfg.name]
    base = data_root / cfg.folder / stem if data_root else None
    files = _ogb_files(base, split) if base else []
    present = [f for f in files if f.exists()]
    if not present:
        def fetch(root: Path) -> Data:
            if not (root / stem).exists():
                extract_zip(download_url(OGB_URL.format(stem), str(root)), str(root))
            return read_ogb_node_graph(root / stem, split, cfg.to_undirected)

        looked = [str(f.relative_to(base)) for f in files] if base else []
        return download_into(cache / "ogb", f"no raw files for {cfg.name!r} under {str(base)!r} (looked for "
                                            f"{looked}; tried {OGB_URL.format(stem)})", fetch)
    if len(present) < len(files):
        missing = [str(f.relative_to(base)) for f in files if not f.exists()]
        raise DatasetError(f"raw files {missing} for {cfg.name!r} are missing from {str(base)!r}")
    for f in files:
        verify_checksum(f)
    try:
        return read_ogb_node_graph(base, split, cfg.to_undirected)
    except Exception as err:
        raise DatasetError(f"raw files of {cfg.name!r} under {str(base)!r} could not be read: "
                           f"{type(err).__name__}: {err}") from err

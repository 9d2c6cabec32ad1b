"""Graph-classification data: TU benchmark datasets as lists of small PyG graphs.

The raw TU text files (Morris et al., "TUDataset: A collection of benchmark datasets for
learning with graphs", https://arxiv.org/abs/2007.08663) are staged where PyG's
``TUDataset`` expects them (``<root>/<NAME>/raw/``) and parsed by that class; PyG downloads
them when the data root lacks them. Datasets kept as a DGCNN-format zip (DD) are parsed by
``kernels/graphs/dgcnn.py``; without the zip, PyG downloads the same dataset's TU files.

Every graph carries ``x`` (float one-hot node features), ``node_label`` (the integer each
one-hot row encodes, which tree-based distillation needs as a discrete colour),
``edge_index`` and ``y`` (shape ``[1]``).
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from torch import Tensor
from torch_geometric.data import Data

from kernels.data.staging import DatasetError, content_key, sha256_file, stage_files, verify_checksum


class TUConfig(BaseModel):
    """One TU dataset.

    Args:
        name: the TU name, e.g. ``MUTAG``, ``NCI1``, ``IMDB-BINARY``.
        folder: folder under the data root holding ``<name>/`` (default: ``tu``).
        format: ``tu`` (raw TU text files in ``<folder>/<name>/``) or ``dgcnn`` (the zip
            ``<folder>/dgcnn_format/<name>.zip`` holding ``<name>/<name>.txt``) (default: ``tu``).
        use_node_attr: prepend the continuous node attributes to the one-hot labels
            (default: ``False``; tree-based distillation needs one-hot features only).
        max_degree: for datasets without node labels, degrees above it are clipped before
            one-hot encoding; ``None`` takes the largest degree in the data (default: ``None``).
        download: let PyG download when the data root lacks the files (default: ``True``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    folder: str = "tu"
    format: Literal["tu", "dgcnn"] = "tu"
    use_node_attr: bool = False
    max_degree: int | None = Field(None, ge=1)
    download: bool = True


def tu_config(name: str, params: dict[str, Any] | None = None) -> TUConfig:
    """``TUConfig`` for dataset ``name``; a clashing ``params["name"]`` or bad field is a ``DatasetError``."""
    params = dict(params or {})
    if params.setdefault("name", name) != name:
        raise DatasetError(f"dataset {name!r}: settings entry names another dataset {params['name']!r}")
    try:
        return TUConfig(**params)
    except ValidationError as err:
        raise DatasetError(f"dataset {name!r} has an invalid settings entry: {err}") from err


def _verify(path: Path, folder: Path) -> None:
    """Check ``path`` against ``SHA256SUMS`` beside it and against the folder-level list.

    The staged TU copy keeps one ``tu/SHA256SUMS`` whose entries read ``MUTAG/MUTAG_A.txt``.
    """
    verify_checksum(path)
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        return
    entry = path.relative_to(folder).as_posix()
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == entry:
            actual = sha256_file(path)
            if actual != parts[0]:
                raise DatasetError(f"raw file {str(path)!r} is corrupt: sha256 {actual[:16]}... does not match "
                                   f"{parts[0][:16]}... listed in {str(sums)!r}")
            return


def _read_tu(root: Path, cfg: TUConfig) -> tuple[list[Data], int]:
    """Graphs from PyG's ``TUDataset`` and how many leading feature columns are attributes."""
    from torch_geometric.datasets import TUDataset

    dataset = TUDataset(str(root), cfg.name, use_node_attr=cfg.use_node_attr)
    num_attr = dataset.num_node_attributes if cfg.use_node_attr else 0
    return [dataset[i] for i in range(len(dataset))], num_attr


def _with_labels(graphs: list[Data], num_attr: int, cfg: TUConfig) -> list[Data]:
    """Add ``node_label``; datasets without node labels get one-hot (clipped) degrees."""
    from torch_geometric.utils import degree

    labelled = graphs[0].x is not None and graphs[0].x.size(1) > num_attr
    if labelled:
        for g in graphs:
            g.node_label = g.x[:, num_attr:].argmax(-1)
            g.x = g.x.float()
        return graphs
    degrees = [degree(g.edge_index[1], g.num_nodes, dtype=torch.long) for g in graphs]
    top = cfg.max_degree if cfg.max_degree is not None else int(max(int(d.max()) for d in degrees if d.numel()))
    for g, deg in zip(graphs, degrees):
        g.node_label = deg.clamp(max=top)
        onehot = torch.nn.functional.one_hot(g.node_label, top + 1).float()
        g.x = onehot if g.x is None else torch.cat([g.x.float(), onehot], dim=1)
    return graphs


def _load_dgcnn(path: Path, folder: Path, cfg: TUConfig) -> list[Data]:
    from kernels.graphs.dgcnn import DGCNNFormatError, read_dgcnn_zip

    if cfg.use_node_attr:
        raise DatasetError(f"dataset {cfg.name!r}: use_node_attr is not supported for the dgcnn format")
    _verify(path, folder)
    try:
        graphs = read_dgcnn_zip(path, cfg.name)
    except (DGCNNFormatError, OSError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise DatasetError(f"dataset {cfg.name!r}: {str(path)!r} could not be read: {err}") from err
    return _with_labels(graphs, 0, cfg)


def load_tu_dataset(name: str, params: dict[str, Any] | None, data_root: Path | None, cache: Path) -> list[Data]:
    """Load TU dataset ``name`` as a list of graphs.

    Args:
        name: the TU name (``MUTAG``); also the key in error messages.
        params: ``TUConfig`` fields other than ``name`` (default: none).
        data_root: folder with ``<folder>/<name>/<name>_*.txt`` or, for the ``dgcnn`` format,
            ``<folder>/dgcnn_format/<name>.zip`` (``None``: let PyG download).
        cache: folder PyG may write raw/processed caches to; staged copies live under a key
            of their content, so a changed raw file is never served from an old cache.

    Returns:
        ``list[Data]``, each with ``x`` ``[n, F]`` float, ``node_label`` ``[n]`` long,
        ``edge_index`` ``[2, E]`` and ``y`` ``[1]``.
    """
    cfg = tu_config(name, params)
    cache = Path(cache) / "tu"
    folder = Path(data_root) / cfg.folder if data_root is not None else None
    archive = folder / "dgcnn_format" / f"{cfg.name}.zip" if folder is not None and cfg.format == "dgcnn" else None
    if archive is not None and archive.exists():
        return _load_dgcnn(archive, folder, cfg)
    files = sorted((folder / cfg.name).glob(f"{cfg.name}_*.txt")) if folder is not None else []
    if not files:
        where = f"no raw files for {cfg.name!r} under {str(folder / cfg.name) if folder else 'no data root'!r}"
        where += f" and no {str(archive)!r}" if archive is not None else ""
        if not cfg.download:
            raise DatasetError(f"{where}, and download is disabled")
        try:
            graphs, num_attr = _read_tu(cache / "download", cfg)
        except Exception as err:  # PyG raises whatever the network or an unknown name gives
            raise DatasetError(f"{where}, and PyG could not download it: {type(err).__name__}: {err}") from err
        return _with_labels(graphs, num_attr, cfg)

    for f in files:
        _verify(f, folder)
    root = cache / content_key(files)
    fresh = not root.exists()
    try:
        stage_files(files, root / cfg.name / "raw")
        graphs, num_attr = _read_tu(root, cfg)
    except Exception as err:  # a corrupt file fails inside PyG's parser with any error type
        if fresh:
            shutil.rmtree(root, ignore_errors=True)
        names = ", ".join(repr(f.name) for f in files)
        raise DatasetError(f"dataset {cfg.name!r}: raw file(s) {names} could not be read: "
                           f"{type(err).__name__}: {err}") from err
    return _with_labels(graphs, num_attr, cfg)


def graph_labels(graphs: list[Data]) -> Tensor:
    """The class of each graph, shape ``[len(graphs)]``."""
    return torch.cat([g.y.view(-1)[:1] for g in graphs]).long()


def stratified_splits(labels: Tensor, seed: int,
                      fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> tuple[Tensor, Tensor, Tensor]:
    """Seeded train/val/test indices with each class split in ``fractions``.

    Each class is shuffled and cut at rounded cumulative fractions, so the three index sets
    are disjoint, cover every graph, and keep each class's share up to one graph.

    Returns:
        ``(train_idx, val_idx, test_idx)``, sorted long tensors.
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    labels = torch.as_tensor(labels).view(-1)
    gen = torch.Generator().manual_seed(seed)
    parts: list[list[Tensor]] = [[], [], []]
    for cls in labels.unique():
        idx = (labels == cls).nonzero().view(-1)
        idx = idx[torch.randperm(idx.numel(), generator=gen)]
        cut1 = round(fractions[0] * idx.numel())
        cut2 = round((fractions[0] + fractions[1]) * idx.numel())
        for part, chunk in zip(parts, (idx[:cut1], idx[cut1:cut2], idx[cut2:])):
            part.append(chunk)
    return tuple(torch.cat(p).sort().values for p in parts)

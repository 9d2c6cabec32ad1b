"""Dataset formats: one registry entry per on-disk format, each with a typed config.

A user adds a dataset by a settings entry naming its format and file; a new *format* is a
new entry here. Real data is read by PyG's own dataset classes once the raw files are
staged where those classes expect them (``kernels.data.staging``); when the data root
lacks them, PyG downloads.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict
from torch_geometric.data import Data

from kernels.data.splits import PerClassSplit, apply_split
from kernels.data.staging import DatasetError, content_key, stage_files, verify_checksum
from kernels.data.synthetic import SyntheticSBMConfig, synthetic_sbm
from kernels.registry import Registry

PLANETOID_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


@dataclass(frozen=True)
class DataFormat:
    config_cls: type[BaseModel]
    load: Callable[[BaseModel, Path | None, Path], Data]


DATA_FORMATS: Registry[DataFormat] = Registry("dataset format")


def register_format(name: str, config_cls: type[BaseModel]):
    return DATA_FORMATS.register(name, lambda fn: DataFormat(config_cls, fn))


class PlanetoidConfig(BaseModel):
    """Planetoid citation graph with its public split (``ind.<name>.*`` pickles)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["planetoid"] = "planetoid"
    name: Literal["Cora", "CiteSeer", "PubMed"]
    folder: str = "planetoid"
    normalize_features: bool = True  # row-normalised bag-of-words, as in Kipf & Welling (2017)


class GNNBenchmarkConfig(BaseModel):
    """A graph in the gnn-benchmark ``.npz`` format (Shchur et al.), or a zip holding one.

    ``pyg_class``/``name`` select PyG's ``Amazon`` or ``Coauthor`` class (which can also
    download); without them any such ``.npz`` is read with PyG's ``read_npz``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    format: Literal["gnn-benchmark"] = "gnn-benchmark"
    file: str
    pyg_class: Literal["Amazon", "Coauthor"] | None = None
    name: str | None = None
    # Keep only the largest connected component (before the split), as CPF and GLNN evaluate
    # the Amazon graphs: isolated nodes and small islands get nothing from message passing.
    largest_component: bool = False
    split: PerClassSplit = PerClassSplit()


def pyg_raw_dir(cls: type, root: Path, **attributes: object) -> Path:
    """Where ``cls(root, ...)`` looks for raw files, read off the class's own ``raw_dir``
    property given the ``attributes`` its constructor would set (``name``, ...)."""
    probe = cls.__new__(cls)
    probe.root = str(root)
    for key, value in attributes.items():
        setattr(probe, key, value)
    return Path(probe.raw_dir)


def build_from(sources: list[Path], cache: Path, make: Callable[[Path], Data]) -> Data:
    """Stage ``sources`` under a content-keyed root and build; undo the staging on failure."""
    root = cache / content_key(sources)
    fresh = not root.exists()
    try:
        return make(root)
    except (DatasetError, ImportError):
        raise
    except Exception as err:  # PyG raises whatever its parser hits on a corrupt file
        if fresh:
            shutil.rmtree(root, ignore_errors=True)
        names = ", ".join(repr(str(p)) for p in sources)
        raise DatasetError(f"raw file(s) {names} could not be read: {type(err).__name__}: {err}") from err


def download_into(cache: Path, what: str, make: Callable[[Path], Data]) -> Data:
    try:
        return make(cache / "download")
    except Exception as err:
        raise DatasetError(f"{what}, and PyG could not download it: {type(err).__name__}: {err}") from err


def staged_or_downloaded(what: str, folder: Path | None, files: list[Path], cache: Path,
                         raw_dir: Callable[[Path], Path], make: Callable[[Path], Data]) -> Data:
    """``make(root)`` of a PyG dataset class: with every raw file of ``files`` (all under
    ``folder`` of the data root) staged into ``raw_dir(root)`` when they are there, through
    PyG's own download when none is. Some but not all present: an error naming the missing."""
    present = [f for f in files if f.exists()]
    if not present:
        looked = f" (looked for {[str(f.relative_to(folder)) for f in files]})" if files else ""
        return download_into(cache, f"no raw files for {what} under {str(folder)!r}{looked}", make)
    if len(present) < len(files):
        missing = [str(f.relative_to(folder)) for f in files if not f.exists()]
        raise DatasetError(f"raw files {missing} for {what} are missing from {str(folder)!r}")
    for f in files:
        verify_checksum(f)

    def stage_and_make(root: Path) -> Data:
        stage_files(files, raw_dir(Path(root)))
        return make(root)

    return build_from(files, cache, stage_and_make)


@register_format("planetoid", PlanetoidConfig)
def load_planetoid(cfg: PlanetoidConfig, data_root: Path | None, cache: Path) -> Data:
    from torch_geometric.datasets import Planetoid

    folder = data_root / cfg.folder if data_root else None
    files = [folder / f"ind.{cfg.name.lower()}.{part}" for part in PLANETOID_PARTS] if folder else []

    def make(root: Path) -> Data:
        from torch_geometric.transforms import NormalizeFeatures

        data = Planetoid(str(root), cfg.name)[0]
        return NormalizeFeatures()(data) if cfg.normalize_features else data

    return staged_or_downloaded(repr(cfg.name), folder, files, cache / "planetoid",
                                lambda root: root / cfg.name / "raw", make)


@register_format("gnn-benchmark", GNNBenchmarkConfig)
def load_gnn_benchmark(cfg: GNNBenchmarkConfig, data_root: Path | None, cache: Path) -> Data:
    import torch_geometric.datasets as pyg_datasets
    from torch_geometric.io import read_npz

    if (cfg.pyg_class is None) != (cfg.name is None):
        raise DatasetError("gnn-benchmark: give both 'pyg_class' and 'name', or neither")
    cache = cache / "gnn-benchmark"
    source = data_root / cfg.file if data_root else None
    cls = getattr(pyg_datasets, cfg.pyg_class) if cfg.pyg_class else None

    def make_pyg(root: Path) -> Data:
        return cls(str(root), cfg.name)[0]

    if source is None or not source.exists():
        where = f"raw file {cfg.file!r} not found under data root {str(data_root)!r}"
        if cls is None:
            raise DatasetError(f"{where}; set 'pyg_class' and 'name' to let PyG download it")
        data = download_into(cache, where, make_pyg)
    else:
        verify_checksum(source)

        def stage_and_make(root: Path) -> Data:
            if cls is not None:
                stage_files([source], pyg_raw_dir(cls, root, name=cfg.name))
                return make_pyg(root)
            stage_files([source], root / "raw")
            npz = sorted((root / "raw").glob("*.npz"))
            if len(npz) != 1:
                raise DatasetError(f"raw file {cfg.file!r} must hold exactly one .npz, found {len(npz)}")
            return read_npz(str(npz[0]), to_undirected=True)

        data = build_from([source], cache, stage_and_make)
    if cfg.largest_component:
        from torch_geometric.transforms import LargestConnectedComponents

        data = LargestConnectedComponents()(data)
    return apply_split(data, cfg.split)


@register_format("synthetic-sbm", SyntheticSBMConfig)
def load_synthetic(cfg: SyntheticSBMConfig, data_root: Path | None, cache: Path) -> Data:
    return synthetic_sbm(cfg)

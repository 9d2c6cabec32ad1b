"""Datasets: load a configured graph into a ``torch_geometric.data.Data`` with fixed splits."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from torch_geometric.data import Data

from kernels.data import benchmark_formats  # noqa: F401  (registers its formats)
from kernels.data.formats import DATA_FORMATS
from kernels.data.staging import DatasetError
from kernels.data.stats import graph_summary


def load_dataset(name: str, params: dict[str, Any], data_root: Path | None, cache: Path) -> Data:
    """Load dataset ``name`` described by its settings entry ``params``.

    Args:
        name: the dataset key (used in error messages).
        params: the settings entry; ``params["format"]`` picks the loader.
        data_root: folder with the staged raw files (``None``: let PyG download).
        cache: folder PyG may write its raw/processed caches to.

    Returns:
        ``Data`` with ``x`` (float32), ``y``, ``edge_index`` and boolean
        ``train_mask`` / ``val_mask`` / ``test_mask``.
    """
    try:
        fmt = DATA_FORMATS.get(str(params.get("format", "")))
    except ValueError as err:
        raise DatasetError(f"dataset {name!r}: {err}") from err
    try:
        cfg = fmt.config_cls(**params)
    except ValidationError as err:
        raise DatasetError(f"dataset {name!r} has an invalid settings entry: {err}") from err
    data = fmt.load(cfg, data_root, cache)
    data.x = data.x.float()
    return data


__all__ = ["DATA_FORMATS", "DatasetError", "graph_summary", "load_dataset"]

"""``RawDataSource``: where raw benchmark files are found and where PyG may cache."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource

if TYPE_CHECKING:
    from torch_geometric.data import Data


class RawDataSource(ConfigurableResource):
    """``data_root`` holds staged raw files (``None``: PyG downloads); ``cache_dir`` is PyG's root."""

    data_root: str | None = None
    cache_dir: str

    def load(self, name: str, params: dict[str, Any]) -> Data:
        from kernels.data import load_dataset

        root = Path(self.data_root) if self.data_root else None
        return load_dataset(name, params, root, Path(self.cache_dir))

    def load_graphs(self, name: str, params: dict[str, Any]) -> list[Data]:
        """A TU graph-classification dataset (PyG ``TUDataset``) as a list of graphs."""
        from kernels.graphs import load_tu_dataset

        root = Path(self.data_root) if self.data_root else None
        return load_tu_dataset(name, params, root, Path(self.cache_dir))

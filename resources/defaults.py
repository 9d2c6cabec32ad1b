"""The resources of a local deployment, all rooted in ``$GRAPHDISTILL_HOME``."""
from __future__ import annotations

from typing import Any

from resources.device import TorchDevice
from resources.home import data_root, graphdistill_home
from resources.io_managers import GraphTableIOManager, TensorIOManager
from resources.raw_data import RawDataSource
from resources.reports import ReportStore
from resources.settings import SettingsStore
from resources.warehouse import DuckDBWarehouse


def local_resources(home: str | None = None, device: str = "auto",
                    settings_path: str | None = None) -> dict[str, Any]:
    """Resources rooted in ``home`` (default ``$GRAPHDISTILL_HOME``); tests pass a temp dir."""
    root = home or str(graphdistill_home())
    raw = data_root()
    return {
        "io_manager": TensorIOManager(root=f"{root}/artifacts"),
        "graph_io_manager": GraphTableIOManager(root=f"{root}/artifacts"),
        "device": TorchDevice(kind=device),
        "settings": SettingsStore(path=settings_path) if settings_path else SettingsStore(),
        "raw_data": RawDataSource(data_root=str(raw) if raw else None, cache_dir=f"{root}/pyg"),
        "warehouse": DuckDBWarehouse(path=f"{root}/warehouse.duckdb"),
        "reports": ReportStore(root=f"{root}/reports"),
    }

"""The resources of a deployment: rooted in ``$GRAPHDISTILL_HOME`` unless config moves them.

``GRAPHDISTILL_ARTIFACTS`` and ``GRAPHDISTILL_REPORTS`` take a folder or an fsspec URL
(``s3://bucket/graphdistill/artifacts`` with ``s3fs`` installed); ``GRAPHDISTILL_WAREHOUSE``
takes any DuckDB database string (a file on a shared volume, ``md:graphdistill`` for
MotherDuck). Nothing else changes between a laptop and a cluster.
"""
from __future__ import annotations

import os
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
    artifacts = os.environ.get("GRAPHDISTILL_ARTIFACTS", f"{root}/artifacts")
    return {
        "io_manager": TensorIOManager(root=artifacts),
        "graph_io_manager": GraphTableIOManager(root=artifacts),
        "device": TorchDevice(kind=device),
        "settings": SettingsStore(path=settings_path) if settings_path else SettingsStore(),
        "raw_data": RawDataSource(data_root=str(raw) if raw else None, cache_dir=f"{root}/pyg"),
        "warehouse": DuckDBWarehouse(path=os.environ.get("GRAPHDISTILL_WAREHOUSE", f"{root}/warehouse.duckdb")),
        "reports": ReportStore(root=os.environ.get("GRAPHDISTILL_REPORTS", f"{root}/reports")),
    }

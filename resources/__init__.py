"""Dagster resources and IO managers of graphdistill."""
from resources.defaults import local_resources
from resources.device import TorchDevice
from resources.raw_data import RawDataSource
from resources.reports import ReportStore
from resources.home import data_root, graphdistill_home
from resources.io_managers import GraphTableIOManager, TensorIOManager
from resources.settings import SettingsStore
from resources.warehouse import DuckDBWarehouse

__all__ = ["local_resources", "DuckDBWarehouse", "GraphTableIOManager", "RawDataSource", "ReportStore", "SettingsStore", "TensorIOManager", "TorchDevice",
           "data_root", "graphdistill_home"]

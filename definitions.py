"""The graphdistill code location: one ``Definitions`` for the UI, the CLI and the daemon."""
from dagster import Definitions

from dg_assets import all_asset_checks, all_assets, all_jobs, all_schedules
from resources import local_resources

defs = Definitions(
    assets=all_assets,
    asset_checks=all_asset_checks,
    jobs=all_jobs,
    schedules=all_schedules,
    resources=local_resources(),
)

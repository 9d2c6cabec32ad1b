"""The graphdistill code location: one ``Definitions`` for the UI, the CLI and the daemon.

``GRAPHDISTILL_EXECUTOR=k8s`` (set by deploy/Dockerfile) runs every step in its own
Kubernetes pod with ``k8s_job_executor``; otherwise steps run in local processes.
"""
import os

from dagster import Definitions

from dg_assets import all_asset_checks, all_assets, all_jobs, all_schedules, all_sensors
from resources import local_resources
from resources.terminal import terminal_logger


def _executor():
    if os.environ.get("GRAPHDISTILL_EXECUTOR") == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return None


def build_definitions(device: str = "auto") -> Definitions:
    """The code location with its resources on ``device`` (``auto``, ``cpu`` or ``cuda``):
    benchmarks that pin a device run the same assets through it."""
    return Definitions(
        assets=all_assets,
        asset_checks=all_asset_checks,
        jobs=all_jobs,
        schedules=all_schedules,
        sensors=all_sensors,
        resources=local_resources(device=device),
        executor=_executor(),
        # Runs that pass quiet_run_config() (graphdistill, make demo) print short lines through it.
        loggers={"console": terminal_logger},
    )


defs = build_definitions()

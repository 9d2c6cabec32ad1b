"""Runs started from the command line: in this process, with the asset family's own job.

A run appears in the UI under its job (``condensation_job``, not ``__ephemeral_asset_job__``)
with the same lineage, checks and warehouse rows as one launched there. Running in process
saves the seconds a subprocess per step spends importing torch and PyG again, which on the
small graphs users iterate on is most of a run. An upstream partition already materialized is
reused, not recomputed.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from resources.home import ensure_dagster_home
from resources.terminal import hide_library_notices, quiet_run_config



@dataclass(frozen=True)
class AssetEntry:
    """What the command needs to know of an asset: the job that materializes it (its
    partitions definition matches the asset's; ``None``: the implicit asset job) and the
    settings sections its partition key is made of (``datasets`` then the setting family)."""

    job: str | None
    sections: tuple[str, ...]


ASSETS = {
    "dataset": AssetEntry("datasets_job", ("datasets",)),
    "teacher": AssetEntry("teachers_job", ("datasets", "teachers")),
    "teacher_report": AssetEntry("teachers_job", ("datasets", "teachers")),
    "student": AssetEntry("students_job", ("datasets", "students")),
    "student_report": AssetEntry("students_job", ("datasets", "students")),
    "condensed_graph": AssetEntry("condensation_job", ("datasets", "condensation")),
    "condensation_report": AssetEntry("condensation_job", ("datasets", "condensation")),
    "unlearning_request": AssetEntry("unlearning_requests_job", ("datasets", "unlearning_requests")),
    "unlearned_model": AssetEntry("unlearning_job", ("datasets", "unlearning")),
    "unlearning_report": AssetEntry("unlearning_job", ("datasets", "unlearning")),
    "graph_dataset": AssetEntry(None, ("graph_datasets",)),
    "distilled_graphs": AssetEntry("graph_distillation_job", ("graph_datasets", "graph_distillation")),
    "graph_distillation_report": AssetEntry("graph_distillation_job", ("graph_datasets", "graph_distillation")),
    "leaderboard": AssetEntry(None, ()),
    "graph_leaderboard": AssetEntry(None, ()),
}


class RunFailed(RuntimeError):
    """A run ended in failure; the message names the run and its failed steps."""


@dataclass
class Step:
    """One materialization: ``assets`` of ``partition`` (``<dataset>|<setting>``, a dataset, or None)."""

    assets: Sequence[str]
    partition: str | None
    run_config: dict[str, Any] | None = None


class Runner:
    """Materializes steps into the instance at ``$DAGSTER_HOME`` with quiet terminal output,
    on the resources' ``device`` (``auto`` picks CUDA where there is one)."""

    def __init__(self, verbose: bool = False, force: bool = False, device: str = "auto") -> None:
        from dagster import DagsterInstance

        from definitions import build_definitions, defs

        ensure_dagster_home()
        hide_library_notices()

        self.defs = defs if device == "auto" else build_definitions(device)
        self.verbose, self.force = verbose, force
        self.instance = DagsterInstance.get()
        self.seconds: dict[tuple[str, str | None], float] = {}

    def materialized(self, asset: str, partition: str | None) -> bool:
        from dagster import AssetKey

        if partition is None:
            return self.instance.get_latest_materialization_event(AssetKey(asset)) is not None
        return partition in self.instance.get_materialized_partitions(AssetKey(asset))

    def ensure(self, asset: str, partition: str | None) -> None:
        """Materialize ``asset`` (``partition``) unless it already is (or ``force``)."""
        if self.force or not self.materialized(asset, partition):
            self.run(Step([asset], partition))

    def run(self, step: Step) -> None:
        from dagster import AssetKey

        job_name = ASSETS[step.assets[0]].job
        job = self.defs.resolve_job_def(job_name) if job_name else self.defs.resolve_implicit_global_asset_job_def()
        config = quiet_run_config(self.verbose) | (step.run_config or {})
        start = time.perf_counter()
        result = job.execute_in_process(run_config=config, instance=self.instance, partition_key=step.partition,
                                        asset_selection=[AssetKey(a) for a in step.assets], raise_on_error=False)
        for asset in step.assets:
            self.seconds[(asset, step.partition)] = time.perf_counter() - start
        if not result.success:
            failed = [e.step_key for e in result.get_step_failure_events()]
            raise RunFailed(f"run {result.run_id} of {job.name} ({', '.join(step.assets)} {step.partition or ''}) "
                            f"failed in {failed}; `make dev` shows its log")

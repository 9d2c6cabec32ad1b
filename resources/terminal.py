"""The terminal logger of runs started by ``graphdistill`` and ``make demo``: short lines, no DEBUG.

Dagster's console logger prints every engine event (resource init, inputs, outputs, ...) with
a run id on each line. A user watching a run wants to know which step runs, what it logs
(progress with an ETA) and how it ended, so this logger shows messages at ``log_level``
(INFO by default; ``$GRAPHDISTILL_LOG_LEVEL=DEBUG`` or ``graphdistill -v`` brings every
engine line back) plus one line for each step start, success or failure, materialization
(with its headline metric) and check result. The UI's event log is unaffected.
"""
from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from typing import Any

from dagster import Field, logger

LEVEL_ENV = "GRAPHDISTILL_LOG_LEVEL"
# Materialization metadata worth a glance, in order of preference.
HEADLINE = ("test_acc", "condensed_nodes", "nodes", "num_nodes", "graphs", "rows_written", "entries")


def hide_library_notices() -> None:
    """Silence notices about Dagster's own API stages and torch's sparse internals: they are
    not for users and would scroll between the step lines of every run."""
    from dagster import BetaWarning, PreviewWarning, SupersessionWarning

    for category in (BetaWarning, PreviewWarning, SupersessionWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", message="Sparse invariant checks")
    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")


def _event_line(event: Any, step: str) -> str | None:
    """The one line an engine event gets, or ``None`` for events a user need not see."""
    kind = event.event_type_value
    if kind == "STEP_START":
        return f"{step}: started"
    if kind == "STEP_SUCCESS":
        return f"{step}: done in {event.event_specific_data.duration_ms / 1000:.1f} s"
    if kind == "STEP_FAILURE":
        error = event.event_specific_data.error
        return f"{step}: FAILED: {error.message.strip() if error else 'see the run log'}"
    if kind == "ASSET_MATERIALIZATION":
        materialization = event.event_specific_data.materialization
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        shown = next((f", {k} {metadata[k]}" for k in HEADLINE if k in metadata), "")
        partition = f" {materialization.partition}" if materialization.partition else ""
        return f"{step}: materialized {materialization.asset_key.to_user_string()}{partition}{shown}"
    if kind == "ASSET_CHECK_EVALUATION":
        evaluation = event.event_specific_data
        return f"{step}: check {evaluation.check_name} {'passed' if evaluation.passed else 'FAILED'}"
    return None


class _TerminalHandler(logging.StreamHandler):
    def __init__(self, level: int) -> None:
        super().__init__(sys.stderr)
        self.shown_level = level

    def emit(self, record: logging.LogRecord) -> None:
        meta = record.__dict__.get("dagster_meta") or {}
        step = meta.get("step_key") or "run"
        event = meta.get("dagster_event")
        if record.levelno >= self.shown_level and (event is None or self.shown_level <= logging.DEBUG):
            line = meta.get("orig_message") or record.getMessage()
            if event is not None:
                line = f"{event.event_type_value} {line}"
            line = f"{step}: {line}"
        elif event is not None:
            line = _event_line(event, step)
        else:
            return
        if line is not None:
            self.stream.write(f"{time.strftime('%H:%M:%S')}  {line}\n")
            self.flush()


@logger(config_schema={"log_level": Field(str, is_required=False, default_value="INFO")},
        description="Short terminal lines: messages at log_level plus step, materialization and check events.")
def terminal_logger(init_context) -> logging.Logger:
    level = logging.getLevelName(init_context.logger_config["log_level"].upper())
    if not isinstance(level, int):
        raise ValueError(f"log_level {init_context.logger_config['log_level']!r} is not a logging level; "
                         f"use DEBUG, INFO, WARNING or ERROR")
    out = logging.Logger("graphdistill", level=logging.DEBUG)
    out.addHandler(_TerminalHandler(level))
    return out


def quiet_run_config(verbose: bool = False) -> dict[str, Any]:
    """Run config that routes a run's log lines through ``terminal_logger`` at the chosen level."""
    level = "DEBUG" if verbose else os.environ.get(LEVEL_ENV, "INFO")
    return {"loggers": {"console": {"config": {"log_level": level}}}}

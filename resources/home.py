"""Where graphdistill keeps its state and finds raw data.

All state lives under ``$GRAPHDISTILL_HOME`` (default ``.graphdistill/`` in the repo):
``dagster/`` (``DAGSTER_HOME``), ``artifacts/``, ``pyg/`` (PyG caches) and
``warehouse.duckdb``. Raw benchmark files come from ``$GRAPHDISTILL_DATA`` (default
``../shared/datasets`` beside the repo, when it exists); without one, PyG downloads.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def graphdistill_home() -> Path:
    return Path(os.environ.get("GRAPHDISTILL_HOME", REPO_ROOT / ".graphdistill")).resolve()


def data_root() -> Path | None:
    configured = os.environ.get("GRAPHDISTILL_DATA")
    if configured:
        return Path(configured).resolve()
    default = REPO_ROOT.parent / "shared" / "datasets"
    return default if default.is_dir() else None


def ensure_dagster_home() -> Path:
    """``$DAGSTER_HOME``, set to ``<home>/dagster`` when unset, and created: the runs of the
    ``graphdistill`` command and of ``make dev`` are then recorded where the UI looks."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(graphdistill_home() / "dagster")))
    home.mkdir(parents=True, exist_ok=True)
    return home

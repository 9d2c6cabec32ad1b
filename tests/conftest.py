"""Shared fixtures: the real data root (skipping when absent) and small seeded graphs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from resources.home import data_root

DATA_ROOT = data_root()
REPO = Path(__file__).resolve().parent.parent


def home_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a subprocess whose state lives under ``home``: both homes are set,
    because ``make test`` exports the repository's ``DAGSTER_HOME`` to every child."""
    return os.environ | {"GRAPHDISTILL_HOME": str(home), "DAGSTER_HOME": str(Path(home) / "dagster")} | extra


def short_training_settings(folder: Path) -> Path:
    """The shipped settings with teachers and the GLNN student cut to a few epochs, written to
    ``folder/settings.yaml`` (for ``GRAPHDISTILL_SETTINGS``)."""
    import yaml

    from resources.settings import DEFAULT_SETTINGS

    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    for teacher in settings["teachers"].values():
        teacher["train"] = {**teacher.get("train", {}), "epochs": 5}
    settings["students"]["glnn-sage"]["params"]["train"] = {"epochs": 5}
    path = Path(folder) / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def require_real_data(*parts: str) -> Path:
    """The data root, or skip: real-data tests need the staged files (or PyG downloads)."""
    if DATA_ROOT is None or not DATA_ROOT.joinpath(*parts).exists():
        pytest.skip(f"real data {'/'.join(parts)!r} not found under GRAPHDISTILL_DATA / ../shared/datasets "
                    f"(data root: {DATA_ROOT}); set GRAPHDISTILL_DATA to run this test")
    return DATA_ROOT


@pytest.fixture(scope="session")
def pyg_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pyg")


@pytest.fixture(scope="session")
def cora(pyg_cache):
    from kernels.data import load_dataset

    root = require_real_data("planetoid", "ind.cora.x")
    return load_dataset("cora", {"format": "planetoid", "name": "Cora"}, root, pyg_cache)


@pytest.fixture
def one_thread():
    """One torch thread: on tiny graphs thread start-up costs more than it saves on a shared CPU."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def small_graph():
    """A 300-node, 3-class homophilous SBM: learnable in a few epochs."""
    from kernels.data.synthetic import SyntheticSBMConfig, synthetic_sbm

    cfg = SyntheticSBMConfig(num_nodes=300, avg_degree=6, num_classes=3, num_features=16, homophily=0.9,
                             feature_signal=0.6, seed=0,
                             split={"kind": "per-class", "train_per_class": 10, "val_per_class": 20})
    return synthetic_sbm(cfg)


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A persistent Dagster instance in a temporary DAGSTER_HOME (schedules need a real one)."""
    from dagster import DagsterInstance

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    with DagsterInstance.get() as inst:
        yield inst

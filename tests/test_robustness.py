"""Runs as users launch them: a killed run, then a re-run; GPU-pool exclusivity across runs."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from resources.settings import DEFAULT_SETTINGS
from tests.conftest import REPO, home_env

DAGSTER = str(Path(sys.executable).parent / "dagster")


@pytest.fixture
def home(tmp_path):
    """A GRAPHDISTILL_HOME with the shipped instance config and short teacher trainings."""
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster/dagster.yaml").write_text((REPO / "deploy/local/dagster.yaml").read_text())
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    for key in ("mlp", "sgc", "gcn"):
        settings["teachers"][key]["train"] = {"epochs": 30}
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
    return tmp_path


def _set_mlp_training(home: Path, train: dict) -> None:
    settings = yaml.safe_load((home / "settings.yaml").read_text())
    settings["teachers"]["mlp"]["train"] = train
    (home / "settings.yaml").write_text(yaml.safe_dump(settings))


def _env(home: Path, **extra) -> dict:
    return home_env(home, GRAPHDISTILL_SETTINGS=str(home / "settings.yaml"), PYTHONUNBUFFERED="1", **extra)


def _materialize(home: Path, select: str, partition: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([DAGSTER, "asset", "materialize", "-f", "definitions.py", "--select", select,
                             "--partition", partition], cwd=REPO, env=_env(home), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def _finish(proc: subprocess.Popen, timeout: int = 300) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:]
    return out


def test_killed_training_leaves_nothing_and_a_rerun_is_clean(home):
    _finish(_materialize(home, "dataset", "sbm-small"))
    # The mlp teacher trains 'forever', so the run can be killed mid-training.
    _set_mlp_training(home, {"epochs": 10_000_000, "patience": 10_000_000, "log_every": 50})
    proc = _materialize(home, "teacher", "sbm-small|mlp")
    deadline = time.time() + 180
    for line in proc.stdout:  # wait until training is under way, then kill the run worker
        if "epoch 100:" in line or time.time() > deadline:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    teacher_dir = home / "artifacts/teacher/sbm-small"
    assert not teacher_dir.exists() or not any(teacher_dir.iterdir())
    # What the daemon's run monitoring does (deploy/local/dagster.yaml): mark the dead run failed
    # and release the gpu-pool slot it held, or the re-run would wait for that slot forever.
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        dead = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED]))
        assert len(dead) == 1
        instance.report_run_failed(dead[0], "run worker killed")
        instance.event_log_storage.free_concurrency_slots_for_run(dead[0].run_id)

    _set_mlp_training(home, {"epochs": 20})
    for _ in range(2):  # twice: re-running a report replaces its rows
        _finish(_materialize(home, "teacher,teacher_report", "sbm-small|mlp"))
    assert sorted(p.name for p in teacher_dir.iterdir()) == ["mlp.pt"]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT metric, count(*) FROM results WHERE partition = 'sbm-small|mlp' "
                            "GROUP BY metric ORDER BY metric").fetchall()
    assert rows == [("diverged", 1), ("test_acc", 1), ("train_acc", 1), ("train_graph_bytes", 1), ("val_acc", 1)]


def test_gpu_pool_runs_one_training_at_a_time(home):
    _finish(_materialize(home, "dataset", "sbm-small"))
    first = _materialize(home, "teacher", "sbm-small|gcn")
    # The second run starts once the first holds the slot (its step has started). Two runs
    # claiming a fresh pool in the same instant can both get a slot on SQLite storage, a race
    # Dagster leaves to the database; deployments use Postgres (deploy/helm).
    lines = []
    for line in first.stdout:
        lines.append(line)
        if 'Started execution of step "teacher"' in line:
            break
    second = _materialize(home, "teacher", "sbm-small|sgc")
    out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, ("".join(lines) + out)[-3000:]
    _finish(second)
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        spans = []
        for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.SUCCESS])):
            events = {e.dagster_event_type: e.timestamp for e in instance.all_logs(
                run.run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS})
                if e.step_key == "teacher"}
            if events:
                spans.append((events[DagsterEventType.STEP_START], events[DagsterEventType.STEP_SUCCESS]))
    assert len(spans) == 2
    (start_a, end_a), (start_b, end_b) = sorted(spans)
    assert end_a <= start_b, "two gpu-pool steps overlapped"

"""The CLI commands the README documents, run as a user would (subprocesses)."""
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, require_real_data

DAGSTER = str(Path(sys.executable).parent / "dagster")


def test_materialize_dataset_then_teacher_from_the_cli(tmp_path):
    require_real_data("planetoid", "ind.cora.x")
    env = os.environ | {"GRAPHDISTILL_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    for select, partition in [("dataset", "cora"), ("teacher", "cora|gcn")]:
        done = subprocess.run([DAGSTER, "asset", "materialize", "-f", "definitions.py", "--select", select,
                               "--partition", partition], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "artifacts/dataset/cora/edges.parquet").exists()
    assert (tmp_path / "artifacts/teacher/cora/gcn.pt").exists()


def test_unknown_partition_from_the_cli_names_it(tmp_path):
    env = os.environ | {"GRAPHDISTILL_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir()
    done = subprocess.run([DAGSTER, "asset", "materialize", "-f", "definitions.py", "--select", "dataset",
                           "--partition", "imagenet"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "imagenet" in done.stdout + done.stderr
    assert not (tmp_path / "artifacts").exists()


GRAPHDISTILL = str(Path(sys.executable).parent / "graphdistill")


def _graphdistill(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"GRAPHDISTILL_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "dagster")}
    (tmp_path / "dagster").mkdir(exist_ok=True)
    return subprocess.run([GRAPHDISTILL, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_graphdistill_names_the_closest_settings_for_an_unknown_key(tmp_path):
    done = _graphdistill(tmp_path, "materialize", "condensed_graph", "--partition", "cora|clustgdd-r05")
    assert done.returncode == 2
    assert "unknown condensation setting 'clustgdd-r05'; did you mean 'clustgdd-r0.5'" in done.stderr
    done = _graphdistill(tmp_path, "materialize", "teacher", "--partition", "coraa|gcn")
    assert done.returncode == 2 and "unknown dataset 'coraa'; did you mean 'cora'" in done.stderr
    assert not (tmp_path / "artifacts").exists()


def test_graphdistill_lists_settings_and_materializes_with_the_assets_job(tmp_path):
    listed = _graphdistill(tmp_path, "list")
    assert listed.returncode == 0 and "clustgdd-r0.5" in listed.stdout and "sbm-small" in listed.stdout
    for asset, partition in [("dataset", "sbm-small"), ("condensed_graph", "sbm-small|random-r0.5")]:
        done = _graphdistill(tmp_path, "materialize", asset, "--partition", partition)
        assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "artifacts/condensed_graph/sbm-small/random-r0.5.pt").exists()
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        assert sorted(run.job_name for run in instance.get_runs()) == ["condensation_job", "datasets_job"]

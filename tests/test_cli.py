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

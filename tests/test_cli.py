"""The CLI commands the README documents, run as a user would (subprocesses)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, home_env, require_real_data, short_training_settings

DAGSTER = str(Path(sys.executable).parent / "dagster")


def test_materialize_dataset_then_teacher_from_the_cli(tmp_path):
    require_real_data("planetoid", "ind.cora.x")
    env = home_env(tmp_path)
    (tmp_path / "dagster").mkdir()
    for select, partition in [("dataset", "cora"), ("teacher", "cora|gcn")]:
        done = subprocess.run([DAGSTER, "asset", "materialize", "-f", "definitions.py", "--select", select,
                               "--partition", partition], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "artifacts/dataset/cora/edges.parquet").exists()
    assert (tmp_path / "artifacts/teacher/cora/gcn.pt").exists()


def test_unknown_partition_from_the_cli_names_it(tmp_path):
    env = home_env(tmp_path)
    (tmp_path / "dagster").mkdir()
    done = subprocess.run([DAGSTER, "asset", "materialize", "-f", "definitions.py", "--select", "dataset",
                           "--partition", "imagenet"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "imagenet" in done.stdout + done.stderr
    assert not (tmp_path / "artifacts").exists()


GRAPHDISTILL = str(Path(sys.executable).parent / "graphdistill")


def _graphdistill(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = home_env(tmp_path)
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



def test_demo_ends_with_the_summary_table_and_no_debug_lines(tmp_path):
    env = {"GRAPHDISTILL_SETTINGS": str(short_training_settings(tmp_path))}
    done = subprocess.run([GRAPHDISTILL, "demo", "--dataset", "sbm-small", "--report-seeds", "1",
                           "--report-epochs", "5"], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=home_env(tmp_path, **env))
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout + done.stderr
    assert " DEBUG " not in out and "STEP_OUTPUT" not in out
    assert "condensed_graph: check exact_node_budget passed" in out
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if line.startswith("| ")}
    for kind in ("GCN teacher", "GraphSAGE teacher", "GCN on the ClustGDD graph", "GLNN MLP student"):
        cells = [c.strip() for c in rows[kind].split("|")[1:-1]]
        assert float(cells[4].split()[0]) > 25, rows[kind]  # test accuracy, 4 classes
    assert "graphdistill condense sbm-small clustgdd" in done.stdout


def test_condense_adds_a_setting_and_reuses_the_materialized_dataset(tmp_path):
    args = ["condense", "sbm-small", "clustgdd", "--ratio", "0.3", "--seeds", "2", "--archs", "gcn",
            "--epochs", "5"]
    first = _graphdistill(tmp_path, *args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "condensation setting 'clustgdd-r0.3' (new" in first.stdout
    assert "| test_acc |" in first.stdout and "| condensed_nodes | 24.00 | 1 |" in first.stdout  # 80 x 0.3
    assert "clustgdd-r0.3" in (tmp_path / "settings.local.yaml").read_text()
    second = _graphdistill(tmp_path, *args)
    assert second.returncode == 0 and "clustgdd-r0.3' (already configured)" in second.stdout

    from dagster import AssetKey, DagsterEventType, DagsterInstance, EventRecordsFilter

    with DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        datasets = instance.get_event_records(EventRecordsFilter(DagsterEventType.ASSET_MATERIALIZATION,
                                                                 asset_key=AssetKey("dataset")))
        assert len(datasets) == 1
        assert "sbm-small|clustgdd-r0.3" in instance.get_materialized_partitions(AssetKey("condensation_report"))
    import duckdb

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        seeds = conn.execute("SELECT count(*) FROM results WHERE partition = 'sbm-small|clustgdd-r0.3' "
                             "AND metric = 'test_acc'").fetchone()[0]
    assert seeds == 2


def test_an_unknown_method_parameter_names_the_closest_one(tmp_path):
    done = _graphdistill(tmp_path, "condense", "sbm-small", "clustgdd", "--ratoi", "0.3")
    assert done.returncode == 2 and "unknown parameter of condenser 'clustgdd' 'ratoi'; did you mean 'ratio'" \
        in done.stderr
    done = _graphdistill(tmp_path, "distil", "sbm-small", "glnm")
    assert done.returncode == 2 and "did you mean 'glnn'" in done.stderr
    assert not (tmp_path / "settings.local.yaml").exists()


def test_dev_server_stops_within_seconds_of_ctrl_c(tmp_path):
    import signal
    import time
    import urllib.request

    from tests.servers import free_port

    port = free_port()
    env = home_env(tmp_path)
    proc = subprocess.Popen([GRAPHDISTILL, "dev", "--port", str(port)], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, "dagster dev did not start"
                time.sleep(1)
        start = time.time()
        proc.send_signal(signal.SIGINT)  # what Ctrl-C sends to the command
        assert proc.wait(timeout=30) == 130
        assert time.time() - start < 15
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

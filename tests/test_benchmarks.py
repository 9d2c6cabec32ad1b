"""The benchmark scripts run end to end on the small synthetic graph and fill the warehouse."""
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO, home_env, require_real_data, short_training_settings


def test_teacher_and_student_benchmarks_print_tables_and_write_rows(tmp_path):
    env = home_env(tmp_path)
    runs = [["benchmarks.teachers", "--teachers", "mlp", "gcn"],
            ["benchmarks.students", "--students", "glnn-sage", "ffg2m-sage-ind"],
            ["benchmarks.condensation", "--settings", "random-r0.5", "kcenter-r0.5", "--epochs", "20"]]
    for module, *args in runs:
        done = subprocess.run([sys.executable, "-m", module, "--datasets", "sbm-small", "--seeds", "2",
                               "--device", "cpu", *args], cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "| sbm-small |" in done.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        seeds = dict(conn.execute("SELECT asset || ' ' || setting, list(seed ORDER BY seed) FROM results "
                                  "WHERE metric = 'test_acc' AND asset LIKE '%_report' AND asset != "
                                  "'condensation_report' GROUP BY ALL").fetchall())
        baselines = conn.execute("SELECT count(*) FROM results WHERE asset = 'student_report' "
                                 "AND metric IN ('mlp_test_acc', 'teacher_test_acc')").fetchone()[0]
    # The teachers' and students' numbers are their reports' rows, one per seed, as the leaderboard reads them.
    assert seeds == {"teacher_report mlp": [0, 1], "teacher_report gcn": [0, 1],
                     "student_report glnn-sage": [0, 1], "student_report ffg2m-sage-ind": [0, 1]}
    assert baselines == 2 * 2 * 2  # students x seeds x (plain MLP, teacher)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        condensation = dict(conn.execute("SELECT metric, count(*) FROM results WHERE asset = 'condensation_report' "
                                         "GROUP BY metric").fetchall())
    # The benchmark's rows are the asset path's: per setting, GCN accuracy per seed, evaluation
    # and condensation seconds, memory, size and the protocol it ran.
    assert condensation == {"test_acc": 2 * 2, "eval_seconds@gcn": 2, "condense_seconds": 2,
                            "condense_peak_memory_mb": 2, "ratio_bytes": 2, "condensed_nodes": 2,
                            "condensed_edges": 2, "ratio": 2, "eval_epochs": 2, "eval_patience": 2}
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        assert instance.get_materialized_partitions(AssetKey("condensation_report")) == {
            "sbm-small|random-r0.5", "sbm-small|kcenter-r0.5"}
        runs = len(instance.get_runs())
    # --resume keeps partitions measured with the same protocol: no new run, the same table.
    done = subprocess.run([sys.executable, "-m", "benchmarks.condensation", "--datasets", "sbm-small", "--seeds", "2",
                           "--device", "cpu", "--settings", "random-r0.5", "kcenter-r0.5", "--epochs", "20",
                           "--resume"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "| sbm-small | kcenter-r0.5 |" in done.stdout, done.stderr[-2000:]
    with DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        assert len(instance.get_runs()) == runs

    # --resume keeps a student partition whose report holds the seeds asked for: no new run.
    done = subprocess.run([sys.executable, "-m", "benchmarks.students", "--datasets", "sbm-small", "--seeds", "2",
                           "--device", "cpu", "--students", "glnn-sage", "--resume"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and "| sbm-small | glnn-sage | transductive |" in done.stdout, done.stderr[-2000:]
    with DagsterInstance.from_config(str(tmp_path / "dagster")) as instance:
        assert len(instance.get_runs()) == runs


def _seed_rows(home, asset: str, setting: str) -> dict[int, list[tuple]]:
    """Per seed, the (metric, value, created_at) rows of ``setting``."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT seed, metric, value, created_at FROM results WHERE asset = ? AND setting = ? "
                            "ORDER BY seed, metric", [asset, setting]).fetchall()
    out: dict[int, list[tuple]] = {}
    for seed, *rest in rows:
        out.setdefault(seed, []).append(tuple(rest))
    return out


def test_graph_distillation_benchmark_reports_every_seed(tmp_path):
    require_real_data("tu", "MUTAG")
    env = home_env(tmp_path)
    command = [sys.executable, "-m", "benchmarks.graph_distillation", "--datasets", "MUTAG", "--settings",
               "mirage-l2", "random-g20", "--matched", "random", "--epochs", "5", "--archs", "gin"]
    done = subprocess.run([*command, "--seeds", "2"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for setting in ("mirage-l2", "random-g20", "mirage-val", "random-count", "random-bytes"):
        assert f"| MUTAG | {setting} |" in done.stdout, setting
    # A long split seed shows its progress: each architecture, then each matched coreset.
    assert "MUTAG seed 1: gin trained on 2 sets (" in done.stdout
    assert "MUTAG seed 1: random-bytes trained (" in done.stdout
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as conn:
        seeds = dict(conn.execute("SELECT setting, list(seed ORDER BY seed) FROM results "
                                  "WHERE asset = 'benchmark_graph_distillation' AND metric = 'test_acc@gin' "
                                  "GROUP BY setting").fetchall())
    # Every split seed of every row, the validation-chosen Mirage and the matched coresets included.
    assert seeds == {s: [0, 1] for s in ("mirage-l2", "random-g20", "mirage-val", "random-count", "random-bytes")}

    before = _seed_rows(tmp_path, "benchmark_graph_distillation", "mirage-val")
    done = subprocess.run([*command, "--seeds", "3", "--resume"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(MUTAG: cpu, 3 split seeds" in done.stdout
    after = _seed_rows(tmp_path, "benchmark_graph_distillation", "mirage-val")
    assert sorted(after) == [0, 1, 2] and all(after[seed] == before[seed] for seed in (0, 1))

    # The mean readout keeps its own rows; the sum readout's stay as they were.
    done = subprocess.run([*command, "--seeds", "1", "--pooling", "mean"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _seed_rows(tmp_path, "benchmark_graph_distillation", "mirage-val") == after
    assert sorted(_seed_rows(tmp_path, "benchmark_graph_distillation_meanpool", "mirage-val")) == [0]

    # Another home runs split seed 3 alone; its saved rows complete the first home's seeds.
    other = tmp_path / "other"
    done = subprocess.run([*command, "--seeds", "4", "--first-seed", "3"], cwd=REPO,
                          env=home_env(other), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(_seed_rows(other, "benchmark_graph_distillation", "mirage-val")) == [3]
    for action, home in (("save", other), ("load", tmp_path)):
        done = subprocess.run([sys.executable, "-m", "benchmarks.published", action, "--folder", str(other / "saved")],
                              cwd=REPO, env=home_env(home), capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    merged = _seed_rows(tmp_path, "benchmark_graph_distillation", "mirage-val")
    assert sorted(merged) == [0, 1, 2, 3] and all(merged[seed] == after[seed] for seed in (0, 1, 2))


def test_count_matched_coreset_is_left_out_where_it_would_be_the_training_set():
    from types import SimpleNamespace

    import torch

    from benchmarks.graph_distillation import matched_budgets

    train_labels = torch.tensor([0] * 30 + [1] * 50)
    small = SimpleNamespace(num_graphs=40, nbytes=lambda: 1000)  # 20 per class: fewer than either class has
    assert matched_budgets(small, train_labels, 2) == {"count": {"per_class": 20}, "bytes": {"byte_budget": 1000}}
    large = SimpleNamespace(num_graphs=100, nbytes=lambda: 5000)  # 50 per class keeps all of both classes
    assert matched_budgets(large, train_labels, 2) == {"bytes": {"byte_budget": 5000}}


def test_a_byte_budget_no_graph_fits_has_no_coreset_and_resume_accepts_either_budget():
    from types import SimpleNamespace

    import torch
    from torch_geometric.data import Data

    from benchmarks.graph_distillation import Tally, matched_coresets

    graphs = [Data(x=torch.ones(4, 3), edge_index=torch.tensor([[0, 1], [1, 0]]), y=torch.tensor([i % 2]))
              for i in range(20)]
    tiny = SimpleNamespace(num_graphs=2, nbytes=lambda: 10)  # each graph here takes 88 bytes
    logged = []
    coresets = matched_coresets(tiny, graphs, torch.arange(16), ["random"], 0, logged.append)
    assert list(coresets) == ["random-count"] and coresets["random-count"].num_graphs == 2
    assert any("random-bytes skipped" in line and "byte_budget=10" in line for line in logged)

    rows = [{"setting": setting, "seed": seed, "metric": "test_acc@gin", "value": 0.5}
            for setting, seeds in {"full": [0, 1, 2], "mirage-val": [0, 1, 2], "random-bytes": [0],
                                   "random-count": [1]}.items() for seed in seeds]
    required = [{"full"}, {"random-count", "random-bytes"}, {"mirage-val"}]
    tally = Tally("toy", "benchmark_graph_distillation", torch.device("cpu"))
    assert tally.restore(rows, required, {"test_acc@gin"}) == {0, 1}
    assert len(tally.values["full", "test_acc@gin"]) == 2  # seed 2's rows are left to be rerun


def test_resume_reruns_a_split_seed_an_earlier_run_trained_fewer_archs_on():
    import torch

    from benchmarks.graph_distillation import Tally

    archs_by_seed = {0: ["gin", "gcn"], 1: ["gin"]}  # seed 1 came from a GIN-only run
    rows = [{"setting": "full", "seed": seed, "metric": f"test_acc@{arch}", "value": 0.5}
            for seed, archs in archs_by_seed.items() for arch in archs]
    tally = Tally("toy", "benchmark_graph_distillation", torch.device("cpu"))
    assert tally.restore(rows, [{"full"}], {"test_acc@gin", "test_acc@gcn"}) == {0}
    assert Tally("toy", "benchmark_graph_distillation", torch.device("cpu")).restore(
        rows, [{"full"}], {"test_acc@gin"}) == {0, 1}


def test_saved_benchmark_rows_add_the_missing_seeds_to_a_fresh_warehouse(tmp_path):
    from benchmarks.published import load, save
    from resources.warehouse import DuckDBWarehouse

    def row(seed: int, value: float, setting: str = "glnn-sage") -> dict:
        return {"dataset": "cora", "setting": setting, "method": setting.split("-")[0], "metric": "test_acc",
                "value": value, "seed": seed, "seconds": 1.5, "device": "cuda", "code_version": "abc"}

    measured = DuckDBWarehouse(path=str(tmp_path / "measured.duckdb"))
    measured.replace_results("benchmark_students", "cora|glnn-sage", [row(0, 0.8), row(1, 0.81)])
    measured.replace_results("benchmark_students", "cora|ffg2m-sage", [row(0, 0.82, "ffg2m-sage")])
    measured.replace_results("teacher", "cora|gcn", [row(0, 0.7)])  # an asset's row, not a benchmark's
    assert save(measured, tmp_path / "results") == {"benchmark_students": 3}

    glnn = "SELECT * FROM results WHERE partition = 'cora|glnn-sage' ORDER BY ALL"
    assert load(DuckDBWarehouse(path=str(tmp_path / "empty.duckdb")), tmp_path / "results") == {"benchmark_students": 3}
    # every column comes back, the device, code version and time of measurement too
    assert DuckDBWarehouse(path=str(tmp_path / "empty.duckdb")).query(glnn).equals(measured.query(glnn))

    local = DuckDBWarehouse(path=str(tmp_path / "local.duckdb"))  # ran seed 2 of glnn and seed 0 of ffg2m itself
    local.replace_results("benchmark_students", "cora|glnn-sage", [row(2, 0.79)])
    local.replace_results("benchmark_students", "cora|ffg2m-sage", [row(0, 0.9, "ffg2m-sage")])
    assert load(local, tmp_path / "results") == {"benchmark_students": 2}
    values = "SELECT seed, value FROM results WHERE partition = ? ORDER BY seed"
    assert local.query(values, ["cora|glnn-sage"]).rows() == [(0, 0.8), (1, 0.81), (2, 0.79)]
    assert local.query(values, ["cora|ffg2m-sage"]).rows() == [(0, 0.9)]  # its own seed stays
    assert load(local, tmp_path / "results") == {}  # nothing new the second time
    load(local, tmp_path / "results", replace=True)
    assert local.query(values, ["cora|ffg2m-sage"]).rows() == [(0, 0.82)]
    assert local.query(values, ["cora|glnn-sage"]).rows() == [(0, 0.8), (1, 0.81), (2, 0.79)]


def test_loading_a_corrupt_results_file_names_it_and_writes_nothing(tmp_path):
    from benchmarks.published import load
    from resources.warehouse import DuckDBWarehouse

    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "benchmark_students.csv").write_text("asset,partition,value\nbenchmark_students,cora|x,not-a-number\n")
    fresh = DuckDBWarehouse(path=str(tmp_path / "fresh.duckdb"))
    with pytest.raises(ValueError, match="benchmark_students.csv"):
        load(fresh, folder)
    assert fresh.query("SELECT count(*) AS n FROM results")["n"].item() == 0


def test_homophily_benchmark_measures_every_method_on_each_graph_and_plots(tmp_path):
    env = home_env(tmp_path, GRAPHDISTILL_SETTINGS=str(short_training_settings(tmp_path)))
    done = subprocess.run([sys.executable, "-m", "benchmarks.homophily", "--datasets", "sbm-h0.1", "sbm-h0.9",
                           "--seeds", "1", "--epochs", "5", "--device", "cpu"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in done.stdout.splitlines() if line.startswith("| sbm-h")}
    # The graphs' measured homophily is the one configured; five methods, one accuracy each.
    assert abs(float(rows["sbm-h0.1"][0]) - 0.1) < 0.03 and abs(float(rows["sbm-h0.9"][0]) - 0.9) < 0.03
    assert all(len(cells) == 6 for cells in rows.values())
    assert (tmp_path / "reports/accuracy_vs_homophily.png").read_bytes()[:4] == b"\x89PNG"

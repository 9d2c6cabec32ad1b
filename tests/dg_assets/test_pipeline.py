"""In-process materialization of dataset -> teacher -> report, and the bad-input paths."""
from pathlib import Path

import pytest
import yaml
from dagster import materialize

from dg_assets import all_asset_checks
from dg_assets.condensation import condensed_graph
from dg_assets.datasets import dataset
from dg_assets.evaluation import leaderboard, student_report, teacher_report
from dg_assets.students import student
from dg_assets.teachers import teacher
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS
from tests.conftest import require_real_data

ASSETS = [dataset, condensed_graph, teacher, teacher_report, student, student_report, leaderboard]


def _run(selection, key, resources, instance, raise_on_error=True, run_config=None):
    return materialize([*ASSETS, *all_asset_checks], selection=selection, partition_key=key, resources=resources,
                       instance=instance, raise_on_error=raise_on_error, run_config=run_config)


def _failure_text(result) -> str:
    """The failed step's error messages, causes included."""
    texts, error = [], result.get_step_failure_events()[0].event_specific_data.error
    while error is not None:
        texts.append(error.message)
        error = error.cause or error.context
    return "\n".join(texts)


def test_cora_dataset_teacher_report_end_to_end(tmp_path, instance):
    require_real_data("planetoid", "ind.cora.x")
    resources = local_resources(str(tmp_path / "home"), device="cpu")
    result = _run([dataset], "cora", resources, instance)
    meta = result.asset_materializations_for_node("dataset")[0].metadata
    assert meta["num_nodes"].value == 2708 and meta["num_train"].value == 140
    assert {"homophily", "content_hash", "split_seed"} <= meta.keys()
    assert all(e.passed for e in result.get_asset_check_evaluations())
    assert (tmp_path / "home/artifacts/dataset/cora/nodes.parquet").exists()

    key = "cora|sgc"
    result = _run([teacher, teacher_report], key, resources, instance)
    meta = result.asset_materializations_for_node("teacher")[0].metadata
    assert meta["test_acc"].value > 0.7
    assert {"val_acc", "epochs", "wall_time_s", "peak_memory_mb", "device", "seed", "data_hash"} <= meta.keys()
    assert Path(meta["training_curves_png"].value).read_bytes()[:4] == b"\x89PNG"
    assert meta["training_curves_png"].value.endswith("training_curves/teacher/cora/sgc/training_curves.png")
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "teacher_beats_plain_mlp"]
    assert check.passed and check.metadata["val_acc"].value >= check.metadata["plain_mlp_val_acc"].value

    rows = resources["warehouse"].query(
        "SELECT metric, value, dataset, setting, method, code_version FROM results ORDER BY metric")
    assert rows["metric"].to_list() == ["diverged", "test_acc", "train_acc", "train_graph_bytes", "val_acc"]
    assert set(rows["dataset"]) == {"cora"} and set(rows["method"]) == {"sgc"}

    result = _run([leaderboard], None, resources, instance)
    board = result.asset_materializations_for_node("leaderboard")[0].metadata["leaderboard"].value
    [line] = [row for row in board.splitlines() if row.startswith("| cora | sgc |")]
    assert line.endswith("| sgc | teacher_report |")


def _settings_with(tmp_path, section, key, entry) -> str:
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    settings[section][key] = entry
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def test_bad_hyperparameter_fails_and_keeps_the_good_artifact(tmp_path, instance):
    home = tmp_path / "home"
    good = local_resources(str(home), device="cpu")
    _run([dataset], "sbm-small", good, instance)
    key = "sbm-small|mlp"
    _run([teacher], key, good, instance)
    artifact = home / "artifacts/teacher/sbm-small/mlp.pt"
    before = artifact.read_bytes()

    path = _settings_with(tmp_path, "teachers", "mlp", {"model": "mlp", "params": {"dropout": 2.0}})
    bad = local_resources(str(home), device="cpu", settings_path=path)
    result = _run([teacher], key, bad, instance, raise_on_error=False)
    assert not result.success
    failure = _failure_text(result)
    assert "teacher setting 'mlp'" in failure and "dropout" in failure
    assert artifact.read_bytes() == before
    assert sorted(p.name for p in artifact.parent.iterdir()) == ["mlp.pt"]


def test_undertrained_teacher_fails_the_plain_mlp_check(tmp_path, instance):
    """A GCN trained one epoch at a tiny learning rate is caught by the MLP bar (a warning)."""
    path = _settings_with(tmp_path, "teachers", "gcn", {"model": "gcn", "params": {"hidden": 8},
                                                         "train": {"epochs": 1, "lr": 1.0e-6}})
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=path)
    _run([dataset], "sbm-small", resources, instance)
    result = _run([teacher], "sbm-small|gcn", resources, instance)
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "teacher_beats_plain_mlp"]
    assert not check.passed and check.severity.value == "WARN"
    assert check.metadata["plain_mlp_val_acc"].value > check.metadata["val_acc"].value


def test_an_overflowing_learning_rate_is_named(tmp_path, instance):
    path = _settings_with(tmp_path, "teachers", "gcn", {"model": "gcn", "train": {"epochs": 3, "lr": 1.0e38}})
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=path)
    _run([dataset], "sbm-small", resources, instance)
    result = _run([teacher], "sbm-small|gcn", resources, instance,
                  raise_on_error=False)
    assert not result.success and "lr 1e+38" in _failure_text(result)
    assert not (tmp_path / "home/artifacts/teacher/sbm-small").exists()


def test_a_diverged_teacher_is_flagged_in_its_report_and_the_leaderboard(tmp_path, instance):
    """At lr 1e6 the loss explodes after a few epochs; validation still keeps an early epoch,
    so the accuracy alone would look fine."""
    path = _settings_with(tmp_path, "teachers", "gcn", {"model": "gcn", "train": {"epochs": 30, "lr": 1.0e6}})
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=path)
    _run([dataset], "sbm-small", resources, instance)
    key = "sbm-small|gcn"
    result = _run([teacher, teacher_report], key, resources, instance)
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "teacher_beats_plain_mlp"]
    assert not check.passed and check.metadata["diverged"].value is True
    rows = resources["warehouse"].query("SELECT value FROM results WHERE metric = 'diverged'")
    assert rows["value"].to_list() == [1.0]

    board = _run([leaderboard], None, resources, instance).asset_materializations_for_node(
        "leaderboard")[0].metadata["leaderboard"].value
    [line] = [row for row in board.splitlines() if row.startswith("| sbm-small | gcn |")]
    assert "| diverged, failed teacher_beats_plain_mlp |" in line


def test_missing_raw_file_fails_the_dataset_run_clearly(tmp_path, instance):
    path = _settings_with(tmp_path, "datasets", "amazon-photo",
                          {"format": "gnn-benchmark", "file": "gnn-benchmark/does-not-exist.npz"})
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=path)
    result = _run([dataset], "amazon-photo", resources, instance, raise_on_error=False)
    assert not result.success
    assert "does-not-exist.npz" in _failure_text(result)
    assert not (tmp_path / "home/artifacts/dataset/amazon-photo").exists()


def test_unknown_partition_is_refused(tmp_path, instance):
    resources = local_resources(str(tmp_path / "home"), device="cpu")
    with pytest.raises(Exception, match="imagenet"):
        _run([dataset], "imagenet", resources, instance)


def _short_sage_resources(tmp_path, sage_epochs: int, student: str, student_params: dict) -> dict:
    """Local resources whose settings train the SAGE teacher ``sage_epochs`` epochs and give
    ``student`` the ``student_params`` overrides."""
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    settings["teachers"]["sage"]["train"] |= {"epochs": sage_epochs}
    settings["students"][student]["params"] |= student_params
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return local_resources(str(tmp_path / "home"), device="cpu", settings_path=str(path))


def test_cora_teacher_student_report(tmp_path, instance):
    """teacher -> student -> report for Cora, with the shipped keys but short training."""
    require_real_data("planetoid", "ind.cora.x")
    resources = _short_sage_resources(tmp_path, 40, "glnn-sage", {"hidden": 64, "train": {"epochs": 60, "patience": 60}})
    _run([dataset], "cora", resources, instance)
    _run([teacher], "cora|sage", resources, instance)

    key = "cora|glnn-sage"
    result = _run([student, student_report], key, resources, instance)
    meta = result.asset_materializations_for_node("student")[0].metadata
    assert meta["teacher"].value == "sage" and meta["method"].value == "glnn"
    assert meta["test_acc"].value > 0.65  # a plain MLP reaches ~0.57 on Cora
    [check] = [e for e in result.get_asset_check_evaluations() if e.check_name == "student_not_worse_than_plain_mlp"]
    assert check.passed, check.metadata
    rows = resources["warehouse"].query("SELECT method, metric FROM results WHERE asset = 'student_report'")
    assert set(rows["method"]) == {"glnn"} and {"teacher_test_acc", "inference_ms"} <= set(rows["metric"])

    result = _run([leaderboard], None, resources, instance)
    meta = result.asset_materializations_for_node("leaderboard")[0].metadata
    assert Path(meta["accuracy_vs_inference_png"].value).read_bytes()[:4] == b"\x89PNG"


def test_a_new_report_makes_the_running_automation_request_the_leaderboard(tmp_path, instance):
    from dagster import AssetKey, DefaultSensorStatus, Definitions, evaluate_automation_conditions

    from dg_assets.evaluation import leaderboard_automation

    assert leaderboard_automation.default_status == DefaultSensorStatus.RUNNING
    path = _settings_with(tmp_path, "teachers", "sgc", {"model": "sgc", "train": {"epochs": 3}})
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=path)
    _run([dataset], "sbm-small", resources, instance)
    _run([leaderboard], None, resources, instance)
    defs = Definitions(assets=ASSETS, asset_checks=all_asset_checks, resources=resources)
    quiet = evaluate_automation_conditions(defs=defs, instance=instance)
    assert quiet.get_num_requested(AssetKey("leaderboard")) == 0
    _run([teacher, teacher_report], "sbm-small|sgc", resources,
         instance)
    after = evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
    assert after.get_num_requested(AssetKey("leaderboard")) == 1


def test_reports_over_seeds_score_what_the_assets_train_at_those_seeds(tmp_path, instance):
    """A report with ``seeds: N`` holds one row per metric and seed; seed k's numbers are those
    of the teacher or student materialized at seed k (one path for every number)."""
    from resources.device import TorchDevice

    resources = _short_sage_resources(tmp_path, 15, "ffg2m-sage-ind",
                                      {"hidden": 32, "train": {"epochs": 15, "patience": 15}})
    teacher_key = "sbm-small|sage"
    student_key = "sbm-small|ffg2m-sage-ind"
    _run([dataset], "sbm-small", resources, instance)
    _run([teacher, teacher_report], teacher_key, resources, instance,
         run_config={"ops": {"teacher_report": {"config": {"seeds": 3}}}})
    _run([student, student_report], student_key, resources, instance,
         run_config={"ops": {"student_report": {"config": {"seeds": 2}}}})

    def report(asset: str) -> dict[tuple[str, int], float]:
        rows = resources["warehouse"].query("SELECT metric, seed, value FROM results WHERE asset = ?", [asset])
        return {(r["metric"], r["seed"]): r["value"] for r in rows.iter_rows(named=True)}

    teachers, students = report("teacher_report"), report("student_report")
    assert {seed for metric, seed in teachers if metric == "test_acc"} == {0, 1, 2}
    assert {seed for metric, seed in students if metric == "test_acc"} == {0, 1}
    assert all(("mlp_test_acc", seed) in students and ("ind_test_acc", seed) in students for seed in (0, 1))

    reseeded = resources | {"device": TorchDevice(kind="cpu", seed=1)}
    result = _run([teacher], teacher_key, reseeded, instance)
    assert result.asset_materializations_for_node("teacher")[0].metadata["test_acc"].value == round(
        teachers[("test_acc", 1)], 4)
    result = _run([student], student_key, reseeded, instance)
    assert result.asset_materializations_for_node("student")[0].metadata["ind_test_acc"].value == round(
        students[("ind_test_acc", 1)], 4)

"""Unlearning assets: dataset -> teacher -> request -> unlearned model -> report, in process."""
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, materialize

from dg_assets import all_asset_checks
from dg_assets.condensation import condensed_graph
from dg_assets.datasets import dataset
from dg_assets.evaluation import leaderboard
from dg_assets.teachers import teacher
from dg_assets.unlearning import unlearned_model, unlearning_report, unlearning_request
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS, SettingError, parse_settings

ASSETS = [dataset, condensed_graph, teacher, unlearning_request, unlearned_model, unlearning_report]


def _settings(folder: Path, **request) -> str:
    """The shipped settings with a short GCN teacher and short unlearning runs."""
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    settings["teachers"]["gcn"]["train"] = {"epochs": 40}
    for entry in settings["unlearning"].values():
        entry["params"] = {"epochs": 10} if entry["method"] != "retrain" else {}
    settings["unlearning_requests"]["forget-nodes-2pct"] |= request
    path = folder / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def _run(selection, key, resources, instance, **kwargs):
    return materialize([*ASSETS, *all_asset_checks], selection=selection, partition_key=key, resources=resources,
                       instance=instance, **kwargs)


@pytest.mark.slow
def test_request_d2dgn_report_in_one_lineage(tmp_path, instance):
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=_settings(tmp_path))
    _run([dataset], "sbm-small", resources, instance)
    _run([teacher], "sbm-small|gcn", resources, instance)
    request = _run([unlearning_request], "sbm-small|forget-nodes-2pct", resources, instance)
    meta = request.asset_materializations_for_node("unlearning_request")[0].metadata
    assert meta["kind"].value == "nodes" and meta["deleted_nodes"].value == 2  # 2 % of 80 training nodes
    for key in ("retrain-forget-nodes-2pct", "d2dgn-forget-nodes-2pct"):
        _run([unlearned_model], f"sbm-small|{key}", resources, instance)
    seeds = {"ops": {"unlearning_report": {"config": {"seeds": 2}}}}
    report = _run([unlearning_report], "sbm-small|d2dgn-forget-nodes-2pct", resources, instance, run_config=seeds)
    meta = report.asset_materializations_for_node("unlearning_report")[0].metadata
    assert meta["reference"].value == "sbm-small|retrain-forget-nodes-2pct"
    rows = resources["warehouse"].query(
        "SELECT metric, seed, value FROM results WHERE asset = 'unlearning_report' ORDER BY metric, seed").to_dicts()
    metrics = {row["metric"] for row in rows}
    assert {"retained_test_acc", "membership_auc", "forget_acc", "distance_to_retrain", "seconds", "retrain_seconds",
            "teacher_membership_auc"} <= metrics
    assert [row["seed"] for row in rows if row["metric"] == "retained_test_acc"] == [0, 1]
    assert all(0 <= row["value"] <= 1 for row in rows if row["metric"] in ("membership_auc", "distance_to_retrain"))
    board = materialize([leaderboard], resources=resources, instance=instance)
    table = board.asset_materializations_for_node("leaderboard")[0].metadata["unlearning"].value
    [line] = [row for row in table.splitlines() if row.startswith("| sbm-small | forget-nodes-2pct | gcn | d2dgn |")]
    assert "(membership)" in line and line.rstrip(" |").endswith("2")  # two seeds
    # Lineage: the report reads the model and its retrain reference, the model the teacher and request.
    assert {AssetKey("teacher"), AssetKey("unlearning_request"), AssetKey("dataset")} <= unlearned_model.dependency_keys
    assert AssetKey("unlearned_model") in unlearning_report.dependency_keys


def test_a_class_that_does_not_exist_fails_naming_the_classes(tmp_path, instance):
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=_settings(
        tmp_path, kind="class", label=9, fraction=None))
    _run([dataset], "sbm-small", resources, instance)
    result = _run([unlearning_request], "sbm-small|forget-nodes-2pct", resources, instance, raise_on_error=False)
    assert not result.success
    error = result.get_step_failure_events()[0].event_specific_data.error
    text = error.message + (error.cause.message if error.cause else "")
    assert "9" in text and "0..3" in text
    assert not (tmp_path / "home/artifacts/unlearning_request/sbm-small/forget-nodes-2pct.pt").exists()


def test_unlearning_settings_name_known_teachers_requests_and_a_reference():
    text = Path(DEFAULT_SETTINGS).read_text()
    with pytest.raises(SettingError, match=r"request 'forget-nodes-3pct'.*forget-edges-5pct"):
        parse_settings(text.replace("d2dgn-forget-nodes-2pct: {method: d2dgn, teacher: gcn, request: forget-nodes-2pct}",
                                    "d2dgn-forget-nodes-2pct: {method: d2dgn, teacher: gcn, request: forget-nodes-3pct}"))
    with pytest.raises(SettingError, match=r"no 'retrain' setting with teacher 'gcn' and request 'forget-class-0'"):
        parse_settings(text.replace("  retrain-forget-class-0: {method: retrain, teacher: gcn, request: forget-class-0}\n",
                                    ""))
    with pytest.raises(SettingError, match=r"teacher 'gcn-on-clustgdd-r0.5'; choose one of the supervised teachers trained on"):
        parse_settings(text.replace("d2dgn-gat-forget-nodes-2pct: {method: d2dgn, teacher: gat,",
                                    "d2dgn-gat-forget-nodes-2pct: {method: d2dgn, teacher: gcn-on-clustgdd-r0.5,"))

"""Chains: dataset -> condensed_graph -> teacher -> student as one materializable lineage."""
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, Definitions, materialize

from dg_assets import all_asset_checks
from dg_assets.condensation import condensed_graph
from dg_assets.datasets import dataset
from dg_assets.evaluation import leaderboard, student_report, teacher_report
from dg_assets.students import student
from dg_assets.teachers import teacher
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS, SettingError, parse_settings

ASSETS = [dataset, condensed_graph, teacher, teacher_report, student, student_report, leaderboard]
CHAIN_TEACHER, CHAIN_STUDENT = "gcn-on-clustgdd-r0.5", "glnn-gcn-on-clustgdd-r0.5"


def _short_settings(folder: Path) -> str:
    """The shipped settings with the chain's and its counterpart's trainings cut to a few epochs."""
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    for key in ("gcn", CHAIN_TEACHER):
        settings["teachers"][key]["train"] = {"epochs": 30, "patience": 30}
    for key in ("glnn-gcn", CHAIN_STUDENT):
        settings["students"][key]["params"]["train"] = {"epochs": 30}
    path = folder / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def _run(selection, key, resources, instance, run_config=None):
    return materialize([*ASSETS, *all_asset_checks], selection=selection, partition_key=key, resources=resources,
                       instance=instance, run_config=run_config)


@pytest.mark.slow
def test_condensed_graph_teacher_student_chain_in_one_lineage(tmp_path, instance):
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=_short_settings(tmp_path))
    _run([dataset], "sbm-small", resources, instance)
    condensed = _run([condensed_graph], "sbm-small|clustgdd-r0.5", resources, instance)
    nodes = condensed.asset_materializations_for_node("condensed_graph")[0].metadata["nodes"].value
    seeds = {"ops": {"teacher_report": {"config": {"seeds": 2}}}}
    chain = _run([teacher, teacher_report], f"sbm-small|{CHAIN_TEACHER}", resources, instance, seeds)
    meta = chain.asset_materializations_for_node("teacher")[0].metadata
    assert meta["condensed"].value == "clustgdd-r0.5"
    assert meta["test_acc"].value > 0.5  # sbm-small has 4 classes
    # The teacher trained on the condensed graph: its bytes, not the real graph's.
    rows = resources["warehouse"].query(
        "SELECT metric, value, seed FROM results WHERE asset = 'teacher_report' ORDER BY metric, seed").to_dicts()
    graph_bytes = {r["value"] for r in rows if r["metric"] == "train_graph_bytes"}
    assert len(graph_bytes) == 1 and graph_bytes.pop() < 600 * 32 * 4  # less than the real features alone
    assert [r["seed"] for r in rows if r["metric"] == "test_acc"] == [0, 1]
    assert min(r["value"] for r in rows if r["metric"] == "condense_seconds") > 0

    assert nodes < 600
    # Lineage: the teacher (and its report) depend on the condensed graph in the asset graph.
    graph = Definitions(assets=ASSETS, resources=resources).resolve_asset_graph()
    assert AssetKey("condensed_graph") in graph.get(AssetKey("teacher")).parent_keys

    _run([student, student_report], f"sbm-small|{CHAIN_STUDENT}", resources, instance)
    _run([teacher, teacher_report], "sbm-small|gcn", resources, instance)
    _run([student, student_report], "sbm-small|glnn-gcn", resources, instance)
    board = _run([leaderboard], None, resources, instance).asset_materializations_for_node("leaderboard")[0].metadata
    [line] = [row for row in board["chains"].value.splitlines() if row.startswith("| sbm-small |")]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1] == CHAIN_STUDENT and cells[6] == "glnn-gcn"
    # The chain's teacher trained on fewer bytes than the full-graph teacher.
    assert float(cells[5]) < float(cells[10])
    assert Path(board["chain_accuracy_vs_seconds_png"].value).exists()


def test_teacher_on_a_plain_graph_reads_no_condensed_graph():
    from dg_assets.partitions import student_reads_condensed, teacher_reads_condensed

    # Only chain partitions are mapped; a plain teacher's condensed_graph input is None.
    mapped = {key for keys in teacher_reads_condensed.downstream_partition_keys_by_upstream_partition_key.values()
              for key in keys}
    assert "cora|gcn-on-clustgdd-r0.5" in mapped and "cora|gcn" not in mapped
    assert teacher_reads_condensed.downstream_partition_keys_by_upstream_partition_key["cora|clustgdd-r0.5"] == \
        ["cora|gcn-on-clustgdd-r0.5"]
    students = student_reads_condensed.downstream_partition_keys_by_upstream_partition_key["cora|clustgdd-r0.5"]
    assert "cora|glnn-gcn-on-clustgdd-r0.5" in students and "cora|glnn-gcn" not in students


def test_a_chain_naming_an_unknown_condensed_setting_lists_the_choices():
    text = Path(DEFAULT_SETTINGS).read_text().replace("condensed: clustgdd-r0.5}", "condensed: clustgdd-r0.7}", 1)
    with pytest.raises(SettingError, match=r"condensation setting 'clustgdd-r0.7'.*clustgdd-r0.5"):
        parse_settings(text)


def test_a_chain_is_offered_only_where_its_condensed_graph_is():
    from resources.settings import load_settings

    settings = load_settings()
    assert settings.applies("teachers", "cora", CHAIN_TEACHER)
    assert not settings.applies("teachers", "sbm-arxiv", CHAIN_TEACHER)  # clustgdd-r0.5 is for small graphs
    assert not settings.applies("students", "sbm-arxiv", CHAIN_STUDENT)
    assert settings.chain_counterparts()[CHAIN_STUDENT] == "glnn-gcn"

"""condensed_graph -> checks -> condensation_report -> leaderboard, in process."""
from pathlib import Path

import yaml
from dagster import materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.condensation import condensation_report, condensed_graph
from dg_assets.datasets import dataset
from dg_assets.evaluation import leaderboard
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS

GRAPH = [*all_assets, *all_asset_checks]


def _resources(tmp_path, **protocol):
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    settings["condensation_evaluation"] = {"archs": ["gcn", "mlp"], "seeds": 2, "epochs": 30, **protocol}
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return local_resources(str(tmp_path / "home"), device="cpu", settings_path=str(path))


def test_condensation_pipeline_on_the_small_synthetic_graph(tmp_path, instance):
    resources = _resources(tmp_path)
    materialize(GRAPH, selection=[dataset], partition_key="sbm-small", resources=resources, instance=instance)
    for setting in ("random-r0.5", "herding-r0.5"):
        key = f"sbm-small|{setting}"
        result = materialize(GRAPH, selection=[condensed_graph, condensation_report], partition_key=key,
                             resources=resources, instance=instance)
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
        assert checks == {"exact_node_budget": True, "every_class_present": True,
                          "condensed_features_are_finite": True, "adjacency_is_symmetric_and_nonnegative": True}
        meta = result.asset_materializations_for_node("condensed_graph")[0].metadata
        assert meta["nodes"].value == 40 and meta["ratio"].value == 0.5  # 80 training nodes x 0.5

    rows = resources["warehouse"].query(
        "SELECT setting, metric, count(*) AS n FROM results WHERE asset = 'condensation_report' "
        "AND metric LIKE 'test_acc%' GROUP BY ALL ORDER BY ALL")
    assert rows.rows() == [("herding-r0.5", "test_acc", 2), ("herding-r0.5", "test_acc@mlp", 2),
                           ("random-r0.5", "test_acc", 2), ("random-r0.5", "test_acc@mlp", 2)]
    costs = resources["warehouse"].query(
        "SELECT metric, value FROM results WHERE asset = 'condensation_report' AND setting = 'random-r0.5' "
        "AND metric IN ('condense_seconds', 'condense_peak_memory_mb', 'eval_seconds@gcn', 'eval_seconds@mlp')")
    assert dict(costs.rows()).keys() == {"condense_seconds", "condense_peak_memory_mb", "eval_seconds@gcn",
                                         "eval_seconds@mlp"}
    assert all(value > 0 for _, value in costs.rows())

    result = materialize(GRAPH, selection=[leaderboard], resources=resources, instance=instance)
    meta = result.asset_materializations_for_node("leaderboard")[0].metadata
    assert "| herding | " in meta["condensation"].value and "r=0.5" in meta["condensation"].value
    assert Path(meta["accuracy_vs_ratio_png"].value).exists()

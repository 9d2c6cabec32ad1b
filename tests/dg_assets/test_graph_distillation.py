"""graph_dataset -> distilled_graphs -> graph_distillation_report for MUTAG, in process."""
from pathlib import Path

import yaml
from dagster import materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.evaluation import graph_distillation_table
from dg_assets.graph_distillation import distilled_graphs, graph_dataset, graph_distillation_report
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS, SettingsStore
from resources.warehouse import DuckDBWarehouse
from tests.conftest import require_real_data

GRAPH = [*all_assets, *all_asset_checks]


def test_mirage_on_mutag_end_to_end(tmp_path, instance):
    require_real_data("tu", "MUTAG")
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    settings["graph_distillation_evaluation"] = {"archs": ["gin"], "seeds": 2, "epochs": 15}
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=str(path))

    result = materialize(GRAPH, selection=[graph_dataset], partition_key="MUTAG", resources=resources,
                         instance=instance)
    assert result.asset_materializations_for_node("graph_dataset")[0].metadata["num_graphs"].value == 188
    key = "MUTAG|mirage-l2"
    result = materialize(GRAPH, selection=[distilled_graphs, graph_distillation_report], partition_key=key,
                         resources=resources, instance=instance)
    meta = result.asset_materializations_for_node("distilled_graphs")[0].metadata
    assert meta["split_seeds"].value == 2 and 0 < meta["bytes_fraction"].value < 0.5
    report = result.asset_materializations_for_node("graph_distillation_report")[0].metadata
    assert Path(report["accuracy_vs_bytes_png"].value).read_bytes()[:4] == b"\x89PNG"
    rows = resources["warehouse"].query(
        "SELECT metric, count(*) AS n FROM results WHERE asset = 'graph_distillation_report' GROUP BY ALL ORDER BY ALL")
    counts = dict(rows.rows())
    assert counts["val_acc"] == counts["test_acc"] == counts["test_auc"] == 2 and counts["bytes_fraction"] == 1


def test_leaderboard_chooses_the_mirage_setting_on_validation_per_split(tmp_path):
    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"))

    def report(setting: str, method: str, fraction: float, accuracies: list[tuple[float, float]]) -> None:
        rows = [{"dataset": "MUTAG", "setting": setting, "method": method, "metric": "bytes_fraction",
                 "value": fraction, "seed": 0}]
        rows += [{"dataset": "MUTAG", "setting": setting, "method": method, "metric": metric, "value": value,
                  "seed": seed}
                 for seed, pair in enumerate(accuracies) for metric, value in zip(("val_acc", "test_acc"), pair)]
        warehouse.replace_results("graph_distillation_report", f"MUTAG|{setting}", rows)

    # Split 0: the small set wins on validation, the large one would win on test. Split 1:
    # a validation tie goes to the smaller set. Coresets never enter the Mirage choice.
    report("mirage-small", "mirage", 0.05, [(0.9, 0.6), (0.8, 0.7)])
    report("mirage-large", "mirage", 0.50, [(0.7, 0.9), (0.8, 0.8)])
    report("random-g20", "random", 0.20, [(1.0, 1.0), (1.0, 1.0)])
    table = graph_distillation_table(warehouse)["graph_distillation"].value
    assert "| MUTAG | mirage (chosen on validation) | 5.00 | 65.00 ± 7.07 | 2 |" in table
    assert "| MUTAG | mirage-large | 50.00 | 85.00 ± 7.07 | 2 |" in table


def test_node_and_graph_results_each_have_their_leaderboard(tmp_path):
    """Refreshing the node leaderboard never depends on graph-level reports, and each board
    lists only its own family's rows."""
    from dagster import AssetKey

    from dg_assets.evaluation import graph_leaderboard, leaderboard
    from resources.reports import ReportStore

    warehouse = DuckDBWarehouse(path=str(tmp_path / "w.duckdb"))
    warehouse.replace_results("teacher_report", "cora|gcn", [
        {"dataset": "cora", "setting": "gcn", "method": "gcn", "metric": "test_acc", "value": 0.81, "seed": 0}])
    warehouse.replace_results("graph_distillation_report", "MUTAG|mirage-l2", [
        {"dataset": "MUTAG", "setting": "mirage-l2", "method": "mirage", "metric": metric, "value": value, "seed": 0}
        for metric, value in (("test_acc", 0.8), ("val_acc", 0.9), ("bytes_fraction", 0.05))])
    assert AssetKey("graph_distillation_report") not in leaderboard.dependency_keys
    result = materialize([leaderboard, graph_leaderboard], resources={
        "warehouse": warehouse, "reports": ReportStore(root=str(tmp_path / "reports")), "settings": SettingsStore()})
    node, graph = (result.asset_materializations_for_node(name)[0].metadata["leaderboard"].value
                   for name in ("leaderboard", "graph_leaderboard"))
    assert "| cora | gcn | 81.00 |" in node and "MUTAG" not in node
    assert "| MUTAG | mirage-l2 | 80.00 |" in graph and "cora" not in graph

"""Sibling partitions whose setting names differ after a dot (``r0.25`` / ``r0.5``) keep apart.

Each asset of a pair is materialized one after the other, then each downstream report runs on
its own: a report that read its sibling's artifact would show the sibling's size or mode.
"""
from pathlib import Path

import yaml
from dagster import materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.condensation import condensation_report, condensed_graph
from dg_assets.datasets import dataset
from dg_assets.evaluation import student_report
from dg_assets.graph_distillation import distilled_graphs, graph_dataset, graph_distillation_report
from dg_assets.students import student
from dg_assets.teachers import teacher
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS
from tests.conftest import require_real_data

GRAPH = [*all_assets, *all_asset_checks]


def _resources(tmp_path, **entries):
    """The repository's settings (its partition keys) with ``entries`` replaced, e.g.
    ``students={"glnn-sage": {...}}`` replaces that one student setting."""
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    for section, value in entries.items():
        settings[section] = settings[section] | value if section in ("teachers", "students") else value
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return local_resources(str(tmp_path / "home"), device="cpu", settings_path=str(path))


def _key(dataset_name: str, setting: str) -> str:
    return f"{dataset_name}|{setting}"


def _metric(resources, asset: str, setting: str, metric: str) -> list[float]:
    rows = resources["warehouse"].query(
        "SELECT value FROM results WHERE asset = ? AND setting = ? AND metric = ? ORDER BY seed",
        [asset, setting, metric])
    return rows["value"].to_list()


def test_condensation_reports_read_their_own_dotted_sibling(tmp_path, instance):
    resources = _resources(tmp_path, condensation_evaluation={"archs": ["gcn"], "seeds": 1, "epochs": 3})
    materialize(GRAPH, selection=[dataset], partition_key="sbm-small", resources=resources, instance=instance)
    for setting in ("random-r0.25", "random-r0.5"):
        materialize(GRAPH, selection=[condensed_graph], partition_key=_key("sbm-small", setting),
                    resources=resources, instance=instance)
    for setting in ("random-r0.25", "random-r0.5"):
        materialize(GRAPH, selection=[condensation_report], partition_key=_key("sbm-small", setting),
                    resources=resources, instance=instance)
    # sbm-small has 80 training nodes: budgets 20 and 40.
    assert _metric(resources, "condensation_report", "random-r0.25", "condensed_nodes") == [20.0]
    assert _metric(resources, "condensation_report", "random-r0.5", "condensed_nodes") == [40.0]
    files = sorted(p.name for p in (tmp_path / "home/artifacts/condensed_graph/sbm-small").iterdir())
    assert files == ["random-r0.25.pt", "random-r0.5.pt"]


def test_student_reports_read_their_own_dotted_sibling(tmp_path, instance):
    # The configured pair an extension swap cut to one name ("vqgraph-sage-lam0.pt"): one
    # transductive, one inductive (only the latter reports ind_test_acc). Cheap GLNN students
    # and a few teacher epochs stand in for their methods; the keys are what matters.
    pair = ("vqgraph-sage-lam0.5-eval-restarts", "vqgraph-sage-lam0.5-eval-restarts-ind")
    params = {"lam": 0.5, "hidden": 16, "train": {"epochs": 5}}
    resources = _resources(tmp_path, teachers={"sage": {"model": "sage", "params": {"hidden": 16},
                                                        "train": {"epochs": 5}}},
                           students={pair[0]: {"method": "glnn", "teacher": "sage", "params": params},
                                     pair[1]: {"method": "glnn", "teacher": "sage",
                                               "params": params | {"mode": "inductive"}}})
    materialize(GRAPH, selection=[dataset], partition_key="sbm-small", resources=resources, instance=instance)
    materialize(GRAPH, selection=[teacher], partition_key=_key("sbm-small", "sage"), resources=resources,
                instance=instance)
    for setting in pair:
        materialize(GRAPH, selection=[student], partition_key=_key("sbm-small", setting), resources=resources,
                    instance=instance)
    for setting in pair:
        materialize(GRAPH, selection=[student_report], partition_key=_key("sbm-small", setting),
                    resources=resources, instance=instance)
    assert _metric(resources, "student_report", pair[0], "ind_test_acc") == []
    assert len(_metric(resources, "student_report", pair[1], "ind_test_acc")) == 1


def test_graph_distillation_reports_read_their_own_dotted_sibling(tmp_path, instance):
    require_real_data("tu", "MUTAG")
    resources = _resources(tmp_path, graph_distillation_evaluation={"archs": ["gin"], "seeds": 1, "epochs": 2})
    materialize(GRAPH, selection=[graph_dataset], partition_key="MUTAG", resources=resources, instance=instance)
    sizes = {}
    for setting in ("mirage-l2-t0.02", "mirage-l2-t0.2"):
        result = materialize(GRAPH, selection=[distilled_graphs], partition_key=_key("MUTAG", setting),
                             resources=resources, instance=instance)
        sizes[setting] = result.asset_materializations_for_node("distilled_graphs")[0].metadata["bytes_fraction"].value
    assert sizes["mirage-l2-t0.02"] != sizes["mirage-l2-t0.2"]
    for setting in ("mirage-l2-t0.02", "mirage-l2-t0.2"):
        materialize(GRAPH, selection=[graph_distillation_report], partition_key=_key("MUTAG", setting),
                    resources=resources, instance=instance)
        [reported] = _metric(resources, "graph_distillation_report", setting, "bytes_fraction")
        assert abs(reported - sizes[setting]) < 1e-9, setting

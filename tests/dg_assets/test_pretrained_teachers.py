"""Self-supervised teachers: a GraphMAE teacher partition, pretrained then probed, feeds students."""
from pathlib import Path

import pytest
import yaml
from dagster import materialize

from dg_assets import all_asset_checks
from dg_assets.condensation import condensed_graph
from dg_assets.datasets import dataset
from dg_assets.students import student
from dg_assets.teachers import teacher
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS, SettingError, parse_settings

ASSETS = [dataset, condensed_graph, teacher, student]


def _settings(**edit) -> dict:
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    for path, value in edit.items():
        section, key, field = path.split("__")
        settings[section][key][field] = value
    return settings


def _parse(settings: dict):
    return parse_settings(yaml.safe_dump(settings))


@pytest.mark.slow
def test_graphmae_teacher_partition_is_pretrained_probed_and_distilled(tmp_path, instance):
    settings = _settings(teachers__graphmae__params={"hidden": 16, "heads": 2},
                         teachers__graphmae__pretrain={"epochs": 20, "lr": 0.01},
                         teachers__graphmae__train={"epochs": 60, "patience": 60})
    settings["students"]["glnn-graphmae"]["params"]["train"] = {"epochs": 30}
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    resources = local_resources(str(tmp_path / "home"), device="cpu", settings_path=str(path))
    run = lambda selection, key: materialize([*ASSETS, *all_asset_checks], selection=selection,  # noqa: E731
                                             partition_key=key, resources=resources, instance=instance)
    run([dataset], "sbm-small")
    taught = run([teacher], "sbm-small|graphmae")
    meta = taught.asset_materializations_for_node("teacher")[0].metadata
    assert meta["model"].value == "graphmae"
    assert meta["val_acc"].value > 0.5  # four classes: chance is 0.25
    trained = taught.output_for_node("teacher")
    assert len(trained.history["pretrain_loss"]) == 20  # the pretraining ran, then the probe
    assert trained.train["epochs"] == 60
    distilled = run([student], "sbm-small|glnn-graphmae")
    assert distilled.asset_materializations_for_node("student")[0].metadata["test_acc"].value > 0.5


def test_pretraining_a_model_without_a_pretrainer_names_the_choices():
    settings = _settings(teachers__sgc__pretrain={"epochs": 10})
    with pytest.raises(SettingError, match=r"'sgc'.*graphmae"):
        _parse(settings).teacher("sgc")


def test_a_bad_pretraining_field_names_the_setting_and_the_field():
    settings = _settings(teachers__graphmae__pretrain={"mask_rate": 1.5})
    with pytest.raises(SettingError, match=r"(?s)'graphmae'.*mask_rate"):
        _parse(settings).teacher("graphmae")


def test_pretrained_teachers_have_no_inductive_students_or_unlearning():
    settings = _settings()
    settings["students"]["glnn-graphmae-ind"] = {"method": "glnn", "teacher": "graphmae",
                                                 "params": {"mode": "inductive"}}
    with pytest.raises(SettingError, match="glnn-graphmae-ind.*transductive"):
        _parse(settings)
    settings = _settings()
    settings["unlearning"]["retrain-graphmae"] = {"method": "retrain", "teacher": "graphmae",
                                                  "request": "forget-nodes-2pct"}
    with pytest.raises(SettingError, match="retrain-graphmae.*graphmae"):
        _parse(settings)

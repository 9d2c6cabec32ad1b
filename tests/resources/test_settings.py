import pytest

from resources.settings import DEFAULT_SETTINGS, SettingError, load_settings, parse_settings


def test_shipped_settings_cover_the_benchmark_datasets_and_teachers():
    settings = load_settings(DEFAULT_SETTINGS)
    assert {"cora", "citeseer", "amazon-computers", "amazon-photo", "coauthor-cs"} <= set(settings.datasets)
    assert {"gcn", "sage", "gat", "appnp", "sgc", "mlp"} <= set(settings.teachers)
    for key in settings.teachers:
        settings.teacher(key)  # every shipped setting validates


def test_unknown_setting_lists_the_known_ones():
    with pytest.raises(SettingError, match=r"'gcn-huge'.*'appnp'"):
        load_settings(DEFAULT_SETTINGS).teacher("gcn-huge")


def test_bad_hyperparameter_names_setting_and_field():
    settings = parse_settings("datasets: {}\nteachers:\n  fast: {model: gcn, train: {lr: -1}}\n")
    with pytest.raises(SettingError, match=r"(?s)'fast'.*lr.*greater than 0"):
        settings.teacher("fast")


def test_unknown_model_in_a_setting_is_refused():
    settings = parse_settings("datasets: {}\nteachers:\n  x: {model: transformer}\n")
    with pytest.raises(SettingError, match="transformer"):
        settings.teacher("x")


def test_graph_protocol_learning_rate_per_architecture():
    base = "datasets: {}\nteachers: {}\n"
    protocol = parse_settings(base + "graph_distillation_evaluation: {lr: 0.01, lr_by_arch: {gin: 0.001}}\n"
                              ).graph_distillation_evaluation
    assert protocol.lr_for("gin") == 0.001 and protocol.lr_for("gcn") == 0.01
    with pytest.raises(SettingError, match=r"'transformer'.*\['gin', 'gcn', 'gat'\]"):
        parse_settings(base + "graph_distillation_evaluation: {lr_by_arch: {transformer: 0.001}}\n")


def test_a_setting_names_the_datasets_it_applies_to():
    base = "datasets: {cora: {}, big: {}}\nteachers:\n  gcn: {model: gcn}\n  wide: {model: gcn, datasets: [big]}\n"
    settings = parse_settings(base + "students:\n  glnn: {method: glnn, teacher: wide}\n")
    assert settings.partition_keys("teachers") == ["cora|gcn", "big|gcn", "big|wide"]
    # A student has the partitions its teacher has on that dataset.
    assert settings.partition_keys("students") == ["big|glnn"]
    with pytest.raises(SettingError, match=r"'wide' applies to unknown datasets \['corra'\]; choose among \['big', 'cora'\]"):
        parse_settings("datasets: {cora: {}, big: {}}\nteachers:\n  wide: {model: gcn, datasets: [corra]}\n")

import subprocess
import sys

from tests.conftest import REPO


def test_definitions_load_with_the_configured_partitions():
    from definitions import defs
    from resources.settings import load_settings

    settings = load_settings()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"dataset", "teacher", "teacher_report", "student", "student_report", "condensed_graph",
            "condensation_report", "graph_dataset", "distilled_graphs", "graph_distillation_report",
            "leaderboard"} <= keys
    teacher = defs.resolve_assets_def("teacher")
    partition_keys = teacher.partitions_def.get_partition_keys()
    assert "cora|gcn" in partition_keys
    # Every dataset for an unscoped plain teacher; a chain teacher where its condensed graph is offered.
    plain = [key for key, setting in settings.teachers.items() if not setting.condensed and setting.datasets is None]
    assert {f"{name}|{key}" for name in settings.datasets for key in plain} <= set(partition_keys)
    assert {key for key in partition_keys if key.endswith("|graphmae")} == {
        f"{name}|graphmae" for name in settings.teachers["graphmae"].datasets}  # a scoped teacher
    chains = {key for key in partition_keys if settings.teachers[key.split("|")[1]].condensed}
    assert chains == {f"{name}|{key}" for name in settings.datasets for key in settings.teachers
                      if settings.teachers[key].condensed and settings.condensation[settings.teachers[key].condensed].applies_to(name)}

    # a student partition reads the teacher partition its setting names
    from dagster import AssetKey

    student = defs.resolve_assets_def("student")
    key = "cora|glnn-sage"
    upstream = student.get_partition_mapping(AssetKey("teacher")).get_upstream_mapped_partitions_result_for_partitions(
        student.partitions_def.empty_subset().with_partition_keys([key]), student.partitions_def,
        teacher.partitions_def)
    assert set(upstream.partitions_subset.get_partition_keys()) == {"cora|sage"}


def test_only_the_pairs_a_setting_applies_to_are_partitions():
    from dagster import AssetKey

    from definitions import defs

    condensed = defs.resolve_assets_def("condensed_graph")
    keys = condensed.partitions_def.get_partition_keys()
    # An ogbn-arxiv-sized budget is offered on the arxiv-sized graph only; Cora's ratios not there.
    assert "sbm-arxiv|clustgdd-r0.005" in keys and "cora|clustgdd-r0.005" not in keys
    assert "cora|clustgdd-r0.5" in keys and "sbm-arxiv|clustgdd-r0.5" not in keys
    assert "cora|whole" in keys and "sbm-arxiv|whole" in keys
    dataset = defs.resolve_assets_def("dataset")
    upstream = condensed.get_partition_mapping(AssetKey("dataset")).get_upstream_mapped_partitions_result_for_partitions(
        condensed.partitions_def.empty_subset().with_partition_keys(["cora|clustgdd-r0.5"]), condensed.partitions_def,
        dataset.partitions_def)
    assert set(upstream.partitions_subset.get_partition_keys()) == {"cora"}


def test_kernels_never_import_dagster_and_definitions_never_import_torch():
    code = ("import sys, kernels.data, kernels.models, kernels.evaluate; assert 'dagster' not in sys.modules; "
            "import definitions; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"  # kernels import torch, that is fine
    out = subprocess.run([sys.executable, "-c", "import sys, definitions; print('torch' in sys.modules)"],
                         cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

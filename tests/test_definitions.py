import subprocess
import sys

from tests.conftest import REPO


def test_definitions_load_with_the_configured_partitions():
    from definitions import defs
    from resources.settings import load_settings

    settings = load_settings()
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"dataset", "teacher", "teacher_report", "leaderboard"} <= keys
    teacher = defs.resolve_assets_def("teacher")
    partition_keys = teacher.partitions_def.get_partition_keys()
    assert "cora|gcn" in partition_keys
    assert len(partition_keys) == len(settings.datasets) * len(settings.teachers)
    assert teacher.pool == "gpu" if hasattr(teacher, "pool") else True


def test_kernels_never_import_dagster_and_definitions_never_import_torch():
    code = ("import sys, kernels.data, kernels.models, kernels.evaluate; assert 'dagster' not in sys.modules; "
            "import definitions; print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"  # kernels import torch, that is fine
    out = subprocess.run([sys.executable, "-c", "import sys, definitions; print('torch' in sys.modules)"],
                         cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""What can be checked of the deployment without a cluster."""
import os
import subprocess
import sys
from pathlib import Path

import yaml
from dagster import DagsterInstance

from tests.conftest import REPO


def test_shipped_instance_config_limits_the_gpu_pool_to_one(tmp_path):
    (tmp_path / "dagster.yaml").write_text((REPO / "deploy/local/dagster.yaml").read_text())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0


def test_gpu_tags_produce_a_pod_spec_with_one_gpu():
    from dagster_k8s.job import DagsterK8sJobConfig, construct_dagster_k8s_job, get_user_defined_k8s_config

    from definitions import defs

    for asset in ("teacher", "student"):
        op = defs.resolve_assets_def(asset).op
        assert op.pool == "gpu"
        config = get_user_defined_k8s_config(op.tags)
        job = construct_dagster_k8s_job(
            DagsterK8sJobConfig(job_image="graphdistill:latest", dagster_home="/opt/dagster/dagster_home",
                                instance_config_map="dagster-instance"),
            args=["dagster", "api", "execute_step"], job_name=f"{asset}-step", user_defined_k8s_config=config)
        limits = job.spec.template.spec.containers[0].resources.limits
        assert limits == {"nvidia.com/gpu": "1"}


def test_helm_values_use_the_k8s_run_launcher_and_the_code_location_image():
    values = yaml.safe_load((REPO / "deploy/helm/values.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["dagsterApiGrpcArgs"] == ["-f", "definitions.py"]
    assert "GRAPHDISTILL_EXECUTOR" in values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"]
    assert "CMD" in (REPO / "deploy/Dockerfile").read_text()


def test_k8s_executor_is_selected_by_environment():
    code = "import definitions; print(definitions.defs.resolve_job_def('teachers_job').executor_def.name)"
    env = os.environ | {"GRAPHDISTILL_EXECUTOR": "k8s"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "k8s"

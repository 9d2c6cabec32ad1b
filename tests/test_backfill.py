"""A backfill launched over GraphQL, as the UI does, runs to completion under `dagster dev`."""
import os
import time
from pathlib import Path

import yaml
from dagster import DagsterInstance, materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.datasets import dataset
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS
from tests.conftest import REPO
from tests.servers import dagster_server, graphql

SETTINGS = ("gcn", "sage", "gat", "appnp", "sgc", "mlp")
LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } }
}"""


def test_graphql_backfill_of_six_teacher_partitions_completes(tmp_path):
    home = tmp_path
    (home / "dagster").mkdir()
    (home / "dagster/dagster.yaml").write_text((REPO / "deploy/local/dagster.yaml").read_text())
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    for key in SETTINGS:
        settings["teachers"][key]["train"] |= {"epochs": 15}
    (home / "settings.yaml").write_text(yaml.safe_dump(settings))
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        materialize([*all_assets, *all_asset_checks], selection=[dataset], partition_key="sbm-small",
                    resources=local_resources(str(home), device="cpu", settings_path=str(home / "settings.yaml")),
                    instance=instance)

    env = os.environ | {"GRAPHDISTILL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
                        "GRAPHDISTILL_SETTINGS": str(home / "settings.yaml")}
    with dagster_server("dagster dev", env) as url:  # webserver + daemon, as `make dev`
        partitions = [f"sbm-small|{key}" for key in SETTINGS]
        launched = graphql(url, LAUNCH, {"params": {"assetSelection": [{"path": ["teacher"]}],
                                                     "partitionNames": partitions}})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        deadline, status = time.time() + 900, "REQUESTED"
        while status in ("REQUESTED", "CANCELING", "FAILING") and time.time() < deadline:
            time.sleep(5)
            status = graphql(url, STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]
        assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status
    assert sorted(p.name for p in (home / "artifacts/teacher/sbm-small").iterdir()) == sorted(
        f"{key}.pt" for key in SETTINGS)

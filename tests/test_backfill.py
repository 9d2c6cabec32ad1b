"""A backfill launched over GraphQL, as the UI does, runs to completion under `dagster dev`."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from dagster import DagsterInstance, materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.datasets import dataset
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS
from tests.conftest import REPO

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


def _graphql(url: str, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["data"]


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

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = os.environ | {"GRAPHDISTILL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
                        "GRAPHDISTILL_SETTINGS": str(home / "settings.yaml")}
    server = subprocess.Popen([str(Path(sys.executable).parent / "dagster"), "dev", "-f", "definitions.py",
                               "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, "dagster dev did not start"
                time.sleep(1)
        partitions = [f"sbm-small|{key}" for key in SETTINGS]
        launched = _graphql(url, LAUNCH, {"params": {"assetSelection": [{"path": ["teacher"]}],
                                                     "partitionNames": partitions}})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        deadline, status = time.time() + 900, "REQUESTED"
        while status in ("REQUESTED", "CANCELING", "FAILING") and time.time() < deadline:
            time.sleep(5)
            status = _graphql(url, STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]
        assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # by PID: dagster dev does not act on SIGTERM here
        server.wait(timeout=30)
    assert sorted(p.name for p in (home / "artifacts/teacher/sbm-small").iterdir()) == sorted(
        f"{key}.pt" for key in SETTINGS)

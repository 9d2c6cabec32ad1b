"""The web UI as users drive it: `dagster dev` (webserver + daemon, as `make dev`) started once,
a backfill over GraphQL as the UI sends it, and headless Chromium launching a partition's
materialization and reading its metadata."""
import shutil
import time
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, materialize

from dg_assets import all_asset_checks, all_assets
from dg_assets.datasets import dataset
from resources import local_resources
from resources.settings import DEFAULT_SETTINGS
from tests.conftest import REPO, home_env
from tests.servers import dagster_server, graphql

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
OUTPUT = REPO / "test-artifacts" / "ui"
RUNS = """
query Runs($partition: String!) {
  runsOrError(filter: {tags: [{key: "dagster/partition", value: $partition}]}) {
    ... on Runs { results { runId status } }
  }
}"""
BACKFILLED = ("gcn", "sage", "gat", "appnp", "sgc", "mlp")
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


@pytest.fixture(scope="module")
def dev_home(tmp_path_factory) -> Path:
    """A graphdistill home as `make dev` sets it up: the shipped instance config, sbm-small
    materialized, teachers shortened to 15 epochs (``settings.yaml`` beside it)."""
    home = tmp_path_factory.mktemp("dev-home")
    (home / "dagster").mkdir()
    (home / "dagster/dagster.yaml").write_text((REPO / "deploy/local/dagster.yaml").read_text())
    settings = yaml.safe_load(Path(DEFAULT_SETTINGS).read_text())
    for teacher in settings["teachers"].values():
        teacher["train"] = teacher.get("train", {}) | {"epochs": 15}
    (home / "settings.yaml").write_text(yaml.safe_dump(settings))
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        materialize([*all_assets, *all_asset_checks], selection=[dataset], partition_key="sbm-small",
                    resources=local_resources(str(home), device="cpu", settings_path=str(home / "settings.yaml")),
                    instance=instance)
    return home


@pytest.fixture(scope="module")
def dagster_dev(dev_home):
    """The URL of `dagster dev` (webserver + daemon) on ``dev_home``, started once for
    this module's tests."""
    env = home_env(dev_home, GRAPHDISTILL_SETTINGS=str(dev_home / "settings.yaml"))
    with dagster_server("dagster dev", env) as url:
        # The UI's first-visit newsletter dialog can open over any dialog of the test; marking
        # it seen on the server is what its "Skip" button does.
        assert graphql(url, "mutation { setNuxSeen }")["setNuxSeen"] is True
        assert graphql(url, "{ shouldShowNux }")["shouldShowNux"] is False
        yield url


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1600, "height": 1100})
        finally:
            browser.close()


def _partition_runs(url: str) -> list[dict]:
    return graphql(url, RUNS, {"partition": "sbm-small|sgc"})["runsOrError"]["results"]


def test_graphql_lists_partitioned_dataset_and_teacher(dagster_dev):
    data = graphql(dagster_dev, "{ assetNodes { assetKey { path } isPartitioned partitionKeys } }")
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {"dataset", "teacher", "teacher_report", "leaderboard"} <= nodes.keys()
    assert "cora" in nodes["dataset"]["partitionKeys"]
    assert "cora|gcn" in nodes["teacher"]["partitionKeys"]


def test_asset_graph_shows_dataset_and_teacher(dagster_dev, browser):
    page = browser
    page.goto(f"{dagster_dev}/assets/teacher?view=lineage", wait_until="domcontentloaded")
    page.get_by_text("teacher_report").first.wait_for(timeout=120_000)
    page.wait_for_timeout(2_000)  # the newsletter dialog would open one second after load
    assert page.get_by_text("Join the Dagster community").count() == 0
    for name in ("dataset", "teacher"):
        assert page.get_by_text(name, exact=True).count() > 0, name
    page.screenshot(path=str(OUTPUT / "asset_graph.png"))


def test_materialize_a_teacher_partition_from_the_ui(dagster_dev, browser, dev_home):
    """Materialize… → pick partition sbm-small|sgc → launch → run succeeds → the
    partition page shows the evaluation metadata (accuracies and the training-curve plot)."""
    page = browser
    page.goto(f"{dagster_dev}/assets/teacher", wait_until="domcontentloaded")
    materialize_button = page.locator("button", has_text="Materialize").first
    materialize_button.wait_for(timeout=120_000)
    materialize_button.click()
    # Chain teachers read condensed_graph, so on a fresh home the UI first warns that this
    # upstream asset was never materialized; the sgc partition does not need it.
    confirm = page.get_by_role("button", name="Confirm")
    confirm.wait_for(timeout=30_000)
    confirm.click()
    page.get_by_text("Launch runs to materialize teacher").wait_for()
    page.get_by_text("Select a partition or create one").first.click()
    page.get_by_placeholder("Filter partitions").locator("visible=true").last.fill("sbm-small|sgc")
    page.get_by_text("sbm-small|sgc", exact=True).locator("visible=true").first.click()
    page.keyboard.press("Escape")
    page.screenshot(path=str(OUTPUT / "launch_dialog.png"))
    earlier = {run["runId"] for run in _partition_runs(dagster_dev)}
    page.locator("button", has_text="Launch 1 run").click()
    page.get_by_text("Launched run").wait_for()

    run_id, status, deadline = None, None, time.time() + 600  # queued, dequeued by the daemon, run
    while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.time() < deadline:
        time.sleep(3)
        launched = [run for run in _partition_runs(dagster_dev) if run["runId"] not in earlier]
        run_id, status = (launched[0]["runId"], launched[0]["status"]) if launched else (None, None)
    assert status == "SUCCESS", status
    page.goto(f"{dagster_dev}/runs/{run_id}", wait_until="domcontentloaded")
    page.get_by_text("Success", exact=True).first.wait_for(timeout=90_000)
    page.screenshot(path=str(OUTPUT / "run_succeeded.png"))

    page.goto(f"{dagster_dev}/assets/teacher?view=partitions&partition=sbm-small%7Csgc", wait_until="domcontentloaded")
    page.get_by_text("test_acc", exact=True).first.wait_for(timeout=90_000)
    for key in ("val_acc", "training_curves_plot"):
        assert page.get_by_text(key, exact=True).count() > 0, key
    page.screenshot(path=str(OUTPUT / "partition_metadata.png"), full_page=True)
    page.get_by_text("[Show Markdown]").first.click()  # the training-curve plot, rendered inline
    page.get_by_role("dialog").locator("img").first.wait_for(timeout=30_000)
    page.screenshot(path=str(OUTPUT / "training_curves.png"))
    assert (dev_home / "artifacts/teacher/sbm-small/sgc.pt").exists()


def test_graphql_backfill_of_six_teacher_partitions_completes(dagster_dev, dev_home):
    url = dagster_dev
    partitions = [f"sbm-small|{key}" for key in BACKFILLED]
    launched = graphql(url, LAUNCH, {"params": {"assetSelection": [{"path": ["teacher"]}],
                                                 "partitionNames": partitions}})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    deadline, status = time.time() + 900, "REQUESTED"
    while status in ("REQUESTED", "CANCELING", "FAILING") and time.time() < deadline:
        time.sleep(5)
        status = graphql(url, STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status
    assert sorted(p.name for p in (dev_home / "artifacts/teacher/sbm-small").iterdir()) == sorted(
        f"{key}.pt" for key in BACKFILLED)

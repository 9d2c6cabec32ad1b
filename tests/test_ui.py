"""The web UI: start the Dagster webserver on a free loopback port, query it, open it in Chromium."""
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.servers import dagster_server, graphql

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
OUTPUT = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    (home / "dagster").mkdir()
    env = os.environ | {"GRAPHDISTILL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    with dagster_server("dagster-webserver", env) as url:
        yield url


def test_graphql_lists_partitioned_dataset_and_teacher(webserver):
    data = graphql(webserver, "{ assetNodes { assetKey { path } isPartitioned partitionKeys } }")
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {"dataset", "teacher", "teacher_report", "leaderboard"} <= nodes.keys()
    assert "cora" in nodes["dataset"]["partitionKeys"]
    assert "cora|gcn" in nodes["teacher"]["partitionKeys"]


def test_asset_graph_shows_dataset_and_teacher_in_chromium(webserver):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{webserver}/assets/teacher?view=lineage", wait_until="domcontentloaded")
            skip = page.get_by_role("button", name="Skip")  # first-visit newsletter dialog
            skip.or_(page.get_by_text("teacher_report")).first.wait_for(timeout=60_000)
            if skip.count():
                skip.click()
            page.get_by_text("teacher_report").first.wait_for(timeout=60_000)
            for name in ("dataset", "teacher"):
                assert page.get_by_text(name, exact=True).count() > 0, name
            page.screenshot(path=str(OUTPUT / "asset_graph.png"))
        finally:
            browser.close()

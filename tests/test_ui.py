"""The web UI: start the Dagster webserver on a free loopback port, query it, open it in Chromium."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
OUTPUT = REPO / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    (home / "dagster").mkdir()
    port = _free_port()
    env = os.environ | {"GRAPHDISTILL_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "dagster-webserver"), "-f", "definitions.py",
                             "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"dagster-webserver did not start (exit code {proc.poll()})")
                time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # by PID: the server's own signal handling is not relied on
        proc.wait(timeout=30)


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["data"]


def test_graphql_lists_partitioned_dataset_and_teacher(webserver):
    data = _graphql(webserver, "{ assetNodes { assetKey { path } isPartitioned partitionKeys } }")
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

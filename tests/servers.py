"""Start a Dagster server (webserver or `dagster dev`) for a test and stop it by PID."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def dagster_server(command: str, env: dict[str, str], timeout: float = 180) -> Iterator[str]:
    """Run ``dagster-webserver`` or ``dagster dev`` on a free loopback port; yields its URL.

    Stopped with SIGKILL to its process group: ``dagster dev`` started from a script does not
    act on SIGTERM, and its daemon and code server are children of it.
    """
    port = free_port()
    args = {"dagster-webserver": ["dagster-webserver"], "dagster dev": ["dagster", "dev"]}[command]
    proc = subprocess.Popen([str(Path(sys.executable).parent / args[0]), *args[1:], "-f", "definitions.py",
                             "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"{command} did not start (exit code {proc.poll()})")
                time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["data"]

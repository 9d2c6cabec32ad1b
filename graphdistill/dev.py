"""``make dev`` / ``graphdistill dev``: the web UI and the daemon, stopped cleanly by Ctrl-C.

``dagster dev`` runs the webserver, the daemon and a code server as children. Interrupted
from a terminal, all of them get the signal at once and the shutdown can hang for a minute
or more; started from a script, the signals may arrive ignored (a background job inherits
SIGINT as ignored). Here ``dagster dev`` runs in a session of its own with default signal
handling, and Ctrl-C (or SIGTERM) is turned into one SIGTERM to that session, then, after
``grace_s``, a SIGKILL to whatever of it is left.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from resources.home import REPO_ROOT, ensure_dagster_home


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def run_dev(host: str = "127.0.0.1", port: int = 3000, grace_s: float = 10.0) -> int:
    ensure_dagster_home()
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.Popen([str(dagster), "dev", "-h", host, "-p", str(port), "-w", "workspace.yaml"],
                            cwd=REPO_ROOT, start_new_session=True, preexec_fn=_default_signals)
    stopping: list[float] = []  # when the stop began

    def stop(signum: int, _frame) -> None:
        if not stopping:
            stopping.append(time.monotonic())
            print(f"\ngraphdistill dev: stopping (at most {grace_s:.0f} s)", file=sys.stderr, flush=True)
            _signal_group(proc.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"graphdistill dev: http://{host}:{port} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    while proc.poll() is None:
        if stopping and time.monotonic() - stopping[0] > grace_s:
            _signal_group(proc.pid, signal.SIGKILL)
        time.sleep(0.2)
    _signal_group(proc.pid, signal.SIGKILL)  # children that outlived dagster dev
    return 130 if stopping else proc.returncode


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass

"""Code version recorded with every result row and used as the assets' code version."""
from __future__ import annotations

import functools
import subprocess
from importlib.metadata import PackageNotFoundError, version

from resources.home import REPO_ROOT


@functools.cache
def code_version() -> str:
    """``<package version>+g<git sha>`` (``-dirty`` when the tree has uncommitted changes)."""
    try:
        base = version("graphdistill")
    except PackageNotFoundError:
        base = "0+unknown"
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return base
    return f"{base}+g{sha}{'-dirty' if dirty else ''}"

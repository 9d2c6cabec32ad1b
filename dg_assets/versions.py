"""Code versions derived from the kernel sources an asset runs, so staleness is real.

Editing a kernel changes the version of every asset built on it; Dagster then marks those
partitions stale and the nightly schedules re-request them. Sources are hashed as text,
so computing a version imports nothing.
"""
import hashlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def source_version(*paths: str) -> str:
    """Short SHA-256 over the ``*.py`` files under ``paths`` (files or folders, repo-relative)."""
    digest = hashlib.sha256()
    for rel in paths:
        target = REPO_ROOT / rel
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for file in files:
            digest.update(str(file.relative_to(REPO_ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]

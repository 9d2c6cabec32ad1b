"""Place raw files from the data root where PyG's dataset classes expect them.

PyG classes look for ``<root>/<name>/raw/<file>`` and download when it is absent. Staging
copies verified raw files there, into a cache folder keyed by their content hash, so a
changed or corrupt raw file can never be served from an old ``processed/`` cache.
"""
from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path


class DatasetError(ValueError):
    """A dataset could not be loaded; the message names the dataset and the bad value."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path: Path) -> None:
    """Check ``path`` against a ``SHA256SUMS`` file beside it, when that file lists it."""
    sums = path.parent / "SHA256SUMS"
    if not sums.exists():
        return
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == path.name:
            actual = sha256_file(path)
            if actual != parts[0]:
                raise DatasetError(
                    f"raw file {str(path)!r} is corrupt: sha256 {actual[:16]}... does not match "
                    f"{parts[0][:16]}... listed in {str(sums)!r}"
                )
            return


def content_key(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()[:12]


def stage_files(sources: list[Path], raw_dir: Path) -> None:
    """Copy ``sources`` into ``raw_dir``; a zip is unpacked (its members land in ``raw_dir``)."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    for src in sources:
        if src.suffix == ".zip":
            try:
                with zipfile.ZipFile(src) as zf:
                    for member in zf.namelist():
                        if member.endswith("/"):
                            continue
                        with zf.open(member) as fin, open(raw_dir / Path(member).name, "wb") as fout:
                            shutil.copyfileobj(fin, fout)
            except zipfile.BadZipFile as err:
                raise DatasetError(f"raw file {str(src)!r} is not a valid zip archive: {err}") from err
        else:
            shutil.copyfile(src, raw_dir / src.name)

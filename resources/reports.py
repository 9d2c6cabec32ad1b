"""``ReportStore``: report figures as PNG files, written atomically under a local or fsspec root."""
from __future__ import annotations

import base64
import uuid

from dagster import ConfigurableResource, MetadataValue
from upath import UPath


class ReportStore(ConfigurableResource):
    """PNG figures under ``root``: a local folder or an fsspec URL such as ``s3://bucket/reports``."""

    root: str

    def write_png(self, name: str, png: bytes, folder: str = "") -> dict[str, MetadataValue]:
        """Write ``<root>/<folder>/<name>.png``; returns metadata ``<name>_png`` (its path) and
        ``<name>_plot`` (an inline preview the UI renders)."""
        path = UPath(self.root).joinpath(*filter(None, folder.split("/")), f"{name}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
        staging.write_bytes(png)
        staging.rename(path)
        inline = base64.b64encode(png).decode()
        return {f"{name}_png": MetadataValue.path(str(path)),
                f"{name}_plot": MetadataValue.md(f"![{name}](data:image/png;base64,{inline})")}

"""``ReportStore``: report figures as PNG files beside the artifacts, written atomically."""
from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

from dagster import ConfigurableResource, MetadataValue


class ReportStore(ConfigurableResource):
    root: str

    def write_png(self, name: str, png: bytes) -> dict[str, MetadataValue]:
        """Write ``<root>/<name>.png``; returns metadata: its path and an inline preview."""
        path = Path(self.root) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
        staging.write_bytes(png)
        os.replace(staging, path)
        inline = base64.b64encode(png).decode()
        return {f"{name}_png": MetadataValue.path(str(path)),
                f"{name}_plot": MetadataValue.md(f"![{name}](data:image/png;base64,{inline})")}

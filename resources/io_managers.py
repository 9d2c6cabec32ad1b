"""IO managers: graphs as Parquet tables, models and tensors as safe ``torch.save`` files.

Every path comes from one ``_get_path`` (asset key + partition), and every write goes to a
temporary name first and is renamed into place, so a killed run never leaves a half
written artifact where a reader would find it.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from dagster import ConfigurableIOManager, InputContext, MultiPartitionKey, OutputContext


class ArtifactError(RuntimeError):
    """A stored artifact is missing or unreadable; the message names the path."""


class _PathIOManager(ConfigurableIOManager):
    root: str

    def _get_path(self, context: InputContext | OutputContext) -> Path:
        path = Path(self.root).joinpath(*context.asset_key.path)
        if context.has_asset_partitions:
            key = context.asset_partition_key
            if isinstance(key, MultiPartitionKey):
                # Dimension order is fixed (sorted names), e.g. dataset/setting.
                return path.joinpath(*(key.keys_by_dimension[d] for d in sorted(key.keys_by_dimension)))
            return path / key
        return path

    @staticmethod
    def _staging(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")


class GraphTableIOManager(_PathIOManager):
    """Stores a PyG ``Data`` node-classification graph as ``nodes.parquet`` + ``edges.parquet``."""

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        import pyarrow.parquet as pq

        from resources.graph_tables import graph_to_tables

        path = self._get_path(context)
        staging = self._staging(path)
        staging.mkdir()
        try:
            nodes, edges = graph_to_tables(obj)
            pq.write_table(nodes, staging / "nodes.parquet", compression="zstd")
            pq.write_table(edges, staging / "edges.parquet", compression="zstd")
            old = path.with_name(f".{path.name}.old-{uuid.uuid4().hex[:8]}")
            if path.exists():
                path.rename(old)
            staging.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        context.add_output_metadata({"path": str(path)})

    def load_input(self, context: InputContext) -> Any:
        import pyarrow.parquet as pq

        from resources.graph_tables import tables_to_graph

        path = self._get_path(context)
        try:
            return tables_to_graph(pq.read_table(path / "nodes.parquet"), pq.read_table(path / "edges.parquet"))
        except (OSError, KeyError, ValueError) as err:
            raise ArtifactError(f"graph artifact {str(path)!r} is missing or corrupt ({err}); "
                                f"rematerialize {context.asset_key.to_user_string()}") from err


class TensorIOManager(_PathIOManager):
    """Stores kernel objects with ``to_payload()`` (tensors and primitives only) via ``torch.save``.

    Loading uses ``torch.load(weights_only=True)``, which refuses arbitrary pickles, and
    rebuilds the object with its class's ``from_payload``; only classes from ``kernels``
    are rebuilt, so a stored type name cannot import anything else.
    """

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        import torch

        path = self._get_path(context).with_suffix(".pt")
        staging = self._staging(path)
        try:
            kind = f"{type(obj).__module__}:{type(obj).__qualname__}"
            torch.save({"type": kind, "payload": obj.to_payload()}, staging)
            os.replace(staging, path)
        finally:
            staging.unlink(missing_ok=True)
        context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size})

    def load_input(self, context: InputContext) -> Any:
        import torch

        path = self._get_path(context).with_suffix(".pt")
        try:
            payload = torch.load(path, weights_only=True, map_location="cpu")
        except Exception as err:  # torch raises many types for truncated or foreign files
            raise ArtifactError(f"artifact {str(path)!r} is missing or corrupt ({type(err).__name__}: "
                                f"{err}); rematerialize {context.asset_key.to_user_string()}") from err
        return _rebuild(payload, path)


def _rebuild(stored: dict[str, Any], path: Path) -> Any:
    import importlib

    module, _, name = str(stored.get("type", "")).partition(":")
    if not module.startswith("kernels.") or "payload" not in stored:
        raise ArtifactError(f"artifact {str(path)!r} holds an unexpected type {stored.get('type')!r}")
    return getattr(importlib.import_module(module), name).from_payload(stored["payload"])

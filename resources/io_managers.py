"""IO managers: graphs as Parquet tables, models and tensors as safe ``torch.save`` files.

``root`` is a local folder or any fsspec URL (``s3://bucket/prefix``, ``gs://...``,
``memory://...``), so artifacts move to object storage by config alone (``universal_pathlib``
gives one path type for both). Every path comes from one ``_get_path`` (asset key +
partition). Every file is written under a temporary name and then moved into place, so a
killed run never leaves a half-written file where a reader would find it; the two tables of
a graph carry the same write id, so a pair torn by a kill between the two moves is refused
on read instead of being mixed.
"""
from __future__ import annotations

import uuid
from typing import Any

from dagster import ConfigurableIOManager, InputContext, MultiPartitionKey, OutputContext
from upath import UPath

WRITE_ID = b"graphdistill.write_id"


class ArtifactError(RuntimeError):
    """A stored artifact is missing or unreadable; the message names the path."""


class _PathIOManager(ConfigurableIOManager):
    root: str

    def _get_path(self, context: InputContext | OutputContext) -> UPath:
        path = UPath(self.root).joinpath(*context.asset_key.path)
        if context.has_asset_partitions:
            key = context.asset_partition_key
            if isinstance(key, MultiPartitionKey):
                # Dimension order is fixed (sorted names), e.g. dataset/setting.
                return path.joinpath(*(key.keys_by_dimension[d] for d in sorted(key.keys_by_dimension)))
            return path / key
        return path

    @staticmethod
    def _publish(path: UPath, write: Any) -> None:
        """``write(file)`` into a temporary sibling of ``path``, then move it onto ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
        try:
            with staging.open("wb") as file:
                write(file)
            staging.rename(path)
        finally:
            if staging.exists():
                staging.unlink()


class GraphTableIOManager(_PathIOManager):
    """Stores a PyG ``Data`` node-classification graph as ``nodes.parquet`` + ``edges.parquet``."""

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        import pyarrow.parquet as pq

        from resources.graph_tables import graph_to_tables

        path = self._get_path(context)
        write_id = uuid.uuid4().hex.encode()
        for name, table in zip(("nodes", "edges"), graph_to_tables(obj)):
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), WRITE_ID: write_id})
            self._publish(path / f"{name}.parquet", lambda file, t=table: pq.write_table(t, file, compression="zstd"))
        context.add_output_metadata({"path": str(path)})

    def load_input(self, context: InputContext) -> Any:
        import pyarrow.parquet as pq

        from resources.graph_tables import tables_to_graph

        path = self._get_path(context)
        try:
            tables = []
            for name in ("nodes", "edges"):
                with (path / f"{name}.parquet").open("rb") as file:
                    tables.append(pq.read_table(file))
            ids = {(t.schema.metadata or {}).get(WRITE_ID) for t in tables}
            if len(ids) != 1:
                raise ValueError("nodes and edges come from different writes")
            return tables_to_graph(*tables)
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
        stored = {"type": f"{type(obj).__module__}:{type(obj).__qualname__}", "payload": obj.to_payload()}
        self._publish(path, lambda file: torch.save(stored, file))
        context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size})

    def load_input(self, context: InputContext) -> Any:
        import torch

        path = self._get_path(context).with_suffix(".pt")
        try:
            with path.open("rb") as file:
                payload = torch.load(file, weights_only=True, map_location="cpu")
        except Exception as err:  # torch raises many types for truncated or foreign files
            raise ArtifactError(f"artifact {str(path)!r} is missing or corrupt ({type(err).__name__}: "
                                f"{err}); rematerialize {context.asset_key.to_user_string()}") from err
        return _rebuild(payload, path)


def _rebuild(stored: dict[str, Any], path: UPath) -> Any:
    import importlib

    module, _, name = str(stored.get("type", "")).partition(":")
    if not module.startswith("kernels.") or "payload" not in stored:
        raise ArtifactError(f"artifact {str(path)!r} holds an unexpected type {stored.get('type')!r}")
    return getattr(importlib.import_module(module), name).from_payload(stored["payload"])

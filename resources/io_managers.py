"""IO managers: graphs as Parquet tables, models and tensors as safe ``torch.save`` files.

``root`` is a local folder or any fsspec URL (``s3://bucket/prefix``, ``gs://...``,
``memory://...``), so artifacts move to object storage by config alone (``universal_pathlib``
gives one path type for both). Every path comes from one ``path_for`` (asset key +
the whole partition key; extensions are appended, never swapped for a "suffix", because
setting names contain dots). Every artifact records the asset and partition it belongs to,
and loading refuses one recorded for another, so two keys can never silently share a file.
Every file is written under a temporary name and then moved into place, so a
killed run never leaves a half-written file where a reader would find it; the two tables of
a graph carry the same write id, so a pair torn by a kill between the two moves is refused
on read instead of being mixed.
"""
from __future__ import annotations

import json
import uuid
from pathlib import PurePosixPath
from typing import Any

from dagster import (
    AssetKey,
    ConfigurableIOManager,
    DagsterInvariantViolationError,
    InputContext,
    OutputContext,
)
from upath import UPath

WRITE_ID = b"graphdistill.write_id"
OWNER = b"graphdistill.owner"


class ArtifactError(RuntimeError):
    """A stored artifact is missing or unreadable; the message names the path."""


class _PathIOManager(ConfigurableIOManager):
    root: str

    def path_for(self, asset_key: AssetKey, partition_key: str | None) -> UPath:
        """``<root>/<asset key>/<partition key>``: every dimension of the key is one path part,
        kept whole (setting names contain dots: ``clustgdd-r0.5``)."""
        path = UPath(self.root).joinpath(*asset_key.path)
        return path if partition_key is None else path.joinpath(*_key_parts(partition_key))

    def artifact_path(self, context: InputContext | OutputContext) -> UPath:
        """Where the artifact of ``context``'s asset and partition lives."""
        return self.path_for(context.asset_key, context.asset_partition_key if context.has_asset_partitions else None)

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


def _key_parts(key: str) -> list[str]:
    """``cora|gcn`` -> ``["cora", "gcn"]``: the dataset is a folder, the setting a file name."""
    return key.split("|")


def _partition_parts(context: InputContext | OutputContext) -> list[str]:
    return _key_parts(context.asset_partition_key)


def owner_record(context: InputContext | OutputContext) -> dict[str, str]:
    """The asset and partition an artifact belongs to, stored inside it and checked on load."""
    return {"asset": context.asset_key.to_user_string(),
            "partition": str(context.asset_partition_key) if context.has_asset_partitions else ""}


def check_owner(recorded: dict[str, str] | None, context: InputContext, path: UPath,
                owners: list[str]) -> None:
    """Refuse an artifact that records another asset or partition than the one requested.

    An artifact from before owners were recorded has none; it is trusted only where the
    requested partition is the only one of ``owners``, the partitions that earlier versions
    stored at ``path``.
    """
    wanted = owner_record(context)
    if recorded is None:
        if owners != [wanted["partition"]]:
            raise ArtifactError(
                f"artifact {str(path)!r} was written by an earlier graphdistill that did not record its "
                f"partition, and partitions {owners} of {wanted['asset']} all wrote that file; it cannot be "
                f"trusted for {wanted['partition']!r}: rematerialize {wanted['asset']} partition "
                f"{wanted['partition']!r}")
    elif recorded != wanted:
        raise ArtifactError(
            f"artifact {str(path)!r} belongs to {recorded.get('asset')!r} partition {recorded.get('partition')!r}, "
            f"not to the requested {wanted['asset']!r} partition {wanted['partition']!r}; rematerialize "
            f"{wanted['asset']} partition {wanted['partition']!r}")


def legacy_name(key: str) -> str:
    """The file name earlier versions gave a ``.pt`` artifact: ``Path.with_suffix`` cut the key
    at its last dot, so ``clustgdd-r0.25`` and ``clustgdd-r0.5`` both became ``clustgdd-r0.pt``."""
    return PurePosixPath(key).with_suffix(".pt").name


def legacy_owners(context: InputContext, name: str) -> list[str]:
    """The partitions of the requested asset that earlier versions stored as ``name`` in the
    requested partition's folder. An unpartitioned asset is its folder's only owner."""
    if not context.has_asset_partitions:
        return [""]
    try:
        keys = context.asset_partitions_def.get_partition_keys()
    except DagsterInvariantViolationError:  # a context built without its asset's definition
        keys = [context.asset_partition_key]
    folder = _partition_parts(context)[:-1]
    return sorted({str(key) for key in keys
                   if (parts := _key_parts(key))[:-1] == folder and legacy_name(parts[-1]) == name})


class GraphTableIOManager(_PathIOManager):
    """Stores a PyG ``Data`` node-classification graph as ``nodes.parquet`` + ``edges.parquet``."""

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        import pyarrow.parquet as pq

        from resources.graph_tables import graph_to_tables

        path = self.artifact_path(context)
        write_id = uuid.uuid4().hex.encode()
        owner = json.dumps(owner_record(context)).encode()
        for name, table in zip(("nodes", "edges"), graph_to_tables(obj)):
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), WRITE_ID: write_id,
                                                   OWNER: owner})
            self._publish(path / f"{name}.parquet", lambda file, t=table: pq.write_table(t, file, compression="zstd"))
        context.add_output_metadata({"path": str(path)})

    def load_input(self, context: InputContext) -> Any:
        import pyarrow.parquet as pq

        from resources.graph_tables import tables_to_graph

        path = self.artifact_path(context)
        try:
            tables = []
            for name in ("nodes", "edges"):
                with (path / f"{name}.parquet").open("rb") as file:
                    tables.append(pq.read_table(file))
            ids = {(t.schema.metadata or {}).get(WRITE_ID) for t in tables}
            if len(ids) != 1:
                raise ValueError("nodes and edges come from different writes")
            owner = (tables[0].schema.metadata or {}).get(OWNER)
            recorded = json.loads(owner) if owner is not None else None
        except (OSError, KeyError, ValueError) as err:
            raise ArtifactError(f"graph artifact {str(path)!r} is missing or corrupt ({err}); "
                                f"rematerialize {context.asset_key.to_user_string()}") from err
        # A graph's folder has always been named by its whole key, so an unrecorded one is its own.
        check_owner(recorded, context, path, [owner_record(context)["partition"]])
        return tables_to_graph(*tables)


class TensorIOManager(_PathIOManager):
    """Stores kernel objects with ``to_payload()`` (tensors and primitives only) via ``torch.save``.

    Loading uses ``torch.load(weights_only=True)``, which refuses arbitrary pickles, and
    rebuilds the object with its class's ``from_payload``; only classes from ``kernels``
    are rebuilt, so a stored type name cannot import anything else.
    """

    def path_for(self, asset_key: AssetKey, partition_key: str | None) -> UPath:
        """``<asset>/<dataset>/<setting>.pt``: the extension is appended, never swapped for the
        key's "suffix" (``clustgdd-r0.5`` must not become ``clustgdd-r0.pt``)."""
        path = super().path_for(asset_key, partition_key)
        return path.with_name(path.name + ".pt")

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        import torch

        path = self.artifact_path(context)
        stored = {"type": f"{type(obj).__module__}:{type(obj).__qualname__}", "payload": obj.to_payload(),
                  "owner": owner_record(context)}
        self._publish(path, lambda file: torch.save(stored, file))
        context.add_output_metadata({"path": str(path), "bytes": path.stat().st_size})

    def load_input(self, context: InputContext) -> Any:
        if context.has_asset_partitions and len(context.asset_partition_keys) != 1:
            return self._load_partitions(context)
        path = self.artifact_path(context)
        if not path.exists():
            self._adopt_legacy_file(context, path)
        stored = _read_pt(path, context)
        check_owner(stored.get("owner"), context, path, legacy_owners(context, path.name))
        return _rebuild(stored, path)

    def _load_partitions(self, context: InputContext) -> dict[str, Any] | None:
        """An input mapped to no partition (a teacher trained on the real graph reads no
        condensed graph) is ``None``; one mapped to several is a dict by partition key (an
        unlearned model beside its retrained reference). Each artifact must record its owner."""
        if not context.asset_partition_keys:
            return None
        loaded = {}
        for key in sorted(context.asset_partition_keys):
            path = self.path_for(context.asset_key, key)
            stored = _read_pt(path, context)
            wanted = {"asset": context.asset_key.to_user_string(), "partition": key}
            if stored.get("owner") != wanted:
                raise ArtifactError(f"artifact {str(path)!r} records owner {stored.get('owner')}, not {wanted}; "
                                    f"rematerialize {wanted['asset']} partition {key!r}")
            loaded[key] = _rebuild(stored, path)
        return loaded

    def _adopt_legacy_file(self, context: InputContext, path: UPath) -> None:
        """Move a file an earlier version wrote under a truncated name to ``path``, recording
        its owner, when the requested partition is the only one that could have written it;
        otherwise say why the file is not used."""
        if not context.has_asset_partitions:
            return
        legacy = path.with_name(legacy_name(_partition_parts(context)[-1]))
        if legacy == path or not legacy.exists():
            return
        owners = legacy_owners(context, legacy.name)
        if owners != [str(context.asset_partition_key)]:
            raise ArtifactError(
                f"no artifact at {str(path)!r}; {str(legacy)!r} was written by an earlier graphdistill under a "
                f"truncated name shared by partitions {owners} and cannot be trusted: rematerialize "
                f"{context.asset_key.to_user_string()} partition {str(context.asset_partition_key)!r}")
        import torch

        stored = {**_read_pt(legacy, context), "owner": owner_record(context)}
        self._publish(path, lambda file: torch.save(stored, file))
        legacy.unlink()
        context.log.info(f"moved {str(legacy)!r} (an earlier version's name) to {str(path)!r}")


def _read_pt(path: UPath, context: InputContext) -> dict[str, Any]:
    import torch

    try:
        with path.open("rb") as file:
            stored = torch.load(file, weights_only=True, map_location="cpu")
    except Exception as err:  # torch raises many types for truncated or foreign files
        raise ArtifactError(f"artifact {str(path)!r} is missing or corrupt ({type(err).__name__}: "
                            f"{err}); rematerialize {context.asset_key.to_user_string()}") from err
    if not isinstance(stored, dict):
        raise ArtifactError(f"artifact {str(path)!r} holds {type(stored).__name__}, not a graphdistill artifact; "
                            f"rematerialize {context.asset_key.to_user_string()}")
    return stored


def _rebuild(stored: dict[str, Any], path: UPath) -> Any:
    import importlib

    module, _, name = str(stored.get("type", "")).partition(":")
    if not module.startswith("kernels.") or "payload" not in stored:
        raise ArtifactError(f"artifact {str(path)!r} holds an unexpected type {stored.get('type')!r}")
    return getattr(importlib.import_module(module), name).from_payload(stored["payload"])

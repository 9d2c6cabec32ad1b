from pathlib import Path

import pytest
import torch
from dagster import AssetKey, build_input_context, build_output_context

from kernels.evaluate import TrainConfig, train_node_classifier
from resources.graph_tables import graph_to_tables, tables_to_graph
from resources.io_managers import ArtifactError, GraphTableIOManager, TensorIOManager
from resources.warehouse import DuckDBWarehouse


def test_graph_tables_round_trip(small_graph):
    back = tables_to_graph(*graph_to_tables(small_graph))
    for key in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(back[key], small_graph[key]), key


def _dataset_input(key: str):
    """The input context of a step reading partition ``key`` of the ``dataset`` asset."""
    asset = AssetKey("dataset")
    return build_input_context(asset_key=asset, partition_key=key,
                               upstream_output=build_output_context(asset_key=asset, partition_key=key))


def _contexts(key: str = "cora"):
    asset = AssetKey("teacher")
    out = build_output_context(asset_key=asset, partition_key=key)
    inp = build_input_context(asset_key=asset, partition_key=key,
                              upstream_output=build_output_context(asset_key=asset, partition_key=key))
    return out, inp


def test_tensor_io_manager_round_trips_a_trained_model(tmp_path, small_graph):
    trained = train_node_classifier("gcn", {"hidden": 8}, small_graph, TrainConfig(epochs=3), seed=0)
    manager = TensorIOManager(root=str(tmp_path))
    out, inp = _contexts()
    manager.handle_output(out, trained)
    assert [p.name for p in (tmp_path / "teacher").iterdir()] == ["cora.pt"]  # no temp file left
    loaded = manager.load_input(inp)
    assert torch.equal(loaded.logits, trained.logits) and loaded.metrics == trained.metrics


def test_corrupt_artifact_is_refused_with_its_path(tmp_path):
    (tmp_path / "teacher").mkdir()
    (tmp_path / "teacher" / "cora.pt").write_bytes(b"\x80\x04truncated")
    _, inp = _contexts()
    with pytest.raises(ArtifactError, match=r"cora\.pt.*rematerialize teacher"):
        TensorIOManager(root=str(tmp_path)).load_input(inp)


def test_graph_io_manager_replaces_atomically(tmp_path, small_graph):
    manager = GraphTableIOManager(root=str(tmp_path))
    asset = AssetKey("dataset")
    for _ in range(2):
        manager.handle_output(build_output_context(asset_key=asset, partition_key="sbm"), small_graph)
    assert sorted(p.name for p in (tmp_path / "dataset").iterdir()) == ["sbm"]
    assert sorted(p.name for p in (tmp_path / "dataset" / "sbm").iterdir()) == ["edges.parquet", "nodes.parquet"]


def test_warehouse_rewrites_a_partition_without_duplicates(tmp_path):
    warehouse = DuckDBWarehouse(path=str(Path(tmp_path) / "w.duckdb"))
    row = {"dataset": "cora", "setting": "gcn", "method": "gcn", "metric": "test_acc", "value": 0.8, "seed": 0}
    warehouse.replace_results("teacher_report", "cora|gcn", [row])
    warehouse.replace_results("teacher_report", "cora|gcn", [row | {"value": 0.81}])
    warehouse.replace_results("teacher_report", "citeseer|gcn", [row | {"dataset": "citeseer", "value": 0.7}])
    board = warehouse.scoreboard()
    assert board.height == 2
    cora = board.filter(dataset="cora").row(0, named=True)
    assert cora["runs"] == 1 and abs(cora["mean"] - 0.81) < 1e-9


def test_student_settings_are_chosen_per_seed_on_validation_among_the_same_candidates(tmp_path):
    from resources.tables import students_chosen_markdown

    warehouse = DuckDBWarehouse(path=str(Path(tmp_path) / "w.duckdb"))

    def report(dataset: str, setting: str, method: str, runs: list[dict[str, float]]) -> None:
        rows = [{"dataset": dataset, "setting": setting, "method": method, "metric": metric, "value": value,
                 "seed": seed} for seed, run in enumerate(runs) for metric, value in run.items()]
        warehouse.replace_results("benchmark_students", f"{dataset}|{setting}", rows)

    # Seed 0: glnn-a wins on validation, glnn-b would on test; seed 1 the other way round.
    report("cora", "glnn-a", "glnn", [{"val_acc": 0.9, "test_acc": 0.6}, {"val_acc": 0.7, "test_acc": 0.9}])
    report("cora", "glnn-b", "glnn", [{"val_acc": 0.8, "test_acc": 0.9}, {"val_acc": 0.8, "test_acc": 0.7}])
    # Inductive rows are a mode of their own; one setting alone is no choice and is left out.
    report("cora", "glnn-ind", "glnn", [{"val_acc": 1.0, "test_acc": 1.0, "ind_test_acc": 1.0}])
    # glnn-c has seed 0 only, so photo's choice is made on seed 0 alone.
    report("photo", "glnn-a", "glnn", [{"val_acc": 0.5, "test_acc": 0.5}, {"val_acc": 0.9, "test_acc": 0.9}])
    report("photo", "glnn-c", "glnn", [{"val_acc": 0.6, "test_acc": 0.4}])

    chosen = {r["dataset"]: r for r in warehouse.students_chosen_on_validation("benchmark_students").to_dicts()}
    assert set(chosen) == {"cora", "photo"} and chosen["cora"]["mode"] == "transductive"
    assert chosen["cora"]["seeds"] == 2 and chosen["cora"]["mean"] == pytest.approx(0.65)
    assert chosen["cora"]["chosen"] == "glnn-a x1, glnn-b x1"
    assert chosen["photo"]["seeds"] == 1 and chosen["photo"]["mean"] == pytest.approx(0.4)
    table = students_chosen_markdown(chosen.values())
    assert "| cora | glnn | transductive | 65.00 ± 7.07 | – | 85.00 | 2 | glnn-a x1, glnn-b x1 |" in table


def test_artifacts_live_on_object_storage_by_config(small_graph):
    """An fsspec URL as root (``memory://`` standing in for ``s3://``) stores and loads both kinds."""
    import fsspec

    root = f"memory://graphdistill-{id(small_graph)}/artifacts"
    graphs = GraphTableIOManager(root=root)
    asset = AssetKey("dataset")
    graphs.handle_output(build_output_context(asset_key=asset, partition_key="sbm"), small_graph)
    loaded = graphs.load_input(_dataset_input("sbm"))
    assert torch.equal(loaded.x, small_graph.x) and torch.equal(loaded.edge_index, small_graph.edge_index)

    trained = train_node_classifier("mlp", {"hidden": 8}, small_graph, TrainConfig(epochs=2), seed=0)
    out, inp = _contexts()
    tensors = TensorIOManager(root=root)
    tensors.handle_output(out, trained)
    assert torch.equal(tensors.load_input(inp).logits, trained.logits)
    stored = fsspec.filesystem("memory").find(root.removeprefix("memory://"))
    assert sorted(p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1] for p in stored) == [
        "sbm/edges.parquet", "sbm/nodes.parquet", "teacher/cora.pt"]  # nothing staged left behind


def test_graph_tables_from_two_writes_are_refused(tmp_path, small_graph):
    """A kill between moving ``nodes`` and ``edges`` into place leaves a torn pair: refuse it."""
    import shutil

    manager = GraphTableIOManager(root=str(tmp_path))
    asset = AssetKey("dataset")
    manager.handle_output(build_output_context(asset_key=asset, partition_key="a"), small_graph)
    manager.handle_output(build_output_context(asset_key=asset, partition_key="b"), small_graph)
    shutil.copy(tmp_path / "dataset/a/nodes.parquet", tmp_path / "dataset/b/nodes.parquet")
    with pytest.raises(ArtifactError, match=r"dataset/b.*different writes"):
        manager.load_input(_dataset_input("b"))


def _condensed_contexts(setting: str, dataset: str = "cora"):
    from dg_assets.partitions import dataset_x_condensation

    asset, key = AssetKey("condensed_graph"), f"{dataset}|{setting}"
    out = build_output_context(asset_key=asset, partition_key=key)
    inp = build_input_context(asset_key=asset, partition_key=key, asset_partitions_def=dataset_x_condensation,
                              upstream_output=out)
    return out, inp


@pytest.fixture
def two_models(small_graph):
    return [train_node_classifier("mlp", {"hidden": 8}, small_graph, TrainConfig(epochs=2), seed=seed)
            for seed in (0, 1)]


def test_dotted_sibling_partitions_keep_their_own_file(tmp_path, two_models):
    manager = TensorIOManager(root=str(tmp_path))
    for setting, model in zip(("clustgdd-r0.25", "clustgdd-r0.5"), two_models):
        manager.handle_output(_condensed_contexts(setting)[0], model)
    assert sorted(p.name for p in (tmp_path / "condensed_graph/cora").iterdir()) == [
        "clustgdd-r0.25.pt", "clustgdd-r0.5.pt"]
    for setting, model in zip(("clustgdd-r0.25", "clustgdd-r0.5"), two_models):
        assert torch.equal(manager.load_input(_condensed_contexts(setting)[1]).logits, model.logits)


def test_an_artifact_recorded_for_another_partition_is_refused_naming_both(tmp_path, two_models):
    import shutil

    manager = TensorIOManager(root=str(tmp_path))
    manager.handle_output(_condensed_contexts("clustgdd-r0.25")[0], two_models[0])
    folder = tmp_path / "condensed_graph/cora"
    shutil.copy(folder / "clustgdd-r0.25.pt", folder / "clustgdd-r0.5.pt")
    with pytest.raises(ArtifactError, match=r"'cora\|clustgdd-r0.25', not to the requested "
                                            r"'condensed_graph' partition 'cora\|clustgdd-r0.5'"):
        manager.load_input(_condensed_contexts("clustgdd-r0.5")[1])


def _legacy_write(path: Path, model) -> None:
    """An artifact as earlier versions wrote it: no owner record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"type": f"{type(model).__module__}:{type(model).__qualname__}", "payload": model.to_payload()},
               path)


def test_a_truncated_name_shared_by_several_partitions_is_not_trusted(tmp_path, two_models):
    _legacy_write(tmp_path / "condensed_graph/cora/clustgdd-r0.pt", two_models[0])
    with pytest.raises(ArtifactError, match=r"clustgdd-r0\.pt.*shared by partitions .*cora\|clustgdd-r0\.25.*"
                                            r"cora\|clustgdd-r0\.5.*rematerialize condensed_graph partition "
                                            r"'cora\|clustgdd-r0\.5'"):
        TensorIOManager(root=str(tmp_path)).load_input(_condensed_contexts("clustgdd-r0.5")[1])


def test_a_truncated_name_with_one_owner_moves_to_the_whole_key(tmp_path, two_models):
    # Among the configured settings only random-r1.0 was stored as random-r1.pt.
    _legacy_write(tmp_path / "condensed_graph/cora/random-r1.pt", two_models[0])
    manager = TensorIOManager(root=str(tmp_path))
    loaded = manager.load_input(_condensed_contexts("random-r1.0")[1])
    assert torch.equal(loaded.logits, two_models[0].logits)
    assert [p.name for p in (tmp_path / "condensed_graph/cora").iterdir()] == ["random-r1.0.pt"]
    assert torch.load(tmp_path / "condensed_graph/cora/random-r1.0.pt", weights_only=True)["owner"] == {
        "asset": "condensed_graph", "partition": "cora|random-r1.0"}


def test_a_graph_table_recorded_for_another_dataset_is_refused(tmp_path, small_graph):
    import shutil

    manager = GraphTableIOManager(root=str(tmp_path))
    asset = AssetKey("dataset")
    manager.handle_output(build_output_context(asset_key=asset, partition_key="a"), small_graph)
    shutil.copytree(tmp_path / "dataset/a", tmp_path / "dataset/b")
    with pytest.raises(ArtifactError, match=r"belongs to 'dataset' partition 'a'.*requested 'dataset' partition 'b'"):
        manager.load_input(_dataset_input("b"))


def test_no_two_configured_partitions_share_an_artifact_path(tmp_path):
    """Every partition of every stored asset, over every key in settings.yaml, has a path of its own."""
    from definitions import defs

    managers = {"io_manager": TensorIOManager(root=str(tmp_path)),
                "graph_io_manager": GraphTableIOManager(root=str(tmp_path))}
    checked = 0
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.partitions_def is None:
            continue
        for asset in assets_def.keys:
            manager, paths = managers[assets_def.get_io_manager_key_for_asset_key(asset)], {}
            for key in assets_def.partitions_def.get_partition_keys():
                path = str(manager.path_for(asset, key))
                assert path not in paths, f"{asset.to_user_string()}: {key} and {paths[path]} share {path}"
                paths[path] = key
                checked += 1
    assert checked > 500

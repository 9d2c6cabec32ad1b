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
    loaded = graphs.load_input(build_input_context(asset_key=asset, partition_key="sbm",
                                                   upstream_output=build_output_context(asset_key=asset,
                                                                                        partition_key="sbm")))
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
    inp = build_input_context(asset_key=asset, partition_key="b",
                              upstream_output=build_output_context(asset_key=asset, partition_key="b"))
    with pytest.raises(ArtifactError, match=r"dataset/b.*different writes"):
        manager.load_input(inp)

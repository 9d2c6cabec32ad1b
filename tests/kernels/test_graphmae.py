import pytest
import torch
from torch_geometric.data import Data

from kernels.evaluate.train import TrainConfig, TrainedModel
from kernels.models import MODELS
from kernels.models.graphmae import GraphMAENetConfig
from kernels.pretrain import GraphMAEConfig, pretrain_graphmae, train_graphmae_teacher, train_pretrained_teacher
from kernels.pretrain import graphmae as graphmae_module

# Small enough for a few seconds on one core; the probe has room to pick an epoch.
NET = GraphMAENetConfig(hidden=8, heads=2)
FAST = {"epochs": 30, "lr": 0.01}
PROBE = TrainConfig(lr=0.01, weight_decay=1e-4, epochs=60, patience=60)


class LabelFree(Data):
    """Data that fails the test when anything reads its labels or split masks (``Data.y`` is
    a property returning None when absent, so it is overridden besides ``__getattr__``)."""

    @property
    def y(self):
        raise AssertionError("pretraining read data.y")

    def __getattr__(self, key):
        if key in ("y", "train_mask", "val_mask", "test_mask"):
            raise AssertionError(f"pretraining read data.{key}")
        return super().__getattr__(key)


def test_pretraining_lowers_the_reconstruction_error(small_graph, one_thread):
    cfg = GraphMAEConfig(**FAST | {"epochs": 60})
    losses = pretrain_graphmae(Data(x=small_graph.x, edge_index=small_graph.edge_index), NET, cfg).history["loss"]
    assert len(losses) == 60
    assert sum(losses[-10:]) < 0.8 * sum(losses[:10])


def test_pretraining_never_reads_labels(small_graph, one_thread):
    data = LabelFree(x=small_graph.x, edge_index=small_graph.edge_index)
    state = pretrain_graphmae(data, NET, GraphMAEConfig(**FAST | {"epochs": 2})).state_dict
    assert state and all(torch.isfinite(v).all() for v in state.values())


def test_teacher_pretrains_on_features_and_graph_only(small_graph, one_thread, monkeypatch):
    seen = []
    pretrain = graphmae_module.pretrain_graphmae

    def spy(data, net, cfg, **kwargs):
        seen.append(set(data.keys()))
        return pretrain(LabelFree(x=data.x, edge_index=data.edge_index), net, cfg, **kwargs)

    monkeypatch.setattr(graphmae_module, "pretrain_graphmae", spy)
    train_graphmae_teacher(small_graph, NET, GraphMAEConfig(**FAST | {"epochs": 2}), PROBE.model_copy(update={"epochs": 2}))
    assert seen == [{"x", "edge_index", "num_nodes"}]


@pytest.fixture
def teacher(small_graph) -> TrainedModel:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield train_pretrained_teacher("graphmae", NET.model_dump(), FAST, small_graph, PROBE, seed=0)
    torch.set_num_threads(threads)


def test_linear_probe_teacher_beats_chance(teacher, small_graph):
    assert teacher.model == "graphmae" and MODELS.get("graphmae").exposes_hidden
    assert teacher.logits.shape == (300, 3)
    assert teacher.metrics["val_acc"] > 0.6 and teacher.metrics["test_acc"] > 0.6  # chance: 1/3
    assert 1 <= teacher.metrics["best_epoch"] <= PROBE.epochs
    assert len(teacher.history["pretrain_loss"]) == FAST["epochs"]
    assert TrainConfig(**teacher.train) == PROBE  # what students read


def test_module_reproduces_the_stored_logits(teacher, small_graph):
    net = teacher.module()
    with torch.no_grad():
        logits, hidden = net(small_graph.x, small_graph.edge_index, return_hidden=True)
    assert torch.allclose(logits, teacher.logits, atol=1e-5)
    assert hidden.shape == (300, NET.embedding_dim)


def test_payload_round_trip_rebuilds_the_teacher(teacher, small_graph, tmp_path):
    torch.save(teacher.to_payload(), tmp_path / "teacher.pt")
    loaded = TrainedModel.from_payload(torch.load(tmp_path / "teacher.pt", weights_only=True))
    with torch.no_grad():
        logits = loaded.module()(small_graph.x, small_graph.edge_index)
    assert torch.allclose(logits, teacher.logits, atol=1e-5)
    assert loaded.metrics == teacher.metrics


def test_fine_tuning_starts_from_the_pretrained_encoder(small_graph, one_thread, monkeypatch):
    cfg = GraphMAEConfig(**FAST | {"fine_tune": True})
    loaded = {}
    load = graphmae_module.train_node_classifier

    def spy(*args, init_state=None, **kwargs):
        loaded.update(init_state)
        return load(*args, init_state=init_state, **kwargs)

    monkeypatch.setattr(graphmae_module, "train_node_classifier", spy)
    trained = train_graphmae_teacher(small_graph, NET, cfg, PROBE.model_copy(update={"epochs": 30}))
    assert loaded and all(k.startswith("encoder.") for k in loaded)
    assert trained.metrics["val_acc"] > 0.6
    with torch.no_grad():
        logits = trained.module()(small_graph.x, small_graph.edge_index)
    assert torch.allclose(logits, trained.logits, atol=1e-4)


@pytest.mark.parametrize(("field", "value"), [("mask_rate", 1.0), ("mask_rate", 0.0), ("gamma", 0.0),
                                              ("gamma", -1.0), ("replace_rate", 1.0)])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        GraphMAEConfig(**{field: value})


def test_unknown_field_is_refused():
    with pytest.raises(ValueError, match="mask_ratio"):
        GraphMAEConfig(mask_ratio=0.5)

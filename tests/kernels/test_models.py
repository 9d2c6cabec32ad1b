import pytest
import torch

from kernels.models import MODELS, build_model


@pytest.mark.parametrize("name", MODELS.names())
def test_every_model_maps_nodes_to_class_logits(name, small_graph):
    net = build_model(name, {}, in_dim=16, out_dim=3, seed=0)
    out = net(small_graph.x, small_graph.edge_index)
    assert out.shape == (300, 3) and torch.isfinite(out).all()


def test_seed_fixes_the_initialisation():
    a, b = build_model("gcn", {}, 8, 2, seed=1), build_model("gcn", {}, 8, 2, seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_unknown_model_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown model 'gin2'.*'gcn'"):
        build_model("gin2", {}, 8, 2)


def test_bad_hyperparameter_is_named():
    with pytest.raises(ValueError, match="dropout"):
        build_model("gcn", {"dropout": 1.5}, 8, 2)
    with pytest.raises(ValueError, match="hiden"):
        build_model("gcn", {"hiden": 16}, 8, 2)

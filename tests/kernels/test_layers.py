import pytest
import torch

from kernels.models import MODELS, build_model
from kernels.models.layers import hidden_representations

LAYERS = {"gcn": 2, "sage": 2, "gat": 2, "appnp": 3, "sgc": 1, "mlp": 2, "graphmae": 3}


def test_every_registered_model_has_an_expected_layer_count():
    assert set(LAYERS) == set(MODELS.names())


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_model_gives_its_logits_and_one_representation_per_later_layer(name, small_graph):
    net = build_model(name, {}, small_graph.num_features, 3, seed=0).eval()
    logits, hidden = hidden_representations(net, small_graph.x, small_graph.edge_index)
    with torch.no_grad():
        assert torch.allclose(logits, net(small_graph.x, small_graph.edge_index), atol=1e-5)
    assert len(hidden) == LAYERS[name] - 1
    assert all(h.size(0) == small_graph.num_nodes for h in hidden)


def test_a_gcn_hidden_layer_has_its_width_and_carries_gradients(small_graph):
    net = build_model("gcn", {"hidden": 16, "layers": 3}, small_graph.num_features, 3, seed=0)
    _, hidden = hidden_representations(net, small_graph.x, small_graph.edge_index)
    assert [h.size(1) for h in hidden] == [16, 16]
    hidden[-1].sum().backward()
    assert net.convs[0].lin.weight.grad is not None and net.convs[0].lin.weight.grad.abs().sum() > 0
    assert net.convs[-1].lin.weight.grad is None  # the last layer comes after the representation

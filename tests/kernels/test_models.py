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


@pytest.mark.parametrize("weighted", [False, True])
def test_sage_projecting_first_computes_pyg_graphsage(weighted, small_graph):
    """Our SAGE layers project before aggregating; the logits are PyG's GraphSAGE's, from the
    same state dict (stored teachers load into either), with and without edge weights,
    isolated nodes included."""
    from torch_geometric.nn.models import GraphSAGE
    from torch_geometric.utils import to_torch_csr_tensor

    x = torch.cat([small_graph.x, torch.randn(2, small_graph.num_features)])  # two isolated nodes
    n = x.size(0)
    weight = torch.rand(small_graph.edge_index.size(1)) if weighted else None
    adj = to_torch_csr_tensor(small_graph.edge_index.flip(0), weight, size=(n, n))
    ours = build_model("sage", {"hidden": 4}, x.size(1), 3, seed=0).eval()
    assert ours.convs[0].lin_l.in_channels > ours.convs[0].lin_l.out_channels  # the projecting path runs
    pyg = GraphSAGE(x.size(1), 4, 2, 3).eval()
    pyg.load_state_dict(ours.state_dict())
    assert torch.allclose(ours(x, adj), pyg(x, adj), atol=1e-5)

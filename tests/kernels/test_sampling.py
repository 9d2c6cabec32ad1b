import torch
from torch_geometric.loader import NeighborLoader

from kernels.evaluate.sampling import TorchNeighborSampler


def _loader(data, fanouts, batch_size=8):
    sampler = TorchNeighborSampler(data, num_neighbors=fanouts)
    return NeighborLoader(data, num_neighbors=fanouts, batch_size=batch_size, neighbor_sampler=sampler,
                          input_nodes=data.train_mask)


def test_sampled_edges_exist_and_respect_the_fanout(small_graph):
    edges = set(map(tuple, small_graph.edge_index.t().tolist()))
    batch = next(iter(_loader(small_graph, [3, 2])))
    src, dst = batch.n_id[batch.edge_index[0]], batch.n_id[batch.edge_index[1]]
    assert all((s, d) in edges for s, d in zip(src.tolist(), dst.tolist()))
    seeds = batch.edge_index[1] < batch.batch_size
    first_hop = batch.edge_index[:, seeds]
    assert torch.bincount(first_hop[1], minlength=batch.batch_size).max() <= 3
    assert small_graph.train_mask[batch.n_id[: batch.batch_size]].all()  # seeds come first


def test_large_fanout_returns_the_whole_in_neighbourhood(small_graph):
    batch = next(iter(_loader(small_graph, [1000])))
    seed = int(batch.n_id[0])
    expected = set(small_graph.edge_index[0, small_graph.edge_index[1] == seed].tolist())
    got = set(batch.n_id[batch.edge_index[0, batch.edge_index[1] == 0]].tolist())
    assert got == expected

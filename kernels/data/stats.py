"""Dataset statistics attached to the dataset asset as metadata."""
from __future__ import annotations

import hashlib

import torch
from torch_geometric.data import Data
from torch_geometric.utils import homophily

HASHED_FIELDS = ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask")


def content_hash(data: Data) -> str:
    """SHA-256 over the tensors that define the graph and its split (stable across runs)."""
    digest = hashlib.sha256()
    for key in HASHED_FIELDS:
        tensor = data[key].contiguous().cpu()
        digest.update(key.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def graph_summary(data: Data) -> dict[str, int | float | str]:
    """Sizes, split sizes, edge homophily and content hash of a node-classification graph."""
    return {
        "num_nodes": int(data.num_nodes),
        "num_edges": int(data.edge_index.size(1)),
        "num_features": int(data.x.size(1)),
        "num_classes": int(data.y.max()) + 1,
        "num_train": int(data.train_mask.sum()),
        "num_val": int(data.val_mask.sum()),
        "num_test": int(data.test_mask.sum()),
        "homophily": round(float(homophily(data.edge_index, data.y, method="edge")), 4),
        "content_hash": content_hash(data),
    }


def num_classes(data: Data) -> int:
    return int(torch.max(data.y)) + 1

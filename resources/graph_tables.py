"""A node-classification graph as two Arrow tables: ``nodes`` and ``edges``.

``nodes``: ``node_id``, ``label``, ``split`` (train/val/test/none) and ``features``
(a fixed-size list of float32); ``edges``: ``src``, ``dst`` (directed, both directions of
an undirected edge present). Parquet files of these tables open in polars, DuckDB or pandas.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from torch_geometric.data import Data

SPLITS = ("train", "val", "test")


def graph_to_tables(data: Data) -> tuple[pa.Table, pa.Table]:
    x = data.x.detach().cpu().numpy().astype(np.float32, copy=False)
    split = np.full(data.num_nodes, "none", dtype=object)
    for name in SPLITS:
        split[data[f"{name}_mask"].cpu().numpy()] = name
    features = pa.FixedSizeListArray.from_arrays(pa.array(x.reshape(-1)), x.shape[1])
    nodes = pa.table({
        "node_id": pa.array(np.arange(data.num_nodes, dtype=np.int64)),
        "label": pa.array(data.y.cpu().numpy().astype(np.int64)),
        "split": pa.array(split, type=pa.string()).dictionary_encode(),
        "features": features,
    })
    ei = data.edge_index.cpu().numpy()
    edges = pa.table({"src": pa.array(ei[0]), "dst": pa.array(ei[1])})
    return nodes, edges


def tables_to_graph(nodes: pa.Table, edges: pa.Table) -> Data:
    import torch
    from torch_geometric.data import Data

    order = np.argsort(nodes.column("node_id").to_numpy())
    features = nodes.column("features").combine_chunks()
    dim = features.type.list_size
    x = features.flatten().to_numpy().reshape(-1, dim)[order]
    split = nodes.column("split").cast(pa.string()).to_numpy(zero_copy_only=False)[order]
    data = Data(
        x=torch.from_numpy(np.ascontiguousarray(x)),
        y=torch.from_numpy(nodes.column("label").to_numpy()[order]),
        edge_index=torch.from_numpy(np.stack([edges.column("src").to_numpy(), edges.column("dst").to_numpy()])),
        num_nodes=nodes.num_rows,
    )
    for name in SPLITS:
        data[f"{name}_mask"] = torch.from_numpy(split == name)
    return data

"""Graph-classification datasets in the DGCNN text format (DD, COLLAB, REDDIT-BINARY copies).

Zhang et al., "An End-to-End Deep Learning Architecture for Graph Classification" (AAAI
2018) shipped the TU datasets as one text file each, and several graph-classification
repositories keep that copy: it is far smaller than the TU raw files for the large datasets.
The format: a line with the number of graphs, then per graph a line ``n label`` followed by
``n`` lines ``tag m nbr_1 ... nbr_m [attributes]`` (node tag, neighbour count, 0-based
neighbour ids within the graph). PyG reads only the TU raw layout, hence this parser.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import torch
from torch_geometric.data import Data


class DGCNNFormatError(ValueError):
    """The text does not follow the DGCNN layout; the message names the line."""


def parse_dgcnn(lines: list[str]) -> list[Data]:
    """Graphs with one-hot node tags as ``x``, ``edge_index`` as listed and ``y`` ``[1]``.

    Tags are used as given (0-based integers); the one-hot width is the largest tag plus one.
    Graph labels are renumbered ``0..C-1`` in sorted order, as TU labels (``1``/``2`` or
    ``-1``/``1``) are elsewhere. Trailing node attributes are not read.
    """
    def ints(at: int) -> list[int]:
        if at >= len(lines):
            raise DGCNNFormatError(f"line {at + 1}: the text ends before the graphs it announced")
        try:
            return [int(v) for v in lines[at].split()]
        except ValueError as err:
            raise DGCNNFormatError(f"line {at + 1}: expected integers, got {lines[at]!r}") from err

    count = ints(0)
    if len(count) != 1 or count[0] < 1:
        raise DGCNNFormatError(f"line 1: expected the number of graphs, got {lines[0]!r}")
    at, raw = 1, []
    for _ in range(count[0]):
        head = ints(at)
        if len(head) != 2:
            raise DGCNNFormatError(f"line {at + 1}: expected 'nodes label', got {lines[at]!r}")
        n, label = head
        tags, src, dst = [], [], []
        for v in range(n):
            row = ints(at + 1 + v)
            if len(row) < 2 or row[0] < 0 or len(row) < 2 + row[1] or any(not 0 <= u < n for u in row[2:2 + row[1]]):
                raise DGCNNFormatError(f"line {at + 2 + v}: expected a tag >= 0, m and m neighbour ids below {n}, "
                                       f"got {lines[at + 1 + v]!r}")
            tags.append(row[0])
            src += row[2:2 + row[1]]
            dst += [v] * row[1]
        raw.append((tags, src, dst, label))
        at += 1 + n
    width = max(max(tags) for tags, *_ in raw if tags) + 1
    classes = {label: c for c, label in enumerate(sorted({label for *_, label in raw}))}
    graphs = []
    for tags, src, dst, label in raw:
        node_label = torch.tensor(tags, dtype=torch.long)
        graphs.append(Data(x=torch.nn.functional.one_hot(node_label, width).float(),
                           edge_index=torch.tensor([src, dst], dtype=torch.long).view(2, -1),
                           y=torch.tensor([classes[label]]), num_nodes=len(tags)))
    return graphs


def read_dgcnn_zip(path: Path, name: str) -> list[Data]:
    """Parse member ``<name>/<name>.txt`` of the zip at ``path``."""
    member = f"{name}/{name}.txt"
    with zipfile.ZipFile(path) as archive:
        if member not in archive.namelist():
            raise DGCNNFormatError(f"{str(path)!r} has no member {member!r}")
        text = archive.read(member).decode()
    return parse_dgcnn(text.splitlines())

"""The GraphMAE inference network: a GAT encoder and a linear classification head.

GraphMAE (Hou et al., KDD 2022, https://arxiv.org/abs/2205.10803) pretrains the encoder
without labels (``kernels.pretrain.graphmae``); a teacher then classifies with a linear head
on its embeddings. The network lives here, in the model family, so that a stored teacher
rebuilds with ``build_model("graphmae", params, ...)`` wherever ``kernels.models`` is
imported, with no pretraining code loaded.

Adapted from the authors' DGL encoder (``graphmae/models/gat.py``): every layer, the last
included, is feature dropout, a multi-head ``GATConv`` whose heads are concatenated, then a
PReLU. Residual connections and normalisation are left out, as in their Cora configuration.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor, nn
from torch.nn import functional as F
from torch_geometric.nn import GATConv

from kernels.models.registry import register_model


class GraphMAENetConfig(BaseModel):
    """Architecture of the GraphMAE encoder (and so of its classifier).

    Args:
        hidden: channels per attention head; the embedding has ``hidden * heads`` columns
            (default: 128, the paper's Cora ``num_hidden`` 512 over 4 heads).
        heads: attention heads per encoder layer (default: 4).
        layers: encoder GAT layers (default: 2).
        dropout: feature dropout before every GAT layer (default: 0.2).
        attn_dropout: dropout on attention coefficients (default: 0.1).
        row_normalize: divide each node's features by their sum before the encoder, as the
            authors' data pipeline (DGL's citation graphs) hands them in; bag-of-words rows
            of different lengths then reach the attention on one scale (default: True).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    hidden: int = Field(128, gt=0)
    heads: int = Field(4, gt=0)
    layers: int = Field(2, ge=1)
    dropout: float = Field(0.2, ge=0, lt=1)
    attn_dropout: float = Field(0.1, ge=0, lt=1)
    row_normalize: bool = True

    @property
    def embedding_dim(self) -> int:
        return self.hidden * self.heads


def encoder_input(x: Tensor, cfg: GraphMAENetConfig) -> Tensor:
    """The features as the encoder reads them (row-normalised where ``cfg`` says so);
    pretraining masks and reconstructs these, so inference must feed the same."""
    return x / x.sum(-1, keepdim=True).clamp(min=1e-12) if cfg.row_normalize else x


class GATEncoder(nn.Module):
    """``layers`` of dropout -> ``GATConv`` (heads concatenated) -> PReLU.

    Returns node embeddings of shape ``[num_nodes, hidden * heads]``.
    """

    def __init__(self, in_dim: int, cfg: GraphMAENetConfig) -> None:
        super().__init__()
        self.dropout = cfg.dropout
        dims = [in_dim] + [cfg.embedding_dim] * cfg.layers
        self.convs = nn.ModuleList(GATConv(d, cfg.hidden, heads=cfg.heads, dropout=cfg.attn_dropout)
                                   for d in dims[:-1])
        self.acts = nn.ModuleList(nn.PReLU() for _ in range(cfg.layers))

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        for conv, act in zip(self.convs, self.acts):
            x = act(conv(F.dropout(x, self.dropout, self.training), edge_index))
        return x


class GraphMAEClassifier(nn.Module):
    """Encoder, then a linear head: ``(x, edge_index) -> logits``.

    ``return_hidden=True`` also returns the encoder's embeddings, the representation the
    head (a linear probe) reads and that representation-level students match.
    """

    def __init__(self, in_dim: int, out_dim: int, cfg: GraphMAENetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = GATEncoder(in_dim, cfg)
        self.head = nn.Linear(cfg.embedding_dim, out_dim)

    def forward(self, x: Tensor, edge_index: Tensor,
                return_hidden: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        hidden = self.encoder(encoder_input(x, self.cfg), edge_index)
        out = self.head(hidden)
        return (out, hidden) if return_hidden else out


@register_model("graphmae", GraphMAENetConfig, exposes_hidden=True, sparse_features=False)
def _graphmae(in_dim: int, out_dim: int, cfg: GraphMAENetConfig) -> nn.Module:
    return GraphMAEClassifier(in_dim, out_dim, cfg)

"""The model family: GCN, GraphSAGE, GAT, APPNP, SGC and MLP, each from PyG with a typed config.

Every model maps ``(x, edge_index) -> logits`` so training and evaluation loops never ask
which model they hold; ``uses_graph`` is read where the graph can be skipped, and
``exposes_hidden`` where a distillation loss reads the hidden representation as well, and
``sparse_features`` where bag-of-words features may be passed as a sparse tensor.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor, nn

from kernels.registry import Registry


class ModelConfig(BaseModel):
    """Shared knobs: ``hidden`` channels, number of ``layers`` and ``dropout``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hidden: int = Field(64, gt=0)
    layers: int = Field(2, ge=1)
    dropout: float = Field(0.5, ge=0, lt=1)


class GATConfig(ModelConfig):
    """GAT (Velickovic et al., 2018): ``hidden`` channels per head, ``heads`` heads."""

    hidden: int = Field(8, gt=0)
    heads: int = Field(8, gt=0)


class APPNPConfig(ModelConfig):
    """APPNP (Klicpera et al., 2019): MLP, then ``K`` steps of personalized PageRank."""

    K: int = Field(10, ge=1)
    alpha: float = Field(0.1, gt=0, lt=1)


class SGCConfig(BaseModel):
    """SGC (Wu et al., 2019): ``K``-hop propagation then one linear layer."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    K: int = Field(2, ge=1)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    config_cls: type[BaseModel]
    build: Callable[[int, int, Any], nn.Module]
    uses_graph: bool = True
    # forward(x, edge_index, return_hidden=True) -> (logits, penultimate representation)
    exposes_hidden: bool = False
    # x may be a sparse CSR tensor: SGConv would propagate one sparse-by-sparse (each hop
    # denser; memory grew by 7 MB per epoch on Cora)
    sparse_features: bool = True


MODELS: Registry[ModelSpec] = Registry("model")


def register_model(name: str, config_cls: type[BaseModel], *, uses_graph: bool = True,
                   exposes_hidden: bool = False, sparse_features: bool = True):
    return MODELS.register(name, lambda fn: ModelSpec(name, config_cls, fn, uses_graph, exposes_hidden,
                                                      sparse_features))


class GraphFree(nn.Module):
    """Adapts a feature-only module (PyG ``MLP``) to the ``(x, edge_index)`` signature.

    ``return_hidden=True`` also returns the representation before the output layer, which
    representation-level distillation (VQGraph) matches; a one-layer MLP has none but its input.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: Tensor, edge_index: Tensor, return_hidden: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        if not return_hidden:
            return self.module(x)
        out, hidden = self.module(x, return_emb=True)
        return out, x if hidden is None else hidden


class PropagatedMLP(nn.Module):
    """APPNP: predict with an MLP, then propagate the predictions."""

    def __init__(self, mlp: nn.Module, propagate: nn.Module) -> None:
        super().__init__()
        self.mlp, self.propagate = mlp, propagate

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        return self.propagate(self.mlp(x), edge_index)


@register_model("gcn", ModelConfig)
def _gcn(in_dim: int, out_dim: int, cfg: ModelConfig) -> nn.Module:
    from torch_geometric.nn.models import GCN

    return GCN(in_dim, cfg.hidden, cfg.layers, out_dim, dropout=cfg.dropout)


@register_model("sage", ModelConfig)
def _sage(in_dim: int, out_dim: int, cfg: ModelConfig) -> nn.Module:
    from kernels.models.sage import GraphSAGE

    return GraphSAGE(in_dim, cfg.hidden, cfg.layers, out_dim, dropout=cfg.dropout)


@register_model("gat", GATConfig)
def _gat(in_dim: int, out_dim: int, cfg: GATConfig) -> nn.Module:
    from torch_geometric.nn.models import GAT

    return GAT(in_dim, cfg.hidden * cfg.heads, cfg.layers, out_dim, dropout=cfg.dropout, heads=cfg.heads)


@register_model("appnp", APPNPConfig)
def _appnp(in_dim: int, out_dim: int, cfg: APPNPConfig) -> nn.Module:
    from torch_geometric.nn import APPNP
    from torch_geometric.nn.models import MLP

    channels = [in_dim] + [cfg.hidden] * (cfg.layers - 1) + [out_dim]
    mlp = MLP(channels, dropout=cfg.dropout, norm=None)
    return PropagatedMLP(mlp, APPNP(cfg.K, cfg.alpha))


@register_model("sgc", SGCConfig, sparse_features=False)
def _sgc(in_dim: int, out_dim: int, cfg: SGCConfig) -> nn.Module:
    from torch_geometric.nn import SGConv

    return SGConv(in_dim, out_dim, K=cfg.K)


@register_model("mlp", ModelConfig, uses_graph=False, exposes_hidden=True)
def _mlp(in_dim: int, out_dim: int, cfg: ModelConfig) -> nn.Module:
    from torch_geometric.nn.models import MLP

    channels = [in_dim] + [cfg.hidden] * (cfg.layers - 1) + [out_dim]
    return GraphFree(MLP(channels, dropout=cfg.dropout, norm=None))


def model_config(name: str, params: dict[str, Any]) -> BaseModel:
    """Validate ``params`` for model ``name``; errors name the model and the bad field."""
    return MODELS.config(name, params)


def build_model(name: str, params: dict[str, Any], in_dim: int, out_dim: int, seed: int | None = None) -> nn.Module:
    """Build model ``name`` with validated ``params``; ``seed`` fixes its initialisation."""
    cfg = model_config(name, params)
    if seed is not None:
        torch.manual_seed(seed)
    return MODELS.get(name).build(in_dim, out_dim, cfg)

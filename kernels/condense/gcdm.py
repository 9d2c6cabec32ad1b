"""GCDM: condensation by matching class-wise embedding distributions.

Liu et al., "Graph Condensation via Receptive Field Distribution Matching" (2022),
https://arxiv.org/abs/2206.13697.

Instead of gradients, GCDM compares where each class's nodes land in embedding space:
synthetic features (and optionally a generated structure) are learned so that, under
several randomly initialised GCNs, the mean embedding of each class on the synthetic
graph equals the mean over the real class's training nodes, layer by layer. Random
networks are enough because the objective needs a rich family of feature maps, not a
trained one, which makes it cheaper than gradient matching.

``structure="generator"`` learns GCond's structure generator alongside the features;
``"identity"`` keeps the condensed graph edgeless (the message passing then only sees
the self loops), a common cheap variant. The paper runs hundreds of epochs; the
defaults are CPU-sized.
"""
from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor
from torch_geometric.data import Data

from kernels.condense.graph import CondensedGraph
from kernels.condense.propagate import dense_normalized, normalized_adjacency
from kernels.condense.registry import CondenserConfig, register_condenser
from kernels.condense.synthetic import MatchingGCN, StructureGenerator, initial_nodes


class GCDMConfig(CondenserConfig):
    """GCDM hyperparameters.

    Args:
        epochs: optimisation steps of the synthetic graph (default: 100).
        random_inits: random GCNs drawn per step (default: 3).
        hidden, layers: shape of the random GCNs (default: 256, 2).
        lr_features, lr_structure: Adam learning rates (default: 0.01, 0.01).
        structure: ``generator`` or ``identity`` (default: generator).
        generator_hidden: hidden width of the structure generator (default: 128).
        edge_threshold: generated edge weights at or below it are dropped (default: 0.01).
    """

    epochs: int = Field(100, ge=1)
    random_inits: int = Field(3, ge=1)
    hidden: int = Field(256, gt=0)
    layers: int = Field(2, ge=1)
    lr_features: float = Field(0.01, gt=0)
    lr_structure: float = Field(0.01, gt=0)
    structure: Literal["generator", "identity"] = "generator"
    generator_hidden: int = Field(128, gt=0)
    edge_threshold: float = Field(0.01, ge=0, lt=1)


def class_means(h: Tensor, y: Tensor, mask: Tensor, num_classes: int) -> Tensor:
    """``[num_classes, d]`` mean of ``h`` over masked nodes of each class (zero if none)."""
    y = torch.where(mask, y, torch.full_like(y, num_classes))  # unmasked nodes go to a dropped bin
    sums = torch.zeros(num_classes + 1, h.size(1), device=h.device, dtype=h.dtype).index_add_(0, y, h)
    counts = torch.bincount(y, minlength=num_classes + 1).clamp(min=1).to(h.dtype)
    return (sums / counts[:, None])[:num_classes]


@register_condenser("gcdm", GCDMConfig)
def gcdm(data: Data, cfg: GCDMConfig, budgets: Tensor, *, device, log, teacher_logits=None) -> CondensedGraph:
    """Distribution matching under random GCNs; ``budgets.sum()`` synthetic nodes."""
    num_classes = budgets.numel()
    x_syn, y_syn = initial_nodes(data, budgets, cfg.seed)
    x_syn.requires_grad_(True)
    learned = [{"params": [x_syn], "lr": cfg.lr_features}]
    generator = None
    if cfg.structure == "generator":
        generator = StructureGenerator(data.num_features, cfg.generator_hidden).to(x_syn.device)
        learned.append({"params": generator.parameters(), "lr": cfg.lr_structure})
    opt = torch.optim.Adam(learned)
    n_syn = int(budgets.sum())

    def structure() -> Tensor:
        if generator is None:
            return torch.zeros(n_syn, n_syn, device=x_syn.device)
        return generator(x_syn)
    adj = normalized_adjacency(data.edge_index, data.num_nodes)
    present = torch.bincount(data.y[data.train_mask], minlength=num_classes) > 0
    syn_mask = torch.ones_like(y_syn, dtype=torch.bool)

    for epoch in range(1, cfg.epochs + 1):
        adj_syn = dense_normalized(structure())
        loss = x_syn.new_zeros(())
        for _ in range(cfg.random_inits):
            net = MatchingGCN(data.num_features, cfg.hidden, cfg.hidden, cfg.layers).to(x_syn.device)
            with torch.no_grad():
                real = [class_means(h, data.y, data.train_mask, num_classes)
                        for h in net.layer_outputs(data.x, adj)]
            for h_real, h in zip(real, net.layer_outputs(x_syn, adj_syn)):
                gap = h_real - class_means(h, y_syn, syn_mask, num_classes)
                loss = loss + gap[present].pow(2).sum()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"gcdm: matching loss became {loss.item()} at epoch {epoch}; "
                                     "lower lr_features / lr_structure")
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % 20 == 0 or epoch == cfg.epochs:
            log(f"gcdm epoch {epoch}: matching loss {loss.item():.4f}")
    with torch.no_grad():
        dense = structure()
    out = CondensedGraph.from_dense(x_syn, y_syn, dense, "gcdm", cfg.model_dump(), threshold=cfg.edge_threshold)
    out.stats = {"final_matching_loss": round(loss.item(), 5)}
    return out

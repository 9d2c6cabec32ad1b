"""GCond and DosCond: condensation by matching GNN gradients on real and synthetic graphs.

GCond: Jin et al., "Graph Condensation for Graph Neural Networks" (ICLR 2022),
https://arxiv.org/abs/2110.07580. DosCond: Jin et al., "Condensing Graphs via One-Step
Gradient Matching" (KDD 2022), https://arxiv.org/abs/2206.07746.

Synthetic features ``X'`` (initialised from real training nodes) and a structure
generator ``A' = g(X')`` are learned so that, class by class, the gradient a GCN's loss
produces on the synthetic graph points the same way as on the real graph. GCond repeats
this along a short training trajectory of each freshly initialised GCN (outer loops
match, inner loops train the GCN on the synthetic graph); DosCond matches only at
initialisation (one step, no GCN updates), which the paper shows is nearly as good and
far cheaper.

Defaults are CPU-sized. The papers run hundreds to thousands of epochs (GCond: up to
1000-2000 on Cora/Citeseer, outer loops 20, inner loops 10-15 depending on the dataset,
feature and generator learning rates 1e-4 with alternating feature/structure phases);
here features and generator are updated together each outer step, with larger learning
rates so a few dozen epochs move them.
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor
from torch_geometric.data import Data

from kernels.condense.graph import CondensedGraph
from kernels.condense.propagate import dense_normalized, normalized_adjacency
from kernels.condense.registry import CondenserConfig, register_condenser
from kernels.condense.synthetic import MatchingGCN, StructureGenerator, initial_nodes


class GradientMatchingConfig(CondenserConfig):
    """Knobs shared by GCond and DosCond.

    Args:
        epochs: freshly initialised GCNs matched, one after another (default: 50).
        hidden: GCN hidden channels (default: 256).
        lr_features, lr_structure: Adam learning rates of ``X'`` and the generator
            (default: 0.01, 0.01).
        generator_hidden: hidden width of the structure generator MLP (default: 128).
        edge_threshold: generated edge weights at or below it are dropped (default: 0.01).
    """

    epochs: int = Field(50, ge=1)
    hidden: int = Field(256, gt=0)
    lr_features: float = Field(0.01, gt=0)
    lr_structure: float = Field(0.01, gt=0)
    generator_hidden: int = Field(128, gt=0)
    edge_threshold: float = Field(0.01, ge=0, lt=1)


class GCondConfig(GradientMatchingConfig):
    """GCond: ``outer_loops`` matching steps per GCN, each followed by ``inner_loops`` GCN
    training steps at ``lr_model`` on the synthetic graph (default: 5, 1, 0.01)."""

    outer_loops: int = Field(5, ge=1)
    inner_loops: int = Field(1, ge=0)
    lr_model: float = Field(0.01, gt=0)


class DosCondConfig(GradientMatchingConfig):
    """DosCond: one matching step per GCN at initialisation and no GCN training."""

    outer_loops: Literal[1] = 1
    inner_loops: Literal[0] = 0


def gradient_distance(real: list[Tensor], synthetic: list[Tensor]) -> Tensor:
    """Sum over weight matrices and their output rows of ``1 - cos(real_row, synthetic_row)``.

    Row-wise cosine compares each output unit's gradient direction and ignores its
    scale, which differs between a graph of thousands of nodes and one of dozens.
    Bias gradients are left out, as in GCond.
    """
    total = real[0].new_zeros(())
    for gr, gs in zip(real, synthetic):
        if gr.dim() == 2:
            total = total + (1 - F.cosine_similarity(gr, gs, dim=1, eps=1e-6)).sum()
    return total


def _class_losses(out: Tensor, y: Tensor, mask: Tensor, num_classes: int) -> list[tuple[int, Tensor]]:
    return [(c, F.cross_entropy(out[mask & (y == c)], y[mask & (y == c)]))
            for c in range(num_classes) if (mask & (y == c)).any()]


def _match(data: Data, cfg: GCondConfig | DosCondConfig, budgets: Tensor, log, method: str) -> CondensedGraph:
    num_classes = budgets.numel()
    x_syn, y_syn = initial_nodes(data, budgets, cfg.seed)
    x_syn.requires_grad_(True)
    generator = StructureGenerator(data.num_features, cfg.generator_hidden).to(x_syn.device)
    opt_x = torch.optim.Adam([x_syn], lr=cfg.lr_features)
    opt_a = torch.optim.Adam(generator.parameters(), lr=cfg.lr_structure)
    adj = normalized_adjacency(data.edge_index, data.num_nodes)
    train_counts = torch.bincount(data.y[data.train_mask], minlength=num_classes).float()
    share = train_counts / train_counts.sum()  # larger classes weigh more, as in GCond
    syn_mask = torch.ones_like(y_syn, dtype=torch.bool)

    for epoch in range(1, cfg.epochs + 1):
        net = MatchingGCN(data.num_features, cfg.hidden, num_classes).to(x_syn.device)
        # Only GCond trains the GCN between matching steps (DosCond has no inner loops).
        opt_net = torch.optim.Adam(net.parameters(), lr=cfg.lr_model) if cfg.inner_loops else None
        params = list(net.parameters())
        for outer in range(1, cfg.outer_loops + 1):
            adj_syn = dense_normalized(generator(x_syn))
            real = _class_losses(net(data.x, adj), data.y, data.train_mask, num_classes)
            syn = dict(_class_losses(net(x_syn, adj_syn), y_syn, syn_mask, num_classes))
            loss = x_syn.new_zeros(())
            for c, loss_real in real:
                g_real = [g.detach() for g in torch.autograd.grad(loss_real, params, retain_graph=True)]
                g_syn = torch.autograd.grad(syn[c], params, create_graph=True)
                loss = loss + share[c] * gradient_distance(g_real, list(g_syn))
            if not torch.isfinite(loss):
                raise FloatingPointError(f"{method}: matching loss became {loss.item()} at epoch {epoch}, "
                                         f"outer loop {outer}; lower lr_features / lr_structure")
            opt_x.zero_grad()
            opt_a.zero_grad()
            loss.backward()
            opt_x.step()
            opt_a.step()
            if outer == cfg.outer_loops:
                break
            x_fixed, adj_fixed = x_syn.detach(), dense_normalized(generator(x_syn)).detach()
            for _ in range(cfg.inner_loops):
                opt_net.zero_grad()
                F.cross_entropy(net(x_fixed, adj_fixed), y_syn).backward()
                opt_net.step()
        if epoch % 10 == 0 or epoch == cfg.epochs:
            log(f"{method} epoch {epoch}: matching loss {loss.item():.4f}")
    with torch.no_grad():
        dense = generator(x_syn)
    out = CondensedGraph.from_dense(x_syn, y_syn, dense, method, cfg.model_dump(), threshold=cfg.edge_threshold)
    out.stats = {"final_matching_loss": round(loss.item(), 5)}
    return out


@register_condenser("gcond", GCondConfig)
def gcond(data: Data, cfg: GCondConfig, budgets: Tensor, *, device, log, teacher_logits=None) -> CondensedGraph:
    """Gradient matching along short GCN trajectories; ``budgets.sum()`` synthetic nodes."""
    return _match(data, cfg, budgets, log, "gcond")


@register_condenser("doscond", DosCondConfig)
def doscond(data: Data, cfg: DosCondConfig, budgets: Tensor, *, device, log, teacher_logits=None) -> CondensedGraph:
    """One-step gradient matching at GCN initialisation; ``budgets.sum()`` synthetic nodes."""
    return _match(data, cfg, budgets, log, "doscond")

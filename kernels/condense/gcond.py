"""GCond and DosCond: condensation by matching GNN gradients on real and synthetic graphs.

GCond: Jin et al., "Graph Condensation for Graph Neural Networks" (ICLR 2022),
https://arxiv.org/abs/2110.07580. DosCond: Jin et al., "Condensing Graphs via One-Step
Gradient Matching" (KDD 2022), https://arxiv.org/abs/2206.07746.

Synthetic features ``X'`` (initialised from real training nodes) and a structure
generator ``A' = g(X')`` are learned so that, class by class, the gradient a GNN's loss
produces on the synthetic graph points the same way as on the real graph. GCond repeats
this along a short training trajectory of each freshly initialised GNN (outer loops
match, inner loops train the GNN on the synthetic graph); DosCond matches only at
initialisation (one step, no GNN updates).

The matched GNN is SGC, ``softmax(Â^K X W + b)``, as GCond's own transductive runs use
(``--sgc=1``). Being linear, its per-class weight gradient has a closed form,
``Z_c^T (P_c - Y_c) / n_c`` with ``Z = Â^K X``, so the real side is one precomputed
``[#train, F]`` matrix and a matching step costs about as much on a CPU as a few small
matrix products; that is what makes hundreds of matching steps affordable without a GPU.
Learning rates are scaled to the features: Cora's rows sum to one (entries ~0.05), so
the 1e-2 of earlier defaults rewrote every feature within a few dozen Adam steps.
Defaults were chosen on Cora's validation accuracy (r=0.5) and take well under a minute
on one CPU thread; the papers' 600-1000 epochs at 1e-4 are a GPU budget.
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor
from torch_geometric.data import Data

from kernels.condense.graph import CondensedGraph
from kernels.condense.propagate import normalized_adjacency, sgc_features
from kernels.condense.registry import CondenserConfig, register_condenser
from kernels.condense.synthetic import SyntheticGraph


class GradientMatchingConfig(CondenserConfig):
    """Knobs shared by GCond and DosCond.

    Args:
        epochs: freshly initialised SGCs matched, one after another (default: 20).
        hops: propagation depth ``K`` of the matched SGC (default: 2).
        lr_features, lr_structure: Adam learning rates of ``X'`` and the generator
            (default: 1e-4, 1e-3).
        structure: learn a generated structure or keep the graph edgeless (GCond-X)
            (default: generator).
        generator_hidden: hidden width of the structure generator MLP (default: 128).
        edge_prior: initial weight of every generated edge (default: 0.01).
        edge_threshold: generated edge weights at or below it are dropped (default: 0.01).
    """

    epochs: int = Field(20, ge=1)
    hops: int = Field(2, ge=1)
    lr_features: float = Field(1e-4, gt=0)
    lr_structure: float = Field(1e-3, gt=0)
    structure: Literal["generator", "identity"] = "generator"
    generator_hidden: int = Field(128, gt=0)
    edge_prior: float = Field(0.01, gt=0, lt=1)
    edge_threshold: float = Field(0.01, ge=0, lt=1)


class GCondConfig(GradientMatchingConfig):
    """GCond: ``outer_loops`` matching steps per SGC, each followed by ``inner_loops`` SGC
    training steps at ``lr_model`` on the synthetic graph (default: 10, 5, 0.01)."""

    outer_loops: int = Field(10, ge=1)
    inner_loops: int = Field(5, ge=0)
    lr_model: float = Field(0.01, gt=0)


class DosCondConfig(GradientMatchingConfig):
    """DosCond: one matching step per SGC at initialisation and no SGC training.

    One step per SGC makes an epoch ten times cheaper than GCond's, so it runs more of
    them (default: 100 epochs) and starts sparser (default: ``edge_prior`` 0.001); both
    were picked on Cora's validation nodes.
    """

    epochs: int = Field(100, ge=1)
    edge_prior: float = Field(0.001, gt=0, lt=1)
    outer_loops: Literal[1] = 1
    inner_loops: Literal[0] = 0


def class_weight_gradients(z: Tensor, y: Tensor, weight: Tensor, bias: Tensor, num_classes: int) -> Tensor:
    """``[C, F, C]``: for each class ``c``, the gradient of the mean cross-entropy of
    ``softmax(z W + b)`` over the nodes of class ``c`` with respect to ``W`` (``[F, C]``).

    A class without nodes gets a zero gradient.
    """
    onehot = F.one_hot(y, num_classes).to(z.dtype)
    residual = torch.softmax(z @ weight + bias, dim=1) - onehot
    per_class = onehot / onehot.sum(0).clamp(min=1)  # [n, C]: averaging weights of each class
    return torch.matmul(z.t()[None], per_class.t()[:, :, None] * residual[None])


def gradient_distance(real: Tensor, synthetic: Tensor) -> Tensor:
    """Per class, the sum over output units of ``1 - cos(real, synthetic)``: ``[C]``.

    Each output unit's ``F``-dimensional weight gradient is compared by direction only,
    since its scale differs between thousands of real nodes and dozens of synthetic
    ones (GCond's distance, with rows taken as output units as in ``nn.Linear``).
    Comparing per input feature instead is dominated, on sparse bag-of-words features,
    by the many features a synthetic node lacks: each such row sits at distance 1 with an
    exploding gradient, and Adam then writes noise into every feature (Cora validation
    accuracy fell from 70% to 17% within 200 steps).
    """
    dot = (real * synthetic).sum(-2)
    norms = real.norm(dim=-2) * synthetic.norm(dim=-2)
    return (1 - dot / (norms + 1e-6)).sum(-1)


def _match(data: Data, cfg: GCondConfig | DosCondConfig, budgets: Tensor, log, method: str) -> CondensedGraph:
    num_classes = budgets.numel()
    syn = SyntheticGraph(data, budgets, cfg.seed, cfg.generator_hidden if cfg.structure == "generator" else None,
                         cfg.edge_prior)
    opt = syn.optimizer(cfg.lr_features, cfg.lr_structure)
    z_real = sgc_features(normalized_adjacency(data.edge_index, data.num_nodes), data.x, cfg.hops)[data.train_mask]
    y_real = data.y[data.train_mask]
    coeff = budgets.to(z_real) / budgets.max()  # larger classes weigh more, as in GCond
    init_range = num_classes**-0.5  # GCond's GraphConvolution init: U(±1/sqrt(out_features))

    for epoch in range(1, cfg.epochs + 1):
        weight = torch.empty(data.num_features, num_classes, device=z_real.device).uniform_(-init_range, init_range)
        bias = torch.zeros(num_classes, device=z_real.device)
        for outer in range(1, cfg.outer_loops + 1):
            g_real = class_weight_gradients(z_real, y_real, weight, bias, num_classes)
            g_syn = class_weight_gradients(syn.propagated(cfg.hops), syn.y, weight, bias, num_classes)
            loss = (coeff * gradient_distance(g_real, g_syn)).sum()
            if not torch.isfinite(loss):
                raise FloatingPointError(f"{method}: matching loss became {loss.item()} at epoch {epoch}, "
                                         f"outer loop {outer}; lower lr_features / lr_structure")
            opt.zero_grad()
            loss.backward()
            opt.step()
            if outer < cfg.outer_loops and cfg.inner_loops:
                weight, bias = _train_sgc(syn.propagated(cfg.hops).detach(), syn.y, weight, bias, cfg)
        if epoch % 50 == 0 or epoch == cfg.epochs:
            log(f"{method} epoch {epoch}: matching loss {loss.item():.4f}")
    out = syn.condensed(method, cfg.model_dump(), cfg.edge_threshold)
    out.stats = {"final_matching_loss": round(loss.item(), 5)}
    return out


def _train_sgc(z: Tensor, y: Tensor, weight: Tensor, bias: Tensor, cfg: GCondConfig) -> tuple[Tensor, Tensor]:
    """GCond's inner loop: a few Adam steps of the SGC on the (fixed) synthetic graph."""
    weight, bias = weight.detach().requires_grad_(True), bias.detach().requires_grad_(True)
    opt = torch.optim.Adam([weight, bias], lr=cfg.lr_model)
    for _ in range(cfg.inner_loops):
        opt.zero_grad()
        F.cross_entropy(z @ weight + bias, y).backward()
        opt.step()
    return weight.detach(), bias.detach()


@register_condenser("gcond", GCondConfig)
def gcond(data: Data, cfg: GCondConfig, budgets: Tensor, *, device, log, teacher_logits=None) -> CondensedGraph:
    """Gradient matching along short SGC trajectories; ``budgets.sum()`` synthetic nodes."""
    return _match(data, cfg, budgets, log, "gcond")


@register_condenser("doscond", DosCondConfig)
def doscond(data: Data, cfg: DosCondConfig, budgets: Tensor, *, device, log, teacher_logits=None) -> CondensedGraph:
    """One-step gradient matching at SGC initialisation; ``budgets.sum()`` synthetic nodes."""
    return _match(data, cfg, budgets, log, "doscond")

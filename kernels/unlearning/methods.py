"""The unlearning family: one registry entry per method, one signature, one selection rule.

Every method turns a trained teacher and a deletion request into a model of the teacher's
architecture whose ``logits`` are its predictions on the retained graph. ``retrain`` is
exact unlearning (the reference every approximate method is measured against); the others
start from what the teacher learnt (its weights, or for ``d2dgn`` its predictions) and pay
a few dozen epochs instead of a full training run.
Epochs are selected on validation accuracy only, as in ``train_node_classifier``.
"""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor, nn
from torch_geometric.data import Data

from kernels.evaluate.train import (Log, TrainConfig, TrainedModel, accuracy, diverged, predict, sparse_features,
                                    train_node_classifier, with_sparse_adjacency)
from kernels.models import MODELS
from kernels.registry import Registry
from kernels.unlearning.requests import UnlearningRequest, retained_graph

# (config, teacher, data, request, seed, device, log) -> model on the retained graph
UnlearnFn = Callable[[BaseModel, TrainedModel, Data, UnlearningRequest, int, torch.device, Log], TrainedModel]


@dataclass(frozen=True)
class UnlearnerSpec:
    name: str
    config_cls: type[BaseModel]
    fn: UnlearnFn


UNLEARNERS: Registry[UnlearnerSpec] = Registry("unlearning method")


def register_unlearner(name: str, config_cls: type[BaseModel]):
    return UNLEARNERS.register(name, lambda fn: UnlearnerSpec(name, config_cls, fn))


def unlearn(method: str, params: dict[str, Any], teacher: TrainedModel, data: Data, request: UnlearningRequest, *,
            seed: int = 0, device: torch.device | str = "cpu", log: Log = lambda _: None) -> TrainedModel:
    """Remove ``request``'s knowledge from ``teacher`` with ``method``.

    Returns:
        A ``TrainedModel`` of the teacher's architecture; ``logits`` are its predictions on
        the retained graph, ``metrics`` hold ``train_acc`` (retained training nodes),
        ``val_acc``, ``test_acc``, ``best_epoch``, ``epochs`` and ``seconds`` (wall time).
    """
    cfg = UNLEARNERS.config(method, params)
    fn = UNLEARNERS.get(method).fn
    start = time.perf_counter()
    model = fn(cfg, teacher, data, request, seed, torch.device(device), log)
    model.metrics["seconds"] = time.perf_counter() - start
    return model


class EpochsConfig(BaseModel):
    """Shared knobs of the methods that continue from the teacher's weights.

    Args:
        epochs: epochs of the unlearning objective (default: 30).
        lr: Adam learning rate; weight decay is the teacher's (default: 0.01).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    epochs: int = Field(30, ge=1)
    lr: float = Field(0.01, gt=0)


# (model being unlearnt, retained graph) -> loss; it runs the model itself, so it can read
# hidden layers as well as logits.
UnlearnObjective = Callable[[nn.Module, Data], Tensor]


def fit(net: nn.Module, teacher: TrainedModel, graph: Data, objective: UnlearnObjective, cfg: EpochsConfig, *,
        device: torch.device, log: Log, forgetting_gap: Callable[[Tensor], float] | None = None,
        val_floor: float | None = None) -> TrainedModel:
    """Optimise ``net`` on ``graph`` (the retained graph) and keep its best-validation epoch.

    Unlike ``train_node_classifier``, ties in validation accuracy go to the *later* epoch:
    every epoch here moves further from the deleted knowledge, so among equally accurate
    checkpoints the later one has forgotten more. The starting weights are never a
    candidate: returning the teacher unchanged would be no unlearning at all.

    ``forgetting_gap``, given an epoch's logits, says how far the deleted part is from
    looking never seen, measured against validation nodes only; the kept epoch is then the
    one with the smallest gap among those whose validation accuracy reaches ``val_floor``
    (later epochs win ties), or the best-validation epoch if none does.
    """
    net = net.to(device)
    # What train_node_classifier trains on: a CSR adjacency, and CSR features where they are
    # mostly zeros and the model takes them, so an epoch here costs what one of retrain does.
    graph = with_sparse_adjacency(graph).to(device)
    if MODELS.get(teacher.model).sparse_features:
        graph.x = sparse_features(graph.x)
    weight_decay = TrainConfig(**teacher.train).weight_decay
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=weight_decay)
    history: dict[str, list[float]] = {"loss": [], "val_acc": []}
    # The kept epoch so far among those reaching the floor, and the best-validation one (the
    # fallback); states are copied only when one of them changes.
    kept: tuple | None = None
    best: tuple = (-1.0, 0, None)
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        opt.zero_grad()
        loss = objective(net, graph)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"unlearning loss became {loss.item()} at epoch {epoch}; lower 'lr'")
        loss.backward()
        opt.step()
        logits = predict(net, graph)
        val = accuracy(logits, graph.y, graph.val_mask)
        history["loss"].append(round(loss.item(), 5))
        history["val_acc"].append(round(val, 5))
        if val >= best[0]:
            best = (val, epoch, copy.deepcopy(net.state_dict()))
        if val_floor is not None and val >= val_floor:
            gap = forgetting_gap(logits) if forgetting_gap is not None else 0.0
            if kept is None or gap <= kept[0]:
                kept = (gap, val, epoch, best[2] if best[1] == epoch else copy.deepcopy(net.state_dict()))
    gap, best_val, best_epoch, best_state = kept if kept is not None else (None, *best)
    log(f"unlearning: kept epoch {best_epoch} of {cfg.epochs} (val_acc {best_val:.4f}"
        + (f", forgetting gap {gap:.4f})" if gap is not None else ")"))
    net.load_state_dict(best_state)
    logits = predict(net, graph).cpu()
    metrics = {f"{k}_acc": accuracy(logits, graph.y.cpu(), graph[f"{k}_mask"].cpu()) for k in ("train", "val", "test")}
    metrics.update(best_epoch=best_epoch, epochs=cfg.epochs, diverged=float(diverged(history["loss"])))
    state = {k: v.detach().cpu() for k, v in best_state.items()}
    return TrainedModel(teacher.model, dict(teacher.params), teacher.in_dim, teacher.out_dim, state, logits, metrics,
                        history, train=dict(teacher.train))


def teacher_network(teacher: TrainedModel) -> nn.Module:
    """A trainable copy of the teacher's network (``TrainedModel.module`` returns it in eval mode)."""
    return teacher.module().train()


class RetrainConfig(BaseModel):
    """``retrain`` has no knobs: it repeats the teacher's own training."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@register_unlearner("retrain", RetrainConfig)
def retrain(cfg: RetrainConfig, teacher: TrainedModel, data: Data, request: UnlearningRequest, seed: int,
            device: torch.device, log: Log) -> TrainedModel:
    """Exact unlearning: train the teacher's model, parameters and training config from
    scratch on the retained graph. The reference: slow, but it provably never saw the
    deleted elements."""
    return train_node_classifier(teacher.model, teacher.params, retained_graph(data, request),
                                 TrainConfig(**teacher.train), seed=seed, device=device, log=log)


@register_unlearner("finetune", EpochsConfig)
def finetune(cfg: EpochsConfig, teacher: TrainedModel, data: Data, request: UnlearningRequest, seed: int,
             device: torch.device, log: Log) -> TrainedModel:
    """Continue supervised training of the teacher on the retained graph: the cheapest
    baseline; it forgets only what the retained training signal happens to overwrite."""
    torch.manual_seed(seed)  # dropout

    def objective(net: nn.Module, graph: Data) -> Tensor:
        out = net(graph.x, graph.edge_index)
        return F.cross_entropy(out[graph.train_mask], graph.y[graph.train_mask])

    return fit(teacher_network(teacher), teacher, retained_graph(data, request), objective, cfg, device=device,
               log=log)


class GradientAscentConfig(EpochsConfig):
    """``gradient-ascent``: ``ascent_weight`` weighs the forgetting term against the
    retained cross-entropy (default: 1.0)."""

    ascent_weight: float = Field(1.0, ge=0)


def endpoint_agreement(out: Tensor, edges: Tensor) -> Tensor:
    """Log-probability that each edge's two ends predict the same class, ``log sum_c p_u,c p_v,c``.

    In log space so its gradient survives confident (saturated) predictions, where the
    plain dot product or cosine of the softmax outputs barely moves.
    """
    log_p = F.log_softmax(out, dim=-1)
    return torch.logsumexp(log_p[edges[0]] + log_p[edges[1]], dim=-1)


@register_unlearner("gradient-ascent", GradientAscentConfig)
def gradient_ascent(cfg: GradientAscentConfig, teacher: TrainedModel, data: Data, request: UnlearningRequest,
                    seed: int, device: torch.device, log: Log) -> TrainedModel:
    """Descend cross-entropy on the retained training nodes while ascending it on the deleted ones.

    Adapted in two ways. Plain ascent is unbounded and wrecks the model within a few steps,
    so each deleted node's ascent stops once its loss passes ``log C``, the loss of a
    uniform guess: past that the model would not have forgotten the node, it would have
    learnt its opposite. Edge requests delete no label to ascend on, so the forgetting
    term is link-level: it lowers the agreement of the deleted edges' endpoint outputs (on
    the retained graph), which a link-inference attack reads, until it reaches ``1 / C``,
    the agreement of two uniform guesses.
    """
    torch.manual_seed(seed)  # dropout
    graph = retained_graph(data, request)
    uniform = math.log(teacher.out_dim)
    nodes, edges = request.nodes.to(device), request.edges.to(device)

    def objective(net: nn.Module, g: Data) -> Tensor:
        out = net(g.x, g.edge_index)
        retain = F.cross_entropy(out[g.train_mask], g.y[g.train_mask])
        if request.kind == "edges":
            forget = F.relu(endpoint_agreement(out, edges) + uniform).mean()
        else:
            forget = F.relu(uniform - F.cross_entropy(out[nodes], g.y[nodes], reduction="none")).mean()
        return retain + cfg.ascent_weight * forget

    return fit(teacher_network(teacher), teacher, graph, objective, cfg, device=device, log=log)

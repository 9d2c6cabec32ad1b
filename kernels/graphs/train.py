"""Train a graph classifier with validation-only epoch selection.

Training graphs may be real graphs or distilled ones (whose ``root_mask`` restricts
pooling to tree roots); validation and test graphs are always real and pooled over all
nodes. The kept epoch has the best validation accuracy (ties: lower validation loss); test
metrics are read once, at that epoch.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor
from torch_geometric.data import Batch, Data

from kernels.graphs.data import graph_labels
from kernels.graphs.models import GraphClassifier, build_graph_model, graph_model_config

Log = Callable[[str], None]


class GraphTrainConfig(BaseModel):
    """Optimisation of one graph classifier.

    Args:
        lr: Adam learning rate (default: 0.01).
        weight_decay: L2 penalty (default: 0.0).
        epochs: maximum epochs (default: 100).
        patience: stop after this many epochs without a better validation accuracy (default: 50).
        batch_size: graphs per mini-batch (default: 32).
        samples_per_epoch: graphs drawn per epoch when sampling by weight; ``None`` draws as
            many as there are training graphs (default: ``None``).
        log_every: epochs between progress lines (default: 10).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    lr: float = Field(0.01, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    epochs: int = Field(100, ge=1)
    patience: int = Field(50, ge=1)
    batch_size: int = Field(32, gt=0)
    samples_per_epoch: int | None = Field(None, gt=0)
    log_every: int = Field(10, ge=1)


@dataclass
class TrainedGraphModel:
    """A trained graph classifier at its selected epoch.

    ``metrics`` holds ``train_acc``, ``val_acc``, ``test_acc`` and, for two classes,
    ``val_auc`` / ``test_auc``. ``to_payload`` holds only tensors and primitives, so it
    loads with ``torch.load(weights_only=True)``.
    """

    model: str
    params: dict[str, Any]
    in_dim: int
    out_dim: int
    state_dict: dict[str, Tensor]
    metrics: dict[str, float]
    best_epoch: int
    epochs_run: int
    seconds: float
    train: dict[str, Any] = field(default_factory=dict)
    history: dict[str, list[float]] = field(default_factory=dict)

    def module(self) -> GraphClassifier:
        net = build_graph_model(self.model, self.params, self.in_dim, self.out_dim)
        net.load_state_dict(self.state_dict)
        return net.eval()

    def to_payload(self) -> dict[str, Any]:
        return {"model": self.model, "params": self.params, "in_dim": self.in_dim, "out_dim": self.out_dim,
                "state_dict": self.state_dict, "metrics": self.metrics, "best_epoch": self.best_epoch,
                "epochs_run": self.epochs_run, "seconds": self.seconds, "train": self.train,
                "history": self.history}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TrainedGraphModel:
        return cls(**payload)


def binary_auc(scores: Tensor, y: Tensor) -> float:
    """ROC-AUC of ``scores`` for the positive class 1, by the rank (Mann-Whitney) formula.

    Tied scores share their average rank, so ties count one half; ``nan`` without both classes.
    """
    scores, y = scores.double().view(-1), y.view(-1)
    pos, neg = int((y == 1).sum()), int((y != 1).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    uniq, inverse, counts = scores.unique(return_inverse=True, return_counts=True)
    first = torch.cumsum(counts, 0) - counts  # 0-based rank of each distinct value's first copy
    ranks = (first + (counts + 1) / 2.0)[inverse]  # average 1-based rank within ties
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def support_sampler(weights: Tensor, num_samples: int, seed: int) -> torch.utils.data.WeightedRandomSampler:
    """Draws indices with probability proportional to ``weights``, with replacement."""
    if weights.numel() == 0 or (weights < 0).any() or float(weights.sum()) <= 0:
        raise ValueError("sample weights must be non-negative with a positive sum")
    gen = torch.Generator().manual_seed(seed)
    return torch.utils.data.WeightedRandomSampler(weights.double(), num_samples, replacement=True, generator=gen)


def collate(graphs: list[Data], device: torch.device, batch_size: int = 256) -> list[Batch]:
    """``graphs`` in fixed batches on ``device``, collated and moved once: validation runs
    every epoch on the same graphs."""
    return [Batch.from_data_list(graphs[i : i + batch_size]).to(device) for i in range(0, len(graphs), batch_size)]


@torch.no_grad()
def predict(net: GraphClassifier, batches: list[Batch]) -> Tensor:
    """Logits on CPU, one row per graph of ``batches``; graphs with a ``root_mask`` are pooled
    over their roots."""
    net.eval()
    out = [net(b.x, b.edge_index, b.batch, getattr(b, "root_mask", None), b.num_graphs) for b in batches]
    return torch.cat(out).cpu() if out else torch.empty(0)


def _scores(logits: Tensor, y: Tensor, prefix: str, num_classes: int) -> dict[str, float]:
    if y.numel() == 0:
        return {}
    scores = {f"{prefix}_acc": float((logits.argmax(-1) == y).float().mean())}
    if num_classes == 2:
        scores[f"{prefix}_auc"] = binary_auc(logits.softmax(-1)[:, 1], y)
    return scores


def train_graph_classifier(model: str, params: dict[str, Any], train_graphs: list[Data], val_graphs: list[Data],
                           test_graphs: list[Data], cfg: GraphTrainConfig | None = None, *,
                           sample_weights: Tensor | None = None, num_classes: int | None = None,
                           seed: int = 0, device: torch.device | str = "cpu",
                           log: Log = lambda _: None) -> TrainedGraphModel:
    """Train ``model`` (a ``GRAPH_MODELS`` name) on ``train_graphs``.

    Args:
        model, params: the model name and its config fields.
        train_graphs: real or distilled graphs (``x``, ``edge_index``, ``y``, optional
            ``root_mask``).
        val_graphs, test_graphs: real graphs; validation alone selects the epoch.
        cfg: optimisation settings (default: ``GraphTrainConfig()``).
        sample_weights: per training graph; when given, each epoch draws graphs with
            probability proportional to them (with replacement) instead of shuffling.
        num_classes: output size (default: one more than the largest label seen).
        seed: initialisation and sampling seed (default: 0).
        device: where the model and batches live; graphs stay on CPU and each mini-batch
            moves after collation (default: ``cpu``).

    Returns:
        ``TrainedGraphModel`` at the selected epoch, its weights on CPU.
    """
    from torch_geometric.loader import DataLoader

    cfg = cfg or GraphTrainConfig()
    graph_model_config(model, params)  # bad names and fields fail before any work
    if not train_graphs:
        raise ValueError("train_graphs is empty")
    if sample_weights is not None and sample_weights.numel() != len(train_graphs):
        raise ValueError(f"sample_weights has {sample_weights.numel()} entries for {len(train_graphs)} graphs")
    start = time.perf_counter()
    y_train, y_val, y_test = (graph_labels(g) if g else torch.empty(0, dtype=torch.long)
                              for g in (train_graphs, val_graphs, test_graphs))
    if num_classes is None:
        num_classes = int(torch.cat([y_train, y_val, y_test]).max()) + 1
    device = torch.device(device)
    torch.manual_seed(seed)
    net = build_graph_model(model, params, train_graphs[0].x.size(1), num_classes).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if sample_weights is None:
        loader = DataLoader(train_graphs, batch_size=cfg.batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
    else:
        draws = cfg.samples_per_epoch or len(train_graphs)
        loader = DataLoader(train_graphs, batch_size=cfg.batch_size,
                            sampler=support_sampler(sample_weights, draws, seed))

    val_batches = collate(val_graphs, device)
    best: tuple[float, float] = (-1.0, float("inf"))
    best_state, best_epoch, since = copy.deepcopy(net.state_dict()), 0, 0
    history: dict[str, list[float]] = {"loss": [], "val_acc": []}
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        net.train()
        total, seen = 0.0, 0
        for batch in loader:
            batch = batch.to(device)
            opt.zero_grad()
            logits = net(batch.x, batch.edge_index, batch.batch, getattr(batch, "root_mask", None), batch.num_graphs)
            loss = F.cross_entropy(logits, batch.y.view(-1))
            if not torch.isfinite(loss):
                raise FloatingPointError(f"training loss became {loss.item()} at epoch {epoch}; lower lr")
            loss.backward()
            opt.step()
            total, seen = total + loss.item() * batch.num_graphs, seen + batch.num_graphs
        val_logits = predict(net, val_batches)
        val_acc = float((val_logits.argmax(-1) == y_val).float().mean()) if y_val.numel() else 0.0
        val_loss = float(F.cross_entropy(val_logits, y_val)) if y_val.numel() else total / seen
        history["loss"].append(total / seen)
        history["val_acc"].append(val_acc)
        if (val_acc, -val_loss) > (best[0], -best[1]):
            best, best_state, best_epoch, since = (val_acc, val_loss), copy.deepcopy(net.state_dict()), epoch, 0
        else:
            since += 1
        if epoch % cfg.log_every == 0:
            log(f"epoch {epoch}: loss {total / seen:.4f} val_acc {val_acc:.4f}")
        if since >= cfg.patience:
            break

    net.load_state_dict(best_state)
    metrics = _scores(predict(net, collate(train_graphs, device)), y_train, "train", num_classes)
    metrics |= _scores(predict(net, val_batches), y_val, "val", num_classes)
    metrics |= _scores(predict(net, collate(test_graphs, device)), y_test, "test", num_classes)
    return TrainedGraphModel(model=model, params=dict(params), in_dim=train_graphs[0].x.size(1), out_dim=num_classes,
                             state_dict={k: v.cpu() for k, v in best_state.items()}, metrics=metrics,
                             best_epoch=best_epoch, epochs_run=epoch, seconds=time.perf_counter() - start,
                             train=cfg.model_dump(), history=history)

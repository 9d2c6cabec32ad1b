"""Supervised node classification with validation-only model selection.

The checkpoint kept is the epoch with the best validation accuracy; test accuracy is read
once, at that checkpoint, and never compared across epochs or settings.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor, nn
from torch_geometric.data import Data

from kernels.evaluate.progress import Progress
from kernels.models import MODELS, build_model

Log = Callable[[str], None]


class RepresentationObjective(nn.Module):
    """A training objective that reads the model's hidden representation besides its logits.

    Representation-level distillation (VQGraph's token matching) compares the student's
    penultimate layer, not only its logits, with the teacher's. Such an objective is a
    module: its parameters (e.g. a projection of the hidden layer into the teacher's space)
    are optimised with the model's and then dropped, as inference needs only the logits.
    ``metrics`` holds what building it measured (e.g. its own teacher's accuracy), for the
    caller to report beside the trained model's.
    """

    def __init__(self) -> None:
        super().__init__()
        self.metrics: dict[str, float] = {}

    def forward(self, out: Tensor, data: Data, hidden: Tensor) -> Tensor:
        raise NotImplementedError


# Loss of full-graph logits (a RepresentationObjective also reads the hidden layer); the
# default is cross-entropy on the training nodes.
Objective = Callable[[Tensor, Data], Tensor] | RepresentationObjective


class TrainConfig(BaseModel):
    """Optimisation of one model.

    Args:
        lr: Adam learning rate (default: 0.01).
        weight_decay: L2 penalty (default: 5e-4).
        epochs: maximum epochs (default: 200).
        patience: stop after this many epochs without a better validation accuracy
            (default: 100).
        loader: ``full`` (full-batch), ``neighbor`` (PyG ``NeighborLoader``) or ``auto``,
            which samples neighbours once the graph has more than ``full_batch_max_edges``
            edges (default: ``auto``).
        fanouts: neighbours sampled per layer for ``neighbor`` (default: ``[10, 10]``).
        batch_size: seed nodes per mini-batch for ``neighbor`` (default: 1024).
        full_batch_max_edges: the ``auto`` threshold (default: 2,000,000).
        log_every: epochs between progress lines; ``None`` logs a line with an ETA at most
            every five seconds (default: None).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    lr: float = Field(0.01, gt=0)
    weight_decay: float = Field(5e-4, ge=0)
    epochs: int = Field(200, ge=1)
    patience: int = Field(100, ge=1)
    loader: Literal["auto", "full", "neighbor"] = "auto"
    fanouts: list[int] = Field(default_factory=lambda: [10, 10], min_length=1)
    batch_size: int = Field(1024, gt=0)
    full_batch_max_edges: int = Field(2_000_000, gt=0)
    log_every: int | None = Field(None, ge=1)


@dataclass
class TrainedModel:
    """A trained model, its selected-epoch predictions and metrics.

    ``logits`` has shape ``[num_nodes, num_classes]`` (the soft labels later stages
    distil from); ``to_payload`` holds only tensors and primitives so it loads with
    ``torch.load(weights_only=True)``.
    """

    model: str
    params: dict[str, Any]
    in_dim: int
    out_dim: int
    state_dict: dict[str, Tensor]
    logits: Tensor
    metrics: dict[str, float]
    history: dict[str, list[float]] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)  # the TrainConfig it was trained with
    extra_features: Tensor | None = None  # per-node columns appended to x (positional features)
    run: dict[str, float | int | str] = field(default_factory=dict)  # device, seconds, seed, data hash

    def module(self) -> nn.Module:
        net = build_model(self.model, self.params, self.in_dim, self.out_dim)
        net.load_state_dict(self.state_dict)
        return net.eval()

    def inputs(self, data: Data) -> Tensor:
        """The node features this model reads: ``data.x`` plus its extra columns, if any."""
        if self.extra_features is None:
            return data.x
        return torch.cat([data.x, self.extra_features.to(data.x.device)], dim=-1)

    def to_payload(self) -> dict[str, Any]:
        return {"model": self.model, "params": self.params, "in_dim": self.in_dim,
                "out_dim": self.out_dim, "state_dict": self.state_dict, "logits": self.logits,
                "metrics": self.metrics, "history": self.history, "train": self.train,
                "extra_features": self.extra_features, "run": self.run}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TrainedModel:
        return cls(**payload)


def accuracy(logits: Tensor, y: Tensor, mask: Tensor) -> float:
    if int(mask.sum()) == 0:
        return float("nan")
    return float((logits[mask].argmax(-1) == y[mask]).float().mean())


def resolve_loader(cfg: TrainConfig, data: Data) -> str:
    """``full`` or ``neighbor`` for this graph."""
    if cfg.loader != "auto":
        return cfg.loader
    return "neighbor" if data.edge_index.size(1) > cfg.full_batch_max_edges else "full"


def neighbor_loader(data: Data, cfg: TrainConfig) -> Any:
    """PyG ``NeighborLoader`` over the training nodes; pure-torch sampling without pyg-lib."""
    import torch_geometric.typing as pyg_typing
    from torch_geometric.loader import NeighborLoader

    from kernels.evaluate.sampling import TorchNeighborSampler

    sampler = None
    if not (pyg_typing.WITH_PYG_LIB or pyg_typing.WITH_TORCH_SPARSE):
        sampler = TorchNeighborSampler(data, num_neighbors=cfg.fanouts)
    return NeighborLoader(data, num_neighbors=cfg.fanouts, input_nodes=data.train_mask,
                          batch_size=cfg.batch_size, shuffle=True, neighbor_sampler=sampler)


# A training loss that climbs this many times above its first epoch's value: the optimiser
# diverged, even if validation accuracy still picked some epoch.
DIVERGENCE_FACTOR = 10.0


def _check_finite(loss: Tensor, epoch: int) -> None:
    if not torch.isfinite(loss):
        raise FloatingPointError(f"training loss became {loss.item()} at epoch {epoch}; "
                                 "lower 'lr' or check the features for NaN/inf")


def _step(opt: torch.optim.Optimizer, epoch: int) -> None:
    """``opt.step()``, naming the learning rate when the update itself overflows (Adam turns
    ``lr: 1e38`` into a step size beyond float32 before any loss is non-finite)."""
    try:
        opt.step()
    except RuntimeError as err:
        lr = opt.param_groups[0]["lr"]
        raise FloatingPointError(f"optimizer step failed at epoch {epoch} with lr {lr:g} ({err}); "
                                 f"lower 'lr'") from err


def diverged(losses: list[float]) -> bool:
    """Whether the training loss ever rose ``DIVERGENCE_FACTOR`` times above its first value."""
    return bool(losses) and max(losses) > DIVERGENCE_FACTOR * losses[0]


def supervised(out: Tensor, data: Data) -> Tensor:
    return F.cross_entropy(out[data.train_mask], data.y[data.train_mask])


def _epoch_full(net: nn.Module, data: Data, opt: torch.optim.Optimizer, epoch: int,
                objective: Objective) -> float:
    net.train()
    opt.zero_grad()
    if isinstance(objective, RepresentationObjective):
        out, hidden = net(data.x, data.edge_index, return_hidden=True)
        loss = objective(out, data, hidden)
    else:
        loss = objective(net(data.x, data.edge_index), data)
    _check_finite(loss, epoch)
    loss.backward()
    _step(opt, epoch)
    return loss.item()


def _epoch_sampled(net: nn.Module, loader: Any, opt: torch.optim.Optimizer, epoch: int,
                   device: torch.device) -> float:
    net.train()
    total, count = 0.0, 0
    for batch in loader:
        batch = batch.to(device)
        opt.zero_grad()
        out = net(batch.x, batch.edge_index)[: batch.batch_size]
        loss = F.cross_entropy(out, batch.y[: batch.batch_size])
        _check_finite(loss, epoch)
        loss.backward()
        _step(opt, epoch)
        total += loss.item() * batch.batch_size
        count += batch.batch_size
    return total / max(count, 1)


def sparse_features(x: Tensor, max_density: float = 0.1) -> Tensor:
    """``x`` as a CSR tensor when it is mostly zeros.

    Full-batch epochs run the model on the whole graph, and the first layer's ``X W``
    dominates that cost on bag-of-words features (about 1 % of Cora's, CiteSeer's and
    Coauthor CS's entries are non-zero); the sparse product gives the same logits up to
    float rounding, two to three times faster (an MLP epoch on CS: 6.9 s dense, 3.9 s CSR
    on one CPU core).
    """
    if x.layout != torch.strided or (x != 0).float().mean() > max_density:
        return x
    return x.to_sparse_csr()


def with_sparse_adjacency(data: Data) -> Data:
    """A shallow copy whose ``edge_index`` is a sparse CSR adjacency.

    PyG's convolutions accept a ``torch.sparse_csr`` adjacency in place of ``edge_index``;
    on CPU it aggregates several times faster than the scatter path (5x for SGC on Cora).
    """
    from torch_geometric.utils import to_torch_csr_tensor

    out = copy.copy(data)
    out.edge_index = to_torch_csr_tensor(data.edge_index.flip(0), size=(data.num_nodes, data.num_nodes))
    return out


@torch.no_grad()
def predict(net: nn.Module, data: Data) -> Tensor:
    net.eval()
    return net(data.x, data.edge_index)


def train_node_classifier(model: str, params: dict[str, Any], data: Data, cfg: TrainConfig, *,
                          seed: int = 0, device: torch.device | str = "cpu",
                          log: Log = lambda _: None, objective: Objective | None = None,
                          init_state: dict[str, Tensor] | None = None) -> TrainedModel:
    """Train ``model`` on ``data.train_mask``, keeping the best-validation epoch.

    ``objective`` replaces the supervised loss (distillation losses of students); it sees
    full-graph logits, so it needs full-batch training. A ``RepresentationObjective`` also
    sees the hidden representation (of a model that ``exposes_hidden``) and trains its own
    parameters alongside the model's. ``init_state`` replaces the seeded initialisation of
    the parameters it names (a pretrained encoder fine-tuned under a fresh head); naming a
    parameter the model lacks is an error.

    Returns:
        ``TrainedModel`` whose metrics hold ``train_acc``, ``val_acc``, ``test_acc`` (at the
        selected epoch), ``best_epoch``, ``epochs`` and ``diverged`` (1.0 when the training
        loss rose ``DIVERGENCE_FACTOR`` times above its first value).
    """
    device = torch.device(device)
    out_dim = int(data.y.max()) + 1
    net = build_model(model, params, data.num_features, out_dim, seed=seed)
    if init_state is not None:
        unexpected = net.load_state_dict(init_state, strict=False).unexpected_keys
        if unexpected:
            raise ValueError(f"init_state names {unexpected}, which model {model!r} does not have")
    net = net.to(device)
    trained = list(net.parameters())
    if isinstance(objective, RepresentationObjective):
        if not MODELS.get(model).exposes_hidden:
            exposing = [name for name in MODELS.names() if MODELS.get(name).exposes_hidden]
            raise ValueError(f"{type(objective).__name__} reads a hidden representation, which model {model!r} "
                             f"does not expose; use one of {exposing}")
        trained += list(objective.to(device).train().parameters())
    opt = torch.optim.Adam(trained, lr=cfg.lr, weight_decay=cfg.weight_decay)
    mode = resolve_loader(cfg, data) if MODELS.get(model).uses_graph else "full"
    if objective is not None and mode == "neighbor":
        raise ValueError("a custom objective needs full-batch training; set loader='full'")
    loader = neighbor_loader(data, cfg) if mode == "neighbor" else None
    log(f"training {model} on {data.num_nodes} nodes, {mode}-batch, {cfg.epochs} epochs max")
    full = with_sparse_adjacency(data).to(device)
    if MODELS.get(model).sparse_features:
        full.x = sparse_features(full.x)

    progress = Progress(log, f"{model} epoch", cfg.epochs, upper_bound=cfg.patience < cfg.epochs)
    best_key, best_epoch, best_state, stale = (-1.0, 0.0), 0, None, 0
    history: dict[str, list[float]] = {"loss": [], "val_acc": []}
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        if loader is None:
            loss = _epoch_full(net, full, opt, epoch, objective or supervised)
        else:
            loss = _epoch_sampled(net, loader, opt, epoch, device)
        logits = predict(net, full)
        val = accuracy(logits, full.y, full.val_mask)
        val_loss = F.cross_entropy(logits[full.val_mask], full.y[full.val_mask]).item()
        history["loss"].append(round(loss, 5))
        history["val_acc"].append(round(val, 5))
        # Validation accuracy plateaus for many epochs; ties go to the lower validation loss.
        if (val, -val_loss) > best_key:
            best_key, best_epoch, stale = (val, -val_loss), epoch, 0
            best_state = copy.deepcopy(net.state_dict())
        else:
            stale += 1
        detail = f"loss {loss:.4f} val_acc {val:.4f} (best {best_key[0]:.4f} @ {best_epoch})"
        if cfg.log_every is None:
            progress.update(epoch, detail)
        elif epoch % cfg.log_every == 0:
            log(f"epoch {epoch}: {detail}")
        if stale >= cfg.patience:
            break

    net.load_state_dict(best_state)
    logits = predict(net, full).cpu()
    y = data.y.cpu()
    masks = {k: data[f"{k}_mask"].cpu() for k in ("train", "val", "test")}
    metrics = {f"{k}_acc": accuracy(logits, y, m) for k, m in masks.items()}
    metrics.update(best_epoch=best_epoch, epochs=epoch, diverged=float(diverged(history["loss"])))
    if metrics["diverged"]:
        log(f"warning: training diverged (loss rose from {history['loss'][0]:.4g} to {max(history['loss']):.4g}; "
            f"lr {cfg.lr:g}): the kept epoch's accuracy is not a converged model's")
    state = {k: v.detach().cpu() for k, v in best_state.items()}
    return TrainedModel(model, dict(params), data.num_features, out_dim, state, logits, metrics, history,
                        train=cfg.model_dump())

"""GraphMAE: self-supervised masked feature reconstruction, then a linear probe as a teacher.

GraphMAE: Self-Supervised Masked Graph Autoencoders (Hou et al., KDD 2022,
https://arxiv.org/abs/2205.10803). Each epoch a random ``mask_rate`` share of nodes has its
features replaced by a learnable [MASK] token (a ``replace_rate`` share of those by another
node's features instead), a GAT encodes the corrupted graph, the masked nodes' codes are
zeroed again ("re-mask") so the one-layer GAT decoder must rebuild them from their
neighbours, and the loss is the scaled cosine error over masked nodes,
``mean_i (1 - cos(x_i, z_i)) ** gamma``. Pretraining reads only ``x`` and ``edge_index``;
labels enter afterwards, in the probe on the frozen embeddings (or in fine-tuning).

Adapted from the authors' code (``graphmae/models/edcoder.py``): the decoder averages its
heads (theirs concatenates, which only fits one output head), and the probe is the shared
``train_node_classifier`` loop (a one-layer ``mlp`` on the embeddings), so its epoch is
chosen on validation accuracy, ties to the lower validation loss, as for every teacher.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor, nn
from torch.nn import functional as F
from torch_geometric.data import Data
from torch_geometric.nn import GATConv

from kernels.evaluate.progress import Progress
from kernels.evaluate.train import Log, TrainConfig, TrainedModel, train_node_classifier, with_sparse_adjacency
from kernels.models import build_model
from kernels.models.graphmae import GATEncoder, GraphMAENetConfig, encoder_input
from kernels.pretrain.registry import register_pretrainer


class GraphMAEConfig(BaseModel):
    """GraphMAE pretraining: masking, loss and optimiser; the encoder's architecture is the
    teacher's ``params`` (``GraphMAENetConfig``) and the probe's training its ``train``.

    Defaults are the authors' Cora configuration except ``epochs``: 300 instead of 1500, five
    times cheaper, as an epoch on Cora takes about 0.7 s on one CPU core (the 1,433-wide
    decoder output dominates it, so a narrower encoder would save little).

    Args:
        out_heads: decoder attention heads, averaged (default: 1).
        mask_rate: share of nodes masked each epoch (default: 0.5).
        replace_rate: share of the masked nodes given another random node's features
            instead of the [MASK] token (default: 0.05).
        gamma: scaling exponent of the cosine error; the paper requires ``gamma >= 1``,
            which down-weights nodes already reconstructed well (default: 3.0).
        lr: pretraining Adam learning rate, decayed to zero on a half cosine (default: 0.001).
        weight_decay: pretraining L2 penalty (default: 2e-4).
        epochs: pretraining epochs (default: 300).
        fine_tune: train the encoder with the head on the labels after pretraining instead
            of a linear probe on frozen embeddings (default: False).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    out_heads: int = Field(1, gt=0)
    mask_rate: float = Field(0.5, gt=0, lt=1)
    replace_rate: float = Field(0.05, ge=0, lt=1)
    gamma: float = Field(3.0, ge=1)
    lr: float = Field(0.001, gt=0)
    weight_decay: float = Field(2e-4, ge=0)
    epochs: int = Field(300, ge=1)
    fine_tune: bool = False


@dataclass
class PretrainedEncoder:
    """The encoder's ``state_dict`` after pretraining and the per-epoch loss (``history["loss"]``)."""

    state_dict: dict[str, Tensor]
    history: dict[str, list[float]] = field(default_factory=dict)


def scaled_cosine_error(x: Tensor, z: Tensor, gamma: float) -> Tensor:
    """``mean_i (1 - cos(x_i, z_i)) ** gamma`` over rows: the GraphMAE reconstruction loss."""
    cos = (F.normalize(x, dim=-1) * F.normalize(z, dim=-1)).sum(-1)
    return (1 - cos).pow(gamma).mean()


def mask_features(x: Tensor, token: Tensor, mask_rate: float, replace_rate: float) -> tuple[Tensor, Tensor]:
    """``x`` with a random ``mask_rate`` share of rows corrupted, and those rows' indices.

    Corrupted rows become ``token``, except a ``replace_rate`` share of them, which copy a
    random node's features (BERT's trick against the token never appearing at inference).
    """
    n = x.size(0)
    masked = torch.randperm(n, device=x.device)[: max(1, int(mask_rate * n))]
    num_noise = int(replace_rate * masked.numel())
    out = x.clone()
    out[masked[:num_noise]] = x[torch.randint(0, n, (num_noise,), device=x.device)]
    tokens = masked[num_noise:]
    out[tokens] = token.expand(tokens.numel(), -1)
    return out, masked


class MaskedGraphAutoencoder(nn.Module):
    """Encoder, [MASK] token, encoder-to-decoder projection and GAT decoder; returns the loss."""

    def __init__(self, in_dim: int, net: GraphMAENetConfig, cfg: GraphMAEConfig) -> None:
        super().__init__()
        self.cfg, self.net, self.dropout = cfg, net, net.dropout
        self.encoder = GATEncoder(in_dim, net)
        self.mask_token = nn.Parameter(torch.zeros(1, in_dim))
        self.encoder_to_decoder = nn.Linear(net.embedding_dim, net.embedding_dim, bias=False)
        self.decoder = GATConv(net.embedding_dim, in_dim, heads=cfg.out_heads, concat=False,
                               dropout=net.attn_dropout)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = encoder_input(x, self.net)
        corrupted, masked = mask_features(x, self.mask_token, self.cfg.mask_rate, self.cfg.replace_rate)
        code = self.encoder_to_decoder(self.encoder(corrupted, edge_index))
        # Re-mask: a masked node's own code must not carry its features into the decoder.
        code = code.index_fill(0, masked, 0.0)
        rebuilt = self.decoder(F.dropout(code, self.dropout, self.training), edge_index)
        return scaled_cosine_error(x[masked], rebuilt[masked], self.cfg.gamma)


def pretrain_graphmae(data: Data, net: GraphMAENetConfig, cfg: GraphMAEConfig, *, seed: int = 0, device: torch.device | str = "cpu",
                      log: Log = lambda _: None) -> PretrainedEncoder:
    """Pretrain a GraphMAE encoder on every node's features and the graph, without labels.

    Reads only ``data.x`` and ``data.edge_index``. Adam with the authors' half-cosine decay
    of the learning rate over ``cfg.epochs``; the graph is passed as a CSR adjacency, which
    makes a Cora epoch 10-20 % faster on one CPU core than ``edge_index``.

    Returns:
        ``PretrainedEncoder`` holding the ``GATEncoder`` state (embeddings of width
        ``hidden * heads``) and the loss of every epoch.
    """
    device = torch.device(device)
    x, edge_index = data.x.to(device), with_sparse_adjacency(data).edge_index.to(device)
    torch.manual_seed(seed)
    model = MaskedGraphAutoencoder(x.size(1), net, cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda e: (1 + math.cos(e * math.pi / cfg.epochs)) / 2)
    log(f"pretraining graphmae on {x.size(0)} nodes, {cfg.epochs} epochs")
    progress = Progress(log, "graphmae pretraining epoch", cfg.epochs)
    losses: list[float] = []
    model.train()
    for epoch in range(1, cfg.epochs + 1):
        opt.zero_grad()
        loss = model(x, edge_index)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"graphmae loss became {loss.item()} at epoch {epoch}; lower 'lr'")
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(round(loss.item(), 5))
        progress.update(epoch, f"sce {losses[-1]:.4f}")
    state = {k: v.detach().cpu().clone() for k, v in model.encoder.state_dict().items()}
    return PretrainedEncoder(state, {"loss": losses})


def _linear_probe(data: Data, net_cfg: GraphMAENetConfig, encoder: dict[str, Tensor], probe_cfg: TrainConfig, *,
                  seed: int, device: torch.device | str, log: Log) -> TrainedModel:
    """Logistic regression on the standardised frozen embeddings, folded into one
    ``graphmae`` network.

    The pretrained embeddings are tiny (Cora: mean |z| about 0.007), so a probe under weight
    decay on them underfits (78.6 % training accuracy); z-scored with the training nodes'
    mean and std, the same probe fits. The standardisation is linear, so it folds into the
    head: ``W (z - mu) / sigma + b == (W / sigma) z + (b - W mu / sigma)``.
    """
    out_dim = int(data.y.max()) + 1
    params = net_cfg.model_dump()
    net = build_model("graphmae", params, data.num_features, out_dim)
    net.encoder.load_state_dict(encoder)
    net = net.to(device).eval()
    with torch.no_grad():
        z = net.encoder(encoder_input(data.x.to(device), net_cfg), data.edge_index.to(device)).cpu()
        train = z[data.train_mask.cpu()]
        mu, sigma = train.mean(0), train.std(0).clamp(min=1e-6)
        embedded = copy.copy(data)
        embedded.x = (z - mu) / sigma
    probe = train_node_classifier("mlp", {"layers": 1}, embedded, probe_cfg, seed=seed, device=device, log=log)
    head = probe.module().module.lins[0]
    with torch.no_grad():
        weight = head.weight / sigma.to(head.weight.device)
        net.head.weight.copy_(weight)
        net.head.bias.copy_(head.bias - weight @ mu.to(weight.device))
    with torch.no_grad():
        logits = net(data.x.to(device), data.edge_index.to(device)).cpu()
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    return TrainedModel("graphmae", params, data.num_features, out_dim, state, logits, dict(probe.metrics),
                        probe.history, train=probe.train)


@register_pretrainer("graphmae", GraphMAEConfig)
def train_graphmae_teacher(data: Data, net: GraphMAENetConfig, cfg: GraphMAEConfig, probe: TrainConfig, *,
                           seed: int = 0, device: torch.device | str = "cpu",
                           log: Log = lambda _: None) -> TrainedModel:
    """A GraphMAE teacher: label-free pretraining, then a linear probe (or fine-tuning).

    The probe (or fine-tuning, with ``cfg.fine_tune``) trains on ``data.train_mask`` under
    ``probe`` and keeps the best-validation epoch; test accuracy is read once, there.

    Returns:
        ``TrainedModel`` of model ``graphmae`` whose ``module()`` maps ``(x, edge_index)`` to
        the stored ``logits`` (``[num_nodes, num_classes]``); ``history`` adds
        ``pretrain_loss``, and ``train`` holds ``probe``, as for every teacher.
    """
    # Only features and graph reach pretraining, so no label can leak into the encoder.
    unlabelled = Data(x=data.x, edge_index=data.edge_index, num_nodes=data.num_nodes)
    pretrained = pretrain_graphmae(unlabelled, net, cfg, seed=seed, device=device, log=log)
    if cfg.fine_tune:
        encoder = {f"encoder.{k}": v for k, v in pretrained.state_dict.items()}
        trained = train_node_classifier("graphmae", net.model_dump(), data, probe, seed=seed, device=device,
                                        log=log, init_state=encoder)
    else:
        trained = _linear_probe(data, net, pretrained.state_dict, probe, seed=seed, device=device, log=log)
    trained.history["pretrain_loss"] = pretrained.history["loss"]
    return trained

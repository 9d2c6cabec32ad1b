"""VQGraph: "VQGraph: Rethinking Graph Representation Space for Bridging GNNs and MLPs".

Yang et al., ICLR 2024, https://arxiv.org/abs/2308.02117. The teacher is a graph tokenizer:
a GNN encoder whose node representations are vector-quantized to the nearest of ``K``
learnt codewords (straight-through, VQ-VAE style), trained to reconstruct each node's
features and its local structure (edges against sampled non-edges) from its token and to
classify nodes from it. Each node's soft assignment to the tokens (a softmax over negative
squared distances to the codewords) describes its local substructure; the MLP student
projects its hidden layer into the codebook space and matches that assignment (KL), besides
the usual ``lam * CE + (1 - lam) * KD`` on the tokenizer's soft labels.

The tokenizer is trained here, from the graph ``distill`` hands the objective (the observed
graph in inductive mode), and its checkpoint is chosen on validation accuracy only.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import Tensor, nn
from torch_geometric.data import Data
from torch_geometric.nn import GATConv, GCNConv
from torch_geometric.utils import to_torch_csr_tensor

from kernels.evaluate.train import RepresentationObjective, TrainConfig, accuracy, sparse_features
from kernels.losses import kd_loss
from kernels.models.sage import SAGEConvProjectingFirst
from kernels.students.registry import StudentConfig, register_student


TOKENIZER_CONVS: dict[str, type[nn.Module]] = {"gat": GATConv, "gcn": GCNConv, "sage": SAGEConvProjectingFirst}
TOKENIZER_NORMS: dict[str, Callable[[int], nn.Module]] = {
    "batch": nn.BatchNorm1d, "layer": nn.LayerNorm, "none": lambda _: nn.Identity()}


class VQGraphConfig(StudentConfig):
    """VQGraph's knobs besides the shared ones.

    Args:
        layers: student MLP layers; at least 2, as tokens are matched on its hidden layer
            (default: 2).
        codebook_size: tokens ``K``, capped at the number of nodes (default: 512).
        token_dim: width of node representations and codewords (default: 64).
        conv: tokenizer GNN layer, one of ``gat``, ``gcn``, ``sage`` (default: ``sage``).
        tokenizer_layers, tokenizer_dropout: the encoder (default: 2, 0.5).
        tokenizer_norm: how representations are normalised between encoder layers:
            ``layer`` (each node's own vector), ``batch`` (each feature across nodes, as the
            paper's tokenizer) or ``none`` (default: ``layer``). Chosen on the tokenizer's
            validation accuracy (2 seeds, CPU): Cora 80.2 (layer) / 76.6 (batch) / 79.4
            (none), CiteSeer 70.5 / 63.7 / -, Amazon Photo 89.2 (layer) while the raw
            encoder collapses there: within 15 epochs every node maps to one token and
            validation accuracy stays at chance (12.5 %, 8 classes). Students, 5 seeds:
            Cora 81.7 test (batch norm 78.9), CiteSeer 71.0 (batch norm 67.6); on Amazon
            Photo (binary features, 259 ones a node) layer norm is unstable: 66.1 ± 25.6
            with one seed at chance, where batch norm gives 86.1 ± 0.9. In evaluation mode
            (no dropout) that seed's representations fall on 3-13 of the 300-470 codewords
            used in training, so the token classifier never leaves chance.
        restart_codes_from: the representations unused codewords restart at after each
            step: ``train`` (the training step's, with dropout) or ``eval`` (evaluation
            mode, in which the student's target tokens and the checkpoint's validation
            accuracy are read) (default: ``train``). With ``train`` restarts the codewords
            spread over the dropout-noised cloud while evaluation-mode representations sit
            nearer its centre, on few codewords: Amazon Photo seed 3 used 3-13 codewords in
            evaluation mode and its tokenizer stayed at chance (val 13.3 %); with ``eval``
            restarts it used 300-460 and reached val 90.0 % (CPU probe). The default stays
            until students of every dataset show the gain on validation.
        commitment: weight pulling representations to their codewords (default: 0.25).
        feature_weight, structure_weight: weights of feature and edge reconstruction
            (default: 1.0, 1.0).
        tokenizer_train: ``TrainConfig`` fields of the tokenizer (default: 300 epochs,
            patience 100).
        token_weight: weight ``beta`` of the token-assignment KL (default: 1.0).
        token_temperature: softening of both token assignments (default: 1.0).
        soft_labels: distil the ``tokenizer``'s class predictions, as the paper does, or
            the ``teacher`` passed to ``distill`` (default: ``tokenizer``).
    """

    layers: int = Field(2, ge=2)
    codebook_size: int = Field(512, gt=0)
    token_dim: int = Field(64, gt=0)
    conv: str = "sage"
    tokenizer_layers: int = Field(2, ge=1)
    tokenizer_dropout: float = Field(0.5, ge=0, lt=1)
    tokenizer_norm: Literal["batch", "layer", "none"] = "layer"
    restart_codes_from: Literal["train", "eval"] = "train"
    commitment: float = Field(0.25, ge=0)
    feature_weight: float = Field(1.0, ge=0)
    structure_weight: float = Field(1.0, ge=0)
    tokenizer_train: dict[str, Any] = Field(default_factory=lambda: {"epochs": 300, "patience": 100})
    token_weight: float = Field(1.0, ge=0)
    token_temperature: float = Field(1.0, gt=0)
    soft_labels: Literal["tokenizer", "teacher"] = "tokenizer"

    @field_validator("conv")
    @classmethod
    def _known_conv(cls, conv: str) -> str:
        if conv not in TOKENIZER_CONVS:
            raise ValueError(f"unknown tokenizer conv {conv!r}; choose one of {sorted(TOKENIZER_CONVS)}")
        return conv

    @field_validator("tokenizer_train")
    @classmethod
    def _valid_tokenizer_train(cls, train: dict[str, Any]) -> dict[str, Any]:
        TrainConfig(**train)
        return train


def token_similarities(z: Tensor, codebook: Tensor) -> Tensor:
    """Negative squared Euclidean distances ``[num_nodes, K]``: larger means nearer the token."""
    return 2 * z @ codebook.T - z.pow(2).sum(-1, keepdim=True) - codebook.pow(2).sum(-1)


def quantize(z: Tensor, codebook: Tensor, commitment: float) -> tuple[Tensor, Tensor, Tensor]:
    """Replace each row of ``z`` by its nearest codeword, passing gradients straight through.

    Returns:
        ``(quantized, tokens, loss)``: ``quantized`` equals the codewords in value but has
        the gradient of ``z``; ``tokens`` are the codeword indices; ``loss`` moves the
        codewords to the representations plus ``commitment`` times the converse.
    """
    tokens = token_similarities(z, codebook).argmax(-1)
    codewords = codebook[tokens]
    loss = F.mse_loss(codewords, z.detach()) + commitment * F.mse_loss(z, codewords.detach())
    return z + (codewords - z).detach(), tokens, loss


def feature_reconstruction_loss(decoder: nn.Linear, z: Tensor, x: Tensor) -> Tensor:
    """Mean squared error of ``decoder(z)`` against the features ``x``, dense or sparse CSR.

    For sparse ``x`` the ``[num_nodes, num_features]`` reconstruction is never formed:
    ``||W z + b - x||^2 = ||W z + b||^2 - 2 x . (W z + b) + ||x||^2``, whose first term
    needs only the ``d x d`` Gram matrix ``W^T W`` and whose second needs ``x W`` over its
    non-zeros. On Coauthor CS (6,805 bag-of-words columns, 0.9 % non-zero) the dense
    reconstruction and its gradient were a third of every tokenizer step.
    """
    if x.layout == torch.strided:
        return F.mse_loss(decoder(z), x)
    w, b = decoder.weight, decoder.bias
    squares = ((z @ (w.T @ w)) * z).sum() + 2 * (z @ (w.T @ b)).sum() + z.size(0) * b.pow(2).sum()
    cross = ((x @ w) * z).sum() + (x @ b.unsqueeze(1)).sum()
    return (squares - 2 * cross + x.values().pow(2).sum()) / (x.size(0) * x.size(1))


def pair_scores(h: Tensor, pairs: Tensor) -> Tensor:
    """Dot products ``h[i] . h[j]`` of the node pairs ``pairs`` ``[2, P]``, in their order.

    A sampled dense-dense product (``torch.sparse.sampled_addmm``) on the pairs' pattern.
    Gathering both ends instead materialises two ``[P, d]`` tensors and their gradients:
    on Amazon Computers' 490k edges (and as many non-edges) that took 1.1 s of a 1.9 s
    tokenizer step on one CPU core, the sampled product 0.14 s. The pattern is built with
    the pairs sorted by ``i`` and repeats kept (random non-edges may repeat); the scores are
    put back in the callers' order, which their labels follow.
    """
    order = pairs[0].argsort(stable=True)
    pattern = to_torch_csr_tensor(pairs[:, order], size=(h.size(0), h.size(0)), is_coalesced=True)
    return torch.sparse.sampled_addmm(pattern, h, h.T, beta=0.0).values()[order.argsort()]


class VQTokenizer(nn.Module):
    """GNN encoder, codebook, feature / structure decoders and a classifier on the tokens."""

    def __init__(self, in_dim: int, num_classes: int, codebook_size: int, cfg: VQGraphConfig) -> None:
        super().__init__()
        conv, d = TOKENIZER_CONVS[cfg.conv], cfg.token_dim
        self.convs = nn.ModuleList([conv(in_dim if i == 0 else d, d) for i in range(cfg.tokenizer_layers)])
        self.norms = nn.ModuleList([TOKENIZER_NORMS[cfg.tokenizer_norm](d) for _ in range(cfg.tokenizer_layers - 1)])
        self.codebook = nn.Parameter(torch.randn(codebook_size, d))
        self.feature_decoder = nn.Linear(d, in_dim)
        self.structure_decoder = nn.Linear(d, d)
        self.classifier = nn.Linear(d, num_classes)
        self.dropout = cfg.tokenizer_dropout

    def encode(self, x: Tensor, adjacency: Tensor) -> Tensor:
        """Node representations ``[num_nodes, token_dim]``; norm and dropout act between layers only."""
        for i, conv in enumerate(self.convs):
            if i > 0:
                x = F.dropout(F.relu(self.norms[i - 1](x)), self.dropout, self.training)
            x = conv(x, adjacency)
        return x

    def loss(self, data: Data, adjacency: Tensor, cfg: VQGraphConfig) -> tuple[Tensor, Tensor, Tensor]:
        """``(loss, representations, tokens)`` of one training step."""
        z = self.encode(data.x, adjacency)
        quantized, tokens, vq_loss = quantize(z, self.codebook, cfg.commitment)
        features = feature_reconstruction_loss(self.feature_decoder, quantized, data.x)
        edges = data.edge_index
        # Uniform node pairs stand for non-edges: in a sparse graph nearly all of them are,
        # and drawing them is far cheaper than exact negative sampling.
        non_edges = torch.randint(data.num_nodes, edges.shape, device=edges.device)
        pairs = torch.cat([edges, non_edges], dim=1)
        scores = pair_scores(self.structure_decoder(quantized), pairs)
        is_edge = torch.cat([torch.ones(edges.size(1)), torch.zeros(non_edges.size(1))]).to(scores.device)
        structure = F.binary_cross_entropy_with_logits(scores, is_edge)
        ce = F.cross_entropy(self.classifier(quantized)[data.train_mask], data.y[data.train_mask])
        loss = ce + vq_loss + cfg.feature_weight * features + cfg.structure_weight * structure
        return loss, z.detach(), tokens

    @torch.no_grad()
    def represent(self, data: Data, adjacency: Tensor) -> Tensor:
        """Representations of every node, in eval mode."""
        self.eval()
        return self.encode(data.x, adjacency)

    @torch.no_grad()
    def predict(self, data: Data, adjacency: Tensor, z: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """``(class logits, token similarities, tokens)`` of every node, in eval mode, from
        the representations ``z`` when ``represent`` already gave them."""
        if z is None:
            z = self.represent(data, adjacency)
        similarities = token_similarities(z, self.codebook)
        tokens = similarities.argmax(-1)
        return self.classifier(self.codebook[tokens]), similarities, tokens


@torch.no_grad()
def restart_unused_codes(codebook: Tensor, z: Tensor, tokens: Tensor) -> None:
    """Move the codewords no node chose onto random node representations.

    Unchosen codewords get no gradient and stay unused for good (codebook collapse: without
    restarts a Cora tokenizer ends with 8 of 512 tokens in use), leaving too few tokens to
    tell substructures apart.
    """
    unused = torch.ones(codebook.size(0), dtype=torch.bool, device=codebook.device)
    unused[tokens] = False
    count = int(unused.sum())
    if count:
        codebook[unused] = z[torch.randint(z.size(0), (count,), device=z.device)]


def sparse_adjacency(data: Data) -> Tensor:
    """CSR adjacency for message passing: on CPU several times faster than ``edge_index``."""
    return to_torch_csr_tensor(data.edge_index.flip(0), size=(data.num_nodes, data.num_nodes))


def with_sparse_features(data: Data) -> Data:
    """A shallow copy of ``data`` whose bag-of-words features are CSR (``sparse_features``):
    the tokenizer's first layer and its feature reconstruction then cost ``O(non-zeros)``."""
    sparse = copy.copy(data)
    sparse.x = sparse_features(data.x)
    return sparse


def train_tokenizer(data: Data, cfg: VQGraphConfig) -> VQTokenizer:
    """Train a ``VQTokenizer`` on ``data``, keeping the epoch of best validation accuracy.

    The codebook starts at the initial representations of ``K`` random nodes, and after
    every step unused codewords restart at current ones (``restart_unused_codes``), read
    in the mode ``cfg.restart_codes_from`` names.
    """
    torch.manual_seed(cfg.seed)
    adjacency = sparse_adjacency(data)
    train = TrainConfig(**cfg.tokenizer_train)
    num_classes = int(data.y.max()) + 1
    size = min(cfg.codebook_size, data.num_nodes)
    net = VQTokenizer(data.num_features, num_classes, size, cfg).to(data.x.device)
    with torch.no_grad():
        net.eval()
        z = net.encode(data.x, adjacency)
        net.codebook.copy_(z[torch.randperm(data.num_nodes, device=z.device)[:size]])
    opt = torch.optim.Adam(net.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    best_key, best_state, stale = (-1.0, 0.0), None, 0
    for _ in range(train.epochs):
        net.train()
        opt.zero_grad()
        loss, z, tokens = net.loss(data, adjacency, cfg)
        loss.backward()
        opt.step()
        evaluated = net.represent(data, adjacency)
        if cfg.restart_codes_from == "eval":
            z, tokens = evaluated, token_similarities(evaluated, net.codebook).argmax(-1)
        restart_unused_codes(net.codebook, z, tokens)
        logits, _, _ = net.predict(data, adjacency, evaluated)
        key = (accuracy(logits, data.y, data.val_mask),
               -F.cross_entropy(logits[data.val_mask], data.y[data.val_mask]).item())
        if key > best_key:
            best_key, best_state, stale = key, copy.deepcopy(net.state_dict()), 0
        else:
            stale += 1
            if stale >= train.patience:
                break
    net.load_state_dict(best_state)
    return net


class TokenMatching(RepresentationObjective):
    """``lam * CE + (1 - lam) * KD(soft labels) + beta * KL(teacher || student token assignment)``.

    The student's hidden layer goes through ``project`` (trained with it, unused at
    inference) to the codebook space; the codebook is frozen.
    """

    def __init__(self, cfg: VQGraphConfig, hidden_dim: int, codebook: Tensor, teacher_tokens: Tensor,
                 soft_labels: Tensor) -> None:
        super().__init__()
        self.cfg, self.divergence = cfg, kd_loss(cfg.kd_loss, cfg.logit_standardization)
        self.project = nn.Linear(hidden_dim, codebook.size(1))
        self.register_buffer("codebook", codebook)
        self.register_buffer("teacher_tokens", teacher_tokens)
        self.register_buffer("soft_labels", soft_labels)

    def forward(self, out: Tensor, data: Data, hidden: Tensor) -> Tensor:
        cfg = self.cfg
        ce = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        kd = self.divergence(out, self.soft_labels, cfg.temperature)
        student_tokens = token_similarities(self.project(hidden), self.codebook)
        tokens = kd_loss("kl")(student_tokens, self.teacher_tokens, cfg.token_temperature)
        return cfg.lam * ce + (1 - cfg.lam) * kd + cfg.token_weight * tokens


@register_student("vqgraph", VQGraphConfig)
def vqgraph(cfg: VQGraphConfig, teacher_logits: Tensor, data: Data) -> TokenMatching:
    graph = with_sparse_features(data)
    tokenizer = train_tokenizer(graph, cfg)
    logits, teacher_tokens, tokens = tokenizer.predict(graph, sparse_adjacency(graph))
    soft_labels = logits if cfg.soft_labels == "tokenizer" else teacher_logits
    objective = TokenMatching(cfg, cfg.hidden, tokenizer.codebook.detach().clone(), teacher_tokens, soft_labels)
    objective.metrics = {
        "vq_teacher_val_acc": accuracy(logits, data.y, data.val_mask),
        "vq_teacher_test_acc": accuracy(logits, data.y, data.test_mask),
        "vq_codes_used": float(tokens.unique().numel()),
    }
    return objective

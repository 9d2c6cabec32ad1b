"""How well a model forgot: membership and link inference on the forget set, and closeness
to the model retrained without it (the gold standard of exact unlearning).

An attack AUC of 0.5 means the attacker cannot tell deleted elements from elements the
model never saw; values far below 0.5 are as telling as values above it (a model that is
suspiciously unsure exactly on the deleted nodes reveals them too).
"""
from __future__ import annotations

import random
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from torch import Tensor
from torch_geometric.utils import negative_sampling


def _auc(positive: Tensor, negative: Tensor) -> float:
    labels = torch.cat([torch.ones(positive.numel()), torch.zeros(negative.numel())])
    scores = torch.cat([positive.reshape(-1), negative.reshape(-1)]).detach().cpu().float()
    return float(roc_auc_score(labels.numpy(), scores.numpy()))


def true_label_confidence(logits: Tensor, y: Tensor) -> Tensor:
    """Softmax probability of each node's true label: what a confidence attack reads."""
    return F.softmax(logits.float(), dim=-1).gather(1, y.view(-1, 1)).view(-1)


def membership_auc(logits: Tensor, y: Tensor, members: Tensor, non_members: Tensor) -> float:
    """AUC of a confidence-based membership-inference attack (Shokri et al., 2017).

    The score of a node is the probability the model gives its true label; the AUC says how
    well that separates ``members`` (the forget set, once trained on) from ``non_members``
    (e.g. test nodes, never trained on). 0.5: the forget set looks unseen.
    """
    confidence = true_label_confidence(logits, y)
    return _auc(confidence[members], confidence[non_members])


@contextmanager
def _python_seed(seed: int):
    """PyG's ``negative_sampling`` draws with Python's ``random``; seed it, then restore it."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def edge_auc(outputs: Tensor, deleted_edges: Tensor, edge_index: Tensor, *, seed: int = 0) -> float:
    """AUC of a link-inference attack on the deleted edges, as GNNDelete and D2DGN evaluate.

    ``outputs`` are per-node softmax outputs or hidden embeddings; an edge's score is the
    cosine similarity of its endpoints' rows. The deleted edges (``[2, k]``) are separated
    from as many node pairs that were never edges: negatives are sampled (seeded) against
    ``edge_index``, the *original* graph's, so no deleted edge counts as a negative.
    """
    with _python_seed(seed):
        negatives = negative_sampling(edge_index, num_nodes=outputs.size(0), num_neg_samples=deleted_edges.size(1))
    outputs = outputs.detach().float()

    def score(pairs: Tensor) -> Tensor:
        return F.cosine_similarity(outputs[pairs[0]], outputs[pairs[1]], dim=-1)

    return _auc(score(deleted_edges.to(outputs.device)), score(negatives.to(outputs.device)))


def prediction_distance(logits_a: Tensor, logits_b: Tensor, mask: Tensor) -> float:
    """Mean total-variation distance between two models' softmax outputs over ``mask``:
    0 for the same predictions, 1 for disjoint ones (e.g. an unlearnt model vs ``retrain``)."""
    p, q = F.softmax(logits_a[mask].float(), dim=-1), F.softmax(logits_b[mask].float(), dim=-1)
    return float(0.5 * (p - q).abs().sum(-1).mean())


def forget_accuracy(logits: Tensor, y: Tensor, nodes: Tensor) -> float:
    """Accuracy on the forget set; a model that forgot drops toward what unseen nodes get."""
    if nodes.numel() == 0:
        return float("nan")
    return float((logits[nodes].argmax(-1) == y[nodes]).float().mean())

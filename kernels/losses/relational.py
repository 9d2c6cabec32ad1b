"""TRG: "Knowledge Distillation via Token-level Relationship Graph".

Zhang, Liu and He, 2023, https://arxiv.org/abs/2306.12442. Besides the usual logit KD,
the paper builds a graph whose vertices are the tokens (patch features) of a batch and
whose edges are their pairwise similarities; the student matches the teacher's graph,
row by row, as softmax distributions compared with KL. A second, *contextual* term makes
each token keep the teacher's relation to the context of its own instance. The total is
logit KD plus the two relational terms, with weights the paper tunes.

Adapted to node classification, where the registry's losses see only the logits:

* A vertex is a node and its "token" is its temperature-softened probability vector;
  edges are cosine similarities. Row i of the graph, without the trivial self-similarity,
  goes through a softmax at ``RELATION_TEMPERATURE`` (cosines of probability vectors lie
  in [0, 1], so at temperature 1 every row would be close to uniform).
* The graph is quadratic in the nodes, so above ``max_nodes`` it is built on a random
  subset drawn with a generator seeded by ``seed``: the same nodes on every call, so the
  loss is a deterministic function of the logits and reruns compare like with like. The
  per-node KL and the contextual term still cover every node.
* A node has no tokens of its own, and this signature carries no edges, so its context is
  the node set: the contextual term is the squared difference between the student's and
  the teacher's cosine similarity of each node to the mean probability vector, i.e. the
  student keeps how typical each node is of the whole graph.
* The three terms get unit weights (the signature carries no knobs, and the student's
  ``lam`` already weighs distillation against cross-entropy). Only the per-node KL carries
  the T^2 factor of Hinton et al.; the relational terms compare similarities, whose scale
  does not shrink with T.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from kernels.losses.kd import hinton_kl, register_kd_loss

RELATION_TEMPERATURE = 0.1
MAX_NODES = 2048


def _relation_logits(probs: Tensor) -> Tensor:
    """Off-diagonal cosine similarities ``[n, n - 1]``, divided by ``RELATION_TEMPERATURE``."""
    unit = F.normalize(probs, dim=-1)
    n = unit.size(0)
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=unit.device)
    return (unit @ unit.T)[off_diagonal].view(n, n - 1) / RELATION_TEMPERATURE


def _context_similarity(probs: Tensor) -> Tensor:
    """Cosine similarity ``[N]`` of each node's probabilities to the node set's mean."""
    return F.cosine_similarity(probs, probs.mean(0, keepdim=True), dim=-1)


@register_kd_loss("trg")
def relationship_graph(student: Tensor, teacher: Tensor, temperature: float = 1.0,
                       max_nodes: int = MAX_NODES, seed: int = 0) -> Tensor:
    """Per-node KL + node-similarity-graph KL + contextual similarity MSE.

    Args:
        student, teacher: logits ``[N, C]``.
        temperature: softening of both probability vectors (default: 1.0).
        max_nodes: largest node set the similarity graph is built on (default: 2048).
        seed: seed of the subset drawn when ``N > max_nodes`` (default: 0).

    Returns a scalar.
    """
    p_s = F.softmax(student / temperature, dim=-1)
    p_t = F.softmax(teacher / temperature, dim=-1)
    context = F.mse_loss(_context_similarity(p_s), _context_similarity(p_t))
    if p_s.size(0) > max_nodes:
        generator = torch.Generator().manual_seed(seed)
        subset = torch.randperm(p_s.size(0), generator=generator)[:max_nodes].to(p_s.device)
        p_s, p_t = p_s[subset], p_t[subset]
    graph = F.kl_div(F.log_softmax(_relation_logits(p_s), dim=-1), F.log_softmax(_relation_logits(p_t), dim=-1),
                     log_target=True, reduction="batchmean")
    return hinton_kl(student, teacher, temperature) + graph + context

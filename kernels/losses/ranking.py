"""PLD: "A Choice-Theoretic List-Wise Knowledge Distillation" (Plackett-Luce distillation).

Bassam et al., 2025, https://arxiv.org/abs/2506.12542. The paper reads logits as
Plackett-Luce worth scores. The teacher fixes one "teacher-optimal" permutation pi of the
classes (the true label first, then the rest by descending teacher logit), and the student
maximises that permutation's Plackett-Luce likelihood, each choice weighted by the
teacher's confidence in it:

    L = sum_k w_k * ( -s_{pi_k} + logsumexp_{j >= k} s_{pi_j} ),   w_k = softmax(t / T)_{pi_k}

Its first term is a teacher-weighted cross-entropy, so the paper uses PLD *instead of*
CE + KL, with no mixing weight to tune.

Adapted to node classification: the registry's losses see logits only, so pi is the
teacher's ranking alone (its top class first) on every node, labelled or not. The
label-first ordering needs labels and is left to the student objective: with ``lam > 0``
the student's cross-entropy on labelled nodes plays that part, and ``lam = 0`` gives the
paper's single-term objective with the teacher's top class standing in for the label.
The temperature softens only the weights; the student's scores stay raw so the first term
is an ordinary cross-entropy, and there is no T^2 factor because the gradient in the
scores does not shrink with T. Unlike the divergences, PLD is a likelihood: it is not
zero when the student equals the teacher (it keeps rewarding a wider margin between
consecutive ranks), and it is invariant to adding a constant to a node's student logits.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from kernels.losses.kd import register_kd_loss


@register_kd_loss("pld")
def plackett_luce(student: Tensor, teacher: Tensor, temperature: float = 1.0) -> Tensor:
    """Confidence-weighted Plackett-Luce loss of the teacher's class ranking, averaged over nodes.

    Args:
        student, teacher: logits ``[N, C]``; teacher ties are ranked by class index.
        temperature: softening of the teacher's confidence weights (default: 1.0).

    Returns a scalar.
    """
    order = teacher.argsort(dim=-1, descending=True, stable=True)
    scores = student.gather(-1, order)
    weights = F.softmax(teacher / temperature, dim=-1).gather(-1, order)
    tail = scores.flip(-1).logcumsumexp(-1).flip(-1)  # logsumexp over ranks k..C, stable
    return (weights * (tail - scores)).sum(-1).mean()

"""BD-KD: "Balancing the Divergences for Online Knowledge Distillation".

Amara et al., 2022, https://arxiv.org/abs/2212.12965. The paper replaces the student's
single KL term by a sample-wise mix of forward KL(p_t || p_s) and reverse KL(p_s || p_t),
the mix set by the gap between the teacher's and the student's entropies on that sample,
so that the student is pushed towards the teacher's confidence and ends up better
calibrated; in its online setting the teacher also gets a reverse-KL regulariser.

Adapted to node classification with a frozen teacher: a sample is a node, and only the
student's loss is kept (our teachers are trained before distillation, so there is no
online teacher loss). The balancing rule is ours, chosen to be simple and to have exact
end points:

    gap_i   = (H_t,i - H_s,i) / min(H_t,i, H_s,i)        (relative entropy gap)
    w_rev,i = (1 + clamp(gap_i, -1, 1)) / 2,   w_fwd,i = 1 - w_rev,i

Reverse KL is ``-H(p_s) - sum p_s log p_t``: it carries an entropy bonus for the
student, so it gets the weight where the student is *sharper* than the teacher (an
over-confident student is softened); forward KL, mass-covering, gets it where the teacher
is sharper. Equal entropies give the even mix (half the Jeffreys divergence). Once one
entropy is at least twice the other the weight saturates, so a node whose student is at
least twice as uncertain as its teacher gets exactly Hinton's forward KL (and the mirror
case exactly reverse KL). The rule is antisymmetric in the two entropies
(``w_rev(H_t, H_s) = w_fwd(H_s, H_t)``), hence the loss is symmetric: swapping student
and teacher logits leaves it unchanged. The weights are detached: they choose the
divergence, and letting gradients flow through them would reward the student for moving
its entropy to pick the cheaper divergence.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from kernels.losses.kd import register_kd_loss


def _entropy(log_p: Tensor) -> Tensor:
    return -(log_p.exp() * log_p).sum(-1)


def divergence_weights(log_p_s: Tensor, log_p_t: Tensor) -> tuple[Tensor, Tensor]:
    """Per-node ``(w_forward, w_reverse)``, each ``[N]``, summing to 1 and detached."""
    with torch.no_grad():
        h_s, h_t = _entropy(log_p_s), _entropy(log_p_t)
        gap = (h_t - h_s) / torch.minimum(h_s, h_t).clamp_min(1e-12)  # both one-hot: 0/eps = 0
        w_reverse = 0.5 * (1 + gap.clamp(-1, 1))
    return 1 - w_reverse, w_reverse


@register_kd_loss("bdkd")
def balanced_divergence(student: Tensor, teacher: Tensor, temperature: float = 1.0) -> Tensor:
    """Per-node entropy-balanced mix of forward and reverse KL, averaged over nodes, times T^2.

    Args:
        student, teacher: logits ``[N, C]``.
        temperature: softening of both distributions, entropies included (default: 1.0).

    Returns a scalar.
    """
    log_p_s = F.log_softmax(student / temperature, dim=-1)
    log_p_t = F.log_softmax(teacher / temperature, dim=-1)
    w_forward, w_reverse = divergence_weights(log_p_s, log_p_t)
    forward = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1)
    reverse = (log_p_s.exp() * (log_p_s - log_p_t)).sum(-1)
    return (w_forward * forward + w_reverse * reverse).mean() * temperature**2

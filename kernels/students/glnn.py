"""GLNN: "Graph-less Neural Networks: Teaching Old MLPs New Tricks via Distillation".

Zhang et al., ICLR 2022, https://arxiv.org/abs/2110.08727. The MLP fits
``lam * CE(labels) + (1 - lam) * KD(teacher soft labels, student)`` over every node it can
see, so unlabelled nodes teach through the teacher's predictions.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from kernels.evaluate.train import Objective
from kernels.losses import kd_loss
from kernels.students.registry import StudentConfig, register_student


class GLNNConfig(StudentConfig):
    """GLNN has only the shared knobs (``lam``, ``temperature``, ``kd_loss``, ``logit_standardization``)."""


def soft_label_objective(cfg: StudentConfig, teacher_logits: Tensor) -> Objective:
    divergence = kd_loss(cfg.kd_loss, cfg.logit_standardization)

    def objective(out: Tensor, data: Data) -> Tensor:
        ce = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        return cfg.lam * ce + (1 - cfg.lam) * divergence(out, teacher_logits, cfg.temperature)

    return objective


@register_student("glnn", GLNNConfig)
def glnn(cfg: GLNNConfig, teacher_logits: Tensor, data: Data) -> Objective:
    return soft_label_objective(cfg, teacher_logits)

"""The student family: one registry entry per distillation method, one shared training path.

A method contributes only its objective (a loss over the MLP's logits given the
teacher's, or a ``RepresentationObjective`` that also reads the MLP's hidden layer);
training, validation-only checkpoint selection and the inductive protocol are shared, so
methods differ in exactly what the papers say they differ in.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor
from torch_geometric.data import Data

from kernels.evaluate.train import (Log, Objective, RepresentationObjective, TrainConfig, TrainedModel, accuracy,
                                    train_node_classifier)
from kernels.losses import KD_LOSSES
from kernels.registry import Registry


class StudentConfig(BaseModel):
    """Shared knobs of every student.

    Args:
        hidden, layers, dropout: the MLP (default: 256, 2, 0.5).
        lam: weight of cross-entropy on labelled nodes; ``1 - lam`` weighs distillation
            (default: 0.5).
        temperature: softening of both distributions (default: 1.0).
        kd_loss: a ``KD_LOSSES`` name (default: ``kl``).
        logit_standardization: z-score teacher and student logits per node before the
            distillation loss, so an under-confident teacher still teaches its ranking
            (default: True; chosen on validation accuracy: SAGE teachers kept at an early
            best epoch gave plain-KL students 3-4 points less on Cora).
        mode: ``transductive`` or ``inductive`` (default: transductive).
        inductive_fraction: share of test nodes held out in inductive mode (default: 0.2).
        train: ``TrainConfig`` fields (default: lr 0.01, 500 epochs, patience 100).
        positional: ``none`` or a ``POSITIONAL`` encoder concatenated to the student's
            features (default: none); ``positional_dim`` its width (default: 16).
        seed: split and initialisation seed (default: 0).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    hidden: int = Field(256, gt=0)
    layers: int = Field(2, ge=1)
    dropout: float = Field(0.5, ge=0, lt=1)
    lam: float = Field(0.5, ge=0, le=1)
    temperature: float = Field(1.0, gt=0)
    kd_loss: str = "kl"
    logit_standardization: bool = True
    mode: Literal["transductive", "inductive"] = "transductive"
    inductive_fraction: float = Field(0.2, gt=0, lt=1)
    train: dict[str, Any] = Field(default_factory=lambda: {"epochs": 500, "patience": 100})
    positional: str = "none"
    positional_dim: int = Field(16, gt=0)
    seed: int = 0

    def model_post_init(self, _: Any) -> None:
        from kernels.students.positional import POSITIONAL

        KD_LOSSES.get(self.kd_loss)  # unknown names fail here, listing the choices
        if self.positional != "none":
            POSITIONAL.get(self.positional)
        TrainConfig(**self.train)


def _positional(cfg: StudentConfig, data: Data) -> Tensor | None:
    if cfg.positional == "none":
        return None
    from kernels.students.positional import positional_features

    return positional_features(cfg.positional, data, cfg.positional_dim)


def with_extra_features(data: Data, extra: Tensor | None) -> Data:
    """``data`` with ``extra`` columns appended to ``x`` (a shallow copy; ``data`` is untouched)."""
    if extra is None:
        return data
    out = copy.copy(data)
    out.x = torch.cat([data.x, extra.to(data.x.device)], dim=-1)
    return out


ObjectiveFactory = Callable[[Any, Tensor, Data], Objective]


@dataclass(frozen=True)
class StudentSpec:
    name: str
    config_cls: type[StudentConfig]
    objective: ObjectiveFactory


STUDENTS: Registry[StudentSpec] = Registry("student method")


def register_student(name: str, config_cls: type[StudentConfig]):
    return STUDENTS.register(name, lambda fn: StudentSpec(name, config_cls, fn))


def student_config(name: str, params: dict[str, Any]) -> StudentConfig:
    return STUDENTS.config(name, params)


def _objective_metrics(objective: Objective) -> dict[str, float]:
    """What an objective measured while it was built (e.g. VQGraph's own teacher's accuracy)."""
    return dict(objective.metrics) if isinstance(objective, RepresentationObjective) else {}


def distill(method: str, params: dict[str, Any], data: Data, teacher: TrainedModel, *,
            device: torch.device | str = "cpu", log: Log = lambda _: None,
            observed_teacher: TrainedModel | None = None) -> TrainedModel:
    """Distil ``teacher`` into an MLP with ``method``.

    In ``inductive`` mode a share of test nodes and their edges are removed; the teacher is
    retrained (same model, parameters and training config) on the observed graph, the
    student learns from it there, and both are scored on the held-out nodes afterwards.
    ``observed_teacher``, when given, is that retrained teacher (``train_observed_teacher``
    with the student's seed and fraction), so inductive students of one seed can share it.

    Returns:
        The student as a ``TrainedModel`` (an ``mlp``); its metrics add ``teacher_test_acc``
        and, in inductive mode, ``ind_test_acc`` / ``tran_test_acc`` and
        ``teacher_ind_test_acc``, plus whatever the method's objective measured.
    """
    from kernels.students.inductive import held_out_nodes, observed_graph, train_observed_teacher

    cfg = student_config(method, params)
    spec = STUDENTS.get(method)
    mlp = {"hidden": cfg.hidden, "layers": cfg.layers, "dropout": cfg.dropout}
    train_cfg = TrainConfig(**cfg.train)
    if cfg.mode == "transductive":
        extra = _positional(cfg, data)
        objective = spec.objective(cfg, teacher.logits.to(device), copy.copy(data).to(device))
        student = train_node_classifier("mlp", mlp, with_extra_features(data, extra), train_cfg, seed=cfg.seed,
                                        device=device, log=log, objective=objective)
        student.extra_features = extra
        student.metrics["teacher_test_acc"] = teacher.metrics["test_acc"]
        student.metrics.update(_objective_metrics(objective))
        return student

    held_out = held_out_nodes(data, cfg.inductive_fraction, cfg.seed)
    seen = observed_graph(data, held_out)
    log(f"inductive: {int(held_out.sum())} test nodes held out, {seen.num_nodes} observed")
    seen_teacher = observed_teacher or train_observed_teacher(
        teacher.model, teacher.params, TrainConfig(**teacher.train), data, cfg.inductive_fraction, cfg.seed,
        device=device, log=log)
    if seen_teacher.logits.size(0) != seen.num_nodes:
        raise ValueError(f"observed_teacher has logits for {seen_teacher.logits.size(0)} nodes, but seed "
                         f"{cfg.seed}'s observed graph has {seen.num_nodes}: train it with the student's seed "
                         f"and inductive_fraction")
    objective = spec.objective(cfg, seen_teacher.logits.to(device), copy.copy(seen).to(device))
    seen_extra = _positional(cfg, seen)
    student = train_node_classifier("mlp", mlp, with_extra_features(seen, seen_extra), train_cfg, seed=cfg.seed,
                                    device=device, log=log, objective=objective)
    if seen_extra is not None:
        from kernels.students.positional import extend_to_new_nodes

        student.extra_features = extend_to_new_nodes(seen_extra, seen.n_id, data)
    with torch.no_grad():
        student_logits = student.module()(student.inputs(data), None)
        teacher_logits = seen_teacher.module()(data.x, data.edge_index)  # GNN sees the full graph
    observed_test = data.test_mask & ~held_out
    student.logits = student_logits
    student.metrics.update(
        test_acc=accuracy(student_logits, data.y, data.test_mask),
        ind_test_acc=accuracy(student_logits, data.y, held_out),
        tran_test_acc=accuracy(student_logits, data.y, observed_test),
        teacher_test_acc=accuracy(teacher_logits, data.y, data.test_mask),
        teacher_ind_test_acc=accuracy(teacher_logits, data.y, held_out),
    )
    student.metrics.update(_objective_metrics(objective))
    return student

"""Self-supervised pretrainers of teacher models, by the model they pretrain.

A teacher setting whose ``model`` has a pretrainer may carry ``pretrain`` params: the
teacher is then the pretrained encoder with a head trained on the labels under the
setting's ``train`` config (a linear probe, or fine-tuning). Keying by model keeps one
name per teacher architecture: ``graphmae`` is both the network and how it is pretrained.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from pydantic import BaseModel
from torch_geometric.data import Data

from kernels.evaluate.train import Log, TrainConfig, TrainedModel
from kernels.models import model_config
from kernels.registry import Registry


@dataclass(frozen=True)
class PretrainerSpec:
    name: str
    config_cls: type[BaseModel]
    # (data, network config, pretraining config, head TrainConfig, seed, device, log) -> teacher
    fn: Callable[..., TrainedModel]


PRETRAINERS: Registry[PretrainerSpec] = Registry("pretrainer")


def register_pretrainer(model: str, config_cls: type[BaseModel]):
    return PRETRAINERS.register(model, lambda fn: PretrainerSpec(model, config_cls, fn))


def train_pretrained_teacher(model: str, params: dict[str, Any], pretrain: dict[str, Any], data: Data,
                             head: TrainConfig, *, seed: int = 0, device: torch.device | str = "cpu",
                             log: Log = lambda _: None) -> TrainedModel:
    """Pretrain ``model`` without labels under ``pretrain``, then train its head under ``head``."""
    spec = PRETRAINERS.get(model)
    return spec.fn(data, model_config(model, params), PRETRAINERS.config(model, pretrain), head, seed=seed,
                   device=torch.device(device), log=log)

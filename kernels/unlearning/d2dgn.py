"""D2DGN, Distill to Delete (Sinha, Mandal & Kankanhalli, 2023, https://arxiv.org/abs/2309.16173).

The graph's knowledge is split into a retained and a deleted part. A student of the
teacher's architecture learns the retained part from a "preserver" (the trained teacher:
its soft targets by KL, its hidden node embeddings by MSE) and the deleted part from a
"destroyer", a randomly initialised model of the same architecture: forgetting means
answering, on the deleted elements, like a model that never learnt them.

Adapted here, and why:

- The paper mixes the two parts as ``alpha * L_retain + (1 - alpha) * L_forget``; here
  each term has its own weight (``feature_weight``, ``delete_weight``), so the embedding
  term can be switched off for teachers without message-passing layers.
- These are node classifiers, so the deleted part of an edge request is the endpoints of
  the deleted edges: their predictions are where an edge's knowledge shows.
- Both preserver and destroyer answer on the retained graph, so no deleted edge reaches
  the student through message passing.
- The student starts from the teacher's weights by default, so a few dozen epochs are
  enough; ``init: random`` trains it from scratch.
- A class request removes the class from the preserver's soft targets (renormalised over
  the other classes): a model that never saw the class's labels never predicts it, and
  soft targets that still name it would teach it back through the class's unlabelled nodes.
  For the same reason the deleted nodes learn these targets too, not the destroyer's: what
  a model without the class answers on them is known, one of the other classes.
- Node and class requests stop at the right amount of forgetting (``calibrate``). A class
  is forgotten once no validation node is predicted as it; the rest of this paragraph is
  about node requests. Pushed toward the
  destroyer for long enough, deleted nodes end up far *less* confident than nodes the model
  never saw (Cora: a membership-attack AUC of 0.03, where retraining gives 0.54), which
  reveals them as surely as remembering them. Among the epochs within ``val_tolerance`` of
  the teacher's validation accuracy, the kept one is where the attack separates the
  deleted nodes from *validation* nodes (never trained on, like test nodes) closest to chance.
"""
from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor, nn
from torch_geometric.data import Data

from kernels.evaluate.train import Log, TrainedModel, accuracy
from kernels.losses import feature_matching
from kernels.losses.kd import hinton_kl
from kernels.models import build_model
from kernels.models.layers import hidden_representations
from kernels.unlearning.methods import EpochsConfig, fit, register_unlearner, teacher_network
from kernels.unlearning.metrics import membership_auc
from kernels.unlearning.requests import UnlearningRequest, retained_graph


class D2DGNConfig(EpochsConfig):
    """``d2dgn``.

    Args:
        epochs: distillation epochs (default: 20).
        temperature: softening of both soft-target distributions (default: 2.0).
        feature_weight: weight of hidden-embedding matching on retained nodes; 0 skips
            it, for teachers without message-passing layers (default: 1.0).
        delete_weight: weight of the KL toward the random model on the deleted part
            (default: 1.0).
        init: ``teacher`` (start from its weights) or ``random`` (default: teacher).
        calibrate: keep, among epochs close to the teacher's validation accuracy, the one
            whose deleted nodes a membership attack tells from validation nodes closest to
            chance (node requests) or that predicts the forgotten class for the fewest
            validation nodes (class requests) (default: True).
        val_tolerance: validation accuracy a calibrated epoch may give up against the
            teacher's on the retained graph (default: 0.01).
    """

    epochs: int = Field(20, ge=1)
    temperature: float = Field(2.0, gt=0)
    feature_weight: float = Field(1.0, ge=0)
    delete_weight: float = Field(1.0, ge=0)
    init: Literal["teacher", "random"] = "teacher"
    calibrate: bool = True
    val_tolerance: float = Field(0.01, ge=0, le=1)


def hidden_embeddings(net: nn.Module, x: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
    """``net``'s logits and its node embeddings entering its last layer."""
    logits, hidden = hidden_representations(net, x, edge_index)
    if not hidden:
        raise ValueError(f"{type(net).__name__} has one layer, so no hidden embeddings to match; "
                         f"use a deeper teacher, or set feature_weight=0")
    return logits, hidden[-1]


@register_unlearner("d2dgn", D2DGNConfig)
def d2dgn(cfg: D2DGNConfig, teacher: TrainedModel, data: Data, request: UnlearningRequest, seed: int,
          device: torch.device, log: Log) -> TrainedModel:
    """Distil the retained knowledge from the teacher and the deleted knowledge from a random model."""
    graph = retained_graph(data, request).to(device)
    forget = torch.zeros(data.num_nodes, dtype=torch.bool, device=device)
    forget[request.forget_nodes().to(device)] = True
    retain = ~forget
    matches_features = cfg.feature_weight > 0
    with torch.no_grad():
        source = teacher.module().to(device)
        if matches_features:
            soft, hidden = hidden_embeddings(source, graph.x, graph.edge_index)
        else:
            soft = source(graph.x, graph.edge_index)
        # The "deleted knowledge" teacher: same architecture, never trained.
        blank = build_model(teacher.model, teacher.params, teacher.in_dim, teacher.out_dim, seed=seed + 1)
        blank_soft = blank.to(device).eval()(graph.x, graph.edge_index)
    if request.kind == "class":
        soft = soft.clone()
        soft[:, int(request.config["label"])] = soft.min() - 50.0  # no probability left on the class
    forget_target = soft if request.kind == "class" else blank_soft
    student = (teacher_network(teacher) if cfg.init == "teacher"
               else build_model(teacher.model, teacher.params, teacher.in_dim, teacher.out_dim, seed=seed))
    torch.manual_seed(seed)  # dropout

    def objective(net: nn.Module, g: Data) -> Tensor:
        if matches_features:
            out, h = hidden_embeddings(net, g.x, g.edge_index)
            features = feature_matching(h[retain], hidden[retain])
        else:
            out, features = net(g.x, g.edge_index), torch.zeros((), device=device)
        kept = hinton_kl(out[retain], soft[retain], cfg.temperature)
        deleted = hinton_kl(out[forget], forget_target[forget], cfg.temperature)
        return kept + cfg.feature_weight * features + cfg.delete_weight * deleted

    gap, floor = None, None
    if cfg.calibrate and request.kind != "edges":
        y, val_mask, nodes = graph.y, graph.val_mask, forget
        floor = accuracy(soft, y, val_mask) - cfg.val_tolerance
        if request.kind == "nodes":
            def gap(logits: Tensor) -> float:
                return abs(membership_auc(logits, y, nodes, val_mask) - 0.5)
        else:
            label, every_val = int(request.config["label"]), data.val_mask.to(device)

            def gap(logits: Tensor) -> float:  # a model without the class never predicts it
                return float((logits[every_val].argmax(-1) == label).float().mean())

    return fit(student, teacher, graph, objective, cfg, device=device, log=log, forgetting_gap=gap, val_floor=floor)

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
"""
from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor, nn
from torch_geometric.data import Data

from kernels.evaluate.train import Log, TrainedModel
from kernels.losses import feature_matching
from kernels.losses.kd import hinton_kl
from kernels.models import build_model
from kernels.unlearning.methods import EpochsConfig, fit, register_unlearner, teacher_network
from kernels.unlearning.requests import UnlearningRequest, retained_graph


class D2DGNConfig(EpochsConfig):
    """``d2dgn``.

    Args:
        epochs: distillation epochs (default: 50).
        temperature: softening of both soft-target distributions (default: 2.0).
        feature_weight: weight of hidden-embedding matching on retained nodes; 0 skips
            it, for teachers without message-passing layers (default: 1.0).
        delete_weight: weight of the KL toward the random model on the deleted part
            (default: 1.0).
        init: ``teacher`` (start from its weights) or ``random`` (default: teacher).
    """

    epochs: int = Field(50, ge=1)
    temperature: float = Field(2.0, gt=0)
    feature_weight: float = Field(1.0, ge=0)
    delete_weight: float = Field(1.0, ge=0)
    init: Literal["teacher", "random"] = "teacher"


def hidden_embeddings(net: nn.Module, x: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
    """``net``'s logits and its node embeddings before the last message-passing layer.

    Works for PyG ``BasicGNN`` models (GCN, GAT, GraphSAGE): a forward pre-hook on
    ``net.convs[-1]`` captures that layer's input, so the models need no extra output.
    """
    convs = getattr(net, "convs", None)
    if not isinstance(convs, nn.ModuleList) or len(convs) == 0:
        raise ValueError(f"{type(net).__name__} has no 'convs' layers to read hidden embeddings from; "
                         f"use a GCN, GAT or SAGE teacher, or set feature_weight=0")
    captured: list[Tensor] = []
    handle = convs[-1].register_forward_pre_hook(lambda _, args: captured.append(args[0]))
    try:
        logits = net(x, edge_index)
    finally:
        handle.remove()
    return logits, captured[0]


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
        deleted = hinton_kl(out[forget], blank_soft[forget], cfg.temperature)
        return kept + cfg.feature_weight * features + cfg.delete_weight * deleted

    return fit(student, teacher, graph, objective, cfg, device=device, log=log)

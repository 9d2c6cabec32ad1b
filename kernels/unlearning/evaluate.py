"""The unlearning report's numbers for one model: what it kept, what it forgot, how close it
is to the model retrained without the deleted elements."""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from kernels.evaluate.train import accuracy
from kernels.unlearning.metrics import edge_auc, forget_accuracy, membership_auc, prediction_distance
from kernels.unlearning.requests import UnlearningRequest


def unlearning_scores(logits: Tensor, reference: Tensor, data: Data, request: UnlearningRequest, *,
                      seed: int = 0) -> dict[str, float]:
    """Scores of a model's ``logits`` (on the graph it serves) for ``request``.

    ``retained_test_acc``: test accuracy on the retained classes (a class request's own test
    nodes are what it should now fail on: ``forgotten_class_test_acc``). Node and class
    requests: ``forget_acc`` and ``membership_auc``, a confidence attack separating the
    deleted nodes from test nodes (0.5: they look unseen). Edge requests: ``edge_auc``, the
    link-inference AUC of deleted edges against never-existing pairs. Every request:
    ``distance_to_retrain``, the mean total-variation distance to ``reference`` (the
    ``retrain`` model's logits) over all nodes.
    """
    y = data.y.cpu()
    logits, reference = logits.cpu(), reference.cpu()
    test = data.test_mask.cpu()
    scores = {}
    if request.kind == "class":
        forgotten = y == int(request.config["label"])
        scores["forgotten_class_test_acc"] = accuracy(logits, y, test & forgotten)
        test = test & ~forgotten
    scores["retained_test_acc"] = accuracy(logits, y, test)
    if request.kind == "edges":
        scores["edge_auc"] = edge_auc(torch.softmax(logits, dim=-1), request.edges, data.edge_index.cpu(), seed=seed)
    else:
        members = torch.zeros_like(test)
        members[request.nodes] = True
        scores["forget_acc"] = forget_accuracy(logits, y, request.nodes)
        scores["membership_auc"] = membership_auc(logits, y, members, data.test_mask.cpu())
    scores["distance_to_retrain"] = prediction_distance(logits, reference, torch.ones_like(test))
    return scores

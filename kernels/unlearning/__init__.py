"""Graph unlearning ("right to be forgotten"): deletion requests, unlearning methods, and
the attacks and distances that say how much was forgotten."""
from kernels.unlearning.methods import UNLEARNERS, unlearn
from kernels.unlearning.d2dgn import hidden_embeddings  # importing d2dgn registers it
from kernels.unlearning.metrics import (edge_auc, forget_accuracy, membership_auc, prediction_distance,
                                        true_label_confidence)
from kernels.unlearning.requests import RequestConfig, UnlearningRequest, retained_graph, select_request

__all__ = ["UNLEARNERS", "RequestConfig", "UnlearningRequest", "edge_auc", "forget_accuracy", "hidden_embeddings",
           "membership_auc", "prediction_distance", "retained_graph", "select_request", "true_label_confidence",
           "unlearn"]

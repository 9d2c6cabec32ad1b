"""Graph classification: TU datasets, graph-level GNNs and their training loop."""
from kernels.graphs.data import TUConfig, graph_labels, load_tu_dataset, stratified_splits
from kernels.graphs.models import GRAPH_MODELS, GraphClassifier, build_graph_model, pool_nodes
from kernels.graphs.train import GraphTrainConfig, TrainedGraphModel, binary_auc, train_graph_classifier

__all__ = ["GRAPH_MODELS", "GraphClassifier", "GraphTrainConfig", "TUConfig", "TrainedGraphModel", "binary_auc",
           "build_graph_model", "graph_labels", "load_tu_dataset", "pool_nodes", "stratified_splits",
           "train_graph_classifier"]

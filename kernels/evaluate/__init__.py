"""Training loops, the evaluation protocol and run measurement."""
from kernels.evaluate.measure import RunMeasurement, measure
from kernels.evaluate.train import TrainConfig, TrainedModel, accuracy, train_node_classifier

__all__ = ["RunMeasurement", "TrainConfig", "TrainedModel", "accuracy", "measure", "train_node_classifier"]

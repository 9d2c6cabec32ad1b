"""Self-supervised pretraining of teachers' encoders: labels enter only after pretraining."""
from kernels.pretrain.graphmae import GraphMAEConfig, PretrainedEncoder, pretrain_graphmae, train_graphmae_teacher
from kernels.pretrain.registry import PRETRAINERS, train_pretrained_teacher

__all__ = ["PRETRAINERS", "GraphMAEConfig", "PretrainedEncoder", "pretrain_graphmae", "train_graphmae_teacher",
           "train_pretrained_teacher"]

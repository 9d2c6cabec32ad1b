"""Self-supervised pretraining of teachers' encoders: labels enter only after pretraining."""
from kernels.pretrain.graphmae import GraphMAEConfig, PretrainedEncoder, pretrain_graphmae, train_graphmae_teacher

__all__ = ["GraphMAEConfig", "PretrainedEncoder", "pretrain_graphmae", "train_graphmae_teacher"]

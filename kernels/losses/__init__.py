"""Knowledge-distillation losses behind one registry (``KD_LOSSES``)."""
from kernels.losses.kd import KD_LOSSES, feature_matching, kd_loss, standardize_logits

__all__ = ["KD_LOSSES", "feature_matching", "kd_loss", "standardize_logits"]

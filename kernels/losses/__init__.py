"""Knowledge-distillation losses behind one registry (``KD_LOSSES``).

``kd`` holds the registry and the classic divergences; ``balanced`` (BD-KD), ``ranking``
(PLD) and ``relational`` (TRG) add their entries when imported here.
"""
from kernels.losses import balanced, ranking, relational  # noqa: F401  (they register their losses)
from kernels.losses.kd import KD_LOSSES, feature_matching, kd_loss, standardize_logits

__all__ = ["KD_LOSSES", "feature_matching", "kd_loss", "standardize_logits"]

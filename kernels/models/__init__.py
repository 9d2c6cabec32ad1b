"""Node-classification models from PyG behind one registry: ``build_model(name, params, ...)``."""
from kernels.models.registry import MODELS, ModelSpec, build_model, model_config
from kernels.models import graphmae  # noqa: F401  (registers the model)

__all__ = ["MODELS", "ModelSpec", "build_model", "model_config"]

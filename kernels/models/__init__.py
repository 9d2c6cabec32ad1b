"""Node-classification models from PyG behind one registry: ``build_model(name, params, ...)``."""
from kernels.models.registry import MODELS, ModelSpec, build_model, model_config

__all__ = ["MODELS", "ModelSpec", "build_model", "model_config"]

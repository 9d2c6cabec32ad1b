"""Graph condensation: one module per method behind ``condense``."""
from kernels.condense.budget import budget_size, class_budgets
from kernels.condense.graph import CondensedGraph
from kernels.condense.registry import CONDENSERS, CondenserConfig, CondenserSpec, condense, condenser_config
from kernels.condense import clustgdd, coreset, gcdm, gcond, whole  # noqa: F401  (registers the methods)

__all__ = ["CONDENSERS", "CondensedGraph", "CondenserConfig", "CondenserSpec", "budget_size", "class_budgets",
           "condense", "condenser_config"]

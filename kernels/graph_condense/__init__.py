"""Graph-classification condensation: Mirage and graph coresets behind ``condense_graphs``."""
from kernels.graph_condense import coreset, mirage  # noqa: F401  (registers the methods)
from kernels.graph_condense.distilled import DistilledGraphs, graphs_nbytes
from kernels.graph_condense.registry import GRAPH_CONDENSERS, condense_graphs, graph_condenser_config

__all__ = ["GRAPH_CONDENSERS", "DistilledGraphs", "condense_graphs", "graph_condenser_config", "graphs_nbytes"]

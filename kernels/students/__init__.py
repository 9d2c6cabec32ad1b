"""GNN-to-MLP distillation: students that need no graph at inference."""
from kernels.students.registry import STUDENTS, StudentConfig, distill
from kernels.students import ffg2m, glnn, vqgraph  # noqa: F401  (registers the methods)

__all__ = ["STUDENTS", "StudentConfig", "distill"]

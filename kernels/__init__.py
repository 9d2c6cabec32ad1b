"""Pure PyTorch / PyTorch Geometric kernels of graphdistill.

Nothing here imports dagster: every kernel is usable from a notebook.
"""

"""Report figures rendered to PNG bytes (matplotlib, headless)."""
from __future__ import annotations

import io
from collections.abc import Sequence


def scatter_png(points: Sequence[tuple[str, float, float]], xlabel: str, ylabel: str, title: str,
                log_x: bool = False) -> bytes:
    """One labelled point per ``(label, x, y)``; returns PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for label, x, y in points:
        ax.scatter(x, y, s=28)
        ax.annotate(label, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()

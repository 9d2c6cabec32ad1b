"""Report figures rendered to PNG bytes (matplotlib, headless)."""
from __future__ import annotations

import io
from collections.abc import Sequence


def _pyplot():
    """``matplotlib.pyplot`` on the headless Agg backend (run workers have no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    _pyplot().close(fig)
    return buffer.getvalue()


def scatter_png(points: Sequence[tuple[str, float, float]], xlabel: str, ylabel: str, title: str,
                log_x: bool = False) -> bytes:
    """One labelled point per ``(label, x, y)``; returns PNG bytes."""
    fig, ax = _pyplot().subplots(figsize=(7, 4.5), dpi=110)
    for label, x, y in points:
        ax.scatter(x, y, s=28)
        ax.annotate(label, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    return _png(fig)


def curves_png(curves: dict[str, Sequence[tuple[float, float]]], xlabel: str, ylabel: str, title: str) -> bytes:
    """One line with markers per ``label -> [(x, y), ...]``; returns PNG bytes."""
    fig, ax = _pyplot().subplots(figsize=(7, 4.5), dpi=110)
    for label, points in curves.items():
        xs, ys = zip(*sorted(points))
        ax.plot(xs, ys, marker="o", label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def training_curves_png(history: dict[str, list[float]], title: str) -> bytes:
    """Training loss and validation accuracy per epoch, on two axes; returns PNG bytes.

    The two curves together show what a single number hides: divergence, overfitting after
    the selected epoch, or a run stopped by patience while still improving.
    """
    fig, loss_ax = _pyplot().subplots(figsize=(7, 4), dpi=110)
    epochs = range(1, len(history["loss"]) + 1)
    loss_ax.plot(epochs, history["loss"], color="tab:red", label="training loss")
    loss_ax.set(xlabel="epoch", ylabel="training loss", title=title)
    acc_ax = loss_ax.twinx()
    acc_ax.plot(epochs, [100 * v for v in history["val_acc"]], color="tab:blue", label="val accuracy")
    acc_ax.set_ylabel("validation accuracy (%)")
    fig.legend(loc="upper right", fontsize=8)
    return _png(fig)

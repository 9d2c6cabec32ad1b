"""Markdown tables of warehouse results, shared by the report assets and the benchmark scripts."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def format_mean_std(mean: float, std: float | None, runs: int) -> str:
    """Percent, with ± std only when there is more than one run to take it over."""
    return f"{100 * mean:.2f} ± {100 * std:.2f}" if runs > 1 and std is not None else f"{100 * mean:.2f}"


def students_chosen_markdown(chosen: Iterable[Mapping[str, Any]]) -> str:
    """Rows of ``DuckDBWarehouse.students_chosen_on_validation`` as a table; empty without rows."""
    rows = [[r["dataset"], r["method"], r["mode"], format_mean_std(r["mean"], r["std"], r["seeds"]),
             "–" if r["ind_mean"] is None else format_mean_std(r["ind_mean"], r["ind_std"], r["seeds"]),
             f"{100 * r['val_mean']:.2f}", r["seeds"], r["chosen"]] for r in chosen]
    header = ["dataset", "method", "mode", "test acc (%)", "held-out test acc (%)", "val acc (%)", "seeds",
              "settings chosen"]
    return markdown_table(header, rows) if rows else ""

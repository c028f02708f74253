"""Charts of the analytics results with matplotlib (the optional ``plot`` extra).

Each function draws on ``ax`` (a new figure when None) and returns the Axes, so a notebook
shows it and a script can ``ax.figure.savefig(...)``. Amounts are converted to floats only to
place bars and lines on the canvas; the figures printed on the chart come from the exact
Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from crmcore._tables import require

__all__ = ["bars", "cdf", "funnel", "stacked"]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    plt = require("matplotlib.pyplot", "plot")
    _, created = plt.subplots(figsize=(8, 4.5))
    return created


def bars(
    labels: Sequence[str],
    series: Mapping[str, Sequence[Decimal]],
    *,
    title: str,
    unit: str,
    ax: Any = None,
) -> Any:
    """Grouped vertical bars, one group per label, one bar per series."""
    axes = _axes(ax)
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        positions = [j + i * width for j in range(len(labels))]
        axes.bar(positions, [float(v) for v in values], width, label=name)
    axes.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(labels))])
    axes.set_xticklabels(labels, rotation=30 if len(labels) > 6 else 0, ha="right")
    axes.set_title(title)
    axes.set_ylabel(unit)
    axes.legend()
    return axes


def stacked(
    labels: Sequence[str],
    layers: Mapping[str, Sequence[Decimal]],
    *,
    title: str,
    unit: str,
    ax: Any = None,
) -> Any:
    """Horizontal stacked bars, one per label, one segment per layer (negatives to the left)."""
    axes = _axes(ax)
    positive = [0.0] * len(labels)
    negative = [0.0] * len(labels)
    for name, values in layers.items():
        numbers = [float(v) for v in values]
        starts = [n if v >= 0 else m for v, n, m in zip(numbers, positive, negative, strict=True)]
        axes.barh(range(len(labels)), numbers, left=starts, label=name)
        for i, v in enumerate(numbers):
            if v >= 0:
                positive[i] += v
            else:
                negative[i] += v
    axes.set_yticks(range(len(labels)))
    axes.set_yticklabels(labels)
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(unit)
    axes.legend(fontsize="small")
    return axes


def funnel(stages: Sequence[str], reached: Sequence[int], *, title: str, ax: Any = None) -> Any:
    """A funnel: centred horizontal bars of how many deals reached each stage."""
    axes = _axes(ax)
    top = max(reached, default=0) or 1
    axes.barh(range(len(stages)), reached, left=[(top - r) / 2 for r in reached])
    for i, count in enumerate(reached):
        axes.text(top / 2, i, f"{count:,}", ha="center", va="center")
    axes.set_yticks(range(len(stages)))
    axes.set_yticklabels(stages)
    axes.invert_yaxis()
    axes.set_xticks([])
    axes.set_title(title)
    return axes


def cdf(
    amounts: Sequence[Decimal],
    cumulative: Sequence[Decimal],
    marks: Mapping[str, Decimal],
    *,
    title: str,
    unit: str,
    ax: Any = None,
) -> Any:
    """A cumulative distribution as a step line, with labelled vertical marks (P10, target)."""
    axes = _axes(ax)
    axes.step([float(a) for a in amounts], [float(c) for c in cumulative], where="post")
    for name, value in marks.items():
        axes.axvline(float(value), linestyle="--", linewidth=1)
        axes.text(float(value), 0.02, f" {name}", rotation=90, va="bottom")
    axes.set_ylim(0, 1.02)
    axes.set_title(title)
    axes.set_xlabel(unit)
    axes.set_ylabel("P(amount ≤ x)")
    return axes

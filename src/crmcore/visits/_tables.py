"""Notebook presentation of the visit results: ``to_records()`` rows and an HTML table."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from crmcore._decimal import CONTEXT

__all__ = ["html_table", "percent_of"]

_PERCENT = Decimal("0.01")


def percent_of(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a percentage rounded half-even to 0.01; None when ``whole`` is 0."""
    if not whole:
        return None
    return CONTEXT.divide(Decimal(part) * 100, Decimal(whole)).quantize(_PERCENT, context=CONTEXT)


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def html_table(title: str, records: Sequence[Mapping[str, Any]]) -> str:
    """A small HTML table with a caption; numbers right-aligned, values escaped."""
    columns: list[str] = []
    for record in records:
        columns.extend(c for c in record if c not in columns)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for record in records:
        cells = []
        for column in columns:
            value = record.get(column)
            numeric = isinstance(value, int | Decimal) and not isinstance(value, bool)
            style = ' style="text-align:right"' if numeric else ""
            cells.append(f"<td{style}>{html.escape(_show(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><caption>{html.escape(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )

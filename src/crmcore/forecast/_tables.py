"""Notebook presentation shared by the results: ``to_records()`` and an HTML table."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from crmcore._decimal import CONTEXT

__all__ = ["Record", "html_table", "ratio"]

#: One row of ``to_records()``: column name → plain value (str, int, Decimal, None).
Record = dict[str, Any]

_PLACES = Decimal("0.01")


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """``numerator / denominator`` as a Decimal at 34 digits, or None when dividing by zero."""
    if not denominator:
        return None
    return CONTEXT.divide(Decimal(numerator), Decimal(denominator))


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.quantize(_PLACES, context=CONTEXT):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def html_table(title: str, records: Sequence[Mapping[str, Any]]) -> str:
    """A small HTML table with a caption; numbers right-aligned, Decimals to two places."""
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

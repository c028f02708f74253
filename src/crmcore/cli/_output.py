"""Rendering results: aligned text tables for people, CSV and JSON for machines.

Tables measure text by its display width, so columns of Chinese names (two columns per
character in a terminal) line up with English ones.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from crmcore._decimal import CONTEXT
from crmcore.money import Currency

__all__ = ["csv_text", "display_width", "json_text", "plain_amount", "text_table"]

_WIDE: Final = frozenset({"W", "F"})


def plain_amount(amount: Decimal, currency: Currency) -> str:
    """The exact amount in plain notation with at least the currency's minor units.

    ``480000.0`` in CNY → ``"480000.00"``; ``1234.5675`` stays ``"1234.5675"`` (never rounded:
    machine-readable output keeps every digit the calculation produced).
    """
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -currency.minor_units:
        amount = amount.quantize(currency.quantum, context=CONTEXT)
    return f"{amount:f}"


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide and full-width characters take two."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in _WIDE else 1
        for ch in text
    )


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: int) -> str:
    """An aligned table: the first ``numeric`` columns from the right are right-aligned."""
    widths = [display_width(h) for h in header]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    first_number = len(header) - numeric

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            _pad(cell, widths[i], i >= first_number) for i, cell in enumerate(cells)
        ).rstrip()

    lines = [line(header), line(["-" * w for w in widths])]
    lines.extend(line(row) for row in rows)
    return "\n".join(lines) + "\n"


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """CSV with a header row, ``\\n`` line ends, quoting only where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def json_text(document: object) -> str:
    """Indented JSON, non-ASCII kept as is (names stay readable)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

"""Rendering results: aligned text tables for people, CSV and JSON for machines.

Tables measure text by its display width, so columns of Chinese names (two columns per
character in a terminal) line up with English ones.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from crmcore._decimal import CONTEXT
from crmcore.money import Currency

__all__ = ["csv_text", "display_width", "json_text", "plain_amount", "safe_cell", "text_table"]

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


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]], *, raw: bool = False) -> str:
    """CSV with a header row, ``\\n`` line ends, quoting only where needed.

    Unless ``raw``, a cell a spreadsheet would run as a formula is escaped (OWASP's rule).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    cell = (lambda text: text) if raw else safe_cell
    writer.writerow([cell(text) for text in header])
    writer.writerows([cell(text) for text in row] for row in rows)
    return buffer.getvalue()


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def safe_cell(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is escaped
    (OWASP, CSV injection), except a plain number such as ``-12.50``.
    """
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def json_text(document: object) -> str:
    """Indented JSON, non-ASCII kept as is (names stay readable)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

"""Notebook presentation shared by the forecast results (the kernel's result-table protocol)."""

from __future__ import annotations

from decimal import Decimal

from crmcore._decimal import CONTEXT
from crmcore._tables import Record, ResultTable, html_table

__all__ = ["Record", "ResultTable", "html_table", "ratio"]


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """``numerator / denominator`` as a Decimal at 34 digits, or None when dividing by zero."""
    if not denominator:
        return None
    return CONTEXT.divide(Decimal(numerator), Decimal(denominator))

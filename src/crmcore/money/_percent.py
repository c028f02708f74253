"""Percentages as exact values: ``Percent("12.5")`` is 12.5 %, never ambiguous with 0.125."""

from __future__ import annotations

from decimal import Decimal
from functools import total_ordering
from typing import Any

import attrs

from crmcore._decimal import CONTEXT, to_decimal
from crmcore._numbers import check_result

__all__ = ["Percent"]


def _percent_value(value: object) -> Decimal:
    if isinstance(value, Percent):
        return value.value
    return to_decimal(value, "percent")


@total_ordering
@attrs.frozen(order=False)
class Percent:
    """A percentage: ``Percent("12.5").fraction == Decimal("0.125")``; floats are refused."""

    value: Decimal = attrs.field(converter=_percent_value)

    @property
    def fraction(self) -> Decimal:
        """The value as a fraction of one: 12.5 % → 0.125."""
        return CONTEXT.divide(self.value, Decimal(100))

    @classmethod
    def from_fraction(cls, fraction: Decimal | int | str) -> Percent:
        """Build from a fraction of one: ``Percent.from_fraction("0.125") == Percent("12.5")``."""
        value = CONTEXT.multiply(to_decimal(fraction, "fraction"), Decimal(100))
        return cls(check_result(value, "fraction"))

    def is_between(self, low: int | Decimal = 0, high: int | Decimal = 100) -> bool:
        """True when ``low <= value <= high`` (0–100 % by default)."""
        return low <= self.value <= high

    def __lt__(self, other: Any) -> bool:
        if not isinstance(other, Percent):
            return NotImplemented
        return self.value < other.value

    def __add__(self, other: Percent) -> Percent:
        if not isinstance(other, Percent):
            return NotImplemented
        return Percent(check_result(CONTEXT.add(self.value, other.value), "add"))

    def __sub__(self, other: Percent) -> Percent:
        if not isinstance(other, Percent):
            return NotImplemented
        return Percent(check_result(CONTEXT.subtract(self.value, other.value), "subtract"))

    def __str__(self) -> str:
        return f"{self.value.normalize(CONTEXT):f} %"

    def __repr__(self) -> str:
        return f"Percent('{self.value}')"

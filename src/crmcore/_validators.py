"""Private attrs validators shared by the domain packages; messages read ``field: problem``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from crmcore.errors import ValidationError
from crmcore.money import Money, Percent

__all__ = ["non_empty", "non_negative", "percent_0_100", "positive"]


def _number(value: Any) -> Decimal | int:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Percent):
        return value.value
    return value  # type: ignore[no-any-return]


def positive(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Refuse zero and negative numbers, Money and Percent."""
    if value is not None and not _number(value) > 0:
        raise ValidationError(f"{attribute.name}: must be > 0, got {value}")


def non_negative(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Refuse negative numbers, Money and Percent."""
    if value is not None and _number(value) < 0:
        raise ValidationError(f"{attribute.name}: must be >= 0, got {value}")


def percent_0_100(_: object, attribute: attrs.Attribute[Any], value: Percent | None) -> None:
    """Refuse a Percent outside 0–100 %."""
    if value is not None and not value.is_between(0, 100):
        raise ValidationError(f"{attribute.name}: must be between 0 % and 100 %, got {value}")


def non_empty(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Refuse an empty or blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{attribute.name}: must be a non-empty string, got {value!r}")

"""Private attrs validators shared by the domain packages; messages read ``field: problem``."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from crmcore._numbers import show
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent

__all__ = ["member", "non_empty", "non_negative", "percent_0_100", "positive", "text"]

E = TypeVar("E", bound=enum.Enum)


def member(kind: type[E], value: object, name: str) -> E:
    """``value`` as a member of ``kind`` (a member or its value); ValidationError naming
    ``name`` and the choices otherwise (never the enum's own ValueError)."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (ValueError, TypeError):
        choices = ", ".join(repr(m.value) for m in kind)
        raise ValidationError(f"{name}: {show(value)} is not one of {choices}") from None


def _number(value: Any) -> Decimal | int:
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, Percent):
        return value.value
    return value  # type: ignore[no-any-return]


def _checked_number(attribute: attrs.Attribute[Any], value: Any) -> Decimal | int:
    number = _number(value)
    if isinstance(number, bool) or not isinstance(number, Decimal | int):
        raise ValidationError(
            f"{attribute.name}: expected a number, Money or Percent, got "
            f"{type(value).__name__} {show(value, 200)}"
        )
    return number


def _plain(value: object) -> str:
    """``str(value)``, except that an int too long for Python to print is described."""
    return show(value, 200) if isinstance(value, int) else str(value)


def positive(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Refuse zero and negative numbers, Money and Percent (and anything not a number)."""
    if value is not None and not _checked_number(attribute, value) > 0:
        raise ValidationError(f"{attribute.name}: must be > 0, got {_plain(value)}")


def non_negative(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Refuse negative numbers, Money and Percent (and anything not a number)."""
    if value is not None and _checked_number(attribute, value) < 0:
        raise ValidationError(f"{attribute.name}: must be >= 0, got {_plain(value)}")


def percent_0_100(_: object, attribute: attrs.Attribute[Any], value: Percent | None) -> None:
    """Refuse anything but a Percent between 0 % and 100 %."""
    if value is None:
        return
    if not isinstance(value, Percent):
        raise ValidationError(
            f"{attribute.name}: expected a Percent such as Percent('10'), got "
            f"{type(value).__name__} {show(value, 200)}"
        )
    if not value.is_between(0, 100):
        raise ValidationError(f"{attribute.name}: must be between 0 % and 100 %, got {value}")


def text(value: object, what: str) -> str:
    """``value`` when it is a non-blank string, else ValidationError naming ``what``."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what}: must be a non-empty string, got {show(value, 200)}")
    return value


def non_empty(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    """Refuse an empty or blank string."""
    text(value, attribute.name)

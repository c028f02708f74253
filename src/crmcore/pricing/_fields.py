"""Converters and validators for pricing's fields: wrong-typed input raises ValidationError.

Pricing checks the types of its own inputs (rather than relying on the kernel validators) so
that a Decimal where Money belongs, a bare Percent where a discount belongs or a str where a
date belongs is refused at construction, naming the field and the value, instead of failing
later inside ``PricingEngine.price`` with a bare Python exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import attrs

from crmcore._numbers import show
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent

__all__ = [
    "a_date",
    "instance_of",
    "is_money",
    "optional",
    "percent_0_100",
    "percent_non_negative",
    "strings",
    "to_optional_percent",
    "to_percent",
]

_NUMBER_TYPES = (str, int, Decimal)


def _shown(value: object) -> str:
    """The value with its type, unless its repr already names it: ``str 'x'``, ``Decimal('1')``."""
    shown, kind = show(value, 200), type(value)
    if shown.startswith((kind.__name__, f"{kind.__module__}.")):
        return shown
    return f"{kind.__name__} {shown}"


def to_percent(value: Percent | Decimal | int | str) -> Percent:
    """Turn a number (str, int or Decimal: ``"12.5"`` is 12.5 %) into a Percent.

    Anything else is left as it is for the field's validator to refuse, naming the field.
    """
    if isinstance(value, _NUMBER_TYPES) and not isinstance(value, bool):
        try:
            return Percent(value)
        except ValidationError:
            return cast("Percent", value)  # the validator refuses it, naming the field
    return cast("Percent", value)


def to_optional_percent(value: Percent | Decimal | int | str | None) -> Percent | None:
    """Like [`to_percent`][crmcore.pricing.to_percent], keeping None."""
    return None if value is None else to_percent(value)


def _check_percent(attribute: attrs.Attribute[Any], value: object) -> Percent:
    if isinstance(value, Percent):
        return value
    if isinstance(value, float):
        raise ValidationError(
            f"{attribute.name}: float {value!r} refused; floats are inexact, "
            f"pass Percent('{value}') or the str '{value}'"
        )
    raise ValidationError(
        f"{attribute.name}: expected a Percent such as Percent('10') (or a number as str, int "
        f"or Decimal), got {_shown(value)}"
    )


def percent_0_100(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Refuse a non-Percent and a Percent outside 0–100 %."""
    checked = _check_percent(attribute, value)
    if not checked.is_between(0, 100):
        raise ValidationError(f"{attribute.name}: must be between 0 % and 100 %, got {checked}")


def percent_non_negative(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Refuse a non-Percent and a negative Percent."""
    checked = _check_percent(attribute, value)
    if checked.value < 0:
        raise ValidationError(f"{attribute.name}: must be >= 0, got {checked}")


def is_money(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Refuse anything but a non-negative Money."""
    if not isinstance(value, Money):
        raise ValidationError(
            f"{attribute.name}: expected Money such as Money('10', 'CNY'), got {_shown(value)}"
        )
    if value.amount < 0:
        raise ValidationError(f"{attribute.name}: must be >= 0, got {value}")


def a_date(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Refuse anything but a calendar date (a datetime too: pricing works in days)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(
            f"{attribute.name}: expected a date such as date(2026, 3, 1), got {_shown(value)}"
        )


Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def optional(validator: Validator) -> Validator:
    """``validator``, letting None through."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            validator(instance, attribute, value)

    return check


def instance_of(*classes: type[Any], or_none: bool = False) -> Validator:
    """A validator refusing anything but an instance of ``classes`` (and None if optional)."""
    names = [c.__name__ for c in classes]
    expected = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and or_none:
            return
        if not isinstance(value, classes):
            raise ValidationError(f"{attribute.name}: expected {expected}, got {value!r}")

    return check


def frozen_strs(value: Iterable[str]) -> frozenset[str]:
    """A set of names from one name or any iterable of names."""
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


def strings(_: object, attribute: attrs.Attribute[Any], value: frozenset[object]) -> None:
    """Refuse a set holding anything but strings."""
    for item in value:
        if not isinstance(item, str):
            raise ValidationError(f"{attribute.name}: expected strings, got {_shown(item)}")

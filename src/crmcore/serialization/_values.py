"""Free-form field values (a lead's custom fields, an opportunity's feedback...) and their JSON.

JSON values (None, bool, int, finite float, str, lists, dicts with string keys) are saved
as they are; Decimal, Money, Percent, date and datetime as one-key tagged objects such as
``{"$money": {"amount": "100", "currency": "CNY"}}``, so they load back as the same type
and a saved lead equals the original. Keys of nested dicts may not start with ``$`` (the
tags' mark), so a tag is never mistaken for data. Anything else is refused with the path.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crmcore._numbers import bounded, bounded_int, show
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.serialization._converter import converter
from crmcore.serialization._limits import MAX_DEPTH

__all__ = ["check_values", "decode_values", "encode_values"]

_KINDS = "None, bool, int, float, str, Decimal, Money, Percent, date, datetime, lists and dicts"

# datetime before date: a datetime is also a date.
_TAGGED: tuple[tuple[type, str], ...] = (
    (Money, "$money"),
    (Percent, "$percent"),
    (Decimal, "$decimal"),
    (datetime, "$datetime"),
    (date, "$date"),
)
_TAGS: dict[str, type] = {tag: kind for kind, tag in _TAGGED}


def _check(value: object, path: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValidationError(f"{path}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, int) and not isinstance(value, bool):
        bounded_int(value, f"{path}: ")
        return
    if value is None or isinstance(value, bool | str | Money | Percent | date):
        return
    if isinstance(value, float) and math.isfinite(value):
        return
    if isinstance(value, Decimal) and value.is_finite():
        bounded(value, f"{path}: ")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]", depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{path}: key {show(key)} is not a string")
            if key.startswith("$"):
                raise ValidationError(f"{path}: key {key!r} may not start with '$'")
            _check(item, f"{path}.{key}", depth + 1)
        return
    raise ValidationError(
        f"{path}: cannot store {type(value).__name__} {show(value)} (use {_KINDS} of them)"
    )


def check_values(values: Mapping[str, Any], path: str) -> None:
    """Refuse any value that would not save to JSON and load back equal."""
    for key, value in values.items():
        if not isinstance(key, str):
            raise ValidationError(f"{path}: key {show(key)} is not a string")
        _check(value, f"{path}.{key}")


def _encode(value: Any) -> Any:
    for kind, tag in _TAGGED:
        if isinstance(value, kind):
            return {tag: converter.unstructure(value, kind)}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    return value


def _decode(data: Any) -> Any:
    if isinstance(data, list):
        return [_decode(item) for item in data]
    if isinstance(data, dict):
        if len(data) == 1:
            ((tag, inner),) = data.items()
            if tag in _TAGS:
                return converter.structure(inner, _TAGS[tag])
        return {key: _decode(item) for key, item in data.items()}
    return data


def encode_values(path: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """An unstructure hook for a mapping of field values (checks them first)."""

    def encode(values: Mapping[str, Any]) -> dict[str, Any]:
        check_values(values, path)
        return {key: _encode(value) for key, value in values.items()}

    return encode


def decode_values(data: object, _: object = None) -> dict[str, Any]:
    """A structure hook: the saved mapping of field values, tags turned back into values."""
    if not isinstance(data, dict):
        raise ValidationError(f"expected an object of fields, got {data!r}")
    return {str(key): _decode(value) for key, value in data.items()}

"""cattrs hooks so rules, price lists, policies and requests load from plain dicts / JSON.

Tagged unions (rule effects, manual and order discounts) are written with a ``kind`` key:
``{"kind": "percent_off", "percent": "10"}``. An amount off is ``unit_amount_off`` (per unit:
a rule effect or a line discount) or ``order_amount_off`` (the whole order); crmcore 0.1
wrote ``amount_off`` for both, which still loads as the one its place allows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import cattrs
from cattrs.gen import make_dict_unstructure_fn

from crmcore.errors import ValidationError
from crmcore.pricing._catalog import Customer
from crmcore.pricing._request import (
    AmountOff,
    LineDiscount,
    OrderDiscount,
    PercentOff,
    TargetTotal,
    UnitAmountOff,
)
from crmcore.pricing._rules import EFFECT_KINDS, Effect

__all__ = ["configure_converter"]


def _tagged(
    converter: cattrs.Converter,
    kinds: Mapping[str, type[Any]],
    what: str,
    aliases: Mapping[str, str],
) -> Callable[[object, object], Any]:
    classes = tuple(kinds.values())
    allowed = ", ".join(repr(k) for k in kinds)

    def structure(value: object, _: object) -> Any:
        if isinstance(value, classes):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(f"expected a {what} mapping with a 'kind', got {value!r}")
        kind = value.get("kind")
        kind = aliases.get(kind, kind) if isinstance(kind, str) else kind
        if not isinstance(kind, str) or kind not in kinds:
            raise ValidationError(f"kind: {kind!r} is not one of {allowed}")
        rest = {k: v for k, v in value.items() if k != "kind"}
        return converter.structure(rest, kinds[kind])

    return structure


def _register(
    converter: cattrs.Converter,
    union: Any,
    kinds: Mapping[str, type[Any]],
    what: str,
    aliases: Mapping[str, str],
) -> None:
    hook = _tagged(converter, kinds, what, aliases)
    converter.register_structure_hook_func(lambda t: t == union, hook)

    def optional(value: object, _: object) -> Any:
        return None if value is None else hook(value, _)

    converter.register_structure_hook_func(lambda t: t == union | None, optional)


def _with_kind(converter: cattrs.Converter, cls: type[Any]) -> None:
    base = make_dict_unstructure_fn(cls, converter)
    converter.register_unstructure_hook(cls, lambda obj: {"kind": cls.kind, **base(obj)})


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the tagged effects and discounts (call once per converter)."""

    def customer(value: object, _: object) -> str | Customer:
        if isinstance(value, str | Customer):
            return value
        return converter.structure(value, Customer)

    # The 0.1 tag ``amount_off`` meant per unit in a rule effect, the whole order in an order
    # discount: each place loads it as what it meant there.
    _register(converter, Effect, EFFECT_KINDS, "rule effect", {"amount_off": "unit_amount_off"})
    _register(
        converter,
        LineDiscount,
        {c.kind: c for c in (PercentOff, UnitAmountOff)},
        "line discount",
        {},
    )
    _register(
        converter,
        OrderDiscount,
        {c.kind: c for c in (PercentOff, AmountOff, TargetTotal)},
        "order discount",
        {"amount_off": "order_amount_off"},
    )
    for cls in sorted(
        {*EFFECT_KINDS.values(), PercentOff, UnitAmountOff, AmountOff, TargetTotal},
        key=lambda c: c.__name__,
    ):
        _with_kind(converter, cls)
    converter.register_structure_hook_func(lambda t: t == str | Customer, customer)

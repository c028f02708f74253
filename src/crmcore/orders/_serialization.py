"""Hooks so orders save to plain data and load back (``to_dict`` / ``from_dict``).

The events not yet pulled are not part of the data (the unit of work collects them); the
history is, each event as ``{"event": name, ...fields}``. Approval reasons carry a limit
that is Money (floors) or a Percent (discounts): Money is a mapping, a Percent a string.
"""

from __future__ import annotations

from typing import Any

from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore.errors import ValidationError
from crmcore.events import DomainEvent, event_type
from crmcore.money import Money, Percent
from crmcore.orders._order import Order
from crmcore.serialization import converter

__all__: list[str] = []


def _money_or_percent(value: object, _: object) -> Money | Percent:
    if isinstance(value, Money | Percent):
        return value
    if isinstance(value, dict):
        return converter.structure(value, Money)
    if isinstance(value, str):
        return converter.structure(value, Percent)
    raise ValidationError(f"expected Money (a mapping) or a Percent (a string), got {value!r}")


def _events_out(events: list[DomainEvent]) -> list[dict[str, Any]]:
    return [{"event": e.event_name, **converter.unstructure(e)} for e in events]


def _events_in(data: object, _: type) -> list[DomainEvent]:
    if not isinstance(data, list):
        raise ValidationError(f"expected a list of events, got {data!r}")
    events = []
    for item in data:
        if not isinstance(item, dict) or "event" not in item:
            raise ValidationError(f"an event needs its 'event' name, got {item!r}")
        fields = {k: v for k, v in item.items() if k != "event"}
        events.append(converter.structure(fields, event_type(item["event"])))
    return events


converter.register_structure_hook_func(lambda t: t == Money | Percent, _money_or_percent)
converter.register_unstructure_hook(
    Order,
    make_dict_unstructure_fn(
        Order,
        converter,
        _new_events=override(omit=True),
        _history=override(unstruct_hook=_events_out, rename="history"),
        _shipments=override(rename="shipments"),
        _returns=override(rename="returns"),
    ),
)
converter.register_structure_hook(
    Order,
    make_dict_structure_fn(
        Order,
        converter,
        _cattrs_forbid_extra_keys=True,
        _new_events=override(omit=True),
        _history=override(struct_hook=_events_in, rename="history"),
        _shipments=override(rename="shipments"),
        _returns=override(rename="returns"),
    ),
)

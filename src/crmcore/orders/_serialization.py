"""Hooks so orders save to plain data and load back (``to_dict`` / ``from_dict``).

The events not yet pulled are not part of the data (the unit of work collects them); the
history is, each event as ``{"event": name, ...fields}``. Approval reasons carry a limit
that is Money (floors) or a Percent (discounts): Money is a mapping, a Percent a string.
"""

from __future__ import annotations

from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore.orders._order import Order
from crmcore.serialization import converter

__all__: list[str] = []


converter.register_unstructure_hook(
    Order,
    make_dict_unstructure_fn(
        Order,
        converter,
        _history=override(rename="history"),
        _shipments=override(rename="shipments"),
        _returns=override(rename="returns"),
        _receipts=override(rename="receipts"),
        _short_closes=override(rename="short_closes"),
    ),
)
converter.register_structure_hook(
    Order,
    make_dict_structure_fn(
        Order,
        converter,
        _cattrs_forbid_extra_keys=True,
        _history=override(rename="history"),
        _shipments=override(rename="shipments"),
        _returns=override(rename="returns"),
        _receipts=override(rename="receipts"),
        _short_closes=override(rename="short_closes"),
    ),
)

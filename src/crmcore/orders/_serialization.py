"""Hooks so orders save to plain data and load back (``to_dict`` / ``from_dict``).

The events not yet pulled are not part of the data (the unit of work collects them); the
history is, each event as ``{"event": name, ...fields}``. Approval reasons carry a limit
that is Money (floors) or a Percent (discounts): Money is a mapping, a Percent a string.
"""

from __future__ import annotations

import cattrs

from crmcore.orders._order import Order
from crmcore.serialization import register_record

__all__ = ["configure_converter"]


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the order (call once per converter, after pricing and workflow)."""
    register_record(
        converter,
        Order,
        renamed=("history", "shipments", "returns", "receipts", "short_closes"),
    )

"""Hooks so orders save to plain data and load back (``to_dict`` / ``from_dict``).

The events not yet pulled are not part of the data (the unit of work collects them); the
history is, each event as ``{"event": name, ...fields}``. Approval reasons carry a limit
that is Money (floors) or a Percent (discounts): Money is a mapping, a Percent a string.
"""

from __future__ import annotations

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore.orders._order import Order

__all__ = ["configure_converter"]

_FACTS = ("history", "shipments", "returns", "receipts", "short_closes")


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the order (call once per converter, after pricing and workflow)."""
    renames = {f"_{name}": override(rename=name) for name in _FACTS}
    converter.register_unstructure_hook(
        Order,
        make_dict_unstructure_fn(Order, converter, **renames),  # type: ignore[arg-type]
    )
    converter.register_structure_hook(
        Order,
        make_dict_structure_fn(
            Order,
            converter,
            _cattrs_forbid_extra_keys=True,
            **renames,  # type: ignore[arg-type]
        ),
    )

"""Hooks so opportunities save to plain data and load back equal (``to_dict`` / ``from_dict``).

The feedback ``fields`` are free-form: Money, Decimal, Percent and dates in them keep their
types through JSON (the kernel's tagged values); pending events are not data.
"""

from __future__ import annotations

import cattrs
from cattrs.gen import override

from crmcore.forecast._opportunity import Opportunity, OpportunityOpened
from crmcore.serialization import (
    decode_values,
    encode_values,
    load_aliases,
    register_record,
)

__all__ = ["configure_converter"]


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the opportunity (call once per converter)."""
    register_record(
        converter,
        Opportunity,
        saving={"fields": override(unstruct_hook=encode_values("fields"))},
        loading={"fields": override(struct_hook=decode_values)},
    )
    # crmcore 0.1 stored the owner as "owner".
    load_aliases(Opportunity, converter, owner="owner_id")
    load_aliases(OpportunityOpened, converter, owner="owner_id")

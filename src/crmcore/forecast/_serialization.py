"""Hooks so opportunities save to plain data and load back equal (``to_dict`` / ``from_dict``).

The feedback ``fields`` are free-form: Money, Decimal, Percent and dates in them keep their
types through JSON (the kernel's tagged values); pending events are not data.
"""

from __future__ import annotations

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore.forecast._opportunity import Opportunity, OpportunityOpened
from crmcore.serialization import decode_values, encode_values, load_aliases

__all__ = ["configure_converter"]


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the opportunity (call once per converter)."""
    converter.register_unstructure_hook(
        Opportunity,
        make_dict_unstructure_fn(
            Opportunity,
            converter,
            fields=override(unstruct_hook=encode_values("fields")),
        ),
    )
    converter.register_structure_hook(
        Opportunity,
        make_dict_structure_fn(
            Opportunity,
            converter,
            fields=override(struct_hook=decode_values),
            _cattrs_forbid_extra_keys=True,
        ),
    )
    # crmcore 0.1 stored the owner as "owner".
    load_aliases(Opportunity, converter, owner="owner_id")
    load_aliases(OpportunityOpened, converter, owner="owner_id")

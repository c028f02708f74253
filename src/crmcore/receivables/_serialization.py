"""Hooks so receivables save to plain data and load back (``to_dict`` / ``from_dict``).

The events not yet pulled are not part of the data (the unit of work collects them); the
history is, each event as ``{"event": name, ...fields}`` so it reads back into its class.
Sets of role names are saved as sorted lists so the output is stable.
"""

from __future__ import annotations

import cattrs
from cattrs.gen import override

from crmcore.errors import ValidationError
from crmcore.receivables._account import CustomerAccount
from crmcore.receivables._policy import ReceivablePolicy
from crmcore.receivables._receivable import Receivable
from crmcore.serialization import load_aliases, register_record

__all__ = ["configure_converter"]


def _sorted(values: frozenset[str]) -> list[str]:
    return sorted(values)


_ROLE_FIELDS = ("record_roles", "finance_roles", "return_roles")
_RECEIVABLE_FACTS = (
    "history",
    "payments",
    "refunds",
    "returns",
    "invoices",
    "credit_notes",
    "write_offs",
    "discounts",
)
_ACCOUNT_FACTS = ("receipts", "credits", "applications", "refunds", "history")


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the receivables' policy and aggregates (once per converter)."""

    def roles(value: object, _: type) -> frozenset[str]:
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            raise ValidationError(f"expected a list of role names, got {value!r}")
        return frozenset(converter.structure(v, str) for v in value)

    register_record(
        converter,
        ReceivablePolicy,
        saving={name: override(unstruct_hook=_sorted) for name in _ROLE_FIELDS},
        loading={name: override(struct_hook=roles) for name in _ROLE_FIELDS},
    )
    register_record(converter, Receivable, renamed=_RECEIVABLE_FACTS)
    register_record(converter, CustomerAccount, renamed=_ACCOUNT_FACTS)
    # crmcore 0.1 stored the owner as "owner".
    load_aliases(Receivable, converter, owner="owner_id")

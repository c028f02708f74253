"""Hooks so receivables save to plain data and load back (``to_dict`` / ``from_dict``).

The events not yet pulled are not part of the data (the unit of work collects them); the
history is, each event as ``{"event": name, ...fields}`` so it reads back into its class.
Sets of role names are saved as sorted lists so the output is stable.
"""

from __future__ import annotations

from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore.errors import ValidationError
from crmcore.receivables._account import CustomerAccount
from crmcore.receivables._policy import ReceivablePolicy
from crmcore.receivables._receivable import Receivable
from crmcore.serialization import converter, load_aliases

__all__: list[str] = []


def _sorted(values: frozenset[str]) -> list[str]:
    return sorted(values)


def _roles(value: object, _: type) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValidationError(f"expected a list of role names, got {value!r}")
    return frozenset(converter.structure(v, str) for v in value)


_ROLE_FIELDS = ("record_roles", "finance_roles", "return_roles")

converter.register_unstructure_hook(
    ReceivablePolicy,
    make_dict_unstructure_fn(
        ReceivablePolicy,
        converter,
        **{name: override(unstruct_hook=_sorted) for name in _ROLE_FIELDS},  # type: ignore[arg-type]
    ),
)
converter.register_structure_hook(
    ReceivablePolicy,
    make_dict_structure_fn(
        ReceivablePolicy,
        converter,
        _cattrs_forbid_extra_keys=True,
        **{name: override(struct_hook=_roles) for name in _ROLE_FIELDS},  # type: ignore[arg-type]
    ),
)
converter.register_unstructure_hook(
    Receivable,
    make_dict_unstructure_fn(
        Receivable,
        converter,
        _history=override(rename="history"),
        _payments=override(rename="payments"),
        _refunds=override(rename="refunds"),
        _returns=override(rename="returns"),
        _invoices=override(rename="invoices"),
        _credit_notes=override(rename="credit_notes"),
        _write_offs=override(rename="write_offs"),
        _discounts=override(rename="discounts"),
    ),
)
converter.register_structure_hook(
    Receivable,
    make_dict_structure_fn(
        Receivable,
        converter,
        _cattrs_forbid_extra_keys=True,
        _history=override(rename="history"),
        _payments=override(rename="payments"),
        _refunds=override(rename="refunds"),
        _returns=override(rename="returns"),
        _invoices=override(rename="invoices"),
        _credit_notes=override(rename="credit_notes"),
        _write_offs=override(rename="write_offs"),
        _discounts=override(rename="discounts"),
    ),
)
# crmcore 0.1 stored the owner as "owner".
load_aliases(Receivable, owner="owner_id")

_ACCOUNT_FACTS = {
    "_receipts": override(rename="receipts"),
    "_credits": override(rename="credits"),
    "_applications": override(rename="applications"),
    "_refunds": override(rename="refunds"),
    "_history": override(rename="history"),
}
converter.register_unstructure_hook(
    CustomerAccount,
    make_dict_unstructure_fn(CustomerAccount, converter, **_ACCOUNT_FACTS),  # type: ignore[arg-type]
)
converter.register_structure_hook(
    CustomerAccount,
    make_dict_structure_fn(
        CustomerAccount,
        converter,
        _cattrs_forbid_extra_keys=True,
        **_ACCOUNT_FACTS,  # type: ignore[arg-type]
    ),
)

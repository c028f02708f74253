"""The aggregate kinds the services store, with the indexes their queries filter on.

Some indexes are *computed* from an aggregate rather than read from an attribute (a
receivable "has a payment awaiting confirmation"); `ComputedKind`
adds them without
changing the domain classes, and both reference adapters keep them in indexed columns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final, TypeVar

import attrs

from crmcore.forecast import Opportunity
from crmcore.leads import Lead, Pool
from crmcore.orders import Order, OrderStatus
from crmcore.ports import Aggregate, AggregateKind
from crmcore.receivables import (
    CustomerAccount,
    InvoiceState,
    PaymentState,
    Receivable,
    RefundState,
)
from crmcore.serialization import from_dict, to_dict
from crmcore.services._records import ApprovalLink, DunningLog, IdempotencyRecord
from crmcore.visits import CustomerSite, Visit, VisitPlan, from_data, to_data
from crmcore.workflow import ApprovalInstance

__all__ = ["KINDS", "ComputedKind"]

A = TypeVar("A", bound=Aggregate)


def _frozen(value: Mapping[str, Callable[[Any], object]]) -> dict[str, Callable[[Any], object]]:
    return dict(value)


@attrs.frozen
class ComputedKind(AggregateKind[A]):
    """An AggregateKind some of whose indexes are functions of the aggregate."""

    computed: dict[str, Callable[[Any], object]] = attrs.field(factory=dict, converter=_frozen)

    def index_values(self, aggregate: A) -> dict[str, object]:
        values: dict[str, object] = {}
        for index in self.indexes:
            compute = self.computed.get(index)
            if compute is not None:
                values[index] = compute(aggregate)
                continue
            current: object = aggregate
            for part in index.split("."):
                current = getattr(current, part) if current is not None else None
            values[index] = current
        return values


def awaiting_confirmation(receivable: Receivable) -> bool:
    """True while some payment of the receivable waits for finance."""
    return any(p.state is PaymentState.PENDING for p in receivable.payments)


def awaiting_invoice(receivable: Receivable) -> bool:
    """True while some invoice request or credit note of the receivable waits to be issued."""
    return any(i.state is InvoiceState.REQUESTED for i in receivable.invoices) or any(
        c.state is InvoiceState.REQUESTED for c in receivable.credit_notes
    )


def has_unpaid(receivable: Receivable) -> bool:
    """True while some installment still has room for money (dunning looks only at these)."""
    return any(room > 0 for room in receivable.room())


def has_outstanding(receivable: Receivable) -> bool:
    """True while some installment still asks for money, on every fact recorded: only these
    receivables count in a customer's exposure and overdue days (the credit check)."""
    return any(row.outstanding.amount != 0 for row in receivable.installment_view(date.max))


def account_awaiting_confirmation(account: CustomerAccount) -> bool:
    """True while a receipt, application or refund of the account waits for finance."""
    return (
        any(r.state is PaymentState.PENDING for r in account.receipts)
        or any(a.state is PaymentState.PENDING for a in account.applications)
        or any(f.state is RefundState.REQUESTED for f in account.refunds)
    )


def _instance_out(instance: ApprovalInstance) -> Mapping[str, Any]:
    data: Mapping[str, Any] = to_dict(instance)
    return data


def _instance_in(data: Mapping[str, Any]) -> ApprovalInstance:
    return from_dict(ApprovalInstance, {"version": 0, **data})  # the adapter sets the version


def awaiting_shipment(order: Order) -> bool:
    """True while a confirmed order still has goods to ship (the shipping to-do list)."""
    return order.status in (OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED)


LEADS: Final = AggregateKind("lead", Lead, indexes=("pool_id", "owner_id", "status"))
POOLS: Final = AggregateKind("lead_pool", Pool)
OPPORTUNITIES: Final = AggregateKind(
    "opportunity",
    Opportunity,
    indexes=("owner_id", "status", "lead_id"),
)
RECEIVABLES: Final = ComputedKind(
    "receivable",
    Receivable,
    indexes=(
        "customer",
        "owner_id",
        "awaiting_confirmation",
        "awaiting_invoice",
        "has_unpaid",
        "has_outstanding",
    ),
    computed={
        "awaiting_confirmation": awaiting_confirmation,
        "awaiting_invoice": awaiting_invoice,
        "has_unpaid": has_unpaid,
        "has_outstanding": has_outstanding,
    },
)
APPROVALS: Final = ComputedKind(
    "approval",
    ApprovalInstance,
    indexes=("status", "subject_id", "kind"),
    dump=_instance_out,
    load=_instance_in,
    computed={"kind": lambda instance: instance.subject_kind},
)
APPROVAL_LINKS: Final = AggregateKind(
    "approval_link", ApprovalLink, indexes=("subject_kind", "subject_id", "status")
)
DUNNING_LOGS: Final = AggregateKind("dunning_log", DunningLog)
IDEMPOTENCY_KEYS: Final = AggregateKind("idempotency_key", IdempotencyRecord)
ORDERS: Final = ComputedKind(
    "order",
    Order,
    indexes=("customer_id", "owner_id", "status", "department", "awaiting_shipment"),
    computed={"awaiting_shipment": awaiting_shipment},
)

VISITS: Final = AggregateKind(
    "visit",
    Visit,
    indexes=("owner_id", "customer_id", "day", "status", "plan_id"),
    dump=to_data,
    load=lambda data: from_data(Visit, data),
)
VISIT_PLANS: Final = AggregateKind(
    "visit_plan",
    VisitPlan,
    indexes=("owner_id", "day"),
    dump=to_data,
    load=lambda data: from_data(VisitPlan, data),
)
VISIT_CUSTOMERS: Final = AggregateKind(
    "visit_customer",
    CustomerSite,
    indexes=("owner_id", "tier", "region"),
    dump=to_data,
    load=lambda data: from_data(CustomerSite, data),
)

ACCOUNTS: Final = ComputedKind(
    "customer_account",
    CustomerAccount,
    indexes=("customer", "owner_id", "awaiting_confirmation"),
    computed={"awaiting_confirmation": lambda account: account_awaiting_confirmation(account)},
)

#: Every kind the services store; pass it (plus any kinds of your own) to the adapter:
#: ``MemoryDatabase(KINDS)`` or ``SqliteDatabase(path, KINDS)``.
KINDS: Final[tuple[AggregateKind[Any], ...]] = (
    LEADS,
    POOLS,
    OPPORTUNITIES,
    RECEIVABLES,
    APPROVALS,
    APPROVAL_LINKS,
    DUNNING_LOGS,
    ORDERS,
    IDEMPOTENCY_KEYS,
    VISITS,
    VISIT_PLANS,
    VISIT_CUSTOMERS,
    ACCOUNTS,
)

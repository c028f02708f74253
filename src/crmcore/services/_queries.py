"""Read models for screens: the money views and the to-do lists. Queries open a unit of
work that is never committed, so they change nothing and send nothing."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import attrs

from crmcore._dates import check_count
from crmcore.errors import NotFound
from crmcore.money import Money
from crmcore.orders import Order, OrderProgress, order_progress
from crmcore.ports import Actor, StoredEvent
from crmcore.receivables import (
    ExceptionKind,
    InvoiceState,
    PaymentException,
    PaymentState,
    Receivable,
    Reminder,
    due_reminders,
    payment_exceptions,
)
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._reads import RecordQueries
from crmcore.services._receivables import dunned
from crmcore.services._records import DunningLog
from crmcore.workflow import ApprovalInstance, ApprovalStatus, ApprovalTodo, pending_tasks_for

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = [
    "CreditNoteTodo",
    "InvoiceTodo",
    "InvoiceView",
    "OrderMoneyView",
    "PaymentTodo",
    "PaymentView",
    "Queries",
    "ShipmentTodo",
]

#: The most events one ``undelivered`` page returns.
MAX_PAGE: Final = 100_000


@attrs.frozen
class ShipmentTodo:
    """A confirmed order with goods still to ship: per priced line, the quantity left."""

    order_id: str
    customer: str
    owner: str
    confirmed_at: datetime
    remaining: tuple[tuple[int, str, Decimal], ...]


@attrs.frozen
class OrderMoneyView:
    """An order's money on ``as_of``: what it is worth and where its receivable stands.

    ``payments`` is the record-a-payment screen and ``invoices`` the request-an-invoice
    screen; both None while the order is not confirmed (no receivable yet). ``discounted``
    (early-payment discounts) and ``written_off`` come from the receivable, so
    ``grand_total − returned − discounted`` is the receivable's net amount (``payments.amount``).
    """

    order_id: str
    status: str
    grand_total: Money | None
    returned: Money
    payments: PaymentView | None
    invoices: InvoiceView | None
    discounted: Money
    written_off: Money


@attrs.frozen
class PaymentView:
    """What the record-a-payment screen shows for one receivable on ``as_of``."""

    receivable_id: str
    as_of: date
    amount: Money
    received: Money
    pending_confirmation: Money
    outstanding: Money
    next_due_date: date | None
    next_amount_due: Money


@attrs.frozen
class InvoiceView:
    """What the request-an-invoice screen shows: ``invoiced + pending + not yet == amount``."""

    receivable_id: str
    amount: Money
    invoiced: Money
    pending_invoice: Money
    not_yet_invoiced: Money


@attrs.frozen
class PaymentTodo:
    """A payment waiting for finance's confirmation."""

    receivable_id: str
    payment_id: str
    customer: str
    owner: str
    amount: Money
    received_on: date
    recorded_by: str
    recorded_at: datetime


@attrs.frozen
class InvoiceTodo:
    """An invoice request waiting to be issued."""

    receivable_id: str
    invoice_id: str
    customer: str
    owner: str
    amount: Money
    title: str
    requested_by: str
    requested_at: datetime


@attrs.frozen
class CreditNoteTodo:
    """A credit note waiting to be issued (``return_id``: the return that asked for it)."""

    receivable_id: str
    credit_note_id: str
    invoice_id: str
    customer: str
    owner: str
    amount: Money
    reason: str
    return_id: str | None
    requested_by: str
    requested_at: datetime


@typed_boundary
class Queries(RecordQueries):
    """The screens' queries; each takes the user looking first.

    Besides the money views and the to-do lists below, ``get_*`` and ``list_*`` read one or
    a page of orders, receivables, leads, opportunities and approvals, and ``aging`` and
    ``forecast`` compute over what the user may see (``crmcore.services.can_read``).
    """

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    def payment_view(
        self, actor: Actor | str, receivable_id: str, as_of: date | None = None
    ) -> PaymentView:
        """Amount, received, pending confirmation, outstanding and the next installment."""

        def work(case: UseCase) -> PaymentView:
            day = case.day(as_of)
            b = case.receivable(receivable_id, "read").balance(day)
            return PaymentView(
                receivable_id,
                day,
                b.net_amount,
                b.received,
                b.pending_confirmation,
                b.outstanding,
                b.next_due_date,
                b.next_amount_due,
            )

        return self._crm.read(actor, "receivable.view", work)

    def invoice_view(self, actor: Actor | str, receivable_id: str) -> InvoiceView:
        """Amount, invoiced, pending invoice and not yet invoiced (as of today)."""

        def work(case: UseCase) -> InvoiceView:
            b = case.receivable(receivable_id, "read").balance(case.at.date())
            return InvoiceView(
                receivable_id, b.net_amount, b.invoiced, b.pending_invoice, b.not_yet_invoiced
            )

        return self._crm.read(actor, "receivable.view", work)

    def order_money_view(
        self, actor: Actor | str, order_id: str, as_of: date | None = None
    ) -> OrderMoneyView:
        """The order's total and returns, with its receivable's payment and invoice views."""

        def work(case: UseCase) -> OrderMoneyView:
            day = case.day(as_of)
            order = case.order(order_id, "read")
            zero = Money.zero(order.currency)
            discounted = written_off = zero
            try:
                receivable = case.repo(Receivable).get(f"AR-{order.id}")
            except NotFound:
                payments, invoices = None, None
            else:
                b = receivable.balance(day)
                discounted, written_off = b.discounted, b.written_off
                payments = PaymentView(
                    receivable.id,
                    day,
                    b.net_amount,
                    b.received,
                    b.pending_confirmation,
                    b.outstanding,
                    b.next_due_date,
                    b.next_amount_due,
                )
                invoices = InvoiceView(
                    receivable.id, b.net_amount, b.invoiced, b.pending_invoice, b.not_yet_invoiced
                )
            return OrderMoneyView(
                order.id,
                order.status.value,
                order.grand_total,
                order.returned_amount,
                payments,
                invoices,
                discounted,
                written_off,
            )

        return self._crm.read(actor, "order.view", work)

    def order_progress(
        self, actor: Actor | str, order_id: str, as_of: date | None = None
    ) -> OrderProgress:
        """The order's delivered and billed progress and invoicing status on ``as_of``."""

        def work(case: UseCase) -> OrderProgress:
            day = case.day(as_of)
            order = case.order(order_id, "read")
            try:
                receivable = case.repo(Receivable).get(f"AR-{order.id}")
            except NotFound:
                return order_progress(order, None)
            return order_progress(order, receivable.balance(day))

        return self._crm.read(actor, "order.view", work)

    def orders_awaiting_shipment(self, actor: Actor | str) -> list[ShipmentTodo]:
        """Confirmed orders with goods left to ship, oldest confirmation first (for users who
        may ship; empty for everyone else)."""

        def work(case: UseCase) -> list[ShipmentTodo]:
            if not self._crm.config.access.allows(case.actor, "order.ship"):
                return []
            todos = []
            for order in case.repo(Order).find(awaiting_shipment=True):
                if not case.may("order", order, "write"):
                    continue
                skus = {line.index: line.sku for line in order.priced_lines}
                todos.append(
                    ShipmentTodo(
                        order.id,
                        order.customer_id,
                        order.owner_id,
                        order.confirmed_at or case.at,
                        tuple(
                            (i, skus[i], q) for i, q in sorted(order.remaining_to_ship().items())
                        ),
                    )
                )
            return sorted(todos, key=lambda t: (t.confirmed_at, t.order_id))

        return self._crm.read(actor, None, work)

    def approvals_waiting_for(self, actor: Actor | str) -> list[ApprovalTodo]:
        """The approval tasks the actor holds, most urgent first (any subject kind)."""

        def work(case: UseCase) -> list[ApprovalTodo]:
            pending = case.repo(ApprovalInstance).find(status=ApprovalStatus.PENDING)
            return pending_tasks_for(case.actor.user_id, pending)

        return self._crm.read(actor, None, work)

    def payments_awaiting_confirmation(self, actor: Actor | str) -> list[PaymentTodo]:
        """Pending payments the actor may confirm: none for non-finance users, and never the
        ones they recorded themselves."""

        def work(case: UseCase) -> list[PaymentTodo]:
            actor = case.actor
            if not self._crm.config.access.allows(actor, "payment.confirm"):
                return []
            return [
                PaymentTodo(
                    r.id,
                    p.id,
                    r.customer,
                    r.owner_id,
                    p.amount,
                    p.received_on,
                    p.recorded_by,
                    p.recorded_at,
                )
                for r in case.repo(Receivable).find(awaiting_confirmation=True)
                if case.may("receivable", r, "write")
                for p in r.payments
                if p.state is PaymentState.PENDING and p.recorded_by != actor.user_id
            ]

        return self._crm.read(actor, None, work)

    def payment_exceptions(
        self,
        actor: Actor | str,
        as_of: date | None = None,
        kinds: Collection[ExceptionKind | str] | None = None,
    ) -> list[PaymentException]:
        """Finance's work list on ``as_of`` (default today): short, late, reversed and
        unmatched payments on the receivables the actor may change (payment.exceptions)."""

        def work(case: UseCase) -> list[PaymentException]:
            day = case.day(as_of)
            reachable = [
                r for r in case.repo(Receivable).find() if case.may("receivable", r, "write")
            ]
            return payment_exceptions(reachable, day, kinds)

        return self._crm.read(actor, "payment.exceptions", work)

    def invoices_awaiting_issue(self, actor: Actor | str) -> list[InvoiceTodo]:
        """Invoice requests waiting to be issued (for users who may issue them)."""

        def work(case: UseCase) -> list[InvoiceTodo]:
            if not self._crm.config.access.allows(case.actor, "invoice.issue"):
                return []
            return [
                InvoiceTodo(
                    r.id,
                    i.id,
                    r.customer,
                    r.owner_id,
                    i.amount,
                    i.title,
                    i.recorded_by,
                    i.recorded_at,
                )
                for r in case.repo(Receivable).find(awaiting_invoice=True)
                if case.may("receivable", r, "write")
                for i in r.invoices
                if i.state is InvoiceState.REQUESTED
            ]

        return self._crm.read(actor, None, work)

    def credit_notes_awaiting_issue(self, actor: Actor | str) -> list[CreditNoteTodo]:
        """Credit notes waiting to be issued (for users who may issue them), oldest first."""

        def work(case: UseCase) -> list[CreditNoteTodo]:
            if not self._crm.config.access.allows(case.actor, "credit_note.issue"):
                return []
            todo = [
                CreditNoteTodo(
                    r.id,
                    c.id,
                    c.invoice_id,
                    r.customer,
                    r.owner_id,
                    c.amount,
                    c.reason,
                    c.return_id,
                    c.recorded_by,
                    c.recorded_at,
                )
                for r in case.repo(Receivable).find(awaiting_invoice=True)
                if case.may("receivable", r, "write")
                for c in r.credit_notes
                if c.state is InvoiceState.REQUESTED
            ]
            return sorted(todo, key=lambda t: (t.requested_at, t.credit_note_id))

        return self._crm.read(actor, None, work)

    def reminders_due(self, actor: Actor | str, as_of: date | None = None) -> list[Reminder]:
        """Reminders due on ``as_of`` (default today) not sent yet, on the receivables the
        actor may read (their own, their team's, or all for finance and admins)."""

        def work(case: UseCase) -> list[Reminder]:
            day = case.day(as_of)
            candidates = [
                r
                for r in case.repo(Receivable).find(**dunned(self._crm.config.dunning))
                if case.may("receivable", r, "read")
            ]
            logs = case.repo(DunningLog)
            due: list[Reminder] = []
            for receivable in candidates:
                try:
                    sent = logs.get(receivable.id).keys()
                except NotFound:
                    sent = ()
                due.extend(due_reminders([receivable], day, sent, self._crm.config.dunning))
            return due

        return self._crm.read(actor, None, work)

    def undelivered(self, actor: Actor | str, limit: int = 100) -> list[StoredEvent]:
        """Committed events whose notifications did not go out yet (a Notifier failed),
        oldest first, at most ``limit`` (0..100,000); ``crm.deliver()`` sends them again."""
        check_count(limit, "limit", MAX_PAGE, "events")

        def work(case: UseCase) -> list[StoredEvent]:
            return self._crm.storage.undelivered(limit)

        return self._crm.read(actor, "outbox.view", work)

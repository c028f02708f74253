"""Receivable use cases: open, record / confirm / reject a payment, refunds, invoices, and
the dunning run that tells owners about overdue installments (each reminder once)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from crmcore.errors import NotFound
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    InvoiceRequest,
    Payment,
    Receivable,
    Refund,
    Reminder,
    due_reminders,
)
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._records import DunningLog, InstallmentOverdue

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["ReceivableService"]

T = TypeVar("T")

#: How often recording a payment is retried when another payment on the same receivable
#: committed in between (safe: the payment is independent and its reference idempotent).
#: Each lost attempt means another recorder committed, so N racers always all get through
#: when N - 1 <= RECORD_RETRIES.
RECORD_RETRIES = 10


@typed_boundary
class ReceivableService:
    """The receivable use cases; each takes the acting user first and is one unit of work."""

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    def open(
        self,
        actor: Actor,
        *,
        customer: str,
        owner: str,
        amount: Money,
        issue_date: date,
        anchor: date | None = None,
        department: str | None = None,
        receivable_id: str | None = None,
    ) -> Receivable:
        """Open a receivable with the customer's payment terms (orders do this on confirmation)."""

        def work(case: UseCase) -> Receivable:
            receivable = Receivable.open(
                receivable_id or case.new_id("receivable"),
                customer=customer,
                owner=owner,
                amount=amount,
                issue_date=issue_date,
                terms=self._crm.config.terms.for_customer(customer),
                actor=actor,
                at=case.at,
                anchor=anchor,
                department=department,
                policy=self._crm.config.receivable_policy,
            )
            case.repo(Receivable).add(receivable)
            return receivable

        return self._crm.run(actor, "receivable.open", work)

    def record_payment(
        self,
        actor: Actor,
        receivable_id: str,
        amount: Money,
        *,
        received_on: date,
        reference: str | None = None,
        allocations: Mapping[int, Money] | None = None,
    ) -> Payment:
        """Sales records money received; it waits for finance. Retried on a concurrent change
        of the same receivable (the same ``reference`` never records twice)."""

        def work(case: UseCase) -> Payment:
            receivable = case.repo(Receivable).get(receivable_id)
            payment = receivable.record_payment(
                actor,
                amount,
                received_on=case.day(received_on, "received_on", required=True),
                at=case.at,
                reference=reference,
                allocations=allocations,
            )
            case.repo(Receivable).save(receivable)
            return payment

        return self._crm.run(actor, "payment.record", work, retries=RECORD_RETRIES)

    def confirm_payment(self, actor: Actor, receivable_id: str, payment_id: str) -> Payment:
        """Finance confirms a payment someone else recorded (never retried: a conflict means
        somebody else decided it)."""
        return self._change(
            actor,
            "payment.confirm",
            receivable_id,
            lambda r, c: r.confirm_payment(actor, payment_id, at=c.at),
        )

    def reject_payment(
        self, actor: Actor, receivable_id: str, payment_id: str, reason: str
    ) -> Payment:
        """Finance rejects a pending payment, saying why."""
        return self._change(
            actor,
            "payment.reject",
            receivable_id,
            lambda r, c: r.reject_payment(actor, payment_id, reason=reason, at=c.at),
        )

    def request_refund(
        self, actor: Actor, receivable_id: str, amount: Money, reason: str
    ) -> Refund:
        """Ask for received money to go back to the customer; finance confirms it."""
        return self._change(
            actor,
            "refund.record",
            receivable_id,
            lambda r, c: r.request_refund(actor, amount, reason=reason, at=c.at),
        )

    def confirm_refund(self, actor: Actor, receivable_id: str, refund_id: str) -> Refund:
        """Finance confirms a refund (not the person who requested it)."""
        return self._change(
            actor,
            "refund.confirm",
            receivable_id,
            lambda r, c: r.confirm_refund(actor, refund_id, at=c.at),
        )

    def reject_refund(
        self, actor: Actor, receivable_id: str, refund_id: str, reason: str
    ) -> Refund:
        """Finance rejects a refund request, saying why."""
        return self._change(
            actor,
            "refund.reject",
            receivable_id,
            lambda r, c: r.reject_refund(actor, refund_id, reason=reason, at=c.at),
        )

    def request_invoice(
        self,
        actor: Actor,
        receivable_id: str,
        amount: Money,
        *,
        title: str,
        tax_id: str,
        address: str,
    ) -> InvoiceRequest:
        """Sales asks finance to issue an invoice, within the invoicing limit."""
        return self._change(
            actor,
            "invoice.request",
            receivable_id,
            lambda r, c: r.request_invoice(
                actor, amount, title=title, tax_id=tax_id, address=address, at=c.at
            ),
        )

    def issue_invoice(
        self, actor: Actor, receivable_id: str, invoice_id: str, number: str
    ) -> InvoiceRequest:
        """Finance issues a requested invoice under its official number."""
        return self._change(
            actor,
            "invoice.issue",
            receivable_id,
            lambda r, c: r.issue_invoice(actor, invoice_id, number=number, at=c.at),
        )

    def reject_invoice(
        self, actor: Actor, receivable_id: str, invoice_id: str, reason: str
    ) -> InvoiceRequest:
        """Finance rejects an invoice request, saying why."""
        return self._change(
            actor,
            "invoice.reject",
            receivable_id,
            lambda r, c: r.reject_invoice(actor, invoice_id, reason=reason, at=c.at),
        )

    def send_reminders(self, actor: Actor, as_of: date | None = None) -> list[Reminder]:
        """The dunning run: every reminder due on ``as_of`` (default today) that was not sent
        yet becomes an ``InstallmentOverdue`` event for the owner, and is remembered."""

        def work(case: UseCase) -> list[Reminder]:
            day = case.day(as_of)
            logs = case.repo(DunningLog)
            sent: list[Reminder] = []
            for receivable in case.repo(Receivable).find(has_unpaid=True):
                try:
                    log = logs.get(receivable.id)
                    is_new = False
                except NotFound:
                    log, is_new = DunningLog(receivable.id), True
                due = due_reminders([receivable], day, log.keys(), self._crm.config.dunning)
                for reminder in due:
                    log.record(reminder.key, _overdue_event(reminder, actor, case))
                if due:
                    (logs.add if is_new else logs.save)(log)
                    sent.extend(due)
            return sent

        return self._crm.run(actor, "receivable.remind", work)

    def _change(
        self,
        actor: Actor,
        action: str,
        receivable_id: str,
        change: Callable[[Receivable, UseCase], T],
    ) -> T:
        def work(case: UseCase) -> T:
            receivable = case.repo(Receivable).get(receivable_id)
            result = change(receivable, case)
            case.repo(Receivable).save(receivable)
            return result

        return self._crm.run(actor, action, work)


def _overdue_event(reminder: Reminder, actor: Actor, case: UseCase) -> InstallmentOverdue:
    return InstallmentOverdue(
        occurred_at=case.at,
        actor_id=actor.user_id,
        subject_kind="receivable",
        subject_id=reminder.receivable_id,
        owner_id=reminder.owner,
        customer=reminder.customer,
        installment=reminder.installment,
        due_date=reminder.due_date,
        level=reminder.level,
        name=reminder.name,
        days_late=reminder.days_late,
        total_due=reminder.total_due,
    )

"""Receivable use cases: open, record / confirm / reject a payment, refunds, invoices, and
the dunning run that tells owners about overdue installments (each reminder once)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from crmcore.errors import InvariantViolation, NotFound, ValidationError
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    CreditNote,
    DunningPolicy,
    InvoiceRequest,
    Payment,
    PaymentState,
    Receivable,
    Refund,
    Reminder,
    WriteOff,
    due_reminders,
)
from crmcore.services._accounts import decide_application_of
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._change import change_one
from crmcore.services._records import DunningLog, IdempotencyRecord

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
        actor: Actor | str,
        *,
        customer: str,
        owner_id: str,
        amount: Money,
        issue_date: date,
        anchor: date | None = None,
        department: str | None = None,
        receivable_id: str | None = None,
    ) -> Receivable:
        """Open a receivable with the customer's payment terms (orders do this on confirmation)."""

        def work(case: UseCase) -> Receivable:
            case.create_for("receivable", owner_id, case.department_of(owner_id, department))
            receivable = Receivable.open(
                receivable_id or case.new_id("receivable"),
                customer=customer,
                owner_id=owner_id,
                amount=amount,
                issue_date=issue_date,
                terms=self._crm.config.terms.for_customer(customer),
                actor=case.actor,
                at=case.at,
                anchor=anchor,
                department=case.department_of(owner_id, department),
                policy=self._crm.config.receivable_policy,
            )
            case.repo(Receivable).add(receivable)
            return receivable

        return self._crm.run(actor, "receivable.open", work)

    def record_payment(
        self,
        actor: Actor | str,
        receivable_id: str,
        amount: Money,
        *,
        received_on: date,
        reference: str | None = None,
        allocations: Mapping[int, Money] | None = None,
        idempotency_key: str | None = None,
    ) -> Payment:
        """Sales records money received; it waits for finance. Retried on a concurrent change
        of the same receivable. ``idempotency_key`` (default: the bank ``reference``) makes a
        retry of a committed call return the first payment instead of recording twice."""
        key = idempotency_key if idempotency_key is not None else reference
        request = f"{amount!r} {received_on!r} {reference!r} {allocations!r}"

        def change(receivable: Receivable, case: UseCase) -> Payment:
            if reference is not None:
                _unique_reference(case, receivable, reference)
            return receivable.record_payment(
                case.actor,
                amount,
                received_on=case.day(received_on, "received_on", required=True),
                at=case.at,
                reference=reference,
                allocations=allocations,
            )

        return self._change(
            actor,
            "payment.record",
            receivable_id,
            change,
            key=_Keyed(key, request, lambda r, i: _find(r.payments, i)),
            retries=RECORD_RETRIES,
        )

    def confirm_payment(self, actor: Actor | str, receivable_id: str, payment_id: str) -> Payment:
        """Finance confirms a payment someone else recorded (never retried: a conflict means
        somebody else decided it)."""

        def confirm(receivable: Receivable, case: UseCase) -> Payment:
            payment = receivable.confirm_payment(case.actor, payment_id, at=case.at)
            decide_application_of(case, receivable, payment)
            return payment

        return self._change(actor, "payment.confirm", receivable_id, confirm)

    def reject_payment(
        self, actor: Actor | str, receivable_id: str, payment_id: str, reason: str
    ) -> Payment:
        """Finance rejects a pending payment, saying why."""

        def reject(receivable: Receivable, case: UseCase) -> Payment:
            payment = receivable.reject_payment(case.actor, payment_id, reason=reason, at=case.at)
            decide_application_of(case, receivable, payment, reason)
            return payment

        return self._change(actor, "payment.reject", receivable_id, reject)

    def reverse_payment(
        self, actor: Actor | str, receivable_id: str, payment_id: str, reason: str
    ) -> Payment:
        """Finance reverses a confirmed payment whose transfer bounced, saying why: its
        allocations are undone and the owner (and their manager) are told."""
        return self._change(
            actor,
            "payment.reverse",
            receivable_id,
            lambda r, c: r.reverse_payment(c.actor, payment_id, reason=reason, at=c.at),
        )

    def write_off(
        self,
        actor: Actor | str,
        receivable_id: str,
        amount: Money,
        reason_code: str,
        *,
        note: str | None = None,
        installment: int | None = None,
    ) -> WriteOff:
        """Write a small unpaid difference off for a configured reason code, within the
        actor's limit for it (``CrmConfig.write_offs``); the owner is told."""
        return self._change(
            actor,
            "payment.write_off",
            receivable_id,
            lambda r, c: r.write_off(
                c.actor,
                amount,
                reason_code=reason_code,
                rules=self._crm.config.write_offs,
                at=c.at,
                note=note,
                installment=installment,
            ),
        )

    def request_refund(
        self,
        actor: Actor | str,
        receivable_id: str,
        amount: Money,
        reason: str,
        *,
        idempotency_key: str | None = None,
    ) -> Refund:
        """Ask for received money to go back to the customer; finance confirms it. With an
        ``idempotency_key`` a retry of a committed call returns the first refund."""
        return self._change(
            actor,
            "refund.record",
            receivable_id,
            lambda r, c: r.request_refund(c.actor, amount, reason=reason, at=c.at),
            key=_Keyed(
                idempotency_key, f"{amount!r} {reason!r}", lambda r, i: _find(r.refunds, i)
            ),
        )

    def confirm_refund(self, actor: Actor | str, receivable_id: str, refund_id: str) -> Refund:
        """Finance confirms a refund (not the person who requested it)."""
        return self._change(
            actor,
            "refund.confirm",
            receivable_id,
            lambda r, c: r.confirm_refund(c.actor, refund_id, at=c.at),
        )

    def reject_refund(
        self, actor: Actor | str, receivable_id: str, refund_id: str, reason: str
    ) -> Refund:
        """Finance rejects a refund request, saying why."""
        return self._change(
            actor,
            "refund.reject",
            receivable_id,
            lambda r, c: r.reject_refund(c.actor, refund_id, reason=reason, at=c.at),
        )

    def request_invoice(
        self,
        actor: Actor | str,
        receivable_id: str,
        amount: Money,
        *,
        title: str,
        tax_id: str,
        address: str,
        idempotency_key: str | None = None,
    ) -> InvoiceRequest:
        """Sales asks finance to issue an invoice, within the invoicing limit. With an
        ``idempotency_key`` a retry of a committed call returns the first request."""
        return self._change(
            actor,
            "invoice.request",
            receivable_id,
            lambda r, c: r.request_invoice(
                c.actor, amount, title=title, tax_id=tax_id, address=address, at=c.at
            ),
            key=_Keyed(
                idempotency_key,
                f"{amount!r} {title!r} {tax_id!r} {address!r}",
                lambda r, i: _find(r.invoices, i),
            ),
        )

    def issue_invoice(
        self, actor: Actor | str, receivable_id: str, invoice_id: str, number: str
    ) -> InvoiceRequest:
        """Finance issues a requested invoice under its official number."""
        return self._change(
            actor,
            "invoice.issue",
            receivable_id,
            lambda r, c: r.issue_invoice(c.actor, invoice_id, number=number, at=c.at),
        )

    def reject_invoice(
        self, actor: Actor | str, receivable_id: str, invoice_id: str, reason: str
    ) -> InvoiceRequest:
        """Finance rejects an invoice request, saying why."""
        return self._change(
            actor,
            "invoice.reject",
            receivable_id,
            lambda r, c: r.reject_invoice(c.actor, invoice_id, reason=reason, at=c.at),
        )

    def cancel_invoice(
        self, actor: Actor | str, receivable_id: str, invoice_id: str, reason: str
    ) -> InvoiceRequest:
        """Finance cancels an issued invoice (red-letter), saying why; refused while a credit
        note takes part of it back."""
        return self._change(
            actor,
            "invoice.cancel",
            receivable_id,
            lambda r, c: r.cancel_invoice(c.actor, invoice_id, reason=reason, at=c.at),
        )

    def request_credit_note(
        self,
        actor: Actor | str,
        receivable_id: str,
        invoice_id: str,
        amount: Money,
        reason: str,
        *,
        idempotency_key: str | None = None,
    ) -> CreditNote:
        """Sales asks finance to credit part or all of an issued invoice. With an
        ``idempotency_key`` a retry of a committed call returns the first request."""
        return self._change(
            actor,
            "credit_note.request",
            receivable_id,
            lambda r, c: r.request_credit_note(
                c.actor, invoice_id, amount, reason=reason, at=c.at
            ),
            key=_Keyed(
                idempotency_key,
                f"{invoice_id!r} {amount!r} {reason!r}",
                lambda r, i: _find(r.credit_notes, i),
            ),
        )

    def issue_credit_note(
        self, actor: Actor | str, receivable_id: str, credit_note_id: str, number: str
    ) -> CreditNote:
        """Finance issues a requested credit note under its official number."""
        return self._change(
            actor,
            "credit_note.issue",
            receivable_id,
            lambda r, c: r.issue_credit_note(c.actor, credit_note_id, number=number, at=c.at),
        )

    def reject_credit_note(
        self, actor: Actor | str, receivable_id: str, credit_note_id: str, reason: str
    ) -> CreditNote:
        """Finance rejects a credit note request, saying why (not one a return needs)."""
        return self._change(
            actor,
            "credit_note.reject",
            receivable_id,
            lambda r, c: r.reject_credit_note(c.actor, credit_note_id, reason=reason, at=c.at),
        )

    def send_reminders(self, actor: Actor | str, as_of: date | None = None) -> list[Reminder]:
        """The dunning run: every reminder due on ``as_of`` (default today) that was not sent
        yet becomes an ``InstallmentOverdue`` event for the owner, and is remembered."""

        def work(case: UseCase) -> list[Reminder]:
            day = case.day(as_of)
            logs = case.repo(DunningLog)
            sent: list[Reminder] = []
            for receivable in case.repo(Receivable).find(**dunned(self._crm.config.dunning)):
                if not case.may("receivable", receivable, "write"):
                    continue
                try:
                    log = logs.get(receivable.id)
                    is_new = False
                except NotFound:
                    log, is_new = DunningLog(receivable.id), True
                due = due_reminders([receivable], day, log.keys(), self._crm.config.dunning)
                for reminder in due:
                    log.record(case.actor, reminder.key, at=case.at, **_overdue_fields(reminder))
                if due:
                    (logs.add if is_new else logs.save)(log)
                    sent.extend(due)
            return sent

        return self._crm.run(actor, "receivable.remind", work)

    def _change(
        self,
        actor: Actor | str,
        action: str,
        receivable_id: str,
        change: Callable[[Receivable, UseCase], T],
        *,
        key: _Keyed[T] | None = None,
        retries: int = 0,
    ) -> T:
        def load(case: UseCase) -> Receivable:
            return case.receivable(receivable_id)

        if key is None or key.key is None:
            return change_one(self._crm, actor, action, load, change, retries=retries)
        keyed: _Keyed[T] = key

        def replay(receivable: Receivable, case: UseCase) -> tuple[T, ...]:
            return keyed.replay(receivable, case, action)

        def remember(receivable: Receivable, case: UseCase, result: T) -> None:
            keyed.remember(receivable, case, action, result)

        # a keyed call is safe to retry: a concurrent twin either committed (found) or not
        return change_one(
            self._crm,
            actor,
            action,
            load,
            change,
            replay=replay,
            remember=remember,
            retries=max(retries, RECORD_RETRIES),
        )


@attrs.frozen
class _Keyed(Generic[T]):
    """An idempotency key, the fingerprint of the call, and how to find what it recorded."""

    key: str | None
    request: str
    find: Callable[[Receivable, str], T]

    def _record_id(self, receivable: Receivable, action: str) -> str:
        return f"{receivable.id}/{action}/{self.key}"

    def replay(self, receivable: Receivable, case: UseCase, action: str) -> tuple[T, ...]:
        """What an earlier call with this key made (empty: none); the key with other
        arguments is refused."""
        _text(self.key, "idempotency_key")
        try:
            record = case.repo(IdempotencyRecord).get(self._record_id(receivable, action))
        except NotFound:
            return ()
        if record.request != self.request:
            raise ValidationError(
                f"idempotency_key: idempotency key {self.key!r} was used for another "
                f"request on receivable {receivable.id} ({record.request}); use a new key"
            )
        return (self.find(receivable, record.result_id),)

    def remember(self, receivable: Receivable, case: UseCase, action: str, result: T) -> None:
        """Record what this call made under its key."""
        case.repo(IdempotencyRecord).add(
            IdempotencyRecord(
                self._record_id(receivable, action),
                self.request,
                str(operator.attrgetter("id")(result)),
            )
        )


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


X = TypeVar("X", bound=_HasId)


def _find(items: Iterable[X], item_id: str) -> X:
    for item in items:
        if item.id == item_id:
            return item
    raise NotFound(f"{item_id}: recorded under an idempotency key but not found")


def dunned(policy: DunningPolicy) -> dict[str, bool]:
    """The index filter of the receivables a dunning run looks at: those with room for money,
    or — when pending money does not count as paid — those with anything outstanding."""
    return {"has_unpaid": True} if policy.pending_counts_as_paid else {"has_outstanding": True}


def _unique_reference(case: UseCase, receivable: Receivable, reference: str) -> None:
    """A bank reference names one transfer of a customer: refused when another receivable of
    the same customer already holds a payment under it (rejected ones aside)."""
    for other in case.repo(Receivable).find(customer=receivable.customer):
        if other.id == receivable.id:
            continue
        for payment in other.payments:
            if payment.reference == reference and payment.state is not PaymentState.REJECTED:
                where = (
                    f"payment {payment.id} on receivable {other.id}"
                    if case.may("receivable", other, "read")
                    else "a payment on another receivable"
                )
                raise InvariantViolation(
                    f"receivable {receivable.id}: bank reference {reference!r} of customer "
                    f"{receivable.customer} is already {where}; one transfer is recorded once"
                )


def _text(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what}: expected a non-empty string, got {value!r}")


def _overdue_fields(reminder: Reminder) -> dict[str, Any]:
    """The fields of the ``InstallmentOverdue`` event of one reminder."""
    return {
        "owner_id": reminder.owner,
        "customer": reminder.customer,
        "installment": reminder.installment,
        "due_date": reminder.due_date,
        "level": reminder.level,
        "name": reminder.name,
        "days_late": reminder.days_late,
        "total_due": reminder.total_due,
    }

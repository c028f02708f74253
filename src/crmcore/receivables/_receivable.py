"""The Receivable aggregate: one order's money, from installments to payments and invoices.

All rules that keep one receivable's figures consistent live here: a payment is allocated
only into room an installment still has (its amount after returns, less what confirmed and
pending payments already took); a refund never exceeds what was kept; a return never eats
into received money; invoices never exceed the invoicing limit. Each command validates
everything first and changes nothing when it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from string import ascii_letters
from typing import ClassVar, Protocol, TypeVar

import attrs

from crmcore._aggregate import AggregateRoot, check_actor, check_time
from crmcore._dates import check_date
from crmcore._decimal import context_class
from crmcore._validators import text as _text
from crmcore.errors import (
    CurrencyMismatch,
    InvariantViolation,
    NotFound,
    ValidationError,
)
from crmcore.events import DomainEvent
from crmcore.money import Currency, Money
from crmcore.ports import Actor
from crmcore.receivables._balance import Balance, InstallmentStatus, ReceivableStatus
from crmcore.receivables._corrections import Corrections
from crmcore.receivables._events import (
    ReceivableAdvanceMoved,
    ReceivableDiscountGranted,
    ReceivableDiscountRevoked,
    ReceivableHandedOver,
    ReceivableInvoiceCancelled,
    ReceivableInvoiceIssued,
    ReceivableInvoiceRejected,
    ReceivableInvoiceRequested,
    ReceivableOpened,
    ReceivablePaymentConfirmed,
    ReceivablePaymentRecorded,
    ReceivablePaymentRejected,
    ReceivablePaymentReversed,
    ReceivableRefundConfirmed,
    ReceivableRefundRejected,
    ReceivableRefundRequested,
    ReceivableReturnRecorded,
    ReceivableWrittenOff,
)
from crmcore.receivables._facts import (
    Allocation,
    CreditNote,
    EarlyPaymentDiscount,
    InvoiceRequest,
    Payment,
    Refund,
    ReturnNote,
    WriteOff,
)
from crmcore.receivables._ledger import Ledger as _Ledger
from crmcore.receivables._ledger import copy_ledger, fold, fold_payment, now_seen
from crmcore.receivables._policy import (
    InvoicingPolicy,
    OverpaymentPolicy,
    PaymentState,
    ReceivablePolicy,
    RefundState,
    invoice_lifecycle,
    payment_lifecycle,
    refund_lifecycle,
)
from crmcore.receivables._terms import Installment, PaymentTerms
from crmcore.receivables._writeoff import WriteOffRules

__all__ = ["Receivable"]

_ZERO = Decimal(0)
KIND = "receivable"


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


F = TypeVar("F", bound=_HasId)


def _installments(value: Iterable[Installment]) -> tuple[Installment, ...]:
    return tuple(value)


@context_class
@attrs.define
class Receivable(Corrections, AggregateRoot):
    """What one order's customer owes: the plan, and every payment, refund, return, invoice.

    Create it with [`open`][crmcore.receivables.Receivable.open] (from payment terms) or directly
    from its installments (an
    adapter restoring it). Figures come from [`balance`][crmcore.receivables.Receivable.balance],
    never from stored counters.
    """

    aggregate_kind: ClassVar[str] = KIND

    id: str = attrs.field(validator=attrs.validators.instance_of(str))
    customer: str
    owner_id: str
    department: str | None
    amount: Money
    issue_date: date
    installments: tuple[Installment, ...] = attrs.field(converter=_installments)
    policy: ReceivablePolicy = attrs.field(factory=ReceivablePolicy)
    _payments: list[Payment] = attrs.field(factory=list)
    _refunds: list[Refund] = attrs.field(factory=list)
    _returns: list[ReturnNote] = attrs.field(factory=list)
    _invoices: list[InvoiceRequest] = attrs.field(factory=list)
    _credit_notes: list[CreditNote] = attrs.field(factory=list)
    _history: list[DomainEvent] = attrs.field(factory=list)
    _write_offs: list[WriteOff] = attrs.field(factory=list)
    _discounts: list[EarlyPaymentDiscount] = attrs.field(factory=list)
    # The figures now, folded once and kept up to date by the hot paths (a payment recorded,
    # confirmed or rejected adds or swaps its own part); any other change is seen by
    # ``_facts_key`` and refolds. Never stored, never compared.
    _now: _Ledger | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _now_key: tuple[int, ...] = attrs.field(default=(), init=False, eq=False, repr=False)
    _revision: int = attrs.field(default=0, init=False, eq=False, repr=False)
    _references: dict[str, int] = attrs.field(factory=dict, init=False, eq=False, repr=False)
    _indexed: int = attrs.field(default=0, init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.customer, "customer")
        _text(self.owner_id, "owner_id")
        if not self.amount.amount > 0 or not self.amount.is_rounded:
            raise ValidationError(
                f"amount: must be > 0 and rounded to the currency, got {self.amount}"
            )
        if not self.installments:
            raise ValidationError(f"installments: receivable {self.id} needs at least one")
        for i, inst in enumerate(self.installments):
            if inst.number != i + 1:
                raise ValidationError(
                    f"installments[{i}].number: expected {i + 1}, got {inst.number}"
                )
            if inst.amount.currency != self.amount.currency:
                raise CurrencyMismatch(
                    f"installments[{i}].amount: {inst.amount} is not in {self.amount.currency}"
                )
            if not inst.amount.amount > 0:
                raise ValidationError(f"installments[{i}].amount: must be > 0, got {inst.amount}")
        total = sum((inst.amount for inst in self.installments), Money.zero(self.currency))
        if total != self.amount:
            raise ValidationError(
                f"installments: sum to {total}, not the receivable amount {self.amount}"
            )

    # -- creation ---------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        id: str,
        *,
        customer: str,
        owner_id: str,
        amount: Money,
        issue_date: date,
        terms: PaymentTerms,
        actor: Actor,
        at: datetime,
        anchor: date | None = None,
        department: str | None = None,
        policy: ReceivablePolicy | None = None,
    ) -> Receivable:
        """Open a receivable for an order: installments from ``terms`` and ``anchor``.

        ``anchor`` is the date the terms count from (invoice, delivery...); default the
        issue date.
        """
        check_actor(actor)
        check_time(at)
        pol = policy if policy is not None else ReceivablePolicy()
        pol.require(actor, pol.record_roles | pol.finance_roles, "open a receivable")
        check_date(issue_date, "issue_date")
        installments = terms.schedule(amount, anchor if anchor is not None else issue_date)
        receivable = cls(
            id=id,
            customer=customer,
            owner_id=owner_id,
            department=department,
            amount=amount,
            issue_date=issue_date,
            installments=installments,
            policy=pol,
        )
        receivable._emit(
            ReceivableOpened,
            actor,
            at,
            amount=amount,
            customer=customer,
            installments=len(installments),
        )
        return receivable

    # -- read access ------------------------------------------------------------------------
    @property
    def currency(self) -> Currency:
        """The receivable's currency; every payment, refund and invoice must use it."""
        return self.amount.currency

    @property
    def payments(self) -> tuple[Payment, ...]:
        """Every payment ever recorded (rejected ones included), oldest first."""
        return tuple(self._payments)

    @property
    def refunds(self) -> tuple[Refund, ...]:
        """Every refund request, oldest first."""
        return tuple(self._refunds)

    @property
    def returns(self) -> tuple[ReturnNote, ...]:
        """Every return or allowance, oldest first."""
        return tuple(self._returns)

    @property
    def invoices(self) -> tuple[InvoiceRequest, ...]:
        """Every invoice request, oldest first."""
        return tuple(self._invoices)

    @property
    def write_offs(self) -> tuple[WriteOff, ...]:
        """Every write-off, oldest first."""
        return tuple(self._write_offs)

    @property
    def discounts(self) -> tuple[EarlyPaymentDiscount, ...]:
        """Every early-payment discount granted (revoked ones included), oldest first."""
        return tuple(self._discounts)

    @property
    def history(self) -> tuple[DomainEvent, ...]:
        """Every event this receivable has left, oldest first (append-only)."""
        return tuple(self._history)

    def payment(self, payment_id: str) -> Payment:
        """The payment with that id; NotFound otherwise."""
        return self._find(self._payments, payment_id, "payment")

    def refund(self, refund_id: str) -> Refund:
        """The refund with that id; NotFound otherwise."""
        return self._find(self._refunds, refund_id, "refund")

    def invoice(self, invoice_id: str) -> InvoiceRequest:
        """The invoice request with that id; NotFound otherwise."""
        return self._find(self._invoices, invoice_id, "invoice request")

    # -- ownership --------------------------------------------------------------------------
    def hand_over(self, actor: Actor, to: str, *, at: datetime, reason: str) -> None:
        """Give the receivable to the colleague ``to`` to collect (its salesperson left),
        with the reason; the history keeps who had it. The services check who may."""
        self._check_change(actor, at)
        _text(to, "to")
        _text(reason, "reason")
        if to == self.owner_id:
            raise ValidationError(f"receivable {self.id}: {to} already owns it")
        previous = self.owner_id
        self.owner_id = to
        self._emit(
            ReceivableHandedOver, actor, at, previous_owner_id=previous, owner_id=to, reason=reason
        )

    # -- payments ---------------------------------------------------------------------------
    def record_payment(
        self,
        actor: Actor,
        amount: Money,
        *,
        received_on: date,
        at: datetime,
        reference: str | None = None,
        allocations: Mapping[int, Money] | None = None,
    ) -> Payment:
        """Record a payment (pending confirmation) and allocate it to installments.

        Oldest due date first unless ``allocations`` (installment number → amount) says
        otherwise; what the installments have no room for becomes an advance or is
        refused, by policy. The same ``reference`` again returns the first payment (and
        changes nothing); with a different amount it is refused.
        """
        self.policy.require(actor, self.policy.record_roles, "record a payment")
        existing = self._by_reference(reference, amount)
        if existing is not None:
            return existing
        payment = self._prepare_payment(actor, amount, received_on, at, reference, allocations)
        self._apply_payment(payment, actor, at)
        return payment

    def _by_reference(self, reference: str | None, amount: Money) -> Payment | None:
        if reference is None:
            return None
        index = self._reference_index().get(reference)
        if index is not None:
            payment = self._payments[index]
            if payment.reference == reference:
                if payment.amount != amount:
                    raise InvariantViolation(
                        f"receivable {self.id}: bank reference {reference!r} is already "
                        f"payment {payment.id} of {payment.amount}, not {amount}"
                    )
                return payment
        return None

    def _prepare_payment(
        self,
        actor: Actor,
        amount: Money,
        received_on: date,
        at: datetime,
        reference: str | None,
        allocations: Mapping[int, Money] | None,
    ) -> Payment:
        """Validate a payment and build it without changing anything."""
        self.policy.require(actor, self.policy.record_roles, "record a payment")
        self._check_amount(amount, "payment")
        self._check_change(actor, at)
        if reference is not None:
            _text(reference, "reference")
        check_date(received_on, "received_on")
        room = self.room()
        if allocations is None:
            caps = self._discount_caps(room, received_on)
            parts = self._oldest_first(room, amount.amount, caps)
        else:
            parts = self._explicit(room, amount, allocations)
        allocated = sum((part for _, part in parts), _ZERO)
        advance = amount.amount - allocated
        if advance and self.policy.overpayment is OverpaymentPolicy.REFUSE:
            raise InvariantViolation(
                f"receivable {self.id}: payment {amount} exceeds the room left in the "
                f"installments ({self._money(sum(room, _ZERO))}); overpayment is refused by policy"
            )
        return Payment(
            id=f"{self.id}/P{len(self._payments) + 1}",
            amount=amount,
            received_on=received_on,
            recorded_by=actor.user_id,
            recorded_at=at,
            allocations=tuple(Allocation(n, self._money(v)) for n, v in parts),
            advance=self._money(advance),
            reference=reference,
        )

    def _apply_payment(self, payment: Payment, actor: Actor, at: datetime) -> None:
        self._swap_payment(None, payment)
        self._emit(
            ReceivablePaymentRecorded,
            actor,
            at,
            payment_id=payment.id,
            amount=payment.amount,
            reference=payment.reference,
            advance=payment.advance,
        )

    def _oldest_first(
        self, room: list[Decimal], amount: Decimal, caps: list[Decimal] | None = None
    ) -> list[tuple[int, Decimal]]:
        """Oldest due date first; with ``caps`` the installments are first filled up to their
        caps (their amount less the early-payment discount), then up to their room."""
        taken = [_ZERO] * len(room)
        left = amount
        order = sorted(self.installments, key=lambda x: (x.due_date, x.number))
        for limits in (caps if caps is not None else room, room):
            for inst in order:
                i = inst.number - 1
                take = min(limits[i] - taken[i], left)
                if take > 0:
                    taken[i] += take
                    left -= take
        return [(inst.number, taken[inst.number - 1]) for inst in order if taken[inst.number - 1]]

    def _explicit(
        self, room: list[Decimal], amount: Money, allocations: Mapping[int, Money]
    ) -> list[tuple[int, Decimal]]:
        parts = []
        for number, part in sorted(allocations.items()):
            if not 1 <= number <= len(self.installments):
                raise NotFound(
                    f"receivable {self.id}: no installment {number} "
                    f"(has 1..{len(self.installments)})"
                )
            self._check_amount(part, f"allocation to installment {number}")
            if part.amount > room[number - 1]:
                raise InvariantViolation(
                    f"receivable {self.id}: allocating {part} to installment {number} exceeds "
                    f"its outstanding {self._money(room[number - 1])}"
                )
            parts.append((number, part.amount))
        total = sum((v for _, v in parts), _ZERO)
        if total > amount.amount:
            raise ValidationError(
                f"allocations: add up to {self._money(total)}, more than the payment {amount}"
            )
        return parts

    def confirm_payment(self, actor: Actor, payment_id: str, *, at: datetime) -> Payment:
        """Finance confirms a pending payment (not the person who recorded it).

        When it pays an installment less its early-payment discount and was received within
        the discount period, the discount is granted with it (``discounts``).
        """
        payment = self.payment(payment_id)
        self._check_change(actor, at)
        state = payment_lifecycle(self.policy.finance_roles).check(
            "confirm", payment.state, actor, payment
        )
        updated = attrs.evolve(payment, state=state, decided_by=actor.user_id, decided_at=at)
        self._swap_payment(payment, updated)
        self._emit(
            ReceivablePaymentConfirmed, actor, at, payment_id=payment.id, amount=payment.amount
        )
        for number in sorted({a.installment for a in payment.allocations}):
            amount, payment_ids, problem = self._earned_discount(number)
            if problem is None and payment.id in payment_ids:
                self._grant(actor, number, amount, payment_ids, at)
        return updated

    def reject_payment(
        self, actor: Actor, payment_id: str, *, reason: str, at: datetime
    ) -> Payment:
        """Finance rejects a pending payment, saying why; its allocations are released."""
        payment = self.payment(payment_id)
        _text(reason, "reason")
        self._check_change(actor, at)
        state = payment_lifecycle(self.policy.finance_roles).check(
            "reject", payment.state, actor, payment
        )
        updated = attrs.evolve(
            payment, state=state, decided_by=actor.user_id, decided_at=at, reason=reason
        )
        self._swap_payment(payment, updated)
        self._emit(
            ReceivablePaymentRejected,
            actor,
            at,
            payment_id=payment.id,
            amount=payment.amount,
            reason=reason,
        )
        return updated

    # -- corrections ------------------------------------------------------------------------
    def reverse_payment(
        self, actor: Actor, payment_id: str, *, reason: str, at: datetime
    ) -> Payment:
        """Finance reverses a confirmed payment (the transfer bounced), saying why.

        Its allocations are undone: from ``at`` on it no longer counts, so the balance and
        the aging are what they were without it; an early-payment discount that rested on it
        is revoked with it. Refused when its money was already refunded (or is requested for
        a refund), or — invoicing after payment — invoiced.
        """
        payment = self.payment(payment_id)
        _text(reason, "reason")
        self._check_change(actor, at)
        state = payment_lifecycle(self.policy.finance_roles).check(
            "reverse", payment.state, actor, payment
        )
        updated = attrs.evolve(
            payment, state=state, reversed_by=actor.user_id, reversed_at=at, reversal_reason=reason
        )
        revoked = [
            attrs.evolve(d, revoked_at=at)
            for d in self._discounts
            if d.revoked_at is None and payment.id in d.payment_ids
        ]
        payments, discounts = list(self._payments), list(self._discounts)
        self._replace(self._payments, updated)
        for discount in revoked:
            self._replace(self._discounts, discount)
        try:
            self._check_reversal(payment)
        except InvariantViolation:
            self._payments, self._discounts = payments, discounts
            raise
        self._emit(
            ReceivablePaymentReversed,
            actor,
            at,
            payment_id=payment.id,
            amount=payment.amount,
            reason=reason,
        )
        for discount in revoked:
            self._emit(
                ReceivableDiscountRevoked,
                actor,
                at,
                discount_id=discount.id,
                installment=discount.installment,
                amount=discount.amount,
                payment_id=payment.id,
            )
        return updated

    def _check_reversal(self, payment: Payment) -> None:
        """The books without ``payment`` must still hold its refunds and invoices."""
        ledger = self._ledger(None)
        kept = ledger.kept - ledger.refund_requested
        if kept < 0 or ledger.advance < 0 or any(v < 0 for v in ledger.paid):
            raise InvariantViolation(
                f"receivable {self.id}: reversing payment {payment.id} ({payment.amount}) would "
                f"leave {self._money(ledger.received)} received, less than the "
                f"{self._money(ledger.refunded + ledger.refund_requested)} refunded or requested "
                "for refund out of it"
            )
        invoiced = ledger.billed
        if self.policy.invoicing is InvoicingPolicy.AFTER_PAYMENT and kept < invoiced:
            raise InvariantViolation(
                f"receivable {self.id}: reversing payment {payment.id} ({payment.amount}) would "
                f"leave {self._money(kept)} received, less than the {self._money(invoiced)} "
                "invoiced or requested (invoice after payment); cancel an invoice first"
            )

    def write_off(
        self,
        actor: Actor,
        amount: Money,
        *,
        reason_code: str,
        rules: WriteOffRules,
        at: datetime,
        note: str | None = None,
        installment: int | None = None,
    ) -> WriteOff:
        """Finance writes a small unpaid difference off, for a configured reason code.

        ``rules`` say how much each role may write off per reason (more needs a role with a
        higher limit). It closes the oldest unpaid installments first (or ``installment``),
        never more than is unpaid and not waiting for confirmation; the net amount stays.
        """
        if not isinstance(rules, WriteOffRules):
            raise ValidationError(f"rules: expected WriteOffRules, got {rules!r}")
        self._check_amount(amount, "write-off")
        rules.check(actor, reason_code, amount)
        if note is not None:
            _text(note, "note")
        self._check_change(actor, at)
        room = self.room()
        if installment is None:
            free = sum(room, _ZERO)
            if amount.amount > free:
                raise InvariantViolation(
                    f"receivable {self.id}: write-off {amount} exceeds the {self._money(free)} "
                    "unpaid and not waiting for confirmation"
                )
            parts = self._oldest_first(room, amount.amount)
        else:
            if type(installment) is not int or not 1 <= installment <= len(self.installments):
                raise NotFound(
                    f"receivable {self.id}: no installment {installment!r} "
                    f"(has 1..{len(self.installments)})"
                )
            if amount.amount > room[installment - 1]:
                raise InvariantViolation(
                    f"receivable {self.id}: write-off {amount} exceeds the "
                    f"{self._money(room[installment - 1])} unpaid on installment {installment}"
                )
            parts = [(installment, amount.amount)]
        written = WriteOff(
            id=f"{self.id}/W{len(self._write_offs) + 1}",
            amount=amount,
            reason_code=reason_code,
            recorded_by=actor.user_id,
            recorded_at=at,
            allocations=tuple(Allocation(n, self._money(v)) for n, v in parts),
            note=note,
        )
        self._write_offs.append(written)
        self._emit(
            ReceivableWrittenOff,
            actor,
            at,
            write_off_id=written.id,
            amount=amount,
            reason_code=reason_code,
            note=note,
        )
        return written

    # -- refunds ----------------------------------------------------------------------------
    def request_refund(self, actor: Actor, amount: Money, *, reason: str, at: datetime) -> Refund:
        """Ask for received money to go back to the customer; finance confirms it."""
        self.policy.require(
            actor, self.policy.record_roles | self.policy.finance_roles, "request a refund"
        )
        self._check_amount(amount, "refund")
        _text(reason, "reason")
        self._check_change(actor, at)
        ledger = self._ledger(None)
        refundable = ledger.kept - ledger.refund_requested
        if amount.amount > refundable:
            raise InvariantViolation(
                f"receivable {self.id}: refund {amount} exceeds what can be refunded "
                f"{self._money(refundable)} (received {self._money(ledger.received)}, "
                f"refunded {self._money(ledger.refunded)}, "
                f"requested {self._money(ledger.refund_requested)})"
            )
        self._keeps_invoiced_paid(ledger, amount, "refund")
        refund = Refund(
            id=f"{self.id}/F{len(self._refunds) + 1}",
            amount=amount,
            reason=reason,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
        self._refunds.append(refund)
        self._emit(
            ReceivableRefundRequested, actor, at, refund_id=refund.id, amount=amount, reason=reason
        )
        return refund

    def confirm_refund(self, actor: Actor, refund_id: str, *, at: datetime) -> Refund:
        """Finance confirms a refund; it releases the advance first, then the latest ones."""
        refund = self.refund(refund_id)
        self._check_change(actor, at)
        state = refund_lifecycle(self.policy.finance_roles).check(
            "confirm", refund.state, actor, refund
        )
        ledger = self._ledger(None)
        from_advance = min(ledger.advance, refund.amount.amount)
        left = refund.amount.amount - from_advance
        releases = []
        for inst in sorted(self.installments, key=lambda x: (x.due_date, x.number), reverse=True):
            take = min(ledger.paid[inst.number - 1], left)
            if take > 0:
                releases.append(Allocation(inst.number, self._money(take)))
                left -= take
        updated = attrs.evolve(
            refund,
            state=state,
            decided_by=actor.user_id,
            decided_at=at,
            advance_release=self._money(from_advance),
            releases=tuple(releases),
        )
        self._replace(self._refunds, updated)
        self._emit(ReceivableRefundConfirmed, actor, at, refund_id=refund.id, amount=refund.amount)
        return updated

    def move_advance(
        self, actor: Actor, amount: Money, *, account_id: str, at: datetime
    ) -> Refund:
        """Finance moves ``amount`` of the advance to the customer's account ``account_id``
        (it leaves this receivable as a confirmed refund that releases only the advance; no
        money leaves the company, so no second person confirms it)."""
        self.policy.require(actor, self.policy.finance_roles, "move an advance to an account")
        self._check_amount(amount, "advance")
        _text(account_id, "account_id")
        self._check_change(actor, at)
        ledger = self._ledger(None)
        movable = min(ledger.advance, ledger.kept - ledger.refund_requested)
        if amount.amount > movable:
            raise InvariantViolation(
                f"receivable {self.id}: {amount} is more than the advance that can move "
                f"{self._money(max(movable, _ZERO))} (advance {self._money(ledger.advance)}, "
                f"refunds requested {self._money(ledger.refund_requested)})"
            )
        self._keeps_invoiced_paid(ledger, amount, "moving")
        refund = Refund(
            id=f"{self.id}/F{len(self._refunds) + 1}",
            amount=amount,
            reason=f"moved to customer account {account_id}",
            recorded_by=actor.user_id,
            recorded_at=at,
            state=RefundState.CONFIRMED,
            decided_by=actor.user_id,
            decided_at=at,
            advance_release=amount,
            to_account=account_id,
        )
        self._refunds.append(refund)
        self._emit(
            ReceivableAdvanceMoved,
            actor,
            at,
            refund_id=refund.id,
            amount=amount,
            account_id=account_id,
        )
        return refund

    def _keeps_invoiced_paid(self, ledger: _Ledger, amount: Money, what: str) -> None:
        """Under invoice-after-payment, refuse taking ``amount`` out of what was kept when
        less would be left than is invoiced or requested."""
        if self.policy.invoicing is not InvoicingPolicy.AFTER_PAYMENT:
            return
        left = ledger.kept - ledger.refund_requested - amount.amount
        if left < ledger.billed:
            raise InvariantViolation(
                f"receivable {self.id}: {what} {amount} would leave {self._money(left)} "
                f"received, less than the {self._money(ledger.billed)} invoiced or requested "
                "(invoice after payment)"
            )

    def reject_refund(self, actor: Actor, refund_id: str, *, reason: str, at: datetime) -> Refund:
        """Finance rejects a refund request, saying why."""
        refund = self.refund(refund_id)
        _text(reason, "reason")
        self._check_change(actor, at)
        state = refund_lifecycle(self.policy.finance_roles).check(
            "reject", refund.state, actor, refund
        )
        updated = attrs.evolve(
            refund, state=state, decided_by=actor.user_id, decided_at=at, rejection=reason
        )
        self._replace(self._refunds, updated)
        self._emit(
            ReceivableRefundRejected,
            actor,
            at,
            refund_id=refund.id,
            amount=refund.amount,
            reason=reason,
        )
        return updated

    # -- returns ----------------------------------------------------------------------------
    def record_return(
        self, actor: Actor, amount: Money, *, reason: str, at: datetime
    ) -> ReturnNote:
        """Lower the net amount (goods returned, an allowance, an early-payment discount).

        Taken from the latest installments' unpaid room; never below what was received or
        is waiting for confirmation (record a refund first), nor below what is invoiced.
        """
        self.policy.require(actor, self.policy.return_roles, "record a return")
        self._check_amount(amount, "return")
        _text(reason, "reason")
        self._check_change(actor, at)
        ledger = self._ledger(None)
        room = self.room()
        free = sum(room, _ZERO)
        if amount.amount > free:
            raise InvariantViolation(
                f"receivable {self.id}: return {amount} would take the net amount below what "
                f"is received or pending ({self._money(self._net(ledger) - free)}); only "
                f"{self._money(free)} is unpaid; record a refund first"
            )
        invoiced = ledger.billed
        if self._net(ledger) - amount.amount < invoiced:
            raise InvariantViolation(
                f"receivable {self.id}: return {amount} would take the net amount to "
                f"{self._money(self._net(ledger) - amount.amount)}, below the "
                f"{self._money(invoiced)} invoiced or requested; cancel an invoice first"
            )
        cuts = []
        left = amount.amount
        for inst in sorted(self.installments, key=lambda x: (x.due_date, x.number), reverse=True):
            take = min(room[inst.number - 1], left)
            if take > 0:
                cuts.append(Allocation(inst.number, self._money(take)))
                left -= take
        note = ReturnNote(
            id=f"{self.id}/R{len(self._returns) + 1}",
            amount=amount,
            reason=reason,
            recorded_by=actor.user_id,
            recorded_at=at,
            cuts=tuple(cuts),
        )
        self._returns.append(note)
        self._emit(
            ReceivableReturnRecorded, actor, at, return_id=note.id, amount=amount, reason=reason
        )
        return note

    def grant_early_payment_discount(
        self, actor: Actor, installment: int, *, at: datetime, paid_on: date | None = None
    ) -> EarlyPaymentDiscount:
        """Finance grants an installment's early-payment discount (once) by hand.

        Confirming a payment grants it automatically; this is for a discount the confirmation
        could not grant (an invoice in the way, cancelled since). It is granted only against
        confirmed payments received on or before ``discount_until`` that pay the installment
        less its discount, and only fills the room they left. ``paid_on`` is not trusted: it
        is accepted for compatibility and the payments decide.
        """
        self.policy.require(actor, self.policy.finance_roles, "grant an early-payment discount")
        if type(installment) is not int or not 1 <= installment <= len(self.installments):
            raise NotFound(f"receivable {self.id}: no installment {installment!r}")
        if paid_on is not None:
            check_date(paid_on, "paid_on")
        self._check_change(actor, at)
        amount, payment_ids, problem = self._earned_discount(installment)
        if problem is not None:
            raise InvariantViolation(f"receivable {self.id}: {problem}")
        return self._grant(actor, installment, amount, payment_ids, at)

    def _has_discount(self, number: int) -> bool:
        return any(
            d.installment == number and d.revoked_at is None for d in self._discounts
        ) or any(note.discount_for == number for note in self._returns)

    def _earned_discount(self, number: int) -> tuple[Decimal, tuple[str, ...], str | None]:
        """The discount installment ``number`` has earned now, the payments it rests on, or
        why it has none (a sentence)."""
        inst = self.installments[number - 1]
        if inst.discount is None or inst.discount_until is None:
            return _ZERO, (), f"installment {number} offers no early-payment discount"
        if self._has_discount(number):
            return _ZERO, (), f"the discount of installment {number} was already granted"
        until = inst.discount_until
        ids: list[str] = []
        in_time = _ZERO
        for p in self._payments:
            if p.state is PaymentState.CONFIRMED and p.received_on <= until:
                part = sum(
                    (a.amount.amount for a in p.allocations if a.installment == number), _ZERO
                )
                if part > 0:
                    ids.append(p.id)
                    in_time += part
        full = inst.early_payment_discount(until).amount
        ledger = self._ledger(None)
        due = inst.amount.amount - ledger.cut[number - 1] - full
        if in_time < due:
            return (
                _ZERO,
                (),
                f"installment {number}'s discount {self._money(full)} needs {self._money(due)} "
                f"received by {until.isoformat()} and confirmed; {self._money(in_time)} was",
            )
        room = self.room()[number - 1]
        grant = min(full, room)
        if not grant > 0:
            return _ZERO, (), f"installment {number} was paid in full: no discount was taken"
        invoiced = ledger.billed
        if self._net(ledger) - grant < invoiced:
            return (
                _ZERO,
                (),
                f"discount {self._money(grant)} would take the net amount below the "
                f"{self._money(invoiced)} invoiced or requested; cancel an invoice first",
            )
        return grant, tuple(ids), None

    def _grant(
        self,
        actor: Actor,
        number: int,
        amount: Decimal,
        payment_ids: tuple[str, ...],
        at: datetime,
    ) -> EarlyPaymentDiscount:
        discount = EarlyPaymentDiscount(
            id=f"{self.id}/D{len(self._discounts) + 1}",
            installment=number,
            amount=self._money(amount),
            payment_ids=payment_ids,
            granted_by=actor.user_id,
            granted_at=at,
        )
        self._discounts.append(discount)
        self._emit(
            ReceivableDiscountGranted,
            actor,
            at,
            discount_id=discount.id,
            installment=number,
            amount=discount.amount,
        )
        return discount

    def _discount_caps(self, room: list[Decimal], received_on: date) -> list[Decimal]:
        """Per installment, the room a payment received on ``received_on`` fills first: the
        room less the early-payment discount it would earn (the discount is not asked for)."""
        caps = []
        for inst, left in zip(self.installments, room, strict=True):
            discount = inst.early_payment_discount(received_on).amount
            if discount > 0 and not self._has_discount(inst.number):
                caps.append(max(left - discount, _ZERO))
            else:
                caps.append(left)
        return caps

    # -- invoices ---------------------------------------------------------------------------
    def invoicing_limit(self, as_of: date | None = None) -> Money:
        """The most that may be invoiced: the net amount, or what was kept (after payment)."""
        ledger = self._ledger(as_of)
        net = self._net(ledger)
        if self.policy.invoicing is InvoicingPolicy.AFTER_PAYMENT:
            return self._money(min(net, ledger.kept - ledger.refund_requested))
        return self._money(net)

    def request_invoice(
        self,
        actor: Actor,
        amount: Money,
        *,
        title: str,
        tax_id: str,
        address: str,
        at: datetime,
    ) -> InvoiceRequest:
        """Request an invoice; refused beyond the invoicing limit (issued + requested)."""
        self.policy.require(
            actor, self.policy.record_roles | self.policy.finance_roles, "request an invoice"
        )
        self._check_amount(amount, "invoice")
        for value, what in ((title, "title"), (tax_id, "tax_id"), (address, "address")):
            _text(value, what)
        self._check_change(actor, at)
        ledger = self._ledger(None)
        limit = self.invoicing_limit()
        taken = ledger.billed
        if taken + amount.amount > limit.amount:
            raise InvariantViolation(
                f"receivable {self.id}: invoice {amount} exceeds the invoicing limit "
                f"{limit} ({self.policy.invoicing.value}): {self._money(ledger.invoiced)} "
                f"invoiced and {self._money(ledger.pending_invoice)} requested already"
            )
        request = InvoiceRequest(
            id=f"{self.id}/I{len(self._invoices) + 1}",
            title=title,
            tax_id=tax_id,
            address=address,
            amount=amount,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
        self._invoices.append(request)
        self._emit(ReceivableInvoiceRequested, actor, at, invoice_id=request.id, amount=amount)
        return request

    def issue_invoice(
        self, actor: Actor, invoice_id: str, *, number: str, at: datetime
    ) -> InvoiceRequest:
        """Finance issues a requested invoice under its official ``number``."""
        _text(number, "number")
        return self._decide_invoice(
            actor, invoice_id, "issue", ReceivableInvoiceIssued, at, number=number
        )

    def reject_invoice(
        self, actor: Actor, invoice_id: str, *, reason: str, at: datetime
    ) -> InvoiceRequest:
        """Finance rejects an invoice request, saying why."""
        _text(reason, "reason")
        return self._decide_invoice(
            actor, invoice_id, "reject", ReceivableInvoiceRejected, at, reason=reason
        )

    def cancel_invoice(
        self, actor: Actor, invoice_id: str, *, reason: str, at: datetime
    ) -> InvoiceRequest:
        """Finance cancels an issued invoice (red-letter invoice); refused while a credit note
        is issued or requested against it (the credit note already takes it back)."""
        _text(reason, "reason")
        self._refuse_credited_cancel(invoice_id)
        return self._decide_invoice(
            actor, invoice_id, "cancel", ReceivableInvoiceCancelled, at, reason=reason
        )

    def _decide_invoice(
        self,
        actor: Actor,
        invoice_id: str,
        transition: str,
        event: Callable[..., DomainEvent],
        at: datetime,
        *,
        number: str | None = None,
        reason: str | None = None,
    ) -> InvoiceRequest:
        """One checked transition of an invoice request, recorded with its event."""
        request = self.invoice(invoice_id)
        self._check_change(actor, at)
        state = invoice_lifecycle(self.policy.finance_roles).check(
            transition, request.state, actor, request
        )
        if transition == "cancel":
            updated = attrs.evolve(request, state=state, reason=reason, cancelled_at=at)
        else:
            updated = attrs.evolve(
                request,
                state=state,
                number=number if number is not None else request.number,
                reason=reason if reason is not None else request.reason,
                decided_by=actor.user_id,
                decided_at=at,
            )
        self._replace(self._invoices, updated)
        detail = {"number": number} if number is not None else {"reason": reason}
        self._emit(event, actor, at, invoice_id=request.id, amount=request.amount, **detail)
        return updated

    # -- derived figures --------------------------------------------------------------------
    def room(self) -> list[Decimal]:
        """Per installment (index = number − 1): what payments may still be allocated to it now.

        Its amount after returns and discounts, less confirmed and pending allocations and
        write-offs, plus refund releases.
        """
        ledger = self._ledger(None)
        return [
            inst.amount.amount
            - ledger.cut[i]
            - ledger.paid[i]
            - ledger.reserved[i]
            - ledger.written[i]
            for i, inst in enumerate(self.installments)
        ]

    def installment_view(self, as_of: date) -> tuple[InstallmentStatus, ...]:
        """Each installment on ``as_of``: amount after returns, paid, outstanding, overdue."""
        return self._installment_view(self._ledger(as_of), as_of)

    def _installment_view(self, ledger: _Ledger, as_of: date) -> tuple[InstallmentStatus, ...]:
        rows = []
        for i, inst in enumerate(self.installments):
            effective = inst.amount.amount - ledger.cut[i]
            outstanding = effective - ledger.paid[i] - ledger.written[i]
            overdue = outstanding > 0 and inst.due_date < as_of
            rows.append(
                InstallmentStatus(
                    number=inst.number,
                    due_date=inst.due_date,
                    original_amount=inst.amount,
                    returned=self._money(ledger.cut[i] - ledger.disc[i]),
                    amount=self._money(effective),
                    paid=self._money(ledger.paid[i]),
                    outstanding=self._money(outstanding),
                    overdue=overdue,
                    days_overdue=(as_of - inst.due_date).days if overdue else 0,
                    discounted=self._money(ledger.disc[i]),
                    written_off=self._money(ledger.written[i]),
                    pending_confirmation=self._money(ledger.reserved[i]),
                )
            )
        return tuple(rows)

    def balance(self, as_of: date) -> Balance:
        """Every figure on ``as_of``: facts dated after it are ignored, nothing is stored."""
        ledger = self._ledger(as_of)
        rows = self._installment_view(ledger, as_of)
        net = self._net(ledger)
        # Outstanding from the totals; it equals the sum of the installments' outstanding
        # because received − refunded = Σ paid + advance (checked by the property tests).
        outstanding = net - ledger.kept + ledger.advance - ledger.written_off
        overdue = [r for r in rows if r.overdue]
        open_rows = sorted(
            (r for r in rows if r.outstanding.amount > 0), key=lambda r: (r.due_date, r.number)
        )
        next_row = open_rows[0] if open_rows else None
        overdue_amount = sum((r.outstanding.amount for r in overdue), _ZERO)
        if outstanding == 0:
            status = ReceivableStatus.OVERPAID if ledger.advance > 0 else ReceivableStatus.PAID
        elif overdue_amount > 0:
            status = ReceivableStatus.OVERDUE
        elif ledger.kept > 0:
            status = ReceivableStatus.PARTLY_PAID
        else:
            status = ReceivableStatus.UNPAID
        return Balance(
            as_of=as_of,
            amount=self.amount,
            returned=self._money(ledger.returned),
            net_amount=self._money(net),
            received=self._money(ledger.received),
            refunded=self._money(ledger.refunded),
            pending_confirmation=self._money(ledger.pending),
            outstanding=self._money(outstanding),
            advance=self._money(ledger.advance),
            invoiced=self._money(ledger.invoiced),
            pending_invoice=self._money(ledger.pending_invoice),
            not_yet_invoiced=self._money(
                net
                - (ledger.invoiced - ledger.credited)
                - (ledger.pending_invoice - ledger.pending_credit)
            ),
            next_due_date=None if next_row is None else next_row.due_date,
            next_amount_due=self._money(_ZERO) if next_row is None else next_row.outstanding,
            overdue_amount=self._money(overdue_amount),
            days_overdue=max((r.days_overdue for r in overdue), default=0),
            status=status,
            installments=rows,
            discounted=self._money(ledger.discounted),
            written_off=self._money(ledger.written_off),
            credited=self._money(ledger.credited),
            pending_credit=self._money(ledger.pending_credit),
        )

    def _ledger(self, as_of: date | None) -> _Ledger:
        """The figures as of a date, or now (None: from the kept fold, as a copy). A date on
        or after the last change sees every fact, so it reads the kept fold too."""
        if as_of is not None:
            last = self._last_change_at()
            if last is None or as_of < last.date():
                return self._fold(as_of)
        if self._now is None or self._now_key != self._facts_key():
            self._now, self._now_key = self._fold(None), self._facts_key()
        elif VERIFY_FOLD:
            assert self._now == self._fold(None), f"receivable {self.id}: kept fold drifted"
        return copy_ledger(self._now)

    def _facts_key(self) -> tuple[int, ...]:
        """Changes when any fact list is appended to, replaced or has an item replaced."""
        lists = (
            self._payments,
            self._refunds,
            self._returns,
            self._invoices,
            self._credit_notes,
            self._write_offs,
            self._discounts,
        )
        return (self._revision, *(len(x) for x in lists), *(id(x) for x in lists))

    def _swap_payment(self, old: Payment | None, new: Payment) -> None:
        """Record ``new`` (replacing ``old``), keeping the fold of now current in O(1)."""
        current = self._now is not None and self._now_key == self._facts_key()
        if old is None:
            self._payments.append(new)
        else:
            self._replace(self._payments, new)
        if current:
            assert self._now is not None
            if old is not None:
                fold_payment(self._now, old, now_seen, -1)
            fold_payment(self._now, new, now_seen, 1)
            self._now_key = self._facts_key()

    def _reference_index(self) -> dict[str, int]:
        """Bank reference → position of its payment, extended with the payments recorded
        since the last call (a payment's reference never changes)."""
        for i in range(self._indexed, len(self._payments)):
            reference = self._payments[i].reference
            if reference is not None:
                self._references.setdefault(reference, i)
        self._indexed = len(self._payments)
        return self._references

    def _fold(self, as_of: date | None) -> _Ledger:
        return fold(
            len(self.installments),
            as_of,
            returns=self._returns,
            discounts=self._discounts,
            write_offs=self._write_offs,
            payments=self._payments,
            refunds=self._refunds,
            invoices=self._invoices,
            credit_notes=self._credit_notes,
        )

    def _net(self, ledger: _Ledger) -> Decimal:
        return self.amount.amount - ledger.returned - ledger.discounted

    # -- helpers ----------------------------------------------------------------------------
    def _money(self, value: Decimal) -> Money:
        return Money(value, self.currency).round()

    def _check_amount(self, amount: Money, what: str) -> None:
        if not isinstance(amount, Money):
            raise ValidationError(f"{what}: expected Money, got {amount!r}")
        if amount.currency != self.currency:
            raise CurrencyMismatch(
                f"receivable {self.id}: {what} {amount} is not in the receivable's "
                f"currency {self.currency}"
            )
        if not amount.amount > 0:
            raise ValidationError(f"{what}: must be > 0, got {amount}")
        if not amount.is_rounded:
            raise ValidationError(f"{what}: {amount} has digits below the currency's minor unit")

    def _last_change_at(self) -> datetime | None:
        return self._history[-1].occurred_at if self._history else None

    def _find(self, items: Sequence[F], item_id: str, what: str) -> F:
        index = _position(items, item_id)
        if index is None:
            raise NotFound(f"receivable {self.id}: no {what} {item_id!r}")
        return items[index]

    def _replace(self, items: list[F], updated: F) -> None:
        index = _position(items, updated.id)
        if index is not None:
            items[index] = updated
            self._revision += 1

    def _remember(self, event: DomainEvent) -> None:
        self._history.append(event)


#: Check the kept fold of now against a full fold on every read (the test suite sets it).
VERIFY_FOLD = False


def _position(items: Sequence[_HasId], item_id: str) -> int | None:
    """Where ``item_id`` is in ``items``: at once for ids ending in their 1-based position
    (``R/P12`` is the twelfth payment), else by looking."""
    tail = item_id.rpartition("/")[2].lstrip(ascii_letters)
    if tail.isdigit():
        guess = int(tail) - 1
        if 0 <= guess < len(items) and items[guess].id == item_id:
            return guess
    for i, item in enumerate(items):
        if item.id == item_id:
            return i
    return None

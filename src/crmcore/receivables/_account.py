"""A customer's account: cash received on account, credits, and their application.

A customer pays without naming an order (a transfer "on account", a prepayment before the
order exists), or a return leaves money the customer does not want back: that money lives
here, per customer and currency, until it is *applied* to the customer's receivables or
refunded. Every step has the same four-eyes rule as a receivable's payments: sales (or the
bank import) records, finance confirms, never the same person; the same bank reference again
returns the first receipt. Applying reserves the money on the account at once and records a
pending payment on each receivable it pays (the services do both in one unit of work); when
finance confirms the application, the receivables' payments are confirmed with it.

The figures (``balance``) are a fold over the facts; ``unapplied`` is what can still be
applied or refunded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import attrs

from crmcore._aggregate import AggregateRoot, check_actor, check_time
from crmcore._dates import check_date
from crmcore._decimal import context_class
from crmcore._validators import text as _text
from crmcore.errors import CurrencyMismatch, InvariantViolation, NotFound, ValidationError
from crmcore.events import DomainEvent
from crmcore.money import Currency, Money, get_currency
from crmcore.ports import Actor
from crmcore.receivables._events import (
    AccountApplicationConfirmed,
    AccountApplicationRecorded,
    AccountApplicationRejected,
    AccountCreditAdded,
    AccountOpened,
    AccountReceiptConfirmed,
    AccountReceiptRecorded,
    AccountReceiptRejected,
    AccountRefundConfirmed,
    AccountRefundRejected,
    AccountRefundRequested,
)
from crmcore.receivables._policy import (
    PaymentState,
    ReceivablePolicy,
    RefundState,
    payment_lifecycle,
    refund_lifecycle,
)

__all__ = [
    "AccountBalance",
    "AccountCredit",
    "AccountReceipt",
    "AccountRefund",
    "Application",
    "CustomerAccount",
    "account_id_for",
]

KIND = "customer_account"
_ZERO = Decimal(0)
F = TypeVar("F", "AccountReceipt", "Application", "AccountRefund")


def account_id_for(customer: str, currency: str | Currency) -> str:
    """The id of a customer's account in one currency: ``ACC-<customer>-<code>``."""
    return f"ACC-{customer}-{get_currency(currency).code}"


@attrs.frozen
class AccountReceipt:
    """Money received on account (not for a named order); counts once finance confirms it."""

    id: str
    amount: Money
    received_on: date
    recorded_by: str
    recorded_at: datetime
    reference: str | None = None
    state: PaymentState = PaymentState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


@attrs.frozen
class AccountCredit:
    """A credit the customer holds with us (a return kept as credit, a moved advance)."""

    id: str
    amount: Money
    source: str
    recorded_by: str
    recorded_at: datetime


@attrs.frozen
class Application:
    """Unapplied money put on one receivable: a pending payment there until finance confirms
    both (``payment_id`` names it on the receivable)."""

    id: str
    receivable_id: str
    payment_id: str
    amount: Money
    recorded_by: str
    recorded_at: datetime
    state: PaymentState = PaymentState.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None


@attrs.frozen
class AccountRefund:
    """Unapplied money given back to the customer; finance confirms it."""

    id: str
    amount: Money
    reason: str
    recorded_by: str
    recorded_at: datetime
    state: RefundState = RefundState.REQUESTED
    decided_by: str | None = None
    decided_at: datetime | None = None
    rejection: str | None = None


@attrs.frozen
class AccountBalance:
    """The account's figures: what came in, what went out, and what is left to apply.

    ``unapplied`` = received + credits − applied − applying − refunded − refund requested:
    what can still be applied or refunded. ``applying`` (reserved by an application finance
    has not confirmed yet) is still the customer's money on our side, so the customer's net
    position counts ``unapplied + applying`` (``on_account``).
    """

    received: Money
    pending: Money
    credits: Money
    applied: Money
    applying: Money
    refunded: Money
    refund_requested: Money
    unapplied: Money

    @property
    def on_account(self) -> Money:
        """Money of the customer's we hold and no receivable counts yet."""
        return self.unapplied + self.applying


@context_class
@attrs.define
class CustomerAccount(AggregateRoot):
    """One customer's money on account in one currency: receipts, credits, applications to
    receivables and refunds. Open it with [`open`][crmcore.receivables.CustomerAccount.open]."""

    aggregate_kind: ClassVar[str] = KIND

    id: str = attrs.field(validator=attrs.validators.instance_of(str))
    customer: str
    currency: Currency
    owner_id: str
    policy: ReceivablePolicy = attrs.field(factory=ReceivablePolicy)
    _receipts: list[AccountReceipt] = attrs.field(factory=list)
    _credits: list[AccountCredit] = attrs.field(factory=list)
    _applications: list[Application] = attrs.field(factory=list)
    _refunds: list[AccountRefund] = attrs.field(factory=list)
    _history: list[DomainEvent] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        _text(self.id, "id")
        _text(self.customer, "customer")
        _text(self.owner_id, "owner_id")
        if not isinstance(self.currency, Currency):
            raise ValidationError(f"currency: expected a Currency, got {self.currency!r}")

    @classmethod
    def open(
        cls,
        actor: Actor,
        *,
        customer: str,
        currency: str | Currency,
        owner_id: str,
        at: datetime,
        account_id: str | None = None,
        policy: ReceivablePolicy | None = None,
    ) -> CustomerAccount:
        """Open the customer's account in ``currency`` (id ``ACC-<customer>-<code>``)."""
        check_actor(actor)
        check_time(at)
        pol = policy if policy is not None else ReceivablePolicy()
        pol.require(actor, pol.record_roles | pol.finance_roles, "open a customer account")
        _text(customer, "customer")
        cur = get_currency(currency)
        account = cls(
            id=account_id or account_id_for(customer, cur),
            customer=customer,
            currency=cur,
            owner_id=owner_id,
            policy=pol,
        )
        account._emit(AccountOpened, actor, at, customer=customer, currency=cur.code)
        return account

    # -- read access ------------------------------------------------------------------------
    @property
    def receipts(self) -> tuple[AccountReceipt, ...]:
        """Every receipt on account (rejected ones included), oldest first."""
        return tuple(self._receipts)

    @property
    def credits(self) -> tuple[AccountCredit, ...]:
        """Every credit added to the account, oldest first."""
        return tuple(self._credits)

    @property
    def applications(self) -> tuple[Application, ...]:
        """Every application to a receivable (rejected ones included), oldest first."""
        return tuple(self._applications)

    @property
    def refunds(self) -> tuple[AccountRefund, ...]:
        """Every refund request from the account, oldest first."""
        return tuple(self._refunds)

    @property
    def history(self) -> tuple[DomainEvent, ...]:
        """Every event the account has left, oldest first (append-only)."""
        return tuple(self._history)

    def receipt(self, receipt_id: str) -> AccountReceipt:
        """The receipt with that id; NotFound otherwise."""
        return self._find(self._receipts, receipt_id, "receipt")

    def application(self, application_id: str) -> Application:
        """The application with that id; NotFound otherwise."""
        return self._find(self._applications, application_id, "application")

    def refund(self, refund_id: str) -> AccountRefund:
        """The refund with that id; NotFound otherwise."""
        return self._find(self._refunds, refund_id, "refund")

    def balance(self) -> AccountBalance:
        """The figures now, folded from the facts."""
        received = _sum(r.amount for r in self._receipts if r.state is PaymentState.CONFIRMED)
        pending = _sum(r.amount for r in self._receipts if r.state is PaymentState.PENDING)
        credits = _sum(c.amount for c in self._credits)
        applied = _sum(a.amount for a in self._applications if a.state is PaymentState.CONFIRMED)
        applying = _sum(a.amount for a in self._applications if a.state is PaymentState.PENDING)
        refunded = _sum(r.amount for r in self._refunds if r.state is RefundState.CONFIRMED)
        requested = _sum(r.amount for r in self._refunds if r.state is RefundState.REQUESTED)
        unapplied = received + credits - applied - applying - refunded - requested
        money = self._money
        return AccountBalance(
            received=money(received),
            pending=money(pending),
            credits=money(credits),
            applied=money(applied),
            applying=money(applying),
            refunded=money(refunded),
            refund_requested=money(requested),
            unapplied=money(unapplied),
        )

    # -- receipts ---------------------------------------------------------------------------
    def receive(
        self,
        actor: Actor,
        amount: Money,
        *,
        received_on: date,
        at: datetime,
        reference: str | None = None,
    ) -> AccountReceipt:
        """Record money received on account (pending until finance confirms it). The same
        bank ``reference`` again returns the first receipt; with another amount it is refused."""
        self.policy.require(actor, self.policy.record_roles, "record a receipt on account")
        self._check_amount(amount, "receipt")
        check_date(received_on, "received_on")
        if reference is not None:
            _text(reference, "reference")
            for receipt in self._receipts:
                if receipt.reference == reference:
                    if receipt.amount != amount:
                        raise InvariantViolation(
                            f"account {self.id}: bank reference {reference!r} is already "
                            f"receipt {receipt.id} of {receipt.amount}, not {amount}"
                        )
                    return receipt
        self._check_change(actor, at)
        receipt = AccountReceipt(
            id=f"{self.id}/R{len(self._receipts) + 1}",
            amount=amount,
            received_on=received_on,
            recorded_by=actor.user_id,
            recorded_at=at,
            reference=reference,
        )
        self._receipts.append(receipt)
        self._emit(
            AccountReceiptRecorded,
            actor,
            at,
            receipt_id=receipt.id,
            amount=amount,
            reference=reference,
            owner_id=self.owner_id,
        )
        return receipt

    def confirm_receipt(self, actor: Actor, receipt_id: str, *, at: datetime) -> AccountReceipt:
        """Finance confirms a receipt (not the person who recorded it): it can be applied."""
        receipt = self.receipt(receipt_id)
        return self._decide(
            self._receipts,
            receipt,
            "confirm",
            actor,
            at,
            AccountReceiptConfirmed,
            receipt_id=receipt.id,
        )

    def reject_receipt(
        self, actor: Actor, receipt_id: str, *, reason: str, at: datetime
    ) -> AccountReceipt:
        """Finance rejects a pending receipt (not on the bank statement), saying why."""
        receipt = self.receipt(receipt_id)
        return self._decide(
            self._receipts,
            receipt,
            "reject",
            actor,
            at,
            AccountReceiptRejected,
            reason=reason,
            receipt_id=receipt.id,
        )

    # -- credits ----------------------------------------------------------------------------
    def add_credit(
        self, actor: Actor, amount: Money, *, source: str, at: datetime
    ) -> AccountCredit:
        """Add a credit the customer keeps with us (``source`` says where it came from)."""
        self.policy.require(actor, self.policy.finance_roles, "add a credit to an account")
        self._check_amount(amount, "credit")
        _text(source, "source")
        self._check_change(actor, at)
        credit = AccountCredit(
            id=f"{self.id}/C{len(self._credits) + 1}",
            amount=amount,
            source=source,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
        self._credits.append(credit)
        self._emit(
            AccountCreditAdded,
            actor,
            at,
            credit_id=credit.id,
            amount=amount,
            source=source,
            owner_id=self.owner_id,
        )
        return credit

    # -- applications -----------------------------------------------------------------------
    def check_application(self, actor: Actor, amount: Money, *, at: datetime) -> None:
        """Raise unless ``actor`` may apply ``amount`` now (changes nothing)."""
        self.policy.require(
            actor,
            self.policy.record_roles | self.policy.finance_roles,
            "apply money on account",
        )
        self._check_amount(amount, "application")
        self._check_change(actor, at)
        unapplied = self.balance().unapplied
        if amount > unapplied:
            raise InvariantViolation(
                f"account {self.id}: applying {amount} exceeds the unapplied {unapplied}"
            )

    def apply(
        self,
        actor: Actor,
        receivable_id: str,
        amount: Money,
        *,
        payment_id: str,
        at: datetime,
    ) -> Application:
        """Reserve ``amount`` for receivable ``receivable_id``, where it is pending payment
        ``payment_id`` (recorded in the same unit of work), until finance confirms both."""
        self.check_application(actor, amount, at=at)
        _text(receivable_id, "receivable_id")
        _text(payment_id, "payment_id")
        application = Application(
            id=f"{self.id}/A{len(self._applications) + 1}",
            receivable_id=receivable_id,
            payment_id=payment_id,
            amount=amount,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
        self._applications.append(application)
        self._emit(
            AccountApplicationRecorded,
            actor,
            at,
            application_id=application.id,
            receivable_id=receivable_id,
            amount=amount,
            owner_id=self.owner_id,
        )
        return application

    def confirm_application(
        self, actor: Actor, application_id: str, *, at: datetime
    ) -> Application:
        """Finance confirms an application (not its recorder): the money is applied."""
        application = self.application(application_id)
        return self._decide(
            self._applications,
            application,
            "confirm",
            actor,
            at,
            AccountApplicationConfirmed,
            application_id=application.id,
            receivable_id=application.receivable_id,
        )

    def reject_application(
        self, actor: Actor, application_id: str, *, reason: str, at: datetime
    ) -> Application:
        """Finance rejects an application: the money is unapplied again."""
        application = self.application(application_id)
        return self._decide(
            self._applications,
            application,
            "reject",
            actor,
            at,
            AccountApplicationRejected,
            reason=reason,
            application_id=application.id,
            receivable_id=application.receivable_id,
        )

    # -- refunds ----------------------------------------------------------------------------
    def request_refund(
        self, actor: Actor, amount: Money, *, reason: str, at: datetime
    ) -> AccountRefund:
        """Ask to give unapplied money back to the customer; finance confirms it."""
        self.policy.require(
            actor, self.policy.record_roles | self.policy.finance_roles, "request a refund"
        )
        self._check_amount(amount, "refund")
        _text(reason, "reason")
        self._check_change(actor, at)
        unapplied = self.balance().unapplied
        if amount > unapplied:
            raise InvariantViolation(
                f"account {self.id}: refund {amount} exceeds the unapplied {unapplied}"
            )
        refund = AccountRefund(
            id=f"{self.id}/F{len(self._refunds) + 1}",
            amount=amount,
            reason=reason,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
        self._refunds.append(refund)
        self._emit(
            AccountRefundRequested,
            actor,
            at,
            refund_id=refund.id,
            amount=amount,
            reason=reason,
            owner_id=self.owner_id,
        )
        return refund

    def confirm_refund(self, actor: Actor, refund_id: str, *, at: datetime) -> AccountRefund:
        """Finance confirms a refund (not its requester): the money has left."""
        refund = self.refund(refund_id)
        return self._decide(
            self._refunds,
            refund,
            "confirm",
            actor,
            at,
            AccountRefundConfirmed,
            refund_id=refund.id,
        )

    def reject_refund(
        self, actor: Actor, refund_id: str, *, reason: str, at: datetime
    ) -> AccountRefund:
        """Finance rejects a refund request: the money is unapplied again."""
        refund = self.refund(refund_id)
        return self._decide(
            self._refunds,
            refund,
            "reject",
            actor,
            at,
            AccountRefundRejected,
            reason=reason,
            refund_id=refund.id,
        )

    # -- internals --------------------------------------------------------------------------
    def _decide(
        self,
        items: list[F],
        fact: F,
        action: str,
        actor: Actor,
        at: datetime,
        event: Callable[..., DomainEvent],
        *,
        reason: str | None = None,
        **fields: str,
    ) -> F:
        """Finance's decision on a pending fact: checked by its lifecycle (four eyes), the
        fact replaced by its decided copy, the event raised; nothing changes on a refusal."""
        if reason is not None:
            _text(reason, "reason")
        self._check_change(actor, at)
        refund = isinstance(fact, AccountRefund)
        machine = (refund_lifecycle if refund else payment_lifecycle)(self.policy.finance_roles)
        state = machine.check(action, fact.state, actor, fact)  # type: ignore[arg-type]
        changes: dict[str, Any] = {
            "state": state,
            "decided_by": actor.user_id,
            "decided_at": at,
        }
        if reason is not None:
            changes["rejection" if refund else "reason"] = reason
            fields["reason"] = reason
        updated = attrs.evolve(fact, **changes)
        self._replace(items, updated)
        self._emit(event, actor, at, amount=fact.amount, owner_id=self.owner_id, **fields)
        return updated

    def _last_change_at(self) -> datetime | None:
        return self._history[-1].occurred_at if self._history else None

    def _remember(self, event: DomainEvent) -> None:
        self._history.append(event)

    def _money(self, value: Decimal) -> Money:
        return Money(value, self.currency)

    def _check_amount(self, amount: object, what: str) -> None:
        if not isinstance(amount, Money):
            raise ValidationError(f"{what}: expected Money, got {amount!r}")
        if amount.currency != self.currency:
            raise CurrencyMismatch(
                f"{what} {amount} is not in the account's currency {self.currency.code}"
            )
        if not amount.amount > 0 or not amount.is_rounded:
            raise ValidationError(f"{what}: must be > 0 and rounded to the currency, got {amount}")

    def _find(self, items: list[F], item_id: str, what: str) -> F:
        for item in items:
            if item.id == item_id:
                return item
        raise NotFound(f"account {self.id}: no {what} {item_id!r}")

    @staticmethod
    def _replace(items: list[F], updated: F) -> None:
        for i, item in enumerate(items):
            if item.id == updated.id:
                items[i] = updated
                return
        raise NotFound(f"no {updated.id!r}")  # pragma: no cover - callers found it first


def _sum(values: Iterable[Money]) -> Decimal:
    return sum((v.amount for v in values), _ZERO)

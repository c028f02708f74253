"""Customer-account use cases: money received on account, credits, applying it to the
customer's receivables (oldest due first or as finance says), and refunds from the account.

Each is one unit of work. Applying records an application on the account and a pending
payment on every receivable it pays, together; confirming (or rejecting) the application
confirms (or rejects) those payments with it, so the account and the receivables never
disagree. Finance reaches every account (the default grants); a salesperson the accounts
they own, their managers their team's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from crmcore.errors import InvariantViolation, NotFound, ValidationError
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import (
    AccountCredit,
    AccountReceipt,
    AccountRefund,
    Application,
    CustomerAccount,
    Payment,
    PaymentState,
    Receivable,
    account_id_for,
    record_customer_payment,
)
from crmcore.services._boundary import typed_boundary
from crmcore.services._case import UseCase
from crmcore.services._change import change_one

if TYPE_CHECKING:
    from crmcore.services._app import Crm

__all__ = ["ACCOUNT", "AccountService", "decide_application_of"]

T = TypeVar("T")

#: The record kind of customer accounts (record access, grants, stored kind).
ACCOUNT = "customer_account"


@typed_boundary
class AccountService:
    """The customer-account use cases; each takes the acting user first."""

    def __init__(self, crm: Crm) -> None:
        self._crm = crm

    # -- receipts ---------------------------------------------------------------------------
    def receive(
        self,
        actor: Actor | str,
        customer: str,
        amount: Money,
        *,
        received_on: date,
        reference: str | None = None,
        owner_id: str | None = None,
    ) -> AccountReceipt:
        """Record money the customer paid on account (no order named); it waits for finance.
        Opens the customer's account in that currency when it has none, owned by
        ``owner_id`` (default: the owner of the customer's latest receivable, else the
        actor). The same bank ``reference`` returns the first receipt."""

        def record(account: CustomerAccount, case: UseCase) -> AccountReceipt:
            return account.receive(
                case.actor,
                amount,
                received_on=case.day(received_on, "received_on", required=True),
                at=case.at,
                reference=reference,
            )

        return self._on_account(actor, "account.receive", customer, amount, owner_id, record)

    def confirm_receipt(
        self, actor: Actor | str, account_id: str, receipt_id: str
    ) -> AccountReceipt:
        """Finance confirms money on account someone else recorded."""
        return self._change(
            actor,
            "account.confirm",
            account_id,
            lambda a, c: a.confirm_receipt(c.actor, receipt_id, at=c.at),
        )

    def reject_receipt(
        self, actor: Actor | str, account_id: str, receipt_id: str, reason: str
    ) -> AccountReceipt:
        """Finance rejects money recorded on account, saying why."""
        return self._change(
            actor,
            "account.confirm",
            account_id,
            lambda a, c: a.reject_receipt(c.actor, receipt_id, reason=reason, at=c.at),
        )

    def add_credit(
        self,
        actor: Actor | str,
        customer: str,
        amount: Money,
        *,
        source: str,
        owner_id: str | None = None,
    ) -> AccountCredit:
        """Finance puts a credit on the customer's account (a return the customer keeps as
        credit, an advance moved off a receivable); ``source`` says which."""

        return self._on_account(
            actor,
            "account.credit",
            customer,
            amount,
            owner_id,
            lambda account, case: account.add_credit(
                case.actor, amount, source=source, at=case.at
            ),
        )

    def take_advance(
        self, actor: Actor | str, receivable_id: str, amount: Money | None = None
    ) -> AccountCredit:
        """Finance moves a receivable's advance (all of it, or ``amount``) to the customer's
        account in one step, so it can pay the customer's next order: the receivable gives
        it up as a confirmed refund to the account, the account gains the credit."""

        def work(case: UseCase) -> AccountCredit:
            receivable = case.reach(
                "receivable", case.repo(Receivable).get(receivable_id), "write"
            )
            moving = receivable.balance(case.at.date()).advance if amount is None else amount
            if not isinstance(moving, Money) or not moving.amount > 0:
                raise InvariantViolation(
                    f"receivable {receivable_id}: no advance to move (amount {moving})"
                )
            account, is_new = self._account_for(
                case, receivable.customer, moving, receivable.owner_id
            )
            refund = receivable.move_advance(case.actor, moving, account_id=account.id, at=case.at)
            credit = account.add_credit(
                case.actor, moving, source=f"advance of {receivable.id} ({refund.id})", at=case.at
            )
            case.repo(Receivable).save(receivable)
            (case.repo(CustomerAccount).add if is_new else case.repo(CustomerAccount).save)(
                account
            )
            return credit

        return self._crm.run(actor, "account.credit", work)

    # -- applications -----------------------------------------------------------------------
    def apply(
        self,
        actor: Actor | str,
        account_id: str,
        amount: Money | None = None,
        *,
        allocations: Mapping[str, Money] | None = None,
    ) -> list[Application]:
        """Apply unapplied money to the customer's open receivables in the account's currency:
        ``amount`` (default: all that is unapplied, up to what the receivables ask) oldest due
        date first across all their installments, or ``allocations`` (receivable id →
        amount). Each receivable gets a pending payment; finance confirms the application."""
        if amount is not None and allocations is not None:
            raise ValidationError("apply: give amount or allocations, not both")

        def work(case: UseCase) -> list[Application]:
            account = case.reach(ACCOUNT, self._account(case, account_id), "write")
            receivables = self._open_receivables(case, account)
            if allocations is not None:
                parts = self._explicit(case, account, receivables, allocations)
            else:
                parts = self._oldest_first(case, account, receivables, amount)
            applications = [
                account.apply(case.actor, rid, payment.amount, payment_id=payment.id, at=case.at)
                for rid, payment in parts
            ]
            for receivable in receivables.values():
                case.repo(Receivable).save(receivable)
            case.repo(CustomerAccount).save(account)
            return applications

        return self._crm.run(actor, "account.apply", work)

    def confirm_application(
        self, actor: Actor | str, account_id: str, application_id: str
    ) -> Application:
        """Finance confirms an application (not its recorder) and, with it, the payment it
        recorded on the receivable: from now on the receivable counts the money as received."""

        def decide(account: CustomerAccount, case: UseCase) -> Application:
            application = account.confirm_application(case.actor, application_id, at=case.at)
            receivable = case.receivable(application.receivable_id, mode=None)
            receivable.confirm_payment(case.actor, application.payment_id, at=case.at)
            case.repo(Receivable).save(receivable)
            return application

        return self._change(actor, "account.confirm", account_id, decide)

    def reject_application(
        self, actor: Actor | str, account_id: str, application_id: str, reason: str
    ) -> Application:
        """Finance rejects an application: the money is unapplied again and the receivable's
        pending payment is rejected with the same reason."""

        def decide(account: CustomerAccount, case: UseCase) -> Application:
            application = account.reject_application(
                case.actor, application_id, reason=reason, at=case.at
            )
            receivable = case.receivable(application.receivable_id, mode=None)
            receivable.reject_payment(
                case.actor, application.payment_id, reason=reason, at=case.at
            )
            case.repo(Receivable).save(receivable)
            return application

        return self._change(actor, "account.confirm", account_id, decide)

    # -- refunds ----------------------------------------------------------------------------
    def request_refund(
        self, actor: Actor | str, account_id: str, amount: Money, reason: str
    ) -> AccountRefund:
        """Ask to give unapplied money back to the customer; finance confirms it."""
        return self._change(
            actor,
            "account.refund",
            account_id,
            lambda a, c: a.request_refund(c.actor, amount, reason=reason, at=c.at),
        )

    def confirm_refund(self, actor: Actor | str, account_id: str, refund_id: str) -> AccountRefund:
        """Finance confirms a refund from the account (not its requester)."""
        return self._change(
            actor,
            "account.confirm",
            account_id,
            lambda a, c: a.confirm_refund(c.actor, refund_id, at=c.at),
        )

    def reject_refund(
        self, actor: Actor | str, account_id: str, refund_id: str, reason: str
    ) -> AccountRefund:
        """Finance rejects a refund request: the money is unapplied again."""
        return self._change(
            actor,
            "account.confirm",
            account_id,
            lambda a, c: a.reject_refund(c.actor, refund_id, reason=reason, at=c.at),
        )

    # -- internals --------------------------------------------------------------------------
    def _account(self, case: UseCase, account_id: str) -> CustomerAccount:
        account = case.repo(CustomerAccount).get(account_id)
        account.policy = self._crm.config.receivable_policy
        return account

    def _on_account(
        self,
        actor: Actor | str,
        action: str,
        customer: str,
        amount: Money,
        owner_id: str | None,
        change: Callable[[CustomerAccount, UseCase], T],
    ) -> T:
        """Put ``amount`` on the customer's account (opened when it has none)."""

        def work(case: UseCase) -> T:
            account, is_new = self._account_for(case, customer, amount, owner_id)
            result = change(account, case)
            (case.repo(CustomerAccount).add if is_new else case.repo(CustomerAccount).save)(
                account
            )
            return result

        return self._crm.run(actor, action, work)

    def _account_for(
        self, case: UseCase, customer: str, amount: Money, owner_id: str | None
    ) -> tuple[CustomerAccount, bool]:
        """The customer's account in the amount's currency, opened when missing."""
        if not isinstance(amount, Money):
            raise ValidationError(f"amount: expected Money, got {amount!r}")
        account_id = account_id_for(customer, amount.currency)
        try:
            return case.reach(ACCOUNT, self._account(case, account_id), "write"), False
        except NotFound:
            pass
        owner = owner_id if owner_id is not None else _customer_owner(case, customer)
        case.create_for(ACCOUNT, owner, None)
        account = CustomerAccount.open(
            case.actor,
            customer=customer,
            currency=amount.currency,
            owner_id=owner,
            at=case.at,
            account_id=account_id,
            policy=self._crm.config.receivable_policy,
        )
        return account, True

    def _open_receivables(self, case: UseCase, account: CustomerAccount) -> dict[str, Receivable]:
        """The customer's receivables in the account's currency that still have room."""
        found = case.repo(Receivable).find(customer=account.customer, has_unpaid=True)
        return {
            r.id: case.receivable(r.id)
            for r in sorted(found, key=lambda r: r.id)
            if r.currency == account.currency
        }

    def _oldest_first(
        self,
        case: UseCase,
        account: CustomerAccount,
        receivables: Mapping[str, Receivable],
        amount: Money | None,
    ) -> list[tuple[str, Payment]]:
        room = sum(
            (
                Money(sum(r.room(), start=Decimal(0)), account.currency)
                for r in receivables.values()
            ),
            Money.zero(account.currency),
        )
        unapplied = account.balance().unapplied
        wanted = amount if amount is not None else min(unapplied, room)
        if amount is None and not wanted.amount > 0:
            raise InvariantViolation(
                f"account {account.id}: nothing to apply (unapplied {unapplied}; the customer's "
                f"open receivables in {account.currency.code} ask {room})"
            )
        account.check_application(case.actor, wanted, at=case.at)
        if wanted > room:
            raise InvariantViolation(
                f"account {account.id}: applying {wanted} exceeds what the customer's open "
                f"receivables in {account.currency.code} ask ({room})"
            )
        reference = f"{account.id}/A{len(account.applications) + 1}"
        paid = record_customer_payment(
            list(receivables.values()),
            case.actor,
            wanted,
            reference=reference,
            received_on=case.at.date(),
            at=case.at,
        )
        return list(paid.parts)

    def _explicit(
        self,
        case: UseCase,
        account: CustomerAccount,
        receivables: Mapping[str, Receivable],
        allocations: Mapping[str, Money],
    ) -> list[tuple[str, Payment]]:
        if not allocations:
            raise ValidationError("allocations: name at least one receivable")
        total = sum(allocations.values(), Money.zero(account.currency))
        account.check_application(case.actor, total, at=case.at)
        parts: list[tuple[str, Payment]] = []
        for n, (receivable_id, part) in enumerate(sorted(allocations.items()), start=1):
            receivable = receivables.get(receivable_id)
            if receivable is None:
                raise NotFound(
                    f"allocations: {receivable_id!r} is not an open receivable of "
                    f"{account.customer} in {account.currency.code}"
                )
            room = Money(sum(receivable.room(), start=Decimal(0)), account.currency)
            if part > room:
                raise InvariantViolation(
                    f"allocations[{receivable_id}]: {part} exceeds what it asks ({room})"
                )
            reference = f"{account.id}/A{len(account.applications) + n}"
            payment = receivable.record_payment(
                case.actor, part, received_on=case.at.date(), at=case.at, reference=reference
            )
            parts.append((receivable_id, payment))
        return parts

    def _change(
        self,
        actor: Actor | str,
        action: str,
        account_id: str,
        change: Callable[[CustomerAccount, UseCase], T],
    ) -> T:
        def load(case: UseCase) -> CustomerAccount:
            return case.reach(ACCOUNT, self._account(case, account_id), "write")

        return change_one(self._crm, actor, action, load, change)


def _customer_owner(case: UseCase, customer: str) -> str:
    """Who owns a new account: the owner of the customer's latest receivable (its
    salesperson), else the actor."""
    receivables = case.repo(Receivable).find(customer=customer)
    if not receivables:
        return case.actor.user_id
    return max(receivables, key=lambda r: (r.issue_date, r.id)).owner_id


def decide_application_of(
    case: UseCase, receivable: Receivable, payment: Payment, reason: str | None = None
) -> None:
    """Keep the account in step when finance decides an application's payment from the
    receivable's side (``crm.receivables.confirm_payment`` / ``reject_payment``): the
    application is confirmed, or rejected with ``reason``, in the same unit of work."""
    account_id = account_id_for(receivable.customer, receivable.currency)
    if payment.reference is None or not payment.reference.startswith(f"{account_id}/A"):
        return
    try:
        account = case.repo(CustomerAccount).get(account_id)
    except NotFound:
        return
    for application in account.applications:
        if application.payment_id == payment.id and application.receivable_id == receivable.id:
            if application.state is not PaymentState.PENDING:
                return
            if reason is None:
                account.confirm_application(case.actor, application.id, at=case.at)
            else:
                account.reject_application(case.actor, application.id, reason=reason, at=case.at)
            case.repo(CustomerAccount).save(account)
            return

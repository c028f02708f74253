"""Receivable policy (roles, overpayment, invoicing limit) and the declared lifecycles."""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from typing import Any

import attrs

from crmcore._deprecation import deprecated
from crmcore._validators import member
from crmcore.errors import PermissionDenied, ValidationError
from crmcore.ports import Actor
from crmcore.serialization import from_dict
from crmcore.workflow import StateMachine, Transition

__all__ = [
    "InvoiceState",
    "InvoicingPolicy",
    "OverpaymentPolicy",
    "PaymentState",
    "ReceivablePolicy",
    "RefundState",
    "ReturnCreditPolicy",
    "invoice_lifecycle",
    "payment_lifecycle",
    "refund_lifecycle",
]


class OverpaymentPolicy(enum.Enum):
    """What happens to money beyond what the installments still have room for."""

    #: keep it on the receivable as a customer advance (shown as ``advance``).
    ADVANCE = "advance"
    #: refuse the payment with InvariantViolation.
    REFUSE = "refuse"


class InvoicingPolicy(enum.Enum):
    """The most that may be invoiced (issued + requested)."""

    #: up to the net amount (amount − returns).
    NET_AMOUNT = "net_amount"
    #: only what has been received and kept (received − refunded): invoice after payment.
    AFTER_PAYMENT = "after_payment"


class ReturnCreditPolicy(enum.Enum):
    """What happens to paid money a return takes back (the customer's credit)."""

    #: keep it on the receivable as a customer advance (``Balance.advance``).
    ADVANCE = "advance"
    #: ask for a refund of it at once (finance confirms it, four eyes).
    REFUND = "refund"


class PaymentState(enum.Enum):
    """Recorded by sales → confirmed or rejected by finance; a confirmed one may be reversed."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    #: confirmed, then taken back (a bounced transfer): it no longer counts as received.
    REVERSED = "reversed"


class RefundState(enum.Enum):
    """Requested → confirmed or rejected by finance."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class InvoiceState(enum.Enum):
    """Requested → issued or rejected by finance; an issued invoice may be cancelled."""

    REQUESTED = "requested"
    ISSUED = "issued"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


def _roles(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset({value}) if isinstance(value, str) else frozenset(value)


def _some_role(_: object, attribute: attrs.Attribute[Any], value: frozenset[str]) -> None:
    if not value:
        raise ValidationError(f"{attribute.name}: at least one role is required")


def _overpayment_policy(value: object) -> OverpaymentPolicy:
    return member(OverpaymentPolicy, value, "overpayment")


def _invoicing_policy(value: object) -> InvoicingPolicy:
    return member(InvoicingPolicy, value, "invoicing")


def _return_credit_policy(value: object) -> ReturnCreditPolicy:
    return member(ReturnCreditPolicy, value, "return_credit")


@attrs.frozen
class ReceivablePolicy:
    """Who may do what on a receivable, and the money rules; loads from plain data.

    Defaults: sales records payments, requests refunds and invoices; finance confirms and
    rejects payments and refunds and issues invoices; sales or finance record returns;
    overpayment becomes an advance; invoices up to the net amount; paid money a return takes
    back stays as a customer advance (``return_credit``).
    """

    record_roles: frozenset[str] = attrs.field(
        default=frozenset({"sales", "finance"}), converter=_roles
    )
    finance_roles: frozenset[str] = attrs.field(
        default=frozenset({"finance"}), converter=_roles, validator=_some_role
    )
    return_roles: frozenset[str] = attrs.field(
        default=frozenset({"sales", "finance"}), converter=_roles
    )
    overpayment: OverpaymentPolicy = attrs.field(
        default=OverpaymentPolicy.ADVANCE,
        converter=_overpayment_policy,
    )
    invoicing: InvoicingPolicy = attrs.field(
        default=InvoicingPolicy.NET_AMOUNT,
        converter=_invoicing_policy,
    )
    return_credit: ReturnCreditPolicy = attrs.field(
        default=ReturnCreditPolicy.ADVANCE,
        converter=_return_credit_policy,
    )

    @classmethod
    def from_dict(cls, data: object) -> ReceivablePolicy:
        """Deprecated: use ``crmcore.serialization.from_dict(ReceivablePolicy, data)``."""
        deprecated(
            "ReceivablePolicy.from_dict", "crmcore.serialization.from_dict(ReceivablePolicy, data)"
        )
        return from_dict(cls, data)

    def require(self, actor: Actor, roles: frozenset[str], action: str) -> None:
        """Raise PermissionDenied unless ``actor`` holds one of ``roles``."""
        if not actor.has_role(*roles):
            held = ", ".join(sorted(actor.roles)) or "none"
            raise PermissionDenied(
                f"receivable: {actor.user_id} (roles: {held}) may not {action}; "
                f"requires one of: {', '.join(sorted(roles))}"
            )


def _not_by_recorder(subject: Any, actor: Actor) -> str | None:
    """Four eyes: whoever recorded the payment (or requested the refund) may not confirm it."""
    if subject is not None and getattr(subject, "recorded_by", None) == actor.user_id:
        raise PermissionDenied(
            f"{actor.user_id} recorded {subject.id} and may not confirm it; "
            "another finance user must"
        )
    return None


@functools.cache
def payment_lifecycle(finance_roles: frozenset[str]) -> StateMachine[PaymentState]:
    """pending → confirmed (finance, not the recorder) | rejected (finance); confirmed →
    reversed (finance: the transfer bounced)."""
    return StateMachine(
        "payment",
        PaymentState,
        (
            Transition(
                "confirm",
                PaymentState.PENDING,
                PaymentState.CONFIRMED,
                finance_roles,
                (_not_by_recorder,),
            ),
            Transition("reject", PaymentState.PENDING, PaymentState.REJECTED, finance_roles),
            Transition("reverse", PaymentState.CONFIRMED, PaymentState.REVERSED, finance_roles),
        ),
    )


@functools.cache
def refund_lifecycle(finance_roles: frozenset[str]) -> StateMachine[RefundState]:
    """requested → confirmed (finance, not the requester) | rejected (finance)."""
    return StateMachine(
        "refund",
        RefundState,
        (
            Transition(
                "confirm",
                RefundState.REQUESTED,
                RefundState.CONFIRMED,
                finance_roles,
                (_not_by_recorder,),
            ),
            Transition("reject", RefundState.REQUESTED, RefundState.REJECTED, finance_roles),
        ),
    )


@functools.cache
def invoice_lifecycle(finance_roles: frozenset[str]) -> StateMachine[InvoiceState]:
    """requested → issued | rejected (finance); issued → cancelled (finance)."""
    return StateMachine(
        "invoice",
        InvoiceState,
        (
            Transition("issue", InvoiceState.REQUESTED, InvoiceState.ISSUED, finance_roles),
            Transition("reject", InvoiceState.REQUESTED, InvoiceState.REJECTED, finance_roles),
            Transition("cancel", InvoiceState.ISSUED, InvoiceState.CANCELLED, finance_roles),
        ),
    )

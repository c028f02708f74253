"""What a receivable looks like on a date: the balance and the per-installment view."""

from __future__ import annotations

import enum
from datetime import date

import attrs

from crmcore.money import Money

__all__ = ["Balance", "InstallmentStatus", "ReceivableStatus"]


class ReceivableStatus(enum.Enum):
    """The one-word state of a receivable on a date."""

    UNPAID = "unpaid"
    PARTLY_PAID = "partly paid"
    PAID = "paid"
    OVERPAID = "overpaid"
    OVERDUE = "overdue"


@attrs.frozen
class InstallmentStatus:
    """One installment on a date: its amount after returns and discounts, what paid it, what
    was written off, what is left (``amount = paid + written_off + outstanding``)."""

    number: int
    due_date: date
    original_amount: Money
    returned: Money
    amount: Money
    paid: Money
    outstanding: Money
    overdue: bool
    days_overdue: int
    #: the early-payment discount granted on it (``original_amount − returned − discounted``
    #: is ``amount``), and what finance wrote off.
    discounted: Money
    written_off: Money
    #: recorded payments allocated to it that finance has not confirmed yet.
    pending_confirmation: Money


@attrs.frozen
class Balance:
    """Every figure of a receivable on ``as_of``, derived from its facts (nothing stored).

    ``received`` counts confirmed payments only; ``outstanding`` is what the installments
    still ask for (the sum of their ``outstanding``); ``advance`` is confirmed money beyond
    the installments (kept as a customer advance). ``received − refunded`` always equals
    the paid part of the installments plus ``advance``; ``(invoiced − credited) +
    (pending_invoice − pending_credit) + not_yet_invoiced`` equals ``net_amount``
    (``credited``: issued credit notes; ``pending_credit``: credit notes requested).
    ``net_amount = amount − returned − discounted`` (goods back and early-payment discounts,
    each shown as what it is), and ``net_amount = received − refunded − advance +
    outstanding + written_off`` (the advance is the customer's credit).
    """

    as_of: date
    amount: Money
    returned: Money
    net_amount: Money
    received: Money
    refunded: Money
    pending_confirmation: Money
    outstanding: Money
    advance: Money
    invoiced: Money
    pending_invoice: Money
    not_yet_invoiced: Money
    next_due_date: date | None
    next_amount_due: Money
    overdue_amount: Money
    days_overdue: int
    status: ReceivableStatus
    installments: tuple[InstallmentStatus, ...]
    discounted: Money
    written_off: Money
    credited: Money
    pending_credit: Money

"""The conformance kit's sample aggregate: the shapes every adapter must store."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

import attrs

from crmcore._aggregate import AggregateRoot
from crmcore.errors import CurrencyMismatch, InvariantViolation, ValidationError
from crmcore.events import DomainEvent
from crmcore.money import Money
from crmcore.ports import Actor

__all__ = ["SampleAccount", "SampleDeposited", "SampleStatus"]


class SampleStatus(enum.Enum):
    """The states of the sample aggregate."""

    OPEN = "open"
    CLOSED = "closed"


@attrs.frozen(kw_only=True)
class SampleDeposited(DomainEvent):
    """Money went into a sample account."""

    amount: Money


@attrs.define
class SampleAccount(AggregateRoot):
    """A small aggregate with the shapes adapters must store: Money, enum, date, set, list,
    and an optional value (``manager_id``, often None, for ``find(manager_id=None)``)."""

    aggregate_kind: ClassVar[str] = "sample_account"

    id: str
    owner_id: str
    balance: Money
    opened_on: date
    status: SampleStatus = SampleStatus.OPEN
    tags: frozenset[str] = frozenset()
    notes: list[str] = attrs.field(factory=list)
    manager_id: str | None = None

    def deposit(self, actor: Actor, amount: Money, *, at: datetime) -> None:
        """Add ``amount`` (positive, same currency) and record who did it."""
        self._check_change(actor, at)
        if amount.currency != self.balance.currency:
            raise CurrencyMismatch(f"deposit {amount} into a {self.balance.currency} account")
        if amount.amount <= 0:
            raise ValidationError(f"deposit: amount must be > 0, got {amount}")
        if self.status is not SampleStatus.OPEN:
            raise InvariantViolation(f"account {self.id} is closed")
        self.balance += amount
        self._emit(SampleDeposited, actor, at, amount=amount)

    def close(self) -> None:
        """Close the account; it then takes no deposits."""
        self.status = SampleStatus.CLOSED

"""The conformance kit's sample aggregate: the shapes every adapter must store."""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs

from crmcore.errors import CurrencyMismatch, InvariantViolation, ValidationError
from crmcore.events import DomainEvent
from crmcore.money import Money

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
class SampleAccount:
    """A small aggregate with the shapes adapters must store: Money, enum, date, set, list."""

    id: str
    owner_id: str
    balance: Money
    opened_on: date
    status: SampleStatus = SampleStatus.OPEN
    tags: frozenset[str] = frozenset()
    notes: list[str] = attrs.field(factory=list)
    manager_id: str | None = None
    version: int = 0
    _events: list[DomainEvent] = attrs.field(factory=list, init=False, eq=False, repr=False)

    def deposit(self, amount: Money, actor_id: str, at: datetime) -> None:
        """Add ``amount`` (positive, same currency) and record who did it."""
        if amount.currency != self.balance.currency:
            raise CurrencyMismatch(f"deposit {amount} into a {self.balance.currency} account")
        if amount.amount <= 0:
            raise ValidationError(f"deposit: amount must be > 0, got {amount}")
        if self.status is not SampleStatus.OPEN:
            raise InvariantViolation(f"account {self.id} is closed")
        self.balance += amount
        self._events.append(
            SampleDeposited(
                occurred_at=at,
                actor_id=actor_id,
                subject_kind="sample_account",
                subject_id=self.id,
                amount=amount,
            )
        )

    def close(self) -> None:
        """Close the account; it then takes no deposits."""
        self.status = SampleStatus.CLOSED

    def peek_events(self) -> list[DomainEvent]:
        """The events raised since the last pull, without forgetting them."""
        return list(self._events)

    def pull_events(self) -> list[DomainEvent]:
        events, self._events = self._events, []
        return events

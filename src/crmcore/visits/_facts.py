"""The flat facts the analyses read: one row per visit, one per order (streamable, small)."""

from __future__ import annotations

from datetime import date

import attrs

from crmcore.money import Money
from crmcore.visits._visit import Visit, VisitStatus

__all__ = ["OrderFact", "VisitFact"]


@attrs.frozen(slots=True)
class VisitFact:
    """One visit as the analyses count it.

    ``planned`` is False for an ad-hoc visit; ``completed`` once checked out; ``outside``
    when its check-in or check-out was flagged outside the tolerance; ``duration_s`` from
    check-in to check-out (None when either is missing).
    """

    visit_id: str
    owner_id: str
    customer_id: str
    day: date
    planned: bool = True
    completed: bool = False
    cancelled: bool = False
    outside: bool = False
    duration_s: int | None = None

    @classmethod
    def of(cls, visit: Visit) -> VisitFact:
        """The fact of one visit aggregate."""
        return cls(
            visit.id,
            visit.owner_id,
            visit.customer_id,
            visit.day,
            planned=not visit.ad_hoc,
            completed=visit.status is VisitStatus.COMPLETED,
            cancelled=visit.status is VisitStatus.CANCELLED,
            outside=visit.outside_tolerance,
            duration_s=visit.duration_s,
        )


@attrs.frozen(slots=True)
class OrderFact:
    """One order as the outcome analysis counts it: customer, day, amount."""

    order_id: str
    customer_id: str
    day: date
    amount: Money

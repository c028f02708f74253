"""Plain records the analytics stream over: one row per opportunity, as exported from a CRM.

Analysts hold millions of these (a CSV export, a database cursor, a Spark partition); the
forecast and funnel aggregates read them one at a time, so memory stays flat.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime
from typing import Final

import attrs

from crmcore._validators import non_empty, percent_0_100
from crmcore.errors import ValidationError
from crmcore.forecast._process import ForecastCategory
from crmcore.money import Money, Percent, get_currency

__all__ = [
    "NO_CURRENCY",
    "OpportunityHistory",
    "OpportunityRecord",
    "OpportunityStatus",
    "Period",
    "StageVisit",
    "period_label",
]

#: The currency of figures that have none yet (ISO 4217's XXX, "no currency"): an empty
#: forecast or funnel reports its zeros in it rather than guessing a currency.
NO_CURRENCY: Final = get_currency("XXX")


class OpportunityStatus(enum.Enum):
    """The opportunity's lifecycle state: open until won, lost or declared invalid."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"
    INVALID = "invalid"

    # Members are singletons: hashing by identity keeps the forecast's hot loop in C.
    __hash__ = object.__hash__


class Period(enum.Enum):
    """How expected close dates are grouped."""

    MONTH = "month"
    QUARTER = "quarter"


def period_label(day: date, period: Period) -> str:
    """``"2026-03"`` for a month, ``"2026-Q1"`` for a quarter (labels sort chronologically)."""
    if period is Period.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


def _money(_: object, attribute: attrs.Attribute[Money], value: Money) -> None:
    if not isinstance(value, Money):
        raise ValidationError(f"{attribute.name}: expected Money, got {value!r}")
    if value.amount < 0:
        raise ValidationError(f"{attribute.name}: must be >= 0, got {value}")


def _percent_or_none(value: Percent | str | int | None) -> Percent | None:
    if value is None or isinstance(value, Percent):
        return value
    return Percent(value)


def _category_or_none(value: object) -> ForecastCategory | None:
    """A category or its name (``"omitted"``); anything else is a ValidationError."""
    if value is None or isinstance(value, ForecastCategory):
        return value
    try:
        return ForecastCategory(value)
    except ValueError:
        names = ", ".join(c.value for c in ForecastCategory)
        raise ValidationError(f"category: {value!r} is not one of {names}") from None


@attrs.frozen(slots=True)
class OpportunityRecord:
    """One opportunity as the forecast sees it.

    ``expected_close`` is the actual close date once won or lost. ``category`` None means the
    stage's category; ``probability_override`` None means the stage's probability.
    """

    id: str = attrs.field(validator=non_empty)
    owner: str
    stage: str
    amount: Money = attrs.field(validator=_money)
    expected_close: date | None = None
    department: str | None = None
    probability_override: Percent | None = attrs.field(
        default=None, converter=_percent_or_none, validator=percent_0_100
    )
    category: ForecastCategory | None = attrs.field(default=None, converter=_category_or_none)
    status: OpportunityStatus = OpportunityStatus.OPEN


@attrs.frozen
class StageVisit:
    """A stay in one stage: entered and (unless it is the current stage) left, by whom."""

    stage: str
    entered_at: datetime
    entered_by: str
    left_at: datetime | None = None
    left_by: str | None = None


def _visits(value: Iterable[StageVisit]) -> tuple[StageVisit, ...]:
    return tuple(value)


@attrs.frozen
class OpportunityHistory:
    """One opportunity with its stage history, the input of the funnel analytics."""

    id: str = attrs.field(validator=non_empty)
    owner: str
    amount: Money = attrs.field(validator=_money)
    created_at: datetime
    visits: tuple[StageVisit, ...] = attrs.field(converter=_visits)
    status: OpportunityStatus = OpportunityStatus.OPEN
    closed_at: datetime | None = None
    department: str | None = None

    @visits.validator
    def _check_visits(self, _: attrs.Attribute[object], value: tuple[StageVisit, ...]) -> None:
        if not value:
            raise ValidationError(f"visits: opportunity {self.id!r} has no stage visit")
        for i, visit in enumerate(value):
            if visit.left_at is None and i != len(value) - 1:
                raise ValidationError(f"visits[{i}]: only the last visit may be still open")
            if visit.left_at is not None and visit.left_at < visit.entered_at:
                raise ValidationError(
                    f"visits[{i}]: left_at {visit.left_at} is before entered_at {visit.entered_at}"
                )

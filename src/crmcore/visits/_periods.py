"""Periods the analysis and the frequency rules count in: a day, an ISO week, a month."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from crmcore.errors import ValidationError

__all__ = ["Grain", "period_bounds", "period_key"]


class Grain(enum.Enum):
    """The length of a period."""

    DAY = "day"
    WEEK = "week"  # ISO weeks, Monday to Sunday
    MONTH = "month"


def _checked(day: object) -> date:
    if isinstance(day, datetime) or not isinstance(day, date):
        raise ValidationError(f"day: expected a date, got {day!r}")
    return day


def period_key(day: date, grain: Grain) -> str:
    """The period's label: ``2026-03-02``, ``2026-W10`` or ``2026-03``."""
    day = _checked(day)
    if grain is Grain.DAY:
        return day.isoformat()
    if grain is Grain.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def period_bounds(day: date, grain: Grain) -> tuple[date, date]:
    """The first and last day (inclusive) of the period containing ``day``."""
    day = _checked(day)
    if grain is Grain.DAY:
        return day, day
    if grain is Grain.WEEK:
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    first = day.replace(day=1)
    return first, first + relativedelta(months=1, days=-1)

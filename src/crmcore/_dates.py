"""The dates and durations crmcore accepts, so every computed due date exists.

Business dates (issue dates, anchors) lie in ``FIRST_DATE`` .. ``LAST_DATE``;
durations in configuration (payment-term days and months, SLA hours) are at most
``MAX_DAYS`` days or ``MAX_MONTHS`` months. So a due date computed from any
supported anchor stays far inside ``datetime.date``'s range, and a term that loads can
never fail later inside an order.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from crmcore._numbers import show
from crmcore.errors import ValidationError

__all__ = ["FIRST_DATE", "LAST_DATE", "MAX_DAYS", "MAX_MONTHS", "check_count", "check_date"]

#: The earliest business date crmcore accepts.
FIRST_DATE: Final = date(1900, 1, 1)
#: The latest business date crmcore accepts.
LAST_DATE: Final = date(2199, 12, 31)
#: The longest duration in days (about 100 years).
MAX_DAYS: Final = 36_600
#: The longest duration in months (100 years).
MAX_MONTHS: Final = 1_200


def check_date(value: object, what: str) -> date:
    """``value`` when a date within FIRST_DATE..LAST_DATE, else ValidationError naming it."""
    if not isinstance(value, date):
        raise ValidationError(f"{what}: expected a date, got {type(value).__name__} {show(value)}")
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValidationError(f"{what}: {day} is outside the supported {FIRST_DATE}..{LAST_DATE}")
    return value


def check_count(value: object, what: str, limit: int, unit: str = "days") -> int:
    """``value`` when an int in 0..limit, else ValidationError naming ``what``."""
    if type(value) is not int:
        raise ValidationError(f"{what}: expected a whole number, got {show(value)}")
    if not 0 <= value <= limit:
        raise ValidationError(f"{what}: {show(value)} must be 0..{limit} {unit}")
    return value

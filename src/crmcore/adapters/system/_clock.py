"""The wall clock in a configured time zone: what ``Crm`` reads "now" and "today" from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crmcore.errors import ConfigError

__all__ = ["SystemClock"]


def _zone(zone: str | tzinfo) -> tzinfo:
    if not isinstance(zone, str):
        return zone
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"SystemClock: {zone!r} is not an IANA time zone") from None


class SystemClock:
    """The system time, always time-zone aware, in ``zone`` (an IANA name or a tzinfo).

    ``today()`` is the date in that zone, so "due today" and "overdue" turn over at the
    team's midnight, not the server's. ``source`` replaces ``datetime.now`` (for tests).
    """

    def __init__(
        self,
        zone: str | tzinfo = "UTC",
        *,
        source: Callable[[tzinfo], datetime] = datetime.now,
    ) -> None:
        self.zone = _zone(zone)
        self._source = source

    def now(self) -> datetime:
        """The current time in the configured zone."""
        moment = self._source(self.zone)
        if moment.tzinfo is None:
            raise ConfigError(f"SystemClock: the time source gave a naive datetime {moment}")
        return moment.astimezone(self.zone)

    def today(self) -> date:
        """Today's date in the configured zone."""
        return self.now().date()

    def __repr__(self) -> str:
        return f"SystemClock({str(self.zone)!r})"

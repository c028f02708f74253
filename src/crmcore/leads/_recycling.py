"""Recycling: when a held lead's protection runs out and it goes back to its pool.

The protection starts at assignment and lasts ``protection_days``; a follow-up on day F
moves the end to F + ``extension_days`` when that is later, but never past
``hard_max_days`` after assignment; ``convert_within_days`` caps it too. A lead is due
back on the first day *on* which its protection has ended (``as_of >= due_on``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import attrs

from crmcore.leads._config import RecycleRules
from crmcore.leads._lead import Lead

__all__ = ["RecycleDue", "RecycleReason", "protection_until", "recycle_due"]


class RecycleReason(enum.Enum):
    """Why a lead is due back."""

    PROTECTION_ENDED = "protection_ended"
    HARD_MAXIMUM = "hard_maximum"
    NOT_CONVERTED = "not_converted"


@attrs.frozen
class RecycleDue:
    """A lead whose protection has run out: back to the pool on ``due_on``."""

    lead_id: str
    owner_id: str
    pool_id: str | None
    due_on: date
    reason: RecycleReason


def protection_until(lead: Lead, rules: RecycleRules) -> tuple[date, RecycleReason] | None:
    """The day the lead is due back and why; None when it is not held or rules are off."""
    start = lead.assigned_at
    if start is None or not lead.is_open or rules.protection_days is None:
        return None
    assigned = start.date()
    due = assigned + timedelta(days=rules.protection_days)
    reason = RecycleReason.PROTECTION_ENDED
    hard = None if rules.hard_max_days is None else assigned + timedelta(days=rules.hard_max_days)
    for follow_up in lead.follow_ups_since_assigned():
        extended = follow_up.at.date() + timedelta(days=rules.extension_days)
        if extended > due:
            due = extended
    if hard is not None and due >= hard:
        due, reason = hard, RecycleReason.HARD_MAXIMUM
    if rules.convert_within_days is not None:
        convert_by = assigned + timedelta(days=rules.convert_within_days)
        if convert_by < due:
            due, reason = convert_by, RecycleReason.NOT_CONVERTED
    return due, reason


def recycle_due(
    leads: Iterable[Lead], as_of: date, rules: RecycleRules | Mapping[str, RecycleRules]
) -> list[RecycleDue]:
    """The held leads due back to their pool on ``as_of``, by due date then lead id.

    ``rules`` is one set for every lead or a mapping pool id → rules (leads of pools not
    in the mapping are never due).
    """
    found = []
    for lead in leads:
        if isinstance(rules, RecycleRules):
            lead_rules: RecycleRules | None = rules
        else:
            lead_rules = rules.get(lead.pool_id) if lead.pool_id is not None else None
        if lead_rules is None:
            continue
        until = protection_until(lead, lead_rules)
        if until is not None and until[0] <= as_of and lead.owner_id is not None:
            found.append(RecycleDue(lead.id, lead.owner_id, lead.pool_id, until[0], until[1]))
    return sorted(found, key=lambda d: (d.due_on, d.lead_id))

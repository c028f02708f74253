"""A salesperson's lead to-do list: follow-ups that are due, and leads about to go back to
their pool (with the days left), so nobody loses a lead by forgetting it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import attrs

from crmcore.errors import ValidationError
from crmcore.leads._config import RecycleRules
from crmcore.leads._lead import Lead
from crmcore.leads._recycling import RecycleReason, protection_until

__all__ = ["LeadTodo", "LeadTodoKind", "lead_todo"]


class LeadTodoKind(enum.Enum):
    """What the owner has to do about a lead."""

    FOLLOW_UP_DUE = "follow_up_due"
    RECYCLE_SOON = "recycle_soon"


@attrs.frozen
class LeadTodo:
    """One item: the lead, its owner, the day it is due and the days left (negative: late);
    ``reason`` says why a lead is about to be recycled (None for a follow-up)."""

    kind: LeadTodoKind
    lead_id: str
    owner_id: str
    pool_id: str | None
    due_on: date
    days_left: int
    reason: RecycleReason | None = None


def lead_todo(
    leads: Iterable[Lead],
    as_of: date,
    rules: RecycleRules | Mapping[str, RecycleRules],
    *,
    warn_days: int = 3,
) -> list[LeadTodo]:
    """The held leads' to-do on ``as_of``: a follow-up whose planned next contact is on or
    before ``as_of``, and a lead whose protection ends within ``warn_days`` (or already
    ended: the next recycling sweep takes it). Sorted by due day, then kind, then lead id.

    ``rules`` is one set for every lead or a mapping pool id → rules, as for ``recycle_due``.
    """
    if type(as_of) is not date:
        raise ValidationError(f"as_of: expected a date, got {as_of!r}")
    if isinstance(warn_days, bool) or not isinstance(warn_days, int) or warn_days < 0:
        raise ValidationError(f"warn_days: must be a whole number >= 0, got {warn_days!r}")
    horizon = as_of + timedelta(days=warn_days)
    items = []
    for lead in leads:
        if not lead.is_open or lead.owner_id is None:
            continue
        planned = lead.next_contact_on
        if planned is not None and planned <= as_of:
            items.append(
                LeadTodo(
                    LeadTodoKind.FOLLOW_UP_DUE,
                    lead.id,
                    lead.owner_id,
                    lead.pool_id,
                    planned,
                    (planned - as_of).days,
                )
            )
        lead_rules = rules if isinstance(rules, RecycleRules) else rules.get(lead.pool_id or "")
        until = None if lead_rules is None else protection_until(lead, lead_rules)
        if until is not None and until[0] <= horizon:
            due_on, reason = until
            items.append(
                LeadTodo(
                    LeadTodoKind.RECYCLE_SOON,
                    lead.id,
                    lead.owner_id,
                    lead.pool_id,
                    due_on,
                    (due_on - as_of).days,
                    reason,
                )
            )
    return sorted(items, key=lambda t: (t.due_on, t.kind.value, t.lead_id))

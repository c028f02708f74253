"""Pool configuration as data: members, claim limits, recycle rules, return reasons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from crmcore._numbers import show
from crmcore._validators import non_empty, non_negative, positive
from crmcore.errors import ConfigError, ValidationError
from crmcore.workflow import Condition, Predicate, as_condition

__all__ = ["ClaimLimits", "PoolMember", "RecycleRules"]


def _whole(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Refuse anything but an int (or None): a bool, float, Decimal or str is not a count."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(f"{attribute.name}: must be a whole number, got {show(value, 200)}")


def _flag(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(f"{attribute.name}: must be true or false, got {show(value, 200)}")


_POSITIVE = attrs.validators.and_(_whole, positive)
_NON_NEGATIVE = attrs.validators.and_(_whole, non_negative)


def _member_condition(value: Condition | Mapping[str, Any] | None) -> Condition | None:
    if value is None:
        return None
    condition = as_condition(value)
    if isinstance(condition, Predicate):
        raise ConfigError(
            "condition: a member's condition is saved with the pool; give it as data "
            "(a Compare / AllOf / AnyOf / Not or its dict form), not as Python code"
        )
    return condition


@attrs.frozen
class PoolMember:
    """A salesperson in a pool: share of leads (``weight``), most open leads, active flag.

    ``assignment_max`` caps the leads the pool's policy gives them over a rolling 30 days
    (Odoo's team member quota) and ``condition`` says which leads they take (Odoo's
    ``assignment_domain``, in the routing condition language); both bind the policy's
    distribution, not an admin's explicit assignment or a claim.
    """

    user_id: str = attrs.field(validator=non_empty)
    weight: int = attrs.field(default=1, validator=_POSITIVE)
    capacity: int | None = attrs.field(default=None, validator=_NON_NEGATIVE)
    active: bool = attrs.field(default=True, validator=_flag)
    assignment_max: int | None = attrs.field(default=None, validator=_NON_NEGATIVE)
    condition: Condition | None = attrs.field(default=None, converter=_member_condition)

    @property
    def restricted(self) -> bool:
        """True when a quota or a condition limits what the policy gives this member."""
        return self.assignment_max is not None or self.condition is not None


def _min(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@attrs.frozen
class ClaimLimits:
    """Limits on self-claiming: leads held at once, claims per day, re-claim cooldown in days.

    ``None`` means no limit. A pool has its own and the host passes the global ones;
    [`tighter`][crmcore.leads.ClaimLimits.tighter] combines them (the smaller limit, the longer
    cooldown).
    """

    max_held: int | None = attrs.field(default=None, validator=_NON_NEGATIVE)
    max_per_day: int | None = attrs.field(default=None, validator=_NON_NEGATIVE)
    reclaim_cooldown_days: int = attrs.field(default=0, validator=_NON_NEGATIVE)

    def tighter(self, other: ClaimLimits | None) -> ClaimLimits:
        """The limits that hold when both apply."""
        if other is None:
            return self
        return ClaimLimits(
            _min(self.max_held, other.max_held),
            _min(self.max_per_day, other.max_per_day),
            max(self.reclaim_cooldown_days, other.reclaim_cooldown_days),
        )


@attrs.frozen
class RecycleRules:
    """When a held lead goes back to the pool by itself.

    ``protection_days`` after assignment the lead is due back; a follow-up on day F
    extends that to F + ``extension_days`` when later, never past ``hard_max_days`` after
    assignment; ``convert_within_days`` (optional) brings it back when not converted by then.
    ``None`` for ``protection_days`` turns recycling off.
    """

    protection_days: int | None = attrs.field(default=None, validator=_POSITIVE)
    extension_days: int = attrs.field(default=0, validator=_NON_NEGATIVE)
    hard_max_days: int | None = attrs.field(default=None, validator=_POSITIVE)
    convert_within_days: int | None = attrs.field(default=None, validator=_POSITIVE)

    def __attrs_post_init__(self) -> None:
        if (
            self.hard_max_days is not None
            and self.protection_days is not None
            and self.hard_max_days < self.protection_days
        ):
            raise ValidationError(
                f"hard_max_days: must be >= protection_days ({self.protection_days}), "
                f"got {self.hard_max_days}"
            )

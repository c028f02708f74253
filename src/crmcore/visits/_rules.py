"""Check-in and check-out settings (签到签退设置): what is required, how far off is allowed,
how long a visit may last. Configuration as data: ``from_dict(VisitRules, {...})``."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import to_decimal
from crmcore._numbers import show
from crmcore.errors import ValidationError

__all__ = ["OutsidePolicy", "Requirement", "VisitRules"]


class Requirement(enum.Enum):
    """Whether a step is off (not offered), optional, or required to finish a visit."""

    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


class OutsidePolicy(enum.Enum):
    """What a check-in farther than the tolerance from the customer does."""

    FLAG = "flag"  # recorded, marked outside tolerance, the manager is told
    REFUSE = "refuse"  # refused; nothing is recorded


def _metres(value: object) -> Decimal:
    return to_decimal(value, "tolerance_m")


def _positive_metres(_: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    if value <= 0:
        raise ValidationError(f"{attribute.name}: must be > 0 metres, got {value}")


def _minutes(_: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{attribute.name}: expected whole minutes, got {show(value, 200)}")
    if value < 0:
        raise ValidationError(f"{attribute.name}: must be >= 0 minutes, got {show(value)}")


@attrs.frozen(kw_only=True)
class VisitRules:
    """The check-in / check-out policy of a team.

    ``check_in`` / ``check_out``: off, optional or required. A check-in (or check-out) with a
    location farther than ``tolerance_m`` from the customer's registered location is flagged
    and recorded, or refused (``outside``). A check-out before ``min_minutes`` after the
    check-in is refused; one after ``max_minutes`` is recorded and flagged as overlong.
    """

    check_in: Requirement = Requirement.REQUIRED
    check_out: Requirement = Requirement.REQUIRED
    tolerance_m: Decimal = attrs.field(
        default=Decimal(500), converter=_metres, validator=_positive_metres
    )
    outside: OutsidePolicy = OutsidePolicy.FLAG
    min_minutes: int | None = attrs.field(default=None, validator=_minutes)
    max_minutes: int | None = attrs.field(default=None, validator=_minutes)

    def __attrs_post_init__(self) -> None:
        for name in ("check_in", "check_out"):
            if not isinstance(getattr(self, name), Requirement):
                raise ValidationError(
                    f"{name}: expected a Requirement, got {show(getattr(self, name), 200)}"
                )
        if not isinstance(self.outside, OutsidePolicy):
            raise ValidationError(
                f"outside: expected an OutsidePolicy, got {show(self.outside, 200)}"
            )
        if (
            self.min_minutes is not None
            and self.max_minutes is not None
            and self.min_minutes > self.max_minutes
        ):
            raise ValidationError(
                f"max_minutes: {self.max_minutes} is below min_minutes {self.min_minutes}"
            )
        if self.check_in is Requirement.OFF and self.check_out is Requirement.OFF:
            raise ValidationError("check_out: check-in and check-out cannot both be off")

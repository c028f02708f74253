"""Write-off rules: the reason codes finance may write a small difference off for, and how
much each role may write off per reason (a bank fee up to 50.00 by finance, more by a manager).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from crmcore._deprecation import deprecated
from crmcore._numbers import show
from crmcore.errors import PermissionDenied, ValidationError
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.serialization import from_dict

__all__ = ["WriteOffLimit", "WriteOffReason", "WriteOffRules"]


def _name(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"{attribute.name}: a non-empty string is required, got {show(value)}"
        )


def _limit(_: object, attribute: attrs.Attribute[Money | None], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Money) or value.amount < 0 or not value.is_rounded:
        raise ValidationError(
            f"{attribute.name}: a limit is Money >= 0 in the currency's minor unit (or null "
            f"for no limit), got {show(value)}"
        )


@attrs.frozen
class WriteOffLimit:
    """The most one role may write off per write-off (None: no limit), in one currency."""

    role: str = attrs.field(validator=_name)
    limit: Money | None = attrs.field(default=None, validator=_limit)


def _limits(value: Iterable[WriteOffLimit]) -> tuple[WriteOffLimit, ...]:
    return tuple(value)


@attrs.frozen
class WriteOffReason:
    """A reason code (``bank_fee``), what it means, and the roles' limits for it."""

    code: str = attrs.field(validator=_name)
    description: str = attrs.field(validator=_name)
    limits: tuple[WriteOffLimit, ...] = attrs.field(converter=_limits)


def _reasons(value: Iterable[WriteOffReason]) -> tuple[WriteOffReason, ...]:
    reasons = tuple(value)
    codes = [r.code for r in reasons]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise ValidationError(f"reasons: codes {twice} are configured twice")
    return reasons


@attrs.frozen
class WriteOffRules:
    """The configured write-off reasons; ``check`` says whether an actor may write one off."""

    reasons: tuple[WriteOffReason, ...] = attrs.field(converter=_reasons)

    @classmethod
    def standard(cls, currency: str = "CNY") -> WriteOffRules:
        """Bank fee (finance ≤ 50.00) and small difference (finance ≤ 10.00); managers and
        admins without limit; limits in ``currency``."""

        def limited(amount: str) -> tuple[WriteOffLimit, ...]:
            return (
                WriteOffLimit("finance", Money(amount, currency)),
                WriteOffLimit("manager"),
                WriteOffLimit("admin"),
            )

        return cls(
            (
                WriteOffReason(
                    "bank_fee", "bank charges deducted from the transfer", limited("50")
                ),
                WriteOffReason(
                    "small_difference", "a rounding or small short payment", limited("10")
                ),
            )
        )

    @classmethod
    def from_dict(cls, data: object) -> WriteOffRules:
        """Deprecated: use ``crmcore.serialization.from_dict(WriteOffRules, data)``."""
        deprecated(
            "WriteOffRules.from_dict", "crmcore.serialization.from_dict(WriteOffRules, data)"
        )
        return from_dict(cls, data)

    def reason(self, code: str) -> WriteOffReason:
        """The reason with that code; ValidationError naming the configured codes otherwise."""
        for reason in self.reasons:
            if reason.code == code:
                return reason
        known = ", ".join(r.code for r in self.reasons) or "none"
        raise ValidationError(
            f"reason_code: no write-off reason {show(code)} (configured: {known})"
        )

    def check(self, actor: Actor, code: str, amount: Money) -> None:
        """Raise PermissionDenied unless one of the actor's roles may write ``amount`` off."""
        reason = self.reason(code)
        mine = [lim for lim in reason.limits if actor.has_role(lim.role)]
        for lim in mine:
            if lim.limit is None:
                return
            if lim.limit.currency == amount.currency and amount <= lim.limit:
                return
        held = ", ".join(sorted(actor.roles)) or "none"
        if mine:
            shown = ", ".join(f"{lim.role} up to {lim.limit}" for lim in mine)
            raise PermissionDenied(
                f"write-off: {actor.user_id} (roles: {held}) may write off {code} only "
                f"{shown}; {amount} needs a higher authority"
            )
        allowed = ", ".join(lim.role for lim in reason.limits) or "nobody"
        raise PermissionDenied(
            f"write-off: {actor.user_id} (roles: {held}) may not write off {code}; "
            f"allowed roles: {allowed}"
        )

"""The shared start of the visits aggregates: version, pending events, one checked ``_emit``."""

from __future__ import annotations

from datetime import datetime

from crmcore.errors import ValidationError
from crmcore.ports import Actor

__all__ = ["check_command"]


def check_command(subject: str, actor: object, at: object, last: datetime | None) -> None:
    """Refuse a command without an Actor, without an aware datetime, or dated before the
    subject's last change (history only moves forward); nothing has changed yet."""
    if not isinstance(actor, Actor):
        raise ValidationError(f"{subject}: actor: expected an Actor, got {actor!r}")
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(f"{subject}: at: expected an aware datetime, got {at!r}")
    if last is not None and at < last:
        raise ValidationError(
            f"{subject}: at: {at.isoformat()} is before its last change at {last.isoformat()}"
        )

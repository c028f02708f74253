"""The exceptions crmcore raises: one tree, each message naming what was wrong and the value.

Every operation that raises one of these has changed nothing.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "ConcurrencyConflict",
    "ConfigError",
    "CrmError",
    "CurrencyMismatch",
    "InvalidTransition",
    "InvariantViolation",
    "NeverAdded",
    "NoOutboxEvent",
    "NotFound",
    "PermissionDenied",
    "StaleVersion",
    "StorageError",
    "ValidationError",
]


class CrmError(Exception):
    """Root of every error crmcore raises on purpose."""


class ValidationError(CrmError, ValueError):
    """An input value is malformed or out of range (a float amount, a negative quantity...)."""


class CurrencyMismatch(CrmError, ValueError):
    """Amounts in two different currencies met where one currency is required."""


class InvariantViolation(CrmError):
    """The operation would break a rule of the aggregate (refund more than received...)."""


class InvalidTransition(CrmError):
    """The subject is not in a state that allows this change (confirm a rejected payment...)."""


class PermissionDenied(CrmError):
    """The actor may not make this change; the message names the action and who may."""


class NotFound(CrmError, KeyError):
    """No object with that id; also a ``KeyError`` so mapping-style callers can catch it."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a readable message is more useful here.
        return str(self.args[0]) if self.args else ""


class ConcurrencyConflict(CrmError):
    """Somebody else saved the object since it was loaded (optimistic version check)."""


class NeverAdded(NotFound):
    """A unit of work saved an aggregate the store never held (``save`` of a new object).

    ``kind`` and ``id`` name it; adapters raise it at commit, having written nothing.
    """

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"cannot save {kind} {id!r}: it was never added")
        self.kind = kind
        self.id = id


class NoOutboxEvent(NotFound):
    """``mark_delivered`` named an outbox sequence number the store never assigned (``seq``)."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"no outbox event {seq}")
        self.seq = seq


class AlreadyExists(ConcurrencyConflict):
    """``add`` of an id the store already holds (``kind``, ``id``); nothing was written."""

    def __init__(self, kind: str, id: str) -> None:
        super().__init__(f"{kind} {id!r} already exists")
        self.kind = kind
        self.id = id


class StaleVersion(ConcurrencyConflict):
    """A save of a copy loaded at ``expected`` while the store holds ``stored``: somebody
    else committed it in between; nothing of that unit of work was written."""

    def __init__(self, kind: str, id: str, stored: int, expected: int) -> None:
        super().__init__(
            f"{kind} {id!r} was changed by someone else (version {stored}, this copy has "
            f"{expected}); reload and retry"
        )
        self.kind = kind
        self.id = id
        self.stored = stored
        self.expected = expected


class StorageError(CrmError):
    """The storage behind a port failed: not a database, read-only, locked past the timeout.

    Raised by the reference adapters instead of the driver's own exception; the message
    names the file and what happened. Nothing was written.
    """


class ConfigError(ValidationError):
    """Data loaded from dicts / JSON is invalid; the message names each bad path.

    ``problems`` holds one ``"path: what is wrong"`` line per problem, e.g.
    ``"steps[1].approvers[0].role: required"``.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems) if problems is not None else [message]

"""The exceptions crmcore raises: one tree, each message naming what was wrong and the value.

Every operation that raises one of these has changed nothing.
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyConflict",
    "ConfigError",
    "CrmError",
    "CurrencyMismatch",
    "InvalidTransition",
    "InvariantViolation",
    "NotFound",
    "PermissionDenied",
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

"""Notifiers for production: one that logs, one that hands each notification to a function."""

from __future__ import annotations

import logging
from collections.abc import Callable

from crmcore.ports import Notification

__all__ = ["CallbackNotifier", "LoggingNotifier"]


class LoggingNotifier:
    """Writes each notification as one log record (logger ``crmcore.notifications``).

    The record carries ``recipient_id``, ``topic`` and ``event`` as extra attributes, so a
    log pipeline can route them without parsing the message.
    """

    def __init__(self, logger: logging.Logger | None = None, *, level: int = logging.INFO) -> None:
        self.logger = logger or logging.getLogger("crmcore.notifications")
        self.level = level

    def send(self, notification: Notification) -> None:
        """Log one notification."""
        event = notification.event
        self.logger.log(
            self.level,
            "to %s: %s (%s %s)",
            notification.recipient_id,
            notification.topic,
            event.subject_kind,
            event.subject_id,
            extra={
                "recipient_id": notification.recipient_id,
                "topic": notification.topic,
                "event": event,
            },
        )


class CallbackNotifier:
    """Hands each notification to ``callback``: a mailer, a chat bot, ``queue.put``.

    It is called after the commit; what ``callback`` raises propagates to the caller of the
    use case, whose change is already committed (the outbox keeps it for redelivery).
    """

    def __init__(self, callback: Callable[[Notification], object]) -> None:
        self.callback = callback

    def send(self, notification: Notification) -> None:
        """Call the callback with one notification."""
        self.callback(notification)

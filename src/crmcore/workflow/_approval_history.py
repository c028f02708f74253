"""An approval request's history, read from its events: one line per event, in order.

The request keeps its events (like an order keeps its own); the lines people read — who did
what, on which step, with which comment — are derived from them, never kept beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from crmcore.events import DomainEvent
from crmcore.workflow import _approval_events as ev
from crmcore.workflow._process import ApprovalProcess
from crmcore.workflow._tasks import ApprovalHistoryEntry

__all__ = ["history_of"]

#: (action, step, detail, comment) of one event; the step is None when the event names none.
_Line = tuple[str, str | None, str, str]


def history_of(
    process: ApprovalProcess,
    events: Iterable[DomainEvent],
    earlier: Sequence[ApprovalHistoryEntry] = (),
) -> tuple[ApprovalHistoryEntry, ...]:
    """The ``earlier`` lines (stored before the history came from the events), then one line
    per event of the request, in order."""
    lines = list(earlier)
    # The step the request is in, for the request's own events (approved, withdrawn).
    current = next((h.step for h in reversed(earlier) if h.action == "step started"), None)
    for event in events:
        if isinstance(event, ev.ApprovalStepStarted):
            current = event.step
        action, step, detail, comment = _LINES[type(event)](process, event, current)
        lines.append(
            ApprovalHistoryEntry(
                at=event.occurred_at,
                actor_id=event.actor_id,
                action=action,
                step=step,
                detail=detail,
                comment=comment,
            )
        )
    return tuple(lines)


def _answered(event: ev.ApprovalTaskApproved | ev.ApprovalTaskRejected) -> str:
    if event.approver_id != event.original_approver_id:
        return f"for {event.original_approver_id}"
    return ""


def _started(event: ev.ApprovalStepStarted) -> str:
    detail = "approvers: " + ", ".join(event.approver_ids)
    if event.fallback_used:
        detail += " (fallback)"
    if event.notes:
        detail += "; " + "; ".join(event.notes)
    return detail


def _decided(process: ApprovalProcess, event: ev.ApprovalStepDecided) -> _Line:
    mode = str(process.step(event.step).mode)
    silent = f"{mode}; no response: {', '.join(event.no_response)}" if event.no_response else mode
    return ("step approved" if event.approved else "step rejected", event.step, silent, "")


def _delegated(event: ev.ApprovalTaskDelegated) -> _Line:
    if event.reassigned:
        return ("reassigned", event.step, f"{event.from_id} to {event.to_id}", event.comment)
    return ("delegated", event.step, f"to {event.to_id}", event.comment)


_LINES: Final[dict[type[Any], Callable[[ApprovalProcess, Any, str | None], _Line]]] = {
    ev.ApprovalRequestSubmitted: lambda _, e, __: (
        "submitted",
        None,
        f"process {e.process_id}@{e.process_version}",
        "",
    ),
    ev.ApprovalNotRequired: lambda _, e, __: ("not required", None, e.reason, ""),
    ev.ApprovalStepSkipped: lambda _, e, __: ("step skipped", e.step, e.reason, ""),
    ev.ApprovalStepStarted: lambda _, e, __: ("step started", e.step, _started(e), ""),
    ev.ApprovalTaskApproved: lambda _, e, __: ("approved", e.step, _answered(e), e.comment),
    ev.ApprovalTaskRejected: lambda _, e, __: ("rejected", e.step, _answered(e), e.comment),
    ev.ApprovalTaskDelegated: lambda _, e, __: _delegated(e),
    ev.ApprovalReminderSent: lambda _, e, __: (
        "reminded",
        e.step,
        f"{e.recipient_id}, {e.hours_before} h before due",
        "",
    ),
    ev.ApprovalTaskOverdue: lambda _, e, __: ("overdue", e.step, e.approver_id, ""),
    ev.ApprovalEscalationFailed: lambda _, e, __: ("escalation failed", e.step, e.reason, ""),
    ev.ApprovalTaskEscalated: lambda _, e, __: (
        "escalated",
        e.step,
        f"{e.from_id} to {e.to_id}",
        "",
    ),
    ev.ApprovalStepDecided: lambda p, e, __: _decided(p, e),
    ev.ApprovalSentBack: lambda _, e, __: ("sent back", e.from_step, f"to {e.to_step}", e.comment),
    ev.ApprovalRequestApproved: lambda _, __, step: ("request approved", step, "", ""),
    ev.ApprovalRequestRejected: lambda _, e, __: ("request rejected", e.step, "", e.comment),
    ev.ApprovalRequestWithdrawn: lambda _, e, step: ("request withdrawn", step, "", e.comment),
}

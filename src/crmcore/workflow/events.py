"""The events of ``crmcore.workflow``: what its aggregates leave behind, for notification
routes, projections and the outbox (one public home per event)."""

from crmcore.workflow._approval_events import (
    ApprovalEscalationFailed,
    ApprovalNotRequired,
    ApprovalReminderSent,
    ApprovalRequestApproved,
    ApprovalRequestRejected,
    ApprovalRequestSubmitted,
    ApprovalRequestWithdrawn,
    ApprovalSentBack,
    ApprovalStepDecided,
    ApprovalStepSkipped,
    ApprovalStepStarted,
    ApprovalTaskApproved,
    ApprovalTaskDelegated,
    ApprovalTaskEscalated,
    ApprovalTaskOverdue,
    ApprovalTaskRejected,
)

__all__ = [
    "ApprovalEscalationFailed",
    "ApprovalNotRequired",
    "ApprovalReminderSent",
    "ApprovalRequestApproved",
    "ApprovalRequestRejected",
    "ApprovalRequestSubmitted",
    "ApprovalRequestWithdrawn",
    "ApprovalSentBack",
    "ApprovalStepDecided",
    "ApprovalStepSkipped",
    "ApprovalStepStarted",
    "ApprovalTaskApproved",
    "ApprovalTaskDelegated",
    "ApprovalTaskEscalated",
    "ApprovalTaskOverdue",
    "ApprovalTaskRejected",
]

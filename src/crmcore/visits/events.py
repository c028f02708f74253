"""The events of ``crmcore.visits``: what its aggregates leave behind, for notification
routes, projections and the outbox (one public home per event)."""

from crmcore.visits._events import (
    CoVisitCheckedIn,
    CoVisitFeedbackGiven,
    CoVisitRequested,
    CustomerSiteChanged,
    CustomerSiteRegistered,
    VisitActionRecorded,
    VisitCancelled,
    VisitCheckedIn,
    VisitCheckedOut,
    VisitNoted,
    VisitOutsideTolerance,
    VisitPlanAssigned,
    VisitPlanChanged,
    VisitRescheduled,
    VisitScheduled,
)

__all__ = [
    "CoVisitCheckedIn",
    "CoVisitFeedbackGiven",
    "CoVisitRequested",
    "CustomerSiteChanged",
    "CustomerSiteRegistered",
    "VisitActionRecorded",
    "VisitCancelled",
    "VisitCheckedIn",
    "VisitCheckedOut",
    "VisitNoted",
    "VisitOutsideTolerance",
    "VisitPlanAssigned",
    "VisitPlanChanged",
    "VisitRescheduled",
    "VisitScheduled",
]

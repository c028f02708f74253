"""The events of ``crmcore.forecast``: what its aggregates leave behind, for notification
routes, projections and the outbox (one public home per event)."""

from crmcore.forecast._opportunity import (
    OpportunityHandedOver,
    OpportunityInvalidated,
    OpportunityLost,
    OpportunityOpened,
    OpportunityReopened,
    OpportunityRevised,
    OpportunityStageChanged,
    OpportunityWon,
)

__all__ = [
    "OpportunityHandedOver",
    "OpportunityInvalidated",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityReopened",
    "OpportunityRevised",
    "OpportunityStageChanged",
    "OpportunityWon",
]

"""The events of ``crmcore.leads``: what its aggregates leave behind, for notification
routes, projections and the outbox (one public home per event)."""

from crmcore.leads._events import (
    LeadAssigned,
    LeadCaptured,
    LeadConverted,
    LeadFollowedUp,
    LeadHandedOver,
    LeadInvalidated,
    LeadLeftUnassigned,
    LeadPooled,
    LeadRecycled,
    LeadReturned,
    PoolMemberAdded,
    PoolMemberChanged,
    PoolMemberRemoved,
)

__all__ = [
    "LeadAssigned",
    "LeadCaptured",
    "LeadConverted",
    "LeadFollowedUp",
    "LeadHandedOver",
    "LeadInvalidated",
    "LeadLeftUnassigned",
    "LeadPooled",
    "LeadRecycled",
    "LeadReturned",
    "PoolMemberAdded",
    "PoolMemberChanged",
    "PoolMemberRemoved",
]

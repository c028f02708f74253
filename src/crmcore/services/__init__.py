"""The application layer: use cases over the ports, access policy, notification routing."""

from crmcore.services._access import DEFAULT_ACCESS, AccessPolicy
from crmcore.services._notifications import (
    HasRole,
    InDepartment,
    ManagerOfOwner,
    NotificationRoutes,
    Owner,
    Recipient,
    Route,
    Users,
    deliver_outbox,
    owner_from_event,
)

__all__ = [
    "DEFAULT_ACCESS",
    "AccessPolicy",
    "HasRole",
    "InDepartment",
    "ManagerOfOwner",
    "NotificationRoutes",
    "Owner",
    "Recipient",
    "Route",
    "Users",
    "deliver_outbox",
    "owner_from_event",
]

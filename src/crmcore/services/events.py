"""The events of ``crmcore.services``: what its aggregates leave behind, for notification
routes, projections and the outbox (one public home per event)."""

from crmcore.services._records import (
    InstallmentDueSoon,
    InstallmentDueToday,
    InstallmentOverdue,
)

__all__ = [
    "InstallmentDueSoon",
    "InstallmentDueToday",
    "InstallmentOverdue",
]

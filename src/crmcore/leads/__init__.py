"""Lead pools: routing, assignment policies, claims, returns, recycling, conversion, reports."""

from crmcore.leads._config import ClaimLimits, PoolMember, RecycleRules
from crmcore.leads._conversion import (
    ConversionRequest,
    ConversionResult,
    CreatedRecord,
    FieldMapping,
    OpportunityDraft,
)
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
from crmcore.leads._lead import LEAD_LIFECYCLE, FollowUp, Lead, LeadStatus, Ownership
from crmcore.leads._policies import (
    AssignmentPolicy,
    DefaultAssignee,
    LoadBalanced,
    RoundRobin,
    Weighted,
    policy_from_dict,
)
from crmcore.leads._pool import Assignment, AssignmentResult, MemberQuota, Pool, PoolConfig
from crmcore.leads._recycling import RecycleDue, RecycleReason, protection_until, recycle_due
from crmcore.leads._reports import (
    OwnerStatusReport,
    SourceCampaignRow,
    leads_by_owner_and_status,
    leads_by_source_and_campaign,
)
from crmcore.leads._routing import Router, RoutingResult, RoutingRule
from crmcore.leads._serialization import configure_converter
from crmcore.leads._state import MemberState, PoolState
from crmcore.leads._todo import LeadTodo, LeadTodoKind, lead_todo

__all__ = [
    "LEAD_LIFECYCLE",
    "Assignment",
    "AssignmentPolicy",
    "AssignmentResult",
    "ClaimLimits",
    "ConversionRequest",
    "ConversionResult",
    "CreatedRecord",
    "DefaultAssignee",
    "FieldMapping",
    "FollowUp",
    "Lead",
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
    "LeadStatus",
    "LeadTodo",
    "LeadTodoKind",
    "LoadBalanced",
    "MemberQuota",
    "MemberState",
    "OpportunityDraft",
    "OwnerStatusReport",
    "Ownership",
    "Pool",
    "PoolConfig",
    "PoolMember",
    "PoolMemberAdded",
    "PoolMemberChanged",
    "PoolMemberRemoved",
    "PoolState",
    "RecycleDue",
    "RecycleReason",
    "RecycleRules",
    "RoundRobin",
    "Router",
    "RoutingResult",
    "RoutingRule",
    "SourceCampaignRow",
    "Weighted",
    "configure_converter",
    "lead_todo",
    "leads_by_owner_and_status",
    "leads_by_source_and_campaign",
    "policy_from_dict",
    "protection_until",
    "recycle_due",
]

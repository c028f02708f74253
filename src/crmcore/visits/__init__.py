"""Visits (拜访): rules for check-in and check-out, visit actions, day plans with planned
routes, co-visits, ad-hoc visits near a location, frequency by customer tier, and the
analysis of coverage, completion and the orders that followed.

Pure domain: no I/O, time arrives as ``at=``; distances are exact Decimal haversine metres
on the IUGG mean Earth radius (``EARTH_RADIUS_M``). The services (``crm.visits``) store
plans, visits and customer sites and route the notifications.
"""

from crmcore.visits._actions import ActionCatalog, ActionSpec, FieldKind, FieldSpec
from crmcore.visits._analysis import OutcomeGroup, VisitAnalysis, VisitOutcome, VisitRow
from crmcore.visits._customers import CustomerSelector, CustomerSite, Nearby, nearby
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
    VisitScheduled,
)
from crmcore.visits._facts import OrderFact, VisitFact
from crmcore.visits._frequency import DueCustomer, FrequencyRow, FrequencyRules, FrequencyTable
from crmcore.visits._geo import CENTIMETRE, EARTH_RADIUS_M, GeoPoint, distance_m
from crmcore.visits._periods import Grain, period_bounds, period_key
from crmcore.visits._plan import PlanChange, PlannedStop, VisitPlan
from crmcore.visits._route import Leg, Route, Stop, plan_route, route_of
from crmcore.visits._rules import OutsidePolicy, Requirement, VisitRules
from crmcore.visits._serialization import configure_converter, from_data, to_data
from crmcore.visits._visit import (
    ActionRecord,
    CoVisit,
    DayChange,
    Note,
    Stamp,
    StatusChange,
    Visit,
    VisitStatus,
)

__all__ = [
    "CENTIMETRE",
    "EARTH_RADIUS_M",
    "ActionCatalog",
    "ActionRecord",
    "ActionSpec",
    "CoVisit",
    "CoVisitCheckedIn",
    "CoVisitFeedbackGiven",
    "CoVisitRequested",
    "CustomerSelector",
    "CustomerSite",
    "CustomerSiteChanged",
    "CustomerSiteRegistered",
    "DayChange",
    "DueCustomer",
    "FieldKind",
    "FieldSpec",
    "FrequencyRow",
    "FrequencyRules",
    "FrequencyTable",
    "GeoPoint",
    "Grain",
    "Leg",
    "Nearby",
    "Note",
    "OrderFact",
    "OutcomeGroup",
    "OutsidePolicy",
    "PlanChange",
    "PlannedStop",
    "Requirement",
    "Route",
    "Stamp",
    "StatusChange",
    "Stop",
    "Visit",
    "VisitActionRecorded",
    "VisitAnalysis",
    "VisitCancelled",
    "VisitCheckedIn",
    "VisitCheckedOut",
    "VisitFact",
    "VisitNoted",
    "VisitOutcome",
    "VisitOutsideTolerance",
    "VisitPlan",
    "VisitPlanAssigned",
    "VisitPlanChanged",
    "VisitRow",
    "VisitRules",
    "VisitScheduled",
    "VisitStatus",
    "configure_converter",
    "distance_m",
    "from_data",
    "nearby",
    "period_bounds",
    "period_key",
    "plan_route",
    "route_of",
    "to_data",
]

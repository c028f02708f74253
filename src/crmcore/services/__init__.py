"""The application layer: use cases over the ports, access policy, notification routing.

Build a [`Crm`][crmcore.services.Crm] from a storage (``MemoryDatabase(KINDS)`` /
``SqliteDatabase(path,
KINDS)``), a Directory, a Notifier, a Clock, an IdGenerator and a
[`CrmConfig`][crmcore.services.CrmConfig]; call
its use cases (``crm.leads.claim(actor, lead_id)``, ``crm.orders.submit(actor, order_id)``...).
Each is one unit of work: the access policy is checked, the domain runs, the unit of work
commits once, and only then are the new events routed to the Notifier.
"""

from crmcore.services._access import DEFAULT_ACCESS, AccessPolicy
from crmcore.services._accounts import AccountService
from crmcore.services._app import Crm
from crmcore.services._approvals import ApprovalService, OpportunityAdvance
from crmcore.services._case import ApprovalSubject, UseCase
from crmcore.services._config import GOODS_STATUSES, CrmConfig, TermsBook
from crmcore.services._handover import HandoverReport
from crmcore.services._kinds import KINDS
from crmcore.services._leads import LeadService
from crmcore.services._notifications import (
    DEFAULT_ROUTES,
    EventUsers,
    HasRole,
    InDepartment,
    ManagerOfOwner,
    NotificationRoutes,
    Owner,
    Recipient,
    Route,
    Users,
)
from crmcore.services._opportunities import AdvanceResult, OpportunityService
from crmcore.services._orders import (
    DecisionResult,
    OrderApproval,
    OrderService,
    SubmitResult,
    receivable_id_of,
)
from crmcore.services._process_rules import ProcessRule
from crmcore.services._queries import (
    CreditNoteTodo,
    InvoiceTodo,
    InvoiceView,
    OrderMoneyView,
    PaymentTodo,
    PaymentView,
    Queries,
    ShipmentTodo,
)
from crmcore.services._reads import MAX_PAGE, Page, Period, RecordQueries
from crmcore.services._receivables import ReceivableService
from crmcore.services._record_access import Grant, RecordAccess, RecordRef, Scope
from crmcore.services._records import (
    ApprovalLink,
    InstallmentDueSoon,
    InstallmentDueToday,
    InstallmentOverdue,
    LinkStatus,
)
from crmcore.services._serialization import configure_converter
from crmcore.services._visits import VisitService, VisitSettings

__all__ = [
    "DEFAULT_ACCESS",
    "DEFAULT_ROUTES",
    "GOODS_STATUSES",
    "KINDS",
    "MAX_PAGE",
    "AccessPolicy",
    "AccountService",
    "AdvanceResult",
    "ApprovalLink",
    "ApprovalService",
    "ApprovalSubject",
    "CreditNoteTodo",
    "Crm",
    "CrmConfig",
    "DecisionResult",
    "EventUsers",
    "Grant",
    "HandoverReport",
    "HasRole",
    "InDepartment",
    "InstallmentDueSoon",
    "InstallmentDueToday",
    "InstallmentOverdue",
    "InvoiceTodo",
    "InvoiceView",
    "LeadService",
    "LinkStatus",
    "ManagerOfOwner",
    "NotificationRoutes",
    "OpportunityAdvance",
    "OpportunityService",
    "OrderApproval",
    "OrderMoneyView",
    "OrderService",
    "Owner",
    "Page",
    "PaymentTodo",
    "PaymentView",
    "Period",
    "ProcessRule",
    "Queries",
    "ReceivableService",
    "Recipient",
    "RecordAccess",
    "RecordQueries",
    "RecordRef",
    "Route",
    "Scope",
    "ShipmentTodo",
    "SubmitResult",
    "TermsBook",
    "UseCase",
    "Users",
    "VisitService",
    "VisitSettings",
    "configure_converter",
    "receivable_id_of",
]

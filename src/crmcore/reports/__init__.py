"""Cross-cutting reports over orders, receivables, leads and opportunities: sales per
employee and department, orders per customer and tier, collections against targets, what
each campaign brought, leads by owner × status.

Every report is a plain function over iterables of aggregates returning a frozen attrs
result with ``to_records()`` (for pandas) and ``_repr_html_()`` (for notebooks). Figures are
derived from the facts on an ``as_of`` date, exact, in one currency (other currencies only
with explicit rates), and the rows of a report add up to its total row.
"""

from crmcore.reports._campaigns import CampaignCost, CampaignReport, CampaignRow, campaign_report
from crmcore.reports._collections import (
    CollectionsReport,
    PeriodCollections,
    collections_by_period,
)
from crmcore.reports._common import NO_CAMPAIGN, NO_DEPARTMENT, NO_TIER, ReportCurrency
from crmcore.reports._customers import (
    OrdersReport,
    OrdersRow,
    orders_by_customer,
    orders_by_tier,
)
from crmcore.reports._leads import LeadStatusReport, lead_status_report
from crmcore.reports._quotas import Quota, QuotaReport, QuotaRow, quota_attainment
from crmcore.reports._sales import (
    Sale,
    SalesReport,
    SalesRow,
    confirmed_in,
    match_receivables,
    sales_by_department,
    sales_by_owner,
    sales_report,
)

__all__ = [
    "NO_CAMPAIGN",
    "NO_DEPARTMENT",
    "NO_TIER",
    "CampaignCost",
    "CampaignReport",
    "CampaignRow",
    "CollectionsReport",
    "LeadStatusReport",
    "OrdersReport",
    "OrdersRow",
    "PeriodCollections",
    "Quota",
    "QuotaReport",
    "QuotaRow",
    "ReportCurrency",
    "Sale",
    "SalesReport",
    "SalesRow",
    "campaign_report",
    "collections_by_period",
    "confirmed_in",
    "lead_status_report",
    "match_receivables",
    "orders_by_customer",
    "orders_by_tier",
    "quota_attainment",
    "sales_by_department",
    "sales_by_owner",
    "sales_report",
]

"""What each campaign brought and what it cost: leads, converted customers, opportunities,
orders and money received — with one deterministic attribution rule, so no order counts twice
— against the campaign's planned and actual cost, with its return on investment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import attrs

from crmcore._decimal import CONTEXT, in_context
from crmcore._validators import non_empty
from crmcore.errors import ValidationError
from crmcore.forecast import Opportunity, OpportunityRecord
from crmcore.leads import Lead
from crmcore.money import Currency, Money, Percent
from crmcore.reports._common import (
    NO_CAMPAIGN,
    ReportCurrency,
    RowsWithTotal,
    check_period,
    html_table,
)
from crmcore.reports._sales import Sale, iter_confirmed

__all__ = ["CampaignCost", "CampaignReport", "CampaignRow", "campaign_report"]


def _cost(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "actual":
        return
    if not isinstance(value, Money) or value.amount < 0:
        raise ValidationError(f"{attribute.name}: expected Money >= 0, got {value!r}")


@attrs.frozen
class CampaignCost:
    """What a campaign was budgeted (``planned``) and has cost so far (``actual``; None while
    nobody has booked its cost)."""

    campaign_id: str = attrs.field(validator=non_empty)
    planned: Money = attrs.field(validator=_cost)
    actual: Money | None = attrs.field(default=None, validator=_cost)


def ratio_percent(numerator: Decimal, denominator: Decimal) -> Percent | None:
    """``numerator / denominator`` as a percentage to 0.1 (None when dividing by zero)."""
    if denominator == 0:
        return None
    ratio = CONTEXT.multiply(CONTEXT.divide(numerator, denominator), Decimal(100))
    return Percent(ratio.quantize(Decimal("0.1"), context=CONTEXT))


def _per(cost: Money | None, count: int) -> Money | None:
    if cost is None or count == 0:
        return None
    return (cost / count).round()


@attrs.frozen
class CampaignRow:
    """One campaign's funnel: leads → converted leads → customers it won → opportunities →
    orders confirmed in the period → money received on them."""

    campaign: str
    leads: int
    converted_leads: int
    customers: int
    opportunities: int
    opportunity_amount: Money
    orders: int
    order_amount: Money
    received: Money
    planned_cost: Money | None = None
    actual_cost: Money | None = None

    @property
    def roi(self) -> Percent | None:
        """Return on investment: (received − actual cost) / actual cost, to 0.1 % (None
        without an actual cost above zero)."""
        if self.actual_cost is None:
            return None
        gain = CONTEXT.subtract(self.received.amount, self.actual_cost.amount)
        return ratio_percent(gain, self.actual_cost.amount)

    @property
    def cost_per_lead(self) -> Money | None:
        """Actual cost per lead the campaign brought (None without cost or leads)."""
        return _per(self.actual_cost, self.leads)

    @property
    def cost_per_customer(self) -> Money | None:
        """Actual cost per customer won through the campaign (None without cost or customers)."""
        return _per(self.actual_cost, self.customers)

    def to_record(self) -> dict[str, Any]:
        """A plain dict: amounts as Decimal strings and the currency."""

        def text(value: Money | Percent | None) -> str | None:
            if value is None:
                return None
            return str(value.amount if isinstance(value, Money) else value.value)

        return {
            "campaign": self.campaign,
            "currency": self.order_amount.currency.code,
            "leads": self.leads,
            "converted_leads": self.converted_leads,
            "customers": self.customers,
            "opportunities": self.opportunities,
            "opportunity_amount": str(self.opportunity_amount.amount),
            "orders": self.orders,
            "order_amount": str(self.order_amount.amount),
            "received": str(self.received.amount),
            "planned_cost": text(self.planned_cost),
            "actual_cost": text(self.actual_cost),
            "roi": text(self.roi),
            "cost_per_lead": text(self.cost_per_lead),
            "cost_per_customer": text(self.cost_per_customer),
        }


@attrs.frozen
class CampaignReport(RowsWithTotal):
    """Rows per campaign (``(no campaign)`` last), their total, and every order confirmed in
    the period whichever campaign (or none) it is attributed to: the attributed share of
    ``all_orders`` / ``all_order_amount`` / ``all_received`` is never more than all of it."""

    start: date
    end: date
    as_of: date
    currency: Currency | None
    rows: tuple[CampaignRow, ...]
    total: CampaignRow | None
    all_orders: int
    all_order_amount: Money | None
    all_received: Money | None

    def row(self, campaign: str | None) -> CampaignRow:
        """The row of ``campaign`` (None: leads without a campaign)."""
        key = campaign or NO_CAMPAIGN
        found: CampaignRow = self._find("campaign", key, f"campaign report: no campaign {key!r}")
        return found

    def _repr_html_(self) -> str:
        title = (
            f"Campaigns: orders confirmed {self.start.isoformat()} – {self.end.isoformat()} "
            f"(exclusive), as of {self.as_of.isoformat()}"
        )
        return html_table(title, self.to_records())


def _instant(at: datetime) -> datetime:
    """A comparable instant: aware times in UTC, naive ones as they are."""
    return at if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)


@attrs.define
class _Tally:
    leads: int = 0
    converted: int = 0
    customers: int = 0
    opportunities: int = 0
    opportunity_amount: Decimal = Decimal(0)
    orders: int = 0
    order_amount: Decimal = Decimal(0)
    received: Decimal = Decimal(0)
    planned_cost: Decimal | None = None
    actual_cost: Decimal | None = None

    def add_cost(self, planned: Decimal, actual: Decimal | None) -> None:
        self.planned_cost = (self.planned_cost or Decimal(0)) + planned
        if actual is not None:
            self.actual_cost = (self.actual_cost or Decimal(0)) + actual

    def row(self, campaign: str, money: ReportCurrency) -> CampaignRow:
        def cost(value: Decimal | None) -> Money | None:
            return None if value is None else money.money(value)

        return CampaignRow(
            campaign,
            self.leads,
            self.converted,
            self.customers,
            self.opportunities,
            money.money(self.opportunity_amount),
            self.orders,
            money.money(self.order_amount),
            money.money(self.received),
            cost(self.planned_cost),
            cost(self.actual_cost),
        )


def _add_costs(
    tallies: dict[str, _Tally], costs: Iterable[CampaignCost], money: ReportCurrency
) -> None:
    seen: set[str] = set()
    for i, cost in enumerate(costs):
        if not isinstance(cost, CampaignCost):
            raise ValidationError(f"costs[{i}]: expected a CampaignCost, got {cost!r}")
        if cost.campaign_id in seen:
            raise ValidationError(f"costs[{i}]: campaign {cost.campaign_id!r} is given twice")
        seen.add(cost.campaign_id)
        where = f"costs[{i}] ({cost.campaign_id})"
        planned = money.amount(cost.planned, where)
        actual = None if cost.actual is None else money.amount(cost.actual, where)
        tallies.setdefault(cost.campaign_id, _Tally()).add_cost(planned, actual)


@attrs.define
class _Attribution:
    """Which campaign each lead and opportunity belongs to, and each customer's first
    conversion (time, lead id, campaign, day)."""

    of_lead: dict[str, str] = attrs.Factory(dict)
    of_opportunity: dict[str, str] = attrs.Factory(dict)
    first: dict[str, tuple[datetime, str, str, date]] = attrs.Factory(dict)


def _count_leads(leads: Iterable[Lead], as_of: date, tallies: dict[str, _Tally]) -> _Attribution:
    """Rules 1 and 2: count the leads and conversions, and find each customer's first."""
    found = _Attribution()
    for lead in leads:
        if not isinstance(lead, Lead):
            raise ValidationError(f"leads: expected a Lead, got {lead!r}")
        if lead.captured_at is not None and lead.captured_at.date() > as_of:
            continue
        campaign = lead.campaign_id or NO_CAMPAIGN
        tally = tallies.setdefault(campaign, _Tally())
        tally.leads += 1
        found.of_lead[lead.id] = campaign
        conversion = lead.conversion
        if conversion is None or conversion.converted_at.date() > as_of:
            continue
        tally.converted += 1
        if conversion.opportunity is not None:
            found.of_opportunity[conversion.opportunity.id] = campaign
        claim = (
            _instant(conversion.converted_at),
            lead.id,
            campaign,
            conversion.converted_at.date(),
        )
        customer = conversion.customer.id
        if customer not in found.first or claim[:2] < found.first[customer][:2]:
            found.first[customer] = claim
    for _, _, campaign, _ in found.first.values():
        tallies[campaign].customers += 1
    return found


def _count_opportunities(
    opportunities: Iterable[Opportunity | OpportunityRecord],
    as_of: date,
    attribution: _Attribution,
    tallies: dict[str, _Tally],
    money: ReportCurrency,
) -> None:
    """Rule 3: each opportunity under its lead's campaign, once."""
    seen: set[str] = set()
    for opportunity in opportunities:
        if opportunity.id in seen:
            continue
        lead_id = getattr(opportunity, "lead_id", None)
        campaign_or_none = attribution.of_opportunity.get(opportunity.id) or (
            attribution.of_lead.get(lead_id) if lead_id else None
        )
        created = getattr(opportunity, "created_at", None)
        if campaign_or_none is None or (created is not None and created.date() > as_of):
            continue
        seen.add(opportunity.id)
        tally = tallies[campaign_or_none]
        tally.opportunities += 1
        tally.opportunity_amount += money.amount(
            opportunity.amount, f"opportunity {opportunity.id}"
        )


@in_context
def campaign_report(
    leads: Iterable[Lead],
    opportunities: Iterable[Opportunity | OpportunityRecord],
    sales: Iterable[Sale],
    *,
    start: date,
    end: date,
    as_of: date,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
    costs: Iterable[CampaignCost] = (),
) -> CampaignReport:
    """Per campaign on ``as_of``, by this attribution:

    1. a lead counts under its ``campaign_id`` (``(no campaign)`` without one), when it was
       captured on or before ``as_of``; it is *converted* when its conversion is dated on or
       before ``as_of``;
    2. a customer belongs to the campaign of the **first** conversion that named it
       (earliest conversion time, ties to the smaller lead id) — first touch, so a customer
       converted again from a later campaign's lead stays with the first;
    3. an opportunity belongs to the campaign of its lead: ``Opportunity.lead_id``, or the
       lead whose conversion created that opportunity id (opened on or before ``as_of``);
    4. an order confirmed in ``[start, end)`` belongs to the campaign that owns its customer
       when it was confirmed on or after that conversion's date; earlier orders of the
       customer, and orders of customers no lead converted, belong to no campaign;
    5. *received* is the money confirmed on ``as_of`` on the attributed orders' receivables.

    Each order, opportunity and customer counts for at most one campaign, so the rows add up
    to the total and the total never exceeds all orders of the period.

    With ``costs``, each campaign's planned and actual cost sit beside what it brought, and
    ``roi`` = (received − actual cost) / actual cost: the money confirmed on the orders
    attributed to it by rules 2–5 against what it cost. A campaign with a cost and no leads
    still gets its row, so spending is never hidden.
    """
    check_period(start, end, as_of)
    money = ReportCurrency(currency, rates)
    tallies: dict[str, _Tally] = {}
    attribution = _count_leads(leads, as_of, tallies)
    _count_opportunities(opportunities, as_of, attribution, tallies, money)
    first = attribution.first
    all_orders = 0
    all_amount = Decimal(0)
    all_received = Decimal(0)
    for order, _, figures in iter_confirmed(sales, start, end, as_of, money):
        all_orders += 1
        all_amount += figures[0]
        all_received += figures[2]
        claim_or_none = first.get(order.customer_id)
        assert order.confirmed_at is not None
        if claim_or_none is None or order.confirmed_at.date() < claim_or_none[3]:
            continue
        tally = tallies[claim_or_none[2]]
        tally.orders += 1
        tally.order_amount += figures[0]
        tally.received += figures[2]
    _add_costs(tallies, costs, money)
    if money.currency is None:
        if tallies:
            raise ValidationError(
                "campaign report: no amount tells the report currency; give currency=..."
            )
        return CampaignReport(start, end, as_of, None, (), None, 0, None, None)
    keys = sorted(tallies, key=lambda k: (k == NO_CAMPAIGN, k))
    rows = tuple(tallies[k].row(k, money) for k in keys)
    grand = _Tally()
    for t in tallies.values():
        for name in ("leads", "converted", "customers", "opportunities", "orders"):
            setattr(grand, name, getattr(grand, name) + getattr(t, name))
        grand.opportunity_amount += t.opportunity_amount
        grand.order_amount += t.order_amount
        grand.received += t.received
        if t.planned_cost is not None:
            grand.add_cost(t.planned_cost, t.actual_cost)
    return CampaignReport(
        start,
        end,
        as_of,
        money.currency,
        rows,
        grand.row("total", money),
        all_orders,
        money.money(all_amount),
        money.money(all_received),
    )

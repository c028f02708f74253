"""Conversion (once), routing by conditions, and the lead reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from crmcore.errors import (
    ConfigError,
    InvalidTransition,
    InvariantViolation,
    PermissionDenied,
    ValidationError,
)
from crmcore.leads import (
    ConversionRequest,
    FieldMapping,
    Lead,
    LeadConverted,
    LeadStatus,
    OpportunityDraft,
    Router,
    RoutingRule,
    leads_by_owner_and_status,
    leads_by_source_and_campaign,
)
from crmcore.money import Money, Percent
from crmcore.serialization import to_dict
from crmcore.workflow import Compare, Op
from tests.leads.leads_helpers import ADMIN, MARKETING, T0, at, make_leads, make_pool, member


def acme() -> Lead:
    return Lead.capture(
        "lead-acme",
        "Li Wei",
        source="trade show",
        actor=MARKETING,
        at=T0,
        company="ACME Tools",
        email="li.wei@acme.example",
        phone="+86 21 5555 0101",
        campaign_id="cmp-expo",
        industry="manufacturing",
        region="east",
        custom={"budget": "250000", "employees": 400},
    )


def test_conversion_to_new_customer_contact_and_opportunity() -> None:
    pool = make_pool(["u1"])
    lead = acme()
    pool.admit(MARKETING, [lead], at=T0)
    pool.claim(member("u1"), [lead], at=at())
    request = ConversionRequest(
        "cust-7",
        "cont-9",
        opportunity=OpportunityDraft(
            "opp-3", "ACME lathes", Money("250000", "CNY"), date(2026, 6, 30)
        ),
        mapping=FieldMapping(
            customer={"name": "company", "industry": "industry", "size": "custom.employees"},
        ),
    )
    result = pool.convert(member("u1"), lead, request, at=at(5))
    assert lead.status is LeadStatus.CONVERTED
    assert lead.conversion == result
    assert pool.open_leads("u1") == 0
    assert dict(result.customer.fields) == {
        "name": "ACME Tools",
        "industry": "manufacturing",
        "size": 400,
    }
    assert result.customer.new
    assert dict(result.contact.fields) == {
        "name": "Li Wei",
        "email": "li.wei@acme.example",
        "phone": "+86 21 5555 0101",
        "customer_id": "cust-7",
    }
    assert result.opportunity is not None
    assert result.opportunity.fields["amount"] == Money("250000", "CNY")
    assert result.opportunity.fields["owner_id"] == "u1"
    assert result.opportunity.fields["campaign_id"] == "cmp-expo"
    assert [r.kind for r in result.records] == ["customer", "contact", "opportunity"]
    event = lead.pull_events()[-1]
    assert isinstance(event, LeadConverted)
    assert (event.customer_id, event.contact_id, event.opportunity_id) == (
        "cust-7",
        "cont-9",
        "opp-3",
    )
    with pytest.raises(InvalidTransition, match="cannot convert in state CONVERTED"):
        pool.convert(member("u1"), lead, ConversionRequest("cust-8", "cont-10"), at=at(6))
    assert lead.conversion == result


def test_conversion_to_an_existing_customer_without_opportunity() -> None:
    pool = make_pool(["u1"])
    lead = acme()
    pool.admit(MARKETING, [lead], at=T0)
    result = pool.convert(ADMIN, lead, ConversionRequest("cust-1", "cont-1", True), at=at())
    assert not result.customer.new
    assert dict(result.customer.fields) == {}
    assert result.opportunity is None
    assert [r.kind for r in result.records] == ["customer", "contact"]
    assert to_dict(result)["customer"] == {
        "kind": "customer",
        "id": "cust-1",
        "new": False,
        "fields": {},
    }


def test_conversion_refusals_change_nothing() -> None:
    pool = make_pool(["u1", "u2"])
    lead = acme()
    pool.admit(MARKETING, [lead], at=T0)
    pool.claim(member("u1"), [lead], at=at())
    with pytest.raises(PermissionDenied, match="only the owner u1 or a pool admin may convert"):
        pool.convert(member("u2"), lead, ConversionRequest("c", "k"), at=at())
    bad = ConversionRequest("c", "k", mapping=FieldMapping(contact={"x": "custom.missing"}))
    with pytest.raises(ValidationError, match="no custom field 'missing'"):
        pool.convert(member("u1"), lead, bad, at=at())
    bad = ConversionRequest("c", "k", mapping=FieldMapping(contact={"x": "_events"}))
    with pytest.raises(ValidationError, match="no field '_events'"):
        pool.convert(member("u1"), lead, bad, at=at())
    assert lead.status is LeadStatus.ASSIGNED
    assert lead.conversion is None
    assert pool.open_leads("u1") == 1
    other = make_pool(["u1"], pool_id="pool-2")
    with pytest.raises(InvariantViolation, match="not pool-2"):
        other.convert(ADMIN, lead, ConversionRequest("c", "k"), at=at())
    with pytest.raises(ValidationError, match="amount must be >= 0"):
        OpportunityDraft("o", "n", Money("-1", "CNY"), date(2026, 1, 1))


def test_invalidate_needs_owner_or_admin_and_a_reason() -> None:
    pool = make_pool(["u1", "u2"])
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=at())
    with pytest.raises(PermissionDenied, match="may mark it invalid"):
        pool.invalidate(member("u2"), lead, at=at(), reason="spam")
    with pytest.raises(ValidationError, match="a reason is required"):
        pool.invalidate(member("u1"), lead, at=at(), reason=" ")
    assert pool.open_leads("u1") == 1
    pool.invalidate(member("u1"), lead, at=at(), reason="spam")
    assert (lead.status, lead.owner_id, pool.open_leads("u1")) == (LeadStatus.INVALID, None, 0)
    unowned = make_leads(pool, 1, start=5)[0]
    pool.invalidate(ADMIN, unowned, at=at(), reason="duplicate")
    assert unowned.status is LeadStatus.INVALID


def test_routing_first_matching_rule_by_priority_else_default_pool() -> None:
    router = Router(
        "pool-general",
        [
            RoutingRule(
                "east manufacturing",
                "pool-east-mfg",
                {
                    "all": [
                        {"field": "region", "op": "==", "value": "east"},
                        {"field": "industry", "op": "==", "value": "manufacturing"},
                    ]
                },
                priority=10,
            ),
            RoutingRule("east", "pool-east", Compare("region", Op.EQ, "east"), priority=20),
            RoutingRule("big budget", "pool-key", lambda lead: lead.custom.get("budget") == "1"),
        ],
    )
    lead = acme()
    result = router.route(lead)
    assert (result.pool_id, result.rule, result.matched) == (
        "pool-east-mfg",
        "east manufacturing",
        True,
    )
    lead.industry = "retail"
    assert router.route(lead).rule == "east"
    lead.region = "west"
    result = router.route(lead)
    assert (result.pool_id, result.rule, result.matched) == ("pool-general", None, False)


def test_routing_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="unknown operator"):
        RoutingRule("r", "p", {"field": "region", "op": "~", "value": "x"})
    rule = RoutingRule("r", "p", {"field": "region", "op": "==", "value": "x"})
    with pytest.raises(ConfigError, match="duplicate rule name 'r'"):
        Router("default", [rule, rule])


def test_admit_places_routed_leads_and_refuses_held_ones() -> None:
    pool = make_pool(["u1"])
    lead = acme()
    pool.admit(MARKETING, [lead], at=T0, rule="east")
    assert lead.pool_id == "pool-1"
    assert lead.pull_events()[-1].rule == "east"  # type: ignore[attr-defined]
    pool.claim(member("u1"), [lead], at=at())
    with pytest.raises(InvalidTransition, match="only an open lead nobody holds"):
        pool.admit(MARKETING, [lead], at=at())


def test_reports_owner_by_status_and_source_campaign_conversion() -> None:
    pool = make_pool(["u1", "u2"])
    leads = make_leads(pool, 7)
    for i, lead in enumerate(leads):
        lead.source = "web" if i < 4 else "referral"
        lead.campaign_id = "spring" if i < 3 else None
    pool.distribute(ADMIN, leads[:6], at=at())  # u1: 1,3,5  u2: 2,4,6
    pool.convert(member("u1"), leads[0], ConversionRequest("c1", "k1"), at=at(1))
    pool.convert(member("u2"), leads[1], ConversionRequest("c2", "k2"), at=at(1))
    pool.convert(member("u1"), leads[4], ConversionRequest("c3", "k3"), at=at(1))
    leads[2].follow_up(member("u1"), at=at(1))
    report = leads_by_owner_and_status(leads)
    assert report.count("u1", LeadStatus.CONVERTED) == 2
    assert report.count("u1", LeadStatus.FOLLOWING_UP) == 1
    assert report.count(None, LeadStatus.NEW) == 1
    assert report.count("u9", LeadStatus.NEW) == 0
    assert report.to_records() == [
        {"owner": "u1", "new": 0, "assigned": 0, "following_up": 1, "converted": 2,
         "invalid": 0, "total": 3},
        {"owner": "u2", "new": 0, "assigned": 2, "following_up": 0, "converted": 1,
         "invalid": 0, "total": 3},
        {"owner": "(unassigned)", "new": 1, "assigned": 0, "following_up": 0, "converted": 0,
         "invalid": 0, "total": 1},
    ]  # fmt: skip
    rows = leads_by_source_and_campaign(leads)
    assert [(r.source, r.campaign_id, r.leads, r.converted, r.conversion_rate) for r in rows] == [
        ("referral", None, 3, 1, Percent("33.33")),
        ("web", None, 1, 0, Percent("0")),
        ("web", "spring", 3, 2, Percent("66.67")),
    ]
    assert rows[2].conversion_rate.value == Decimal("66.67")


def test_capture_refuses_blank_name_or_source() -> None:
    with pytest.raises(ValidationError, match="name must be non-empty"):
        Lead.capture("l", " ", source="web", actor=MARKETING, at=T0)
    with pytest.raises(ValidationError, match="source must be non-empty"):
        Lead.capture("l", "Ann", source="", actor=MARKETING, at=T0)

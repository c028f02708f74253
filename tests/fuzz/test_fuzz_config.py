"""Fuzz every configuration loader: valid documents with one hostile value, and raw junk."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.forecast import SalesProcess
from crmcore.leads import AssignmentPolicy, ClaimLimits, PoolConfig, Router
from crmcore.money import Money
from crmcore.pricing import OrderRequest, PriceList, PricingPolicy, RuleBook
from crmcore.receivables import (
    AgingBuckets,
    CreditBypass,
    CreditPolicy,
    DunningPolicy,
    ExchangeRates,
    PaymentTerms,
    ReceivablePolicy,
    WriteOffRules,
)
from crmcore.reports import CampaignCost
from crmcore.serialization import from_dict, to_dict
from crmcore.services import AccessPolicy, NotificationRoutes, VisitSettings
from crmcore.workflow import ApprovalProcess, Condition
from tests.fuzz.hostile import FUZZ, HOSTILE, HOSTILE_JSON, contained, mutated
from tests.services.helpers import HALF_AND_HALF, ORDER_APPROVAL, PROCESS, config
from tests.services.test_visit_services import SETTINGS as VISIT_SETTINGS

_CONFIG = config()

#: (loader name, loader, a valid document it reads)
LOADERS: list[tuple[str, Callable[[Any], object], Any]] = [
    ("from_dict(PaymentTerms, ...)", lambda d: from_dict(PaymentTerms, d), to_dict(HALF_AND_HALF)),
    (
        "from_dict(ReceivablePolicy, ...)",
        lambda d: from_dict(ReceivablePolicy, d),
        to_dict(ReceivablePolicy()),
    ),
    (
        "from_dict(CreditPolicy, ...)",
        lambda d: from_dict(CreditPolicy, d),
        to_dict(CreditPolicy()),
    ),
    (
        "from_dict(DunningPolicy, ...)",
        lambda d: from_dict(DunningPolicy, d),
        {"steps": [{"offset_days": 7, "level": 1, "fee": "5"}], "annual_interest": "8"},
    ),
    (
        "from_dict(AgingBuckets, ...)",
        lambda d: from_dict(AgingBuckets, d),
        to_dict(AgingBuckets()),
    ),
    ("from_dict(SalesProcess, ...)", lambda d: from_dict(SalesProcess, d), to_dict(PROCESS)),
    (
        "from_dict(ApprovalProcess, ...)",
        lambda d: from_dict(ApprovalProcess, d),
        to_dict(ORDER_APPROVAL),
    ),
    (
        "from_dict(PoolConfig, ...)",
        lambda d: from_dict(PoolConfig, d),
        to_dict(_CONFIG.pools[0]),
    ),
    ("from_dict(Router, ...)", lambda d: from_dict(Router, d), to_dict(_CONFIG.router)),
    (
        "from_dict(RuleBook, ...)",
        lambda d: from_dict(RuleBook, d),
        {
            "rules": [
                {
                    "id": "r",
                    "effect": {"kind": "free_items", "buy": "2", "get": "1"},
                    "conditions": {"min_quantity": "1", "valid_from": "2026-01-01"},
                },
                {
                    "id": "t",
                    "effect": {
                        "kind": "tiers",
                        "tiers": [{"min_quantity": "10", "percent_off": "5"}],
                    },
                },
            ]
        },
    ),
    (
        "from_dict(PriceList, ...)",
        lambda d: from_dict(PriceList, d),
        {"id": "STD", "currency": "CNY", "items": [{"sku": "DRILL", "unit_price": "100"}]},
    ),
    (
        "from_dict(PricingPolicy, ...)",
        lambda d: from_dict(PricingPolicy, d),
        {"cash_rounding": {"step": "0.05", "mode": "down"}, "minimum_margin": "10"},
    ),
    (
        "from_dict(OrderRequest, ...)",
        lambda d: from_dict(OrderRequest, d),
        {
            "customer": {"id": "acme"},
            "currency": "CNY",
            "on": "2026-03-02",
            "lines": [{"sku": "DRILL", "quantity": "2"}],
        },
    ),
    (
        "from_dict(Condition, ...)",
        lambda d: from_dict(Condition, d),
        {
            "all": [
                {"field": "amount", "op": ">=", "value": "10"},
                {"not": {"field": "a.b", "op": "in", "value": ["x"]}},
            ]
        },
    ),
    (
        "from_dict(NotificationRoutes, ...)",
        lambda d: from_dict(NotificationRoutes, d),
        {
            "LeadAssigned": {
                "topic": "t",
                "to": [{"owner": True}, {"manager_of_owner": 1}],
                "notify_actor": False,
            }
        },
    ),
    ("AccessPolicy.with_overrides", AccessPolicy.with_overrides, {"order.ship": ["warehouse"]}),
    (
        "from_dict(AssignmentPolicy, ...)",
        lambda d: from_dict(AssignmentPolicy, d),
        {"kind": "weighted"},
    ),
    (
        "from_dict(CreditPolicy, ...) with grades, default and bypass",
        lambda d: from_dict(CreditPolicy, d),
        to_dict(
            CreditPolicy(
                limits={"acme": Money("1000", "CNY")},
                default_limit=Money("500", "CNY"),
                grade_limits={"C": Money("200", "CNY")},
                grade_decisions={"D": "blocked"},
                bypass={"zen": CreditBypass("year-end deal", date(2026, 6, 30))},
            )
        ),
    ),
    (
        "from_dict(ExchangeRates, ...)",
        lambda d: from_dict(ExchangeRates, d),
        {"base": "CNY", "rates": {"USD": "7.10", "EUR": "7.80"}, "on": "2026-03-02"},
    ),
    (
        "from_dict(WriteOffRules, ...)",
        lambda d: from_dict(WriteOffRules, d),
        to_dict(WriteOffRules.standard()),
    ),
    (
        "from_dict(CampaignCost, ...)",
        lambda d: from_dict(CampaignCost, d),
        to_dict(CampaignCost("spring", Money("1200", "CNY"), Money("900", "CNY"))),
    ),
    (
        "from_dict(ClaimLimits, ...)",
        lambda d: from_dict(ClaimLimits, d),
        {"max_held": 5, "max_per_day": 2, "reclaim_cooldown_days": 7},
    ),
    (
        "from_dict(VisitSettings, ...)",
        lambda d: from_dict(VisitSettings, d),
        to_dict(VISIT_SETTINGS),
    ),
]

IDS = [name for name, _, _ in LOADERS]


@pytest.mark.parametrize(("name", "load", "document"), LOADERS, ids=IDS)
def test_the_seed_documents_load(name: str, load: Callable[[Any], object], document: Any) -> None:
    assert not isinstance(contained(lambda: load(document)), Exception), name


@pytest.mark.parametrize(("name", "load", "document"), LOADERS, ids=IDS)
@FUZZ
@given(data=st.data())
def test_a_hostile_value_anywhere_is_a_crmcore_error(
    name: str, load: Callable[[Any], object], document: Any, data: st.DataObject
) -> None:
    hostile = data.draw(mutated(document))
    contained(lambda: load(hostile))


@pytest.mark.parametrize(("name", "load", "document"), LOADERS, ids=IDS)
@FUZZ
@given(junk=HOSTILE)
def test_junk_is_a_crmcore_error(
    name: str, load: Callable[[Any], object], document: Any, junk: Any
) -> None:
    contained(lambda: load(junk))


def _brackets(depth: int) -> str:
    return "[" * depth + "]" * depth


def _long_version(digits: int) -> str:
    return '{"version": ' + "9" * digits + "}"


@FUZZ
@given(data=st.data())
def test_approval_process_json_text(data: st.DataObject) -> None:
    text = data.draw(
        st.one_of(
            st.builds(json.dumps, mutated(to_dict(ORDER_APPROVAL), HOSTILE_JSON, (40, 500))),
            st.text(max_size=30),
            st.builds(_brackets, st.integers(0, 100_000)),
            st.builds(_long_version, st.integers(4000, 6000)),
        )
    )
    contained(lambda: ApprovalProcess.from_json(text))

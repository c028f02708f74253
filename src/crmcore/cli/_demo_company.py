"""The demo's company: its people, pools, prices, approval process and policies, and the
ids and calendar of its months (run n of the demo plays month n from January 2026).

Nothing here is random; the story (`crmcore.cli._demo_story`) draws from the seed.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Final

import attrs

from crmcore.cli._demo_visits import VISIT_SETTINGS
from crmcore.cli._forecast import DEFAULT_PROCESS
from crmcore.leads import ClaimLimits, Lead, PoolConfig, PoolMember, Router
from crmcore.money import Money, Percent
from crmcore.ports import DirectoryUser, Notification, Storage
from crmcore.pricing import (
    Catalog,
    DiscountAuthority,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RuleBook,
)
from crmcore.receivables import CreditPolicy, PaymentTerms
from crmcore.serialization import from_dict
from crmcore.services import Crm, CrmConfig, TermsBook
from crmcore.testing.fakes import FixedClock, StaticDirectory
from crmcore.workflow import ApprovalProcess, ProcessRegistry

__all__ = [
    "CAMPAIGNS",
    "CURRENCY",
    "DISCOUNTS",
    "EAST_REGIONS",
    "FIRST_MONTH",
    "LEADS_PER_MONTH",
    "MANAGER",
    "NORTH_REGIONS",
    "PRODUCTS",
    "SALES",
    "SOURCES",
    "TIERS",
    "USERS",
    "CountingNotifier",
    "MonthIds",
    "build_crm",
    "month_start",
    "months_stored",
    "next_month",
]

CURRENCY: Final = "CNY"
#: The first month the demo plays; run n plays the n-th month from here.
FIRST_MONTH: Final = date(2026, 1, 1)
LEADS_PER_MONTH: Final = 240

EAST, NORTH = "east", "north"
USERS: Final = (
    DirectoryUser("director", "Director Gao", roles={"manager", "admin"}),
    DirectoryUser("mgr.east", "Manager Xu", {"manager"}, EAST, "director"),
    DirectoryUser("mgr.north", "Manager He", {"manager"}, NORTH, "director"),
    DirectoryUser("li.wei", "Li Wei", {"sales"}, EAST, "mgr.east"),
    DirectoryUser("zhang.min", "Zhang Min", {"sales"}, EAST, "mgr.east"),
    DirectoryUser("chen.jie", "Chen Jie", {"sales"}, EAST, "mgr.east"),
    DirectoryUser("wang.fang", "Wang Fang", {"sales"}, NORTH, "mgr.north"),
    DirectoryUser("liu.yang", "Liu Yang", {"sales"}, NORTH, "mgr.north"),
    DirectoryUser("fin.sun", "Sun Li", {"finance"}, "finance", "director"),
    DirectoryUser("fin.zhou", "Zhou Qing", {"finance"}, "finance", "director"),
    DirectoryUser("ship.wu", "Wu Gang", {"shipping"}, "warehouse", "director"),
)
SALES: Final = {EAST: ("li.wei", "zhang.min", "chen.jie"), NORTH: ("wang.fang", "liu.yang")}
MANAGER: Final = {EAST: "mgr.east", NORTH: "mgr.north"}
EAST_REGIONS: Final = ("Shanghai", "Hangzhou", "Nanjing", "Suzhou")
NORTH_REGIONS: Final = ("Beijing", "Tianjin", "Shenyang", "Dalian")
CAMPAIGNS: Final = ("expo-2026", "webinar", "referral", None)
SOURCES: Final = ("expo", "web", "referral", "phone")
#: SKU → (name, list price, cost).
PRODUCTS: Final = {
    "PUMP-S": ("Small pump", "1200", "700"),
    "PUMP-L": ("Large pump", "4800", "3100"),
    "VALVE": ("Control valve", "650", "380"),
    "MOTOR": ("Motor 5 kW", "3900", "2600"),
    "PANEL": ("Control panel", "8500", "5200"),
}
TIERS: Final = ("A", "B", "C")
#: Order discounts and how often they are chosen: beyond 10 % needs a manager's approval.
DISCOUNTS: Final = ("0", "0", "5", "8", "12", "18")

ORDER_PROCESS: Final = from_dict(
    ApprovalProcess,
    {
        "id": "order-approval",
        "version": 1,
        "subject_kind": "order",
        "entry_condition": {
            "any": [
                {
                    "field": "approval_reasons.kind",
                    "op": "contains",
                    "value": "discount_above_authority",
                },
                {
                    "field": "approval_reasons.kind",
                    "op": "contains",
                    "value": "below_margin_floor",
                },
                {
                    "field": "grand_total",
                    "op": ">=",
                    "value": {"amount": "150000", "currency": CURRENCY},
                },
            ]
        },
        "steps": [{"name": "manager", "approvers": [{"manager_of": 1}]}],
    },
)


def month_start(month: int) -> date:
    """The first day of the demo's ``month`` (1 = January 2026)."""
    index = FIRST_MONTH.month - 1 + month - 1
    return date(FIRST_MONTH.year + index // 12, index % 12 + 1, 1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


#: Id prefixes per kind of record.
ID_PREFIX: Final = {
    "lead": "L",
    "opportunity": "OP",
    "order": "SO",
    "approval": "AP",
    "customer": "C",
    "receivable": "AR",
}


@attrs.define
class MonthIds:
    """Ids that carry the month's number: ``L3-0001`` (lead), ``SO3-0001`` (order)..."""

    month: int
    _counters: Counter[str] = attrs.field(factory=Counter)

    def new_id(self, kind: str) -> str:
        self._counters[kind] += 1
        prefix = ID_PREFIX.get(kind, kind.upper())
        return f"{prefix}{self.month}-{self._counters[kind]:04d}"


_LEAD_ID = re.compile(r"^L(\d+)-\d+$")


def months_stored(storage: Storage) -> int:
    """How many demo months the storage already holds (0 for a new one)."""
    with storage.unit_of_work() as uow:
        months = [
            int(match.group(1))
            for lead in uow.repository(Lead).find()
            if (match := _LEAD_ID.match(lead.id))
        ]
    return max(months, default=0)


@attrs.define
class CountingNotifier:
    """Counts what would be sent, per topic (the demo has no mailbox)."""

    topics: Counter[str] = attrs.field(factory=Counter)

    def send(self, notification: Notification) -> None:
        self.topics[notification.topic] += 1


def build_crm(storage: Storage, month: int, clock: FixedClock) -> tuple[Crm, CountingNotifier]:
    """The demo company: two pools, its people, prices, approval process and policies."""
    registry = ProcessRegistry()
    registry.publish(ORDER_PROCESS)
    east = PoolConfig(
        EAST,
        name="East China",
        members=tuple(PoolMember(u) for u in SALES[EAST]),
        admins=frozenset({MANAGER[EAST], "director"}),
        claim_limits=ClaimLimits(max_held=200, max_per_day=100),
    )
    north = PoolConfig(
        NORTH,
        name="North China",
        members=tuple(PoolMember(u) for u in SALES[NORTH]),
        admins=frozenset({MANAGER[NORTH], "director"}),
        claim_limits=ClaimLimits(max_held=200, max_per_day=100),
    )
    east_regions = {
        "name": "east-regions",
        "pool_id": EAST,
        "condition": {"field": "region", "op": "in", "value": list(EAST_REGIONS)},
    }
    router = from_dict(Router, {"default_pool_id": NORTH, "rules": [east_regions]}, what="router")
    engine = PricingEngine(
        Catalog(
            products=[
                Product(sku, name, cost=Money(cost, CURRENCY))
                for sku, (name, _, cost) in PRODUCTS.items()
            ]
        ),
        [
            PriceList(
                "STD", CURRENCY, [PriceListItem(sku, p) for sku, (_, p, _) in PRODUCTS.items()]
            )
        ],
        RuleBook([]),
        PricingPolicy(
            default_tax_rate=Percent(13),
            minimum_margin=Percent(10),
            authorities=[
                DiscountAuthority("sales", Percent(10), Percent(8)),
                DiscountAuthority("manager", Percent(25), Percent(15)),
            ],
        ),
    )
    config = CrmConfig(
        sales_process=DEFAULT_PROCESS,
        approvals=registry,
        pools=(east, north),
        router=router,
        terms=TermsBook(default=PaymentTerms.net(30)),
        pricing=engine,
        credit_policy=from_dict(
            CreditPolicy, {"no_limit": "allowed", "overdue_decision": None, "limits": {}}
        ),
        visits=VISIT_SETTINGS,
    )
    notifier = CountingNotifier()
    crm = Crm(storage, StaticDirectory.of(USERS), notifier, clock, MonthIds(month), config)
    return crm, notifier

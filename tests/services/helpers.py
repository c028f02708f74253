"""A small sales team wired into a Crm, on either reference adapter, for the services tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmcore.adapters._codec import dump_aggregate
from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.forecast import SalesProcess
from crmcore.leads import ClaimLimits, PoolConfig, PoolMember, RecycleRules, Router, RoutingRule
from crmcore.money import Money, Percent
from crmcore.ports import Actor, DirectoryUser, Storage
from crmcore.pricing import (
    Catalog,
    Customer,
    DiscountAuthority,
    PriceList,
    PriceListItem,
    PricingEngine,
    PricingPolicy,
    Product,
    RuleBook,
)
from crmcore.receivables import DueRule, PaymentTerms, Portion, TermLine
from crmcore.serialization import from_dict
from crmcore.services import KINDS, Crm, CrmConfig, TermsBook
from crmcore.testing.fakes import FixedClock, RecordingNotifier, SequentialIds, StaticDirectory
from crmcore.workflow import ApprovalProcess, ProcessRegistry
from tests.conftest import fresh_postgres_schema, postgres_conninfo_or_fail

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

USERS = [
    DirectoryUser("ann", roles={"sales"}, department="east", manager_id="mia"),
    DirectoryUser("bob", roles={"sales"}, department="east", manager_id="mia"),
    DirectoryUser("mia", roles={"manager"}, department="east", manager_id="dan"),
    DirectoryUser("dan", roles={"manager", "admin"}),
    DirectoryUser("fay", roles={"finance"}),
    DirectoryUser("fin", roles={"finance"}),
    DirectoryUser("sid", roles={"shipping"}),
    DirectoryUser("mkt", roles={"sales"}, department="marketing"),
]
ACTORS: dict[str, Actor] = {u.id: u.as_actor() for u in USERS}
ANN, BOB, MIA, DAN, FAY, FIN, SID = (
    ACTORS[n] for n in ("ann", "bob", "mia", "dan", "fay", "fin", "sid")
)
ROLES = ("sales", "manager", "finance", "shipping", "admin")

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "b2b",
        "stages": [
            {"name": "qualify", "probability": "10", "required_fields": ["budget"]},
            {"name": "proposal", "probability": "50"},
            {
                "name": "contract",
                "probability": "90",
                "approval_process_id": "big-deal",
            },
        ],
    },
)

BIG_DEAL = from_dict(
    ApprovalProcess,
    {
        "id": "big-deal",
        "version": 1,
        "subject_kind": "opportunity",
        "entry_condition": {
            "field": "amount",
            "op": ">=",
            "value": {"amount": "100000", "currency": "CNY"},
        },
        "steps": [{"name": "manager", "approvers": [{"manager_of": 1}], "allow_delegation": True}],
    },
)

ORDER_APPROVAL = from_dict(
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
                    "value": "below_margin_floor",
                },
                {
                    "field": "approval_reasons.kind",
                    "op": "contains",
                    "value": "discount_above_authority",
                },
                {
                    "field": "grand_total",
                    "op": ">=",
                    "value": {"amount": "50000", "currency": "CNY"},
                },
            ]
        },
        "steps": [{"name": "manager", "approvers": [{"manager_of": 1}], "allow_delegation": True}],
    },
)

#: DRILL 100 (cost 60) and SAW 200 (cost 150), 13 % tax; sales may give 10 %, managers 25 %.
ENGINE = PricingEngine(
    Catalog(
        products=[
            Product("DRILL", "Cordless drill", cost=Money(60, "CNY")),
            Product("SAW", "Circular saw", cost=Money(150, "CNY")),
        ],
        customers=[Customer("acme", group="gold"), Customer("zen")],
    ),
    [PriceList("STD", "CNY", [PriceListItem("DRILL", "100"), PriceListItem("SAW", "200")])],
    RuleBook([]),
    PricingPolicy(
        default_tax_rate=Percent(13),
        minimum_margin=Percent(15),
        authorities=[
            DiscountAuthority("sales", Percent(10), Percent(8)),
            DiscountAuthority("manager", Percent(25), Percent(15)),
        ],
    ),
)

HALF_AND_HALF = PaymentTerms(
    "half now, half in 30 days",
    [
        TermLine(Portion.percent(50), DueRule.net(0)),
        TermLine(Portion.balance(), DueRule.net(30)),
    ],
)


def config(**changes: Any) -> CrmConfig:
    registry = ProcessRegistry()
    registry.publish(BIG_DEAL)
    registry.publish(ORDER_APPROVAL)
    east = PoolConfig(
        "east",
        name="East",
        members=(PoolMember("ann"), PoolMember("bob")),
        admins=frozenset({"mia", "dan"}),
        claim_limits=ClaimLimits(max_held=50, max_per_day=20, reclaim_cooldown_days=7),
        recycle=RecycleRules(protection_days=10, extension_days=3, hard_max_days=20),
    )
    general = PoolConfig("general", members=(PoolMember("bob"),), admins=frozenset({"dan"}))
    router = Router(
        "general",
        [RoutingRule("east", "east", {"field": "region", "op": "==", "value": "Shanghai"})],
    )
    values: dict[str, Any] = {
        "sales_process": PROCESS,
        "approvals": registry,
        "pools": (east, general),
        "router": router,
        "terms": TermsBook(by_customer={"acme": HALF_AND_HALF}),
        "pricing": ENGINE,
    }
    values.update(changes)
    return CrmConfig(**values)


class World:
    """A Crm with its fakes, and a snapshot of everything stored (for "nothing changed")."""

    def __init__(self, storage: Storage, **config_changes: Any) -> None:
        self.storage = storage
        self.clock = FixedClock(START)
        self.notifier = RecordingNotifier()
        self.directory = StaticDirectory.of(USERS)
        self.crm = Crm(
            storage,
            self.directory,
            self.notifier,
            self.clock,
            SequentialIds(),
            config(**config_changes),
        )

    def snapshot(self) -> dict[str, Any]:
        """Every stored row (as the adapter's JSON) and the notifications sent so far."""
        rows: dict[str, Any] = {}
        with self.storage.unit_of_work() as uow:
            for kind in KINDS:
                repo = uow.repository(kind.cls)
                rows[kind.name] = {a.id: (a.version, dump_aggregate(kind, a)) for a in repo.find()}
        return {
            "rows": rows,
            "sent": list(self.notifier.sent),
            "outbox": self.storage.undelivered(),
        }

    def sent(self) -> list[tuple[str, str]]:
        """(recipient, topic) of every notification, in order; clears the record."""
        result = [(n.recipient_id, n.topic) for n in self.notifier.sent]
        self.notifier.clear()
        return result


def memory_world(**changes: Any) -> World:
    return World(MemoryDatabase(KINDS), **changes)


def sqlite_world(folder: Path, **changes: Any) -> World:
    return World(SqliteDatabase(folder / "crm.sqlite3", KINDS), **changes)


def postgres_world(conninfo: str, schema: str, **changes: Any) -> World:
    from crmcore.adapters.postgres import PostgresDatabase

    return World(PostgresDatabase(conninfo, KINDS, schema=schema), **changes)


#: The storages the services suite runs on (``postgres`` needs CRMCORE_TEST_POSTGRES).
BACKENDS = ["memory", "sqlite", "postgres"]


@contextlib.contextmanager
def world_on(backend: str, folder: Path, **changes: Any) -> Iterator[World]:
    """A world on a fresh store of ``backend``, closed (and its schema dropped) afterwards."""
    if backend == "memory":
        yield memory_world(**changes)
        return
    if backend == "sqlite":
        made = sqlite_world(folder, **changes)
        try:
            yield made
        finally:
            made.storage.close()  # type: ignore[attr-defined]
        return
    conninfo = postgres_conninfo_or_fail()
    with fresh_postgres_schema(conninfo) as schema:
        made = postgres_world(conninfo, schema, **changes)
        try:
            yield made
        finally:
            made.storage.close()  # type: ignore[attr-defined]


def cny(amount: str) -> Money:
    return Money(amount, "CNY")

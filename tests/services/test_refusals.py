"""Bad input gets a specific error, and a refused call changes nothing and sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crmcore.errors import (
    ConcurrencyConflict,
    ConfigError,
    CrmError,
    CurrencyMismatch,
    InvalidTransition,
    InvariantViolation,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.services import CrmConfig
from crmcore.services._receivables import RECORD_RETRIES
from tests.services.helpers import (
    ANN,
    BOB,
    DAN,
    FAY,
    MIA,
    PROCESS,
    World,
    cny,
    memory_world,
    sqlite_world,
)
from tests.services.test_permissions import (
    D,
    _approval,
    _held_lead,
    _invoice,
    _opportunity,
    _payment,
    _pooled_lead,
    _receivable,
)

Bad = Callable[[World, dict[str, str]], Any]

CASES: list[tuple[str, Callable[[World], dict[str, str]], Bad, type[CrmError]]] = [
    (
        "blank lead name",
        lambda w: {},
        lambda w, i: w.crm.leads.create(BOB, " ", source="web"),
        ValidationError,
    ),
    ("unknown lead", lambda w: {}, lambda w, i: w.crm.leads.claim(ANN, "lead-404"), NotFound),
    (
        "claim an owned lead",
        _held_lead,
        lambda w, i: w.crm.leads.claim(BOB, i["lead"]),
        InvariantViolation,
    ),
    (
        "follow up someone else's lead",
        _held_lead,
        lambda w, i: w.crm.leads.follow_up(BOB, i["lead"]),
        PermissionDenied,
    ),
    (
        "follow up a waiting lead",  # it belongs to nobody: no salesperson may write it
        _pooled_lead,
        lambda w, i: w.crm.leads.follow_up(ANN, i["lead"]),
        PermissionDenied,
    ),
    (
        "return with an unknown reason",
        _held_lead,
        lambda w, i: w.crm.leads.return_lead(ANN, i["lead"], "bored"),
        ValidationError,
    ),
    (
        "assign to a non-member",
        _pooled_lead,
        lambda w, i: w.crm.leads.assign(MIA, i["lead"], "zed"),
        CrmError,
    ),
    (
        "assign by a manager who is not the pool's admin",
        _pooled_lead,
        lambda w, i: w.crm.leads.assign(Actor("max", {"manager"}), i["lead"]),
        PermissionDenied,
    ),
    (
        "convert twice",
        _held_lead,
        lambda w, i: [
            w.crm.leads.convert(ANN, i["lead"], customer_id="c", contact_id="k"),
            w.sent(),
            w.snapshot_into(i),
            w.crm.leads.convert(ANN, i["lead"], customer_id="c", contact_id="k"),
        ],
        InvalidTransition,
    ),
    (
        "recycle an unknown pool",
        lambda w: {},
        lambda w, i: w.crm.leads.recycle(MIA, "west"),
        ConfigError,
    ),
    (
        "negative opportunity amount",
        lambda w: {},
        lambda w, i: w.crm.opportunities.create(ANN, cny("-1")),
        ValidationError,
    ),
    (
        "advance to an unknown stage",
        _opportunity,
        lambda w, i: w.crm.opportunities.advance(ANN, i["opp"], "heaven"),
        NotFound,
    ),
    (
        "advance without the required fields",
        lambda w: {"opp": w.crm.opportunities.create(ANN, cny("500000")).id},
        lambda w, i: w.crm.opportunities.advance(ANN, i["opp"], "contract"),
        InvalidTransition,
    ),
    (
        "a second approval for the same deal",
        _approval,
        lambda w, i: w.crm.opportunities.advance(ANN, i["opp"], "contract"),
        InvalidTransition,
    ),
    (
        "lose without a reason",
        _opportunity,
        lambda w, i: w.crm.opportunities.lose(ANN, i["opp"], ""),
        ValidationError,
    ),
    (
        "approve without a task",
        _approval,
        lambda w, i: w.crm.approvals.approve(DAN, i["approval"]),
        PermissionDenied,
    ),
    (
        "reject without a comment",
        _approval,
        lambda w, i: w.crm.approvals.reject(MIA, i["approval"], " "),
        ValidationError,
    ),
    (
        "delegate to an unknown user",
        _approval,
        lambda w, i: w.crm.approvals.delegate(MIA, i["approval"], "ghost"),
        NotFound,
    ),
    (
        "withdraw someone else's request",
        _approval,
        lambda w, i: w.crm.approvals.withdraw(Actor("bob", {"sales"}), i["approval"]),
        PermissionDenied,
    ),
    (
        "unknown approval",
        lambda w: {},
        lambda w, i: w.crm.approvals.approve(MIA, "nope"),
        NotFound,
    ),
    (
        "a float amount",
        _receivable,
        lambda w, i: w.crm.receivables.record_payment(
            ANN,
            i["rec"],
            Money(1.5, "CNY"),  # type: ignore[arg-type]
            received_on=D,
        ),
        ValidationError,
    ),
    (
        "a payment in another currency",
        _receivable,
        lambda w, i: w.crm.receivables.record_payment(
            ANN, i["rec"], Money("1", "USD"), received_on=D
        ),
        CurrencyMismatch,
    ),
    (
        "a zero payment",
        _receivable,
        lambda w, i: w.crm.receivables.record_payment(ANN, i["rec"], cny("0"), received_on=D),
        ValidationError,
    ),
    (
        "confirm an unknown payment",
        _receivable,
        lambda w, i: w.crm.receivables.confirm_payment(FAY, i["rec"], "P9"),
        NotFound,
    ),
    (
        "confirm twice",
        _payment,
        lambda w, i: [
            w.crm.receivables.confirm_payment(FAY, i["rec"], i["payment"]),
            w.sent(),
            w.snapshot_into(i),
            w.crm.receivables.confirm_payment(FAY, i["rec"], i["payment"]),
        ],
        InvalidTransition,
    ),
    (
        "reject a payment without a reason",
        _payment,
        lambda w, i: w.crm.receivables.reject_payment(FAY, i["rec"], i["payment"], ""),
        ValidationError,
    ),
    (
        "refund more than was received",
        _receivable,
        lambda w, i: w.crm.receivables.request_refund(ANN, i["rec"], cny("5"), "why"),
        CrmError,
    ),
    (
        "invoice beyond the amount",
        _receivable,
        lambda w, i: w.crm.receivables.request_invoice(
            ANN, i["rec"], cny("1000.01"), title="A", tax_id="1", address="S"
        ),
        InvariantViolation,
    ),
    (
        "issue without a number",
        _invoice,
        lambda w, i: w.crm.receivables.issue_invoice(FAY, i["rec"], i["invoice"], ""),
        ValidationError,
    ),
    (
        "unknown receivable",
        lambda w: {},
        lambda w, i: w.crm.receivables.record_payment(ANN, "r-9", cny("1"), received_on=D),
        NotFound,
    ),
    (
        "a payment view of an unknown receivable",
        lambda w: {},
        lambda w, i: w.crm.queries.payment_view(ANN, "r-9"),
        NotFound,
    ),
]


@pytest.mark.parametrize(
    ("setup", "bad", "error"),
    [pytest.param(s, b, e, id=name) for name, s, b, e in CASES],
)
def test_bad_input_is_refused_and_changes_nothing(
    setup: Callable[[World], dict[str, str]], bad: Bad, error: type[CrmError]
) -> None:
    world = memory_world()
    ids = setup(world)
    world.sent()
    snapshots: list[dict[str, Any]] = []
    world.snapshot_into = lambda i: snapshots.append(world.snapshot())  # type: ignore[attr-defined]
    before = world.snapshot()
    with pytest.raises(error):
        bad(world, ids)
    assert world.snapshot() == (snapshots[-1] if snapshots else before)
    assert world.sent() == []


def test_an_actor_is_a_user_id_or_an_actor() -> None:
    world = memory_world()
    with pytest.raises(ValidationError, match="create: actor: expected Actor or str, got int 42"):
        world.crm.leads.create(42, "Li", source="web")  # type: ignore[arg-type]
    assert world.crm.leads.create("ann", "Li", source="web").pool_id == "general"


def test_a_use_case_that_forgets_the_access_check_is_refused() -> None:
    world = memory_world()
    with pytest.raises(ConfigError, match="without checking"):
        world.crm.run(ANN, None, lambda case: None)


def test_routing_needs_a_pool() -> None:
    world = memory_world(pools=(), router=None)
    with pytest.raises(ConfigError, match="no pool"):
        world.crm.leads.create(BOB, "Li", source="web")
    assert world.snapshot()["rows"]["lead"] == {}


def test_without_a_router_leads_go_to_the_first_pool() -> None:
    world = memory_world(router=None)
    assert world.crm.leads.create(BOB, "Li", source="web").pool_id == "east"


def test_a_lead_in_no_pool_cannot_be_claimed() -> None:
    world = memory_world()
    lead = world.crm.leads.create(BOB, "Li", source="web", route=False)
    with pytest.raises(InvariantViolation, match="route it first"):
        world.crm.leads.claim(ANN, lead.id)


def test_pools_are_configured_once() -> None:
    from crmcore.leads import PoolConfig

    with pytest.raises(ConfigError, match="twice"):
        CrmConfig(PROCESS, pools=(PoolConfig("a"), PoolConfig("a")))


def _race(world: World, competitor: Callable[[], Any], times: int = 1) -> None:
    """The next ``times`` commits first let ``competitor`` commit its own unit of work."""
    storage = world.crm.storage
    original = storage.unit_of_work
    left = [times]

    def racing_uow() -> Any:
        uow = original()
        commit = uow.commit

        def commit_after_competitor() -> None:
            if left[0] > 0:
                left[0] -= 1
                storage.unit_of_work = original  # type: ignore[method-assign]
                try:
                    competitor()
                finally:
                    storage.unit_of_work = racing_uow  # type: ignore[method-assign]
            commit()

        uow.commit = commit_after_competitor  # type: ignore[method-assign]
        return uow

    storage.unit_of_work = racing_uow  # type: ignore[method-assign]


@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
def test_concurrent_confirmations_one_wins_the_other_is_not_retried(
    adapter: str, tmp_path: Path
) -> None:
    world = memory_world() if adapter == "memory" else sqlite_world(tmp_path)
    ids = _payment(world)
    crm = world.crm
    world.sent()
    fin = Actor("fin", {"finance"})
    _race(world, lambda: crm.receivables.confirm_payment(fin, ids["rec"], ids["payment"]))
    with pytest.raises(ConcurrencyConflict):
        crm.receivables.confirm_payment(FAY, ids["rec"], ids["payment"])
    assert world.sent() == [("ann", "payment confirmed"), ("mia", "payment confirmed")]
    with world.storage.unit_of_work() as uow:
        from crmcore.receivables import Receivable

        assert uow.repository(Receivable).get(ids["rec"]).payments[0].decided_by == "fin"


@pytest.mark.parametrize("adapter", ["memory", "sqlite"])
def test_recording_retries_when_another_payment_committed_in_between(
    adapter: str, tmp_path: Path
) -> None:
    world = memory_world() if adapter == "memory" else sqlite_world(tmp_path)
    ids = _receivable(world)
    crm = world.crm
    bob = Actor("ann", {"sales"})  # the owner again, in another session
    n = iter(range(1, 10))
    _race(
        world,
        lambda: crm.receivables.record_payment(
            bob, ids["rec"], cny(f"{next(n)}.00"), received_on=D
        ),
        times=3,
    )
    crm.receivables.record_payment(ANN, ids["rec"], cny("20.00"), received_on=D, reference="b1")
    assert crm.queries.payment_view(FAY, ids["rec"]).pending_confirmation == cny("26.00")


def test_recording_gives_up_after_the_retries() -> None:
    world = memory_world()
    ids = _receivable(world)
    crm = world.crm
    bob = Actor("ann", {"sales"})  # the owner again, in another session
    _race(
        world,
        lambda: crm.receivables.record_payment(bob, ids["rec"], cny("1.00"), received_on=D),
        times=RECORD_RETRIES + 1,
    )
    with pytest.raises(ConcurrencyConflict):
        crm.receivables.record_payment(ANN, ids["rec"], cny("20.00"), received_on=D)


def test_dates_of_the_wrong_type_are_refused_naming_the_argument() -> None:
    world = memory_world()
    ids = _receivable(world)
    crm = world.crm
    with pytest.raises(
        ValidationError, match=r"as_of: expected date or None, got str '2026-04-01'"
    ):
        crm.queries.payment_view(ANN, ids["rec"], "2026-04-01")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="received_on: expected date, got NoneType None"):
        crm.receivables.record_payment(ANN, ids["rec"], cny("1.00"), received_on=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="actor: expected Actor or str, got NoneType None"):
        crm.queries.payment_view(None, ids["rec"])  # type: ignore[arg-type]


def test_a_host_without_a_sales_process_takes_orders_but_opens_no_opportunities() -> None:
    world = memory_world(sales_process=None)
    lead = world.crm.leads.create(BOB, "Li Lei", source="web", region="Shanghai")
    before = world.snapshot()
    with pytest.raises(ConfigError, match="sales_process: required to open opportunities"):
        world.crm.opportunities.create(ANN, cny(1000))
    assert world.snapshot() == before
    assert lead.pool_id == "east"

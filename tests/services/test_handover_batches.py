"""Issue 19: the handover by an explicit map and in batches — each batch its own unit of
work, a later call resuming where a partial or failed one stopped — through the services on
memory, SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore.errors import ValidationError
from crmcore.forecast import Opportunity
from crmcore.leads import Assignment, Lead
from crmcore.services._handover import HandoverRule, HandoverRun
from tests.services.helpers import ANN, BACKENDS, BOB, DAN, MIA, World, cny, memory_world, world_on
from tests.services.order_helpers import confirmed_order, draft_order
from tests.services.test_handover import (
    LEFT,
    anns_book,
    deal,
    lead,
    pool,
    three_seller_pools,
)

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """East (ann, bob, mkt; admins mia and dan) and general (bob), on each adapter."""
    with world_on(request.param, tmp_path, pools=three_seller_pools()) as made:
        yield made


def moved(report_leads: tuple[Assignment, ...]) -> list[tuple[str, str | None]]:
    return [(a.lead_id, a.owner_id) for a in report_leads]


def test_an_explicit_map_wins_over_the_rule_for_the_records_it_names(world: World) -> None:
    ids, open_deal, won = anns_book(world)
    report = world.crm.leads.hand_over(
        MIA, "ann", reason="left the company", assignments={ids[2]: "mkt", open_deal: "bob"}
    )
    # ids[2] to mkt as mapped; ids[0] and ids[1] by the rotation over bob and mkt from its
    # start: bob, mkt; the deal to bob as mapped (by the rule it would go to her manager mia)
    assert moved(report.leads) == [(ids[0], "bob"), (ids[1], "mkt"), (ids[2], "mkt")]
    assert report.opportunities == ((open_deal, "bob"),)
    assert report.per_receiver() == {"bob": 2, "mkt": 2}
    assert (report.batches, report.remaining, report.moved) == (1, 0, 4)
    assert [lead(world, i).owner_id for i in ids] == ["bob", "mkt", "mkt"]
    assert (deal(world, open_deal).owner_id, deal(world, won).owner_id) == ("bob", "ann")
    assert sorted(world.sent()) == [
        ("bob", "lead handed over to you"),
        ("bob", "opportunity handed over to you"),
        ("mkt", "lead handed over to you"),
        ("mkt", "lead handed over to you"),
    ]


def test_batches_of_two_give_what_one_pass_gives(world: World) -> None:
    ids, open_deal, _ = anns_book(world)
    report = world.crm.leads.hand_over(MIA, "ann", reason="left the company", batch_size=2)
    # 4 records in 2 units of work: [ids0, ids1] then [ids2, deal]; the rotation goes on
    # across them (bob, mkt, bob) and the deal goes to her manager, as in one pass
    assert moved(report.leads) == [(ids[0], "bob"), (ids[1], "mkt"), (ids[2], "bob")]
    assert report.opportunities == ((open_deal, "mia"),)
    assert (report.batches, report.remaining, report.moved) == (2, 0, 4)
    assert report.per_receiver() == {"bob": 2, "mia": 1, "mkt": 1}
    assert world.sent() == [
        ("bob", "lead handed over to you"),
        ("mkt", "lead handed over to you"),
        ("bob", "lead handed over to you"),
    ]
    east = pool(world, "east")
    assert ("ann" in east.members, east.open_leads("bob"), east.open_leads("mkt")) == (
        False,
        2,
        1,
    )


def test_a_partial_handover_resumes_with_what_she_still_holds(world: World) -> None:
    ids, open_deal, _ = anns_book(world)
    crm = world.crm
    mapped = {ids[2]: "mkt", open_deal: "bob"}
    first = crm.leads.hand_over(
        MIA, "ann", reason="left", assignments=mapped, batch_size=2, max_batches=1
    )
    assert moved(first.leads) == [(ids[0], "bob"), (ids[1], "mkt")]
    assert (first.batches, first.remaining, first.opportunities) == (1, 2, ())
    assert [lead(world, i).owner_id for i in ids] == ["bob", "mkt", "ann"]
    # the same call again continues with what ann still holds: ids[2] and the deal, both
    # in the map
    second = crm.leads.hand_over(MIA, "ann", reason="left", assignments=mapped, batch_size=2)
    assert moved(second.leads) == [(ids[2], "mkt")]
    assert second.opportunities == ((open_deal, "bob"),)
    assert (second.batches, second.remaining) == (1, 0)
    # once more: nothing left, and the map's records are now with their receivers
    third = crm.leads.hand_over(MIA, "ann", reason="left", assignments=mapped, batch_size=2)
    assert (third.moved, third.batches, third.remaining) == (0, 1, 0)


def test_a_failed_batch_keeps_the_committed_ones_and_a_second_call_finishes(
    world: World,
) -> None:
    ids, open_deal, _ = anns_book(world)
    crm = world.crm
    # her manager mia is away: the deal, in the second batch, has nobody to go to
    world.directory.put(attrs.evolve(world.directory.user("mia"), active=False))
    with pytest.raises(ValidationError, match="has no active manager") as refused:
        crm.leads.hand_over(DAN, "ann", reason="left", batch_size=2)
    assert refused.value.__notes__ == [
        "hand_over ann: 1 batches committed before this one (2 records moved); call "
        "hand_over again to continue"
    ]
    # the first batch stands; the second was rolled back whole (ids[2] is still ann's)
    assert [lead(world, i).owner_id for i in ids] == ["bob", "mkt", "ann"]
    assert deal(world, open_deal).owner_id == "ann"
    assert world.sent() == [("bob", "lead handed over to you"), ("mkt", "lead handed over to you")]
    done = crm.leads.hand_over(DAN, "ann", reason="left", opportunities_to="bob", batch_size=2)
    assert moved(done.leads) == [(ids[2], "bob")]
    assert (done.opportunities, done.remaining) == (((open_deal, "bob"),), 0)


def test_a_bad_map_or_batch_size_changes_nothing(world: World) -> None:
    ids, _, won = anns_book(world)
    crm = world.crm
    waiting = crm.leads.create(DAN, "Walk-in", source="web", region="Shanghai").id
    world.sent()
    before = world.snapshot()
    cases = [
        ({"batch_size": 0}, "batch_size must be at least 1, got 0"),
        ({"max_batches": 0, "batch_size": 1}, "max_batches must be at least 1, got 0"),
        ({"assignments": {"nothing-1": "bob"}}, r"'nothing-1'.*\(held by nobody\)"),
        (
            {"assignments": {won: "bob"}},
            rf"'{won}', which is not an open record of ann \(held by ann\)",
        ),
        ({"assignments": {waiting: "bob"}}, rf"'{waiting}', .*\(held by nobody\)"),
        ({"assignments": {ids[0]: "ann"}}, "cannot hand over to themself"),
        ({"assignments": {ids[0]: " "}}, r"assignments\[.*\] must be a user id"),
    ]
    for arguments, message in cases:
        with pytest.raises(ValidationError, match=message):
            crm.leads.hand_over(MIA, "ann", reason="left", **arguments)  # type: ignore[arg-type]
    world.directory.put(attrs.evolve(world.directory.user("mkt"), active=False))
    with pytest.raises(ValidationError, match=r"assignments\['lead-.*'\] 'mkt' is not an active"):
        crm.leads.hand_over(MIA, "ann", reason="left", assignments={ids[1]: "mkt"})
    assert world.snapshot() == before


def test_an_approval_request_in_the_map_goes_to_its_receiver_and_a_rerun_accepts_it(
    world: World,
) -> None:
    crm = world.crm
    big = crm.opportunities.create(ANN, cny("300000"), stage="proposal")
    approval = str(crm.opportunities.advance(ANN, big.id, "contract").approval_id)
    world.sent()
    report = crm.leads.hand_over(DAN, "mia", reason="left", assignments={approval: "dan"})
    assert (report.approvals, report.moved) == (((approval, "dan"),), 1)
    # run again: the request is dan's now, which the map says; nothing else to move
    again = crm.leads.hand_over(DAN, "mia", reason="left", assignments={approval: "dan"})
    assert (again.moved, again.remaining) == (0, 0)
    with pytest.raises(ValidationError, match=r"not an open record of mia \(held by dan\)"):
        crm.leads.hand_over(DAN, "mia", reason="left", assignments={approval: "bob"})


def book_of(world: World, leads: int, deals: int) -> None:
    """Ann holds ``leads`` east leads and ``deals`` open deals."""
    crm = world.crm
    for n in range(leads):
        lead_id = crm.leads.create(DAN, f"Prospect {n}", source="expo", region="Shanghai").id
        crm.leads.claim(ANN, lead_id)
    for n in range(deals):
        crm.opportunities.create(ANN, cny(str(1000 * (n + 1))), stage="proposal")
    world.sent()


def outcome(world: World) -> tuple[object, ...]:
    """Who holds every lead and deal, the east pool's counts, and who was told what."""
    with world.storage.unit_of_work() as uow:
        leads = sorted((x.id, x.owner_id, x.status.value) for x in uow.repository(Lead).find())
        deals = sorted((x.id, x.owner_id) for x in uow.repository(Opportunity).find())
    east = pool(world, "east")
    counts = {m: east.open_leads(m) for m in ("ann", "bob", "mkt")}
    return leads, deals, counts, sorted(world.sent())


@settings(max_examples=25, deadline=None)
@given(
    leads=st.integers(0, 7),
    deals=st.integers(0, 2),
    batch_size=st.integers(1, 5),
    to_mkt=st.sets(st.integers(0, 6), max_size=3),
)
def test_any_batch_size_ends_as_one_pass_does(
    leads: int, deals: int, batch_size: int, to_mkt: set[int]
) -> None:
    """Batches change when records move, never where they go: the rotation goes on across
    units of work, the map and the manager rule apply alike, and every receiver is told."""
    worlds = [memory_world(pools=three_seller_pools()) for _ in range(2)]
    for world in worlds:
        book_of(world, leads, deals)
    mapped = {f"lead-{n + 1}": "mkt" for n in to_mkt if n < leads}
    one = worlds[0].crm.leads.hand_over(MIA, "ann", reason="left", assignments=mapped)
    batched = worlds[1].crm.leads.hand_over(
        MIA, "ann", reason="left", assignments=mapped, batch_size=batch_size
    )
    assert outcome(worlds[0]) == outcome(worlds[1])
    assert (batched.leads, batched.opportunities) == (one.leads, one.opportunities)
    total = leads + deals
    assert (batched.moved, batched.remaining) == (total, 0)
    assert batched.batches == max(1, -(-total // batch_size))


def test_every_kind_of_record_moves_in_batches_of_one(world: World) -> None:
    crm = world.crm
    draft = draft_order(world)["order"]
    confirmed = confirmed_order(world)  # an order and its receivable with 791.00 to collect
    world.clock.set(LEFT)
    world.sent()
    report = crm.leads.hand_over(MIA, "ann", reason="left", to="bob", batch_size=1)
    assert report.orders == tuple(sorted((o, "bob") for o in (draft, confirmed["order"])))
    assert report.receivables == ((confirmed["rec"], "bob"),)
    assert (report.batches, report.moved, report.remaining) == (3, 3, 0)
    # mia decides two big deals of bob's: both tasks go to dan, one batch each
    approvals = [
        str(
            crm.opportunities.advance(
                BOB, crm.opportunities.create(BOB, cny(amount), stage="proposal").id, "contract"
            ).approval_id
        )
        for amount in ("300000", "400000")
    ]
    tasks = crm.leads.hand_over(DAN, "mia", reason="left", to="dan", batch_size=1)
    assert (tasks.approvals, tasks.batches) == (tuple((a, "dan") for a in sorted(approvals)), 2)


def test_a_record_moved_by_someone_else_between_batches_is_left_alone(world: World) -> None:
    ids, open_deal, _ = anns_book(world)
    crm = world.crm
    run = HandoverRun("ann", "left", HandoverRule(to="bob"), 2)
    first = crm.run(MIA, "lead.hand_over", run.batch)
    assert (moved(first.leads), first.remaining) == ([(ids[0], "bob"), (ids[1], "bob")], 2)
    # meanwhile another handover gives the rest to mkt and her manager
    crm.leads.hand_over(DAN, "ann", reason="left", to="mkt", opportunities_to="mia")
    second = crm.run(MIA, "lead.hand_over", run.batch)
    assert (second.moved, second.remaining) == (0, 0)
    assert (lead(world, ids[2]).owner_id, deal(world, open_deal).owner_id) == ("mkt", "mia")


def test_a_second_leave_of_absence_handover_finds_her_already_inactive(world: World) -> None:
    ids, _, _ = anns_book(world)
    crm = world.crm
    away = {"reason": "leave", "leaving": False, "opportunities_to": "bob", "batch_size": 2}
    first = crm.leads.hand_over(MIA, "ann", max_batches=1, **away)  # type: ignore[arg-type]
    assert (first.moved, first.remaining, pool(world, "east").members["ann"].active) == (
        2,
        2,
        False,
    )
    rest = crm.leads.hand_over(MIA, "ann", **away)  # type: ignore[arg-type]
    assert (moved(rest.leads), rest.remaining) == ([(ids[2], "bob")], 0)

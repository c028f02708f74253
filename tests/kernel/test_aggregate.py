"""The one aggregate base: every stored kind uses it, and its checks come before any change."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore._aggregate import AggregateRoot, check_time
from crmcore.errors import ValidationError
from crmcore.forecast import Opportunity, SalesProcess
from crmcore.leads import Lead
from crmcore.money import Money
from crmcore.ports import Actor, AggregateKind
from crmcore.receivables import Receivable
from crmcore.serialization import from_dict, to_dict
from crmcore.services import KINDS
from crmcore.testing.contracts import DOMAIN_KINDS, SAMPLE_KIND
from tests.forecast.forecast_helpers import PROCESS_DATA
from tests.leads.leads_helpers import MARKETING, make_leads, make_pool, member
from tests.receivables.rcv_support import SALES, cny, make_receivable

ALL_KINDS: tuple[AggregateKind[Any], ...] = (*KINDS, *DOMAIN_KINDS, SAMPLE_KIND)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=[k.name for k in ALL_KINDS])
def test_every_stored_kind_uses_the_one_base(kind: AggregateKind[Any]) -> None:
    assert issubclass(kind.cls, AggregateRoot)
    names = [f.name for f in attrs.fields(kind.cls)]
    # exactly one version and one list of pending events, both from the base
    assert names.count("version") == 1
    assert names.count("_pending_events") == 1
    pending = attrs.fields_dict(kind.cls)["_pending_events"]
    assert (pending.eq, pending.init) == (False, False)
    assert kind.cls.aggregate_kind, f"{kind.cls.__name__} names no aggregate_kind"
    for name in ("peek_events", "pull_events", "_emit", "_check_change"):
        assert getattr(kind.cls, name) is getattr(AggregateRoot, name), (kind.cls, name)


def test_pending_events_are_neither_stored_nor_compared() -> None:
    receivable = make_receivable()
    receivable.record_payment(SALES, cny("40"), received_on=date(2024, 1, 5), at=_at(5))
    assert len(receivable.peek_events()) == 2
    data = to_dict(receivable)
    assert not {"pending_events", "_pending_events"} & set(data)
    reloaded = from_dict(Receivable, data)
    assert reloaded.peek_events() == []
    assert reloaded == receivable  # the pending events are not part of equality
    assert [type(e).__name__ for e in receivable.pull_events()] == [
        "ReceivableOpened",
        "ReceivablePaymentRecorded",
    ]
    assert receivable.pull_events() == []


def test_emit_names_the_subject_kind_and_id() -> None:
    receivable = make_receivable("SO-9")
    (event,) = receivable.peek_events()
    assert (event.subject_kind, event.subject_id, event.actor_id) == (
        "receivable",
        "SO-9",
        "sally",
    )


def test_pool_admit_by_a_string_changes_nothing() -> None:
    pool = make_pool(["u1"])
    (lead,) = make_leads(None, 1)
    before = copy.deepcopy(to_dict(lead)), copy.deepcopy(to_dict(pool))
    with pytest.raises(ValidationError, match="actor: expected an Actor, got 'sally'"):
        pool.admit("sally", [lead], at=_at(2))  # type: ignore[arg-type]
    assert (to_dict(lead), to_dict(pool)) == before
    assert lead.pool_id is None


@pytest.mark.parametrize("moment", ["yesterday", date(2026, 1, 1), None, 1_700_000_000])
def test_lead_capture_refuses_a_moment_that_is_not_a_datetime(moment: object) -> None:
    with pytest.raises(ValidationError, match="at: expected a datetime"):
        Lead.capture("l-1", "Acme", source="web", actor=MARKETING, at=moment)  # type: ignore[arg-type]


def test_lead_follow_up_aware_after_naive_is_a_validation_error() -> None:
    lead = Lead.capture("l-1", "Acme", source="web", actor=MARKETING, at=datetime(2026, 1, 1, 9))
    pool = make_pool(["u1"])
    pool.admit(MARKETING, [lead], at=datetime(2026, 1, 1, 10))
    pool.claim(member("u1"), [lead], at=datetime(2026, 1, 2, 9))
    before = to_dict(lead)
    with pytest.raises(ValidationError, match="mix naive and timezone-aware"):
        lead.follow_up(member("u1"), at=datetime(2026, 1, 3, 9, tzinfo=UTC))
    assert to_dict(lead) == before


def test_opportunity_advance_aware_after_naive_is_a_validation_error() -> None:
    process = from_dict(SalesProcess, PROCESS_DATA)
    alice = Actor("alice", {"sales"})
    opportunity = Opportunity.open(
        "opp-1",
        process,
        amount=Money("1000", "CNY"),
        owner_id="alice",
        actor=alice,
        at=datetime(2026, 1, 1, 9),
    )
    before = to_dict(opportunity)
    with pytest.raises(ValidationError, match="mix naive and timezone-aware"):
        opportunity.advance(
            alice,
            process.stage_names[1],
            at=datetime(2026, 1, 2, 9, tzinfo=UTC),
            feedback={"budget": "1"},
        )
    assert to_dict(opportunity) == before


def test_a_step_back_in_time_names_the_aggregate() -> None:
    receivable = make_receivable("SO-7")
    with pytest.raises(ValidationError, match="before receivable SO-7's last change"):
        receivable.record_payment(
            SALES, cny("10"), received_on=date(2023, 12, 1), at=datetime(2023, 12, 1, 9)
        )


_moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))


@given(_moments, _moments, st.booleans(), st.booleans())
def test_check_time_accepts_exactly_the_same_kind_not_earlier(
    last: datetime, at: datetime, last_aware: bool, at_aware: bool
) -> None:
    last = last.replace(tzinfo=UTC) if last_aware else last
    at = at.replace(tzinfo=UTC) if at_aware else at
    if last_aware != at_aware:
        with pytest.raises(ValidationError, match="mix naive and timezone-aware"):
            check_time(at, last)
    elif at < last:
        with pytest.raises(ValidationError, match="history is append-only"):
            check_time(at, last)
    else:
        assert check_time(at, last) is at


def _at(day: int) -> datetime:
    return datetime(2024, 1, day, 10)

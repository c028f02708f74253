"""Review findings: batch safety of recycling, the re-claim cooldown, member numbers as
whole numbers, and converted leads that save and load back equal."""

from __future__ import annotations

import ast
import json
import pathlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crmcore.leads
from crmcore.errors import (
    ConfigError,
    InvalidTransition,
    InvariantViolation,
    PermissionDenied,
    ValidationError,
)
from crmcore.leads import (
    ClaimLimits,
    ConversionRequest,
    CreatedRecord,
    FieldMapping,
    Lead,
    LeadStatus,
    OpportunityDraft,
    PoolConfig,
    PoolMember,
    RecycleRules,
)
from crmcore.money import Money, Percent
from crmcore.serialization import from_dict, to_dict
from tests.leads.leads_helpers import (
    ADMIN,
    CAPTURED,
    MARKETING,
    T0,
    at,
    make_leads,
    make_pool,
    member,
)


def snapshot(pool: object, leads: list[Lead]) -> object:
    return to_dict(pool), [to_dict(lead) for lead in leads]


def through_json(lead: Lead) -> Lead:
    return from_dict(Lead, json.loads(json.dumps(to_dict(lead))))


def types(value: object) -> object:
    """The shape of a value with the type of every leaf (``==`` takes 1 == Decimal(1))."""
    if isinstance(value, list):
        return [types(item) for item in value]
    if isinstance(value, dict):
        return {key: types(item) for key, item in value.items()}
    return type(value)


# -- recycling a batch ---------------------------------------------------------------------


def test_recycling_the_same_lead_twice_in_one_batch_is_refused_and_changes_nothing() -> None:
    pool = make_pool(["u1", "u2"], recycle=RecycleRules(protection_days=10))
    leads = make_leads(pool, 2)
    pool.distribute(ADMIN, leads, at=at())
    pool.pull_events()
    for lead in leads:
        lead.pull_events()
    before = snapshot(pool, leads)
    with pytest.raises(ValidationError, match="lead lead-1 appears twice in the batch"):
        pool.recycle(ADMIN, [leads[0], leads[1], leads[0]], at(11).date(), at=at(11))
    assert snapshot(pool, leads) == before
    assert [lead.owner_id for lead in leads] == ["u1", "u2"]
    assert (pool.open_leads("u1"), pool.open_leads("u2")) == (1, 1)
    assert pool.pull_events() == []
    assert [lead.pull_events() for lead in leads] == [[], []]


def test_recycling_two_stale_copies_of_one_lead_is_refused() -> None:
    pool = make_pool(["u1"], recycle=RecycleRules(protection_days=10))
    (lead,) = make_leads(pool, 1)
    pool.distribute(ADMIN, [lead], at=at())
    copy = from_dict(Lead, to_dict(lead))
    before = snapshot(pool, [lead, copy])
    with pytest.raises(ValidationError, match="lead lead-1 appears twice"):
        pool.recycle(ADMIN, [lead, copy], at(11).date(), at=at(11))
    assert snapshot(pool, [lead, copy]) == before
    due = pool.recycle(ADMIN, [lead], at(11).date(), at=at(11))
    assert [(d.lead_id, d.owner_id) for d in due] == [("lead-1", "u1")]
    assert pool.open_leads("u1") == 0


def test_returning_a_lead_marked_held_but_without_owner_is_refused_not_asserted() -> None:
    pool = make_pool(["u1"])
    (lead,) = make_leads(pool, 1)
    lead.status = LeadStatus.ASSIGNED  # an inconsistent record, e.g. edited behind the pool
    before = snapshot(pool, [lead])
    with pytest.raises(InvariantViolation, match="lead lead-1 is ASSIGNED but nobody holds it"):
        pool.return_lead(ADMIN, lead, at=at(1), reason="unreachable")
    assert snapshot(pool, [lead]) == before


def test_the_leads_package_uses_no_assert_for_runtime_checks() -> None:
    root = pathlib.Path(crmcore.leads.__file__).parent
    found = [
        f"{path.name}:{node.lineno}"
        for path in sorted(root.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert found == []


def test_every_batch_operation_checks_the_whole_batch_before_changing_anything() -> None:
    # In each batch the leads before the last one are fine; only the last one is refused.
    pool = make_pool(["u1", "u2"], claim_limits=ClaimLimits(reclaim_cooldown_days=7))
    other = make_pool(["u1"], pool_id="pool-2")
    waiting = make_leads(pool, 3)
    (elsewhere,) = make_leads(other, 1, prefix="other")
    fresh = make_leads(None, 2, prefix="fresh")
    pool.claim(member("u1"), waiting[2:], at=at())
    pool.return_lead(member("u1"), waiting[2], at=at(0, 1), reason="unreachable")  # u1 cools down
    pool.claim(member("u2"), waiting[:1], at=at(0, 2))  # held: it may not enter a pool again
    everything = [*waiting, elsewhere, *fresh]
    for lead in everything:
        lead.pull_events()
    pool.pull_events()
    before = snapshot(pool, everything)
    batches: list[tuple[Any, type[Exception], str]] = [
        (
            lambda: pool.admit(MARKETING, [*fresh, waiting[0]], at=at(1)),
            InvalidTransition,
            "only an open lead nobody holds",
        ),
        (
            lambda: pool.distribute(ADMIN, [waiting[1], waiting[2], waiting[1]], at=at(1)),
            ValidationError,
            "appears twice",
        ),
        (
            lambda: pool.assign_to(ADMIN, [waiting[1], elsewhere], "u2", at=at(1)),
            InvariantViolation,
            "is in pool pool-2",
        ),
        (
            lambda: pool.claim(member("u1"), waiting[1:], at=at(1)),
            PermissionDenied,
            "cooldown of 7 days",
        ),
    ]
    for run, error, message in batches:
        with pytest.raises(error, match=message):
            run()
        assert snapshot(pool, everything) == before
        assert pool.pull_events() == []
        assert [lead.pull_events() for lead in everything] == [[] for _ in everything]


# -- the re-claim cooldown -----------------------------------------------------------------


def test_reclaim_cooldown_holds_when_a_colleague_held_the_lead_in_between() -> None:
    pool = make_pool(["u1", "u2"], claim_limits=ClaimLimits(reclaim_cooldown_days=7))
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=at(0))
    pool.return_lead(member("u1"), lead, at=at(0, 1), reason="unreachable")
    pool.claim(member("u2"), [lead], at=at(0, 3))
    pool.return_lead(member("u2"), lead, at=at(0, 4), reason="unreachable")
    before = snapshot(pool, [lead])
    with pytest.raises(
        PermissionDenied,
        match=r"u1 gave it up on 2026-03-25T10:00:00\+00:00 .* 7 days "
        r"\(from 2026-04-01T10:00:00\+00:00\)",
    ):
        pool.claim(member("u1"), [lead], at=at(0, 5))
    assert snapshot(pool, [lead]) == before
    with pytest.raises(PermissionDenied, match="u2 gave it up on 2026-03-25T13:00"):
        pool.claim(member("u2"), [lead], at=at(7, 3))
    # exactly 7 days after u1 gave it up, u1 may take it again
    assert pool.claim(member("u1"), [lead], at=at(7, 1)).per_member() == {"u1": 1}


def test_reclaim_cooldown_counts_the_latest_of_several_stretches_of_one_member() -> None:
    pool = make_pool(["u1", "u2"], claim_limits=ClaimLimits(reclaim_cooldown_days=2))
    (lead,) = make_leads(pool, 1)
    pool.claim(member("u1"), [lead], at=at(0))
    pool.return_lead(member("u1"), lead, at=at(0, 1), reason="unreachable")
    pool.claim(member("u1"), [lead], at=at(3))
    pool.return_lead(member("u1"), lead, at=at(3, 1), reason="unreachable")
    pool.claim(member("u2"), [lead], at=at(3, 2))
    pool.return_lead(member("u2"), lead, at=at(3, 3), reason="unreachable")
    with pytest.raises(PermissionDenied, match="gave it up on 2026-03-28T10:00"):
        pool.claim(member("u1"), [lead], at=at(4))
    assert lead.last_given_up_by("u1") == lead.history[1]
    assert lead.last_given_up_by("u3") is None
    assert lead.previous_owner == lead.history[2]


# -- member numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight": "3"}, "weight: must be a whole number, got '3'"),
        ({"weight": 1.5}, "weight: must be a whole number, got 1.5"),
        ({"weight": True}, "weight: must be a whole number, got True"),
        ({"weight": Decimal("2")}, "weight: must be a whole number, got Decimal"),
        ({"capacity": "5"}, "capacity: must be a whole number, got '5'"),
        ({"capacity": 2.0}, "capacity: must be a whole number, got 2.0"),
        ({"capacity": False}, "capacity: must be a whole number, got False"),
        ({"active": "no"}, "active: must be true or false, got 'no'"),
        ({"weight": 0}, "weight: must be > 0, got 0"),
        ({"capacity": -1}, "capacity: must be >= 0, got -1"),
    ],
)
def test_pool_member_refuses_numbers_that_are_not_whole(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        PoolMember("a", **kwargs)


@pytest.mark.parametrize(
    "build",
    [
        lambda: ClaimLimits(max_held="3"),  # type: ignore[arg-type]
        lambda: ClaimLimits(max_per_day=1.5),  # type: ignore[arg-type]
        lambda: ClaimLimits(reclaim_cooldown_days=True),
        lambda: RecycleRules(protection_days=2.5),  # type: ignore[arg-type]
        lambda: RecycleRules(extension_days="1"),  # type: ignore[arg-type]
        lambda: RecycleRules(hard_max_days=Decimal("9")),  # type: ignore[arg-type]
        lambda: RecycleRules(convert_within_days=False),
    ],
)
def test_limits_and_recycle_rules_refuse_numbers_that_are_not_whole(build: Any) -> None:
    with pytest.raises(ValidationError, match="must be a whole number"):
        build()


def test_a_weight_change_that_is_not_whole_changes_nothing() -> None:
    pool = make_pool(["u1"])
    before = to_dict(pool)
    with pytest.raises(ValidationError, match=r"weight: must be a whole number, got 2\.5"):
        pool.update_member(ADMIN, "u1", at=at(), weight=2.5)  # type: ignore[arg-type]
    assert to_dict(pool) == before
    assert pool.pull_events() == []


def test_a_configured_fractional_weight_names_its_path() -> None:
    with pytest.raises(ConfigError, match=r"members\[0\]\.weight"):
        from_dict(PoolConfig, {"id": "p", "members": [{"user_id": "x", "weight": 1.5}]})
    assert from_dict(PoolConfig, {"id": "p", "members": [{"user_id": "x", "weight": 3}]}).members[
        0
    ] == PoolMember("x", weight=3)


# -- converted leads saved and loaded ------------------------------------------------------


def converted(opportunity: bool = True, **custom: Any) -> Lead:
    pool = make_pool(["u1"])
    (lead,) = make_leads(pool, 1)
    lead.custom.update(custom)
    pool.distribute(ADMIN, [lead], at=at())
    draft = OpportunityDraft("o1", "Deal", Money("100", "CNY"), date(2026, 5, 1))
    request = ConversionRequest("c1", "k1", opportunity=draft if opportunity else None)
    pool.convert(member("u1"), lead, request, at=at(1))
    return lead


def test_a_converted_lead_loads_back_equal_with_money_and_dates_as_such() -> None:
    lead = converted()
    loaded = through_json(lead)
    assert loaded == lead
    assert loaded.conversion is not None
    assert loaded.conversion.opportunity is not None
    fields = loaded.conversion.opportunity.fields
    assert fields["amount"] == Money("100", "CNY")
    assert type(fields["amount"]) is Money
    assert type(fields["expected_close"]) is date
    stored = to_dict(lead)["conversion"]["opportunity"]["fields"]
    assert stored["amount"] == {"$money": {"amount": "100", "currency": "CNY"}}
    assert stored["expected_close"] == {"$date": "2026-05-01"}
    assert stored["name"] == "Deal"


def test_custom_values_mapped_into_a_record_keep_their_types() -> None:
    pool = make_pool(["u1"])
    (lead,) = make_leads(pool, 1)
    lead.custom.update(
        budget=Decimal("250000.50"),
        discount=Percent("12.5"),
        met=datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=8))),
        tags=["b2b", {"tier": 2, "since": date(2020, 1, 1)}],
    )
    pool.distribute(ADMIN, [lead], at=at())
    mapping = FieldMapping(
        opportunity={
            "budget": "custom.budget",
            "discount": "custom.discount",
            "tags": "custom.tags",
        },
        contact={"first_met": "custom.met", "captured": "captured_at"},
    )
    draft = OpportunityDraft("o1", "Deal", Money("1", "EUR"), date(2026, 5, 1))
    result = pool.convert(
        ADMIN, lead, ConversionRequest("c1", "k1", False, draft, mapping), at=at(1)
    )
    assert result.opportunity is not None
    assert result.opportunity.fields["budget"] == Decimal("250000.50")
    assert through_json(lead) == lead
    loaded = through_json(lead).conversion
    assert loaded is not None
    assert loaded.opportunity is not None
    assert str(loaded.opportunity.fields["budget"]) == "250000.50"
    assert loaded.contact.fields["captured"] == CAPTURED


def test_old_plain_field_data_still_loads() -> None:
    data = to_dict(converted())
    fields = data["conversion"]["opportunity"]["fields"]
    fields["amount"], fields["expected_close"] = {"amount": "100", "currency": "CNY"}, "2026-05-01"
    loaded = from_dict(Lead, data)
    assert loaded.conversion is not None
    assert loaded.conversion.opportunity is not None
    assert loaded.conversion.opportunity.fields["expected_close"] == "2026-05-01"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (object(), "custom.bad: cannot store object"),
        ((1, 2), "custom.bad: cannot store tuple"),
        (float("nan"), "custom.bad: cannot store float nan"),
        (Decimal("Infinity"), "custom.bad: cannot store Decimal"),
        ({"$money": 1}, r"custom.bad: key '\$money' may not start with '\$'"),
        ({1: "x"}, "custom.bad: key 1 is not a string"),
        ([set()], r"custom.bad\[0\]: cannot store set"),
    ],
)
def test_a_lead_refuses_custom_values_that_would_not_load_back(
    value: object, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Lead.capture("l", "n", source="web", actor=MARKETING, at=T0, custom={"bad": value})


def test_mapping_a_lead_field_a_record_cannot_store_is_refused_before_converting() -> None:
    pool = make_pool(["u1"])
    (lead,) = make_leads(pool, 1)
    pool.distribute(ADMIN, [lead], at=at())
    before = snapshot(pool, [lead])
    request = ConversionRequest("c", "k", mapping=FieldMapping(contact={"log": "history"}))
    with pytest.raises(ValidationError, match=r"fields.log\[0\]: cannot store Ownership"):
        pool.convert(ADMIN, lead, request, at=at(1))
    assert snapshot(pool, [lead]) == before


def test_saving_a_lead_whose_custom_dict_was_edited_badly_is_refused() -> None:
    (lead,) = make_leads(None, 1)
    lead.custom["when"] = {1, 2}
    with pytest.raises(ValidationError, match=r"custom\.when: cannot store set"):
        to_dict(lead)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"opportunity": {"amount": "custom.budget"}}, "opportunity.amount: collides"),
        ({"opportunity": {"owner_id": "region"}}, "opportunity.owner_id: collides"),
        ({"opportunity": {"lead_id": "id"}}, "opportunity.lead_id: collides"),
        ({"contact": {"customer_id": "company"}}, "contact.customer_id: collides"),
    ],
)
def test_a_field_mapping_may_not_overwrite_what_the_conversion_sets(
    mapping: dict[str, dict[str, str]], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        FieldMapping(**mapping)
    with pytest.raises(ConfigError, match=f"mapping.{message}"):
        from_dict(ConversionRequest, {"customer_id": "c", "contact_id": "k", "mapping": mapping})


def test_created_record_refuses_fields_it_could_not_load_back() -> None:
    with pytest.raises(ValidationError, match=r"customer c: fields\.x: cannot store complex"):
        CreatedRecord("customer", "c", True, {"x": 1j})


# -- round trip through JSON for leads in every status -------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**18) + 1, 10**18 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
typed_scalars = st.one_of(
    st.decimals(-(10**15), 10**15, allow_nan=False, allow_infinity=False, places=3),
    st.builds(
        Money,
        st.decimals(min_value=-(10**6), max_value=10**6, places=2),
        st.sampled_from(["CNY", "EUR", "JPY"]),
    ),
    st.builds(Percent, st.decimals(min_value=0, max_value=100, places=2)),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))])),
    st.datetimes(),
)
field_values = st.recursive(
    st.one_of(json_scalars, typed_scalars),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet="abc", max_size=3), inner, max_size=3),
    ),
    max_leaves=6,
)


@given(
    status=st.sampled_from(list(LeadStatus)),
    custom=st.dictionaries(st.sampled_from(["budget", "tags", "met", "size"]), field_values),
    with_opportunity=st.booleans(),
    existing_customer=st.booleans(),
    follow_ups=st.integers(0, 2),
    returned_first=st.booleans(),
)
def test_a_lead_in_any_status_loads_back_equal_through_json(
    status: LeadStatus,
    custom: dict[str, Any],
    with_opportunity: bool,
    existing_customer: bool,
    follow_ups: int,
    returned_first: bool,
) -> None:
    pool = make_pool(["u1", "u2"])
    lead = Lead.capture("l1", "Acme", source="expo", actor=MARKETING, at=T0, custom=custom)
    pool.admit(MARKETING, [lead], at=T0)
    if returned_first:
        pool.claim(member("u2"), [lead], at=at(0, 1))
        pool.return_lead(member("u2"), lead, at=at(0, 2), reason="unreachable")
    if status is not LeadStatus.NEW:
        pool.claim(member("u1"), [lead], at=at(1))
        for i in range(follow_ups if status is not LeadStatus.ASSIGNED else 0):
            lead.follow_up(member("u1"), at=at(1, i + 1), note=f"call {i}")
    if status is LeadStatus.FOLLOWING_UP and lead.status is LeadStatus.ASSIGNED:
        lead.follow_up(member("u1"), at=at(2), note="call")
    if status is LeadStatus.CONVERTED:
        mapped = {key: f"custom.{key}" for key in custom}
        draft = OpportunityDraft("o1", "Deal", Money("5000.10", "CNY"), date(2026, 6, 30))
        request = ConversionRequest(
            "c1",
            "k1",
            existing_customer,
            draft if with_opportunity else None,
            FieldMapping(opportunity={"source": "source", **mapped}),
        )
        pool.convert(member("u1"), lead, request, at=at(3))
    if status is LeadStatus.INVALID:
        pool.invalidate(ADMIN, lead, at=at(3), reason="spam")
    assert lead.status is status
    loaded = through_json(lead)
    assert loaded == lead
    assert types(loaded.custom) == types(lead.custom)
    if lead.conversion is not None:
        assert loaded.conversion is not None
        for mine, theirs in zip(loaded.conversion.records, lead.conversion.records, strict=True):
            assert types(dict(mine.fields)) == types(dict(theirs.fields))


def test_custom_must_be_a_dict_with_string_keys_and_loads_only_from_an_object() -> None:
    (lead,) = make_leads(None, 1)
    with pytest.raises(ValidationError, match=r"custom: must be a dict of field values"):
        lead.custom = ["budget"]  # type: ignore[assignment]
    with pytest.raises(ValidationError, match=r"custom: key 7 is not a string"):
        lead.custom = {7: "x"}  # type: ignore[dict-item]
    assert lead.custom == {}
    data = to_dict(lead)
    data["custom"] = ["budget"]
    with pytest.raises(ConfigError, match="custom: expected an object of fields"):
        from_dict(Lead, data)

"""The weighted pipeline forecast, category roll-up and target gap, with hand-checked figures."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.forecast import (
    ForecastAggregate,
    ForecastCategory,
    OpportunityRecord,
    OpportunityStatus,
    Period,
    SalesProcess,
    weighted_forecast,
)
from crmcore.money import Money, Percent

WON, LOST = OpportunityStatus.WON, OpportunityStatus.LOST


def cny(amount: str | int) -> Money:
    return Money(amount, "CNY")


def textbook(process: SalesProcess) -> list[OpportunityRecord]:
    counts = {"qualify": 65, "needs": 34, "proposal": 27, "negotiation": 15, "contract": 6}
    return [
        OpportunityRecord(f"{stage}-{i}", "alice", stage, cny(500_000), date(2026, 3, 31))
        for stage, n in counts.items()
        for i in range(n)
    ]


def test_textbook_pipeline_is_exactly_26_850_000(process: SalesProcess) -> None:
    table = weighted_forecast(textbook(process), process, by="stage")
    assert table.total.weighted == cny(26_850_000)
    assert table.total.amount == cny(73_500_000)
    assert table.total.count == 147
    assert [(r.key[0], r.count, r.weighted.amount) for r in table.rows] == [
        ("qualify", 65, Decimal(3_250_000)),
        ("needs", 34, Decimal(6_800_000)),
        ("proposal", 27, Decimal(8_100_000)),
        ("negotiation", 15, Decimal(6_000_000)),
        ("contract", 6, Decimal(2_700_000)),
    ]
    assert str(table.total.weighted.amount) == "26850000"


def team(process: SalesProcess) -> list[OpportunityRecord]:
    rec = OpportunityRecord
    return [
        rec("r1", "alice", "qualify", cny(1000), date(2026, 1, 15)),
        rec("r2", "alice", "proposal", cny(2000), date(2026, 2, 10)),
        rec("r3", "alice", "contract", cny(3000), date(2026, 4, 1)),
        rec("r4", "bob", "needs", cny(500), date(2026, 3, 31), probability_override=Percent(50)),
        rec("r5", "bob", "negotiation", cny(1500), date(2026, 1, 31), department="smb"),
        rec("r6", "alice", "contract", cny(4000), date(2026, 3, 1), status=WON),
        rec("r7", "bob", "needs", cny(700), date(2026, 2, 1), status=LOST),
        rec(
            "r8",
            "alice",
            "qualify",
            cny(800),
            date(2026, 2, 20),
            category=ForecastCategory.OMITTED,
        ),
        rec(
            "r9",
            "alice",
            "negotiation",
            cny("100.50"),
            date(2026, 3, 15),
            category=ForecastCategory.COMMIT,
        ),
    ]


def test_forecast_by_owner_and_quarter(process: SalesProcess) -> None:
    table = weighted_forecast(team(process), process, by=("owner", "period"))
    assert [(r.key, r.count, r.amount, r.weighted) for r in table.rows] == [
        # alice's omitted deal of 800 is in the pipeline but weighs nothing (was 80)
        (("alice", "2026-Q1"), 4, cny("3900.50"), cny("1380.40")),
        (("alice", "2026-Q2"), 1, cny(3000), cny(2700)),
        (("bob", "2026-Q1"), 2, cny(2000), cny(1450)),
    ]
    assert (table.total.count, table.total.amount, table.total.weighted) == (
        7,
        cny("8900.50"),
        cny("5530.40"),
    )
    assert table.missing_close_date == 0


def test_forecast_by_month_and_department(process: SalesProcess) -> None:
    months = weighted_forecast(team(process), process, by="period", period=Period.MONTH)
    assert [(r.key[0], r.weighted) for r in months.rows] == [
        ("2026-01", cny(1300)),
        ("2026-02", cny(1200)),  # the omitted deal of 800 weighs nothing
        ("2026-03", cny("330.40")),
        ("2026-04", cny(2700)),
    ]
    departments = weighted_forecast(team(process), process, by=["department", "category"])
    assert departments.row("smb", "best_case").weighted == cny(1200)
    assert departments.row(None, "omitted").amount == cny(800)
    with pytest.raises(ValidationError, match="no row"):
        departments.row("enterprise", "commit")


def test_category_roll_up_per_owner_and_quarter(process: SalesProcess) -> None:
    rollup = ForecastAggregate.of(team(process), process).categories()
    alice = rollup.row("alice", "2026-Q1")
    assert (alice.closed, alice.commit, alice.best_case, alice.pipeline, alice.weighted) == (
        cny(4000),
        cny("4100.50"),
        cny("4100.50"),
        cny("3100.50"),
        cny("1380.40"),
    )
    q2 = rollup.row("alice", "2026-Q2")
    assert (q2.closed, q2.commit, q2.best_case, q2.pipeline) == (
        cny(0),
        cny(3000),
        cny(3000),
        cny(3000),
    )
    bob = rollup.row("bob", "2026-Q1")
    assert (bob.closed, bob.commit, bob.best_case, bob.pipeline, bob.weighted) == (
        cny(0),
        cny(0),
        cny(1500),
        cny(2000),
        cny(1450),
    )
    records = rollup.to_records()
    assert records[0] == {
        "owner": "alice",
        "period": "2026-Q1",
        "closed": Decimal(4000),
        "commit": Decimal("4100.50"),
        "best_case": Decimal("4100.50"),
        "pipeline": Decimal("3100.50"),
        "weighted": Decimal("1380.40"),
        "currency": "CNY",
    }
    assert "Forecast categories by owner, period" in rollup._repr_html_()
    with pytest.raises(ValidationError, match="no row"):
        rollup.row("carol", "2026-Q1")


def test_target_gap_this_quarter(process: SalesProcess) -> None:
    aggregate = ForecastAggregate.of(team(process), process)
    gap = aggregate.target_gap(cny(10_000), period="2026-Q1", owner="alice")
    assert (gap.closed_won, gap.weighted_open, gap.gap) == (
        cny(4000),
        cny("1380.40"),
        cny("4619.60"),
    )
    assert not gap.reached
    commit = aggregate.target_gap(cny(10_000), period="2026-Q1", owner="alice", basis="commit")
    assert (commit.commit_open, commit.gap) == (cny("100.50"), cny("5899.50"))
    team_gap = aggregate.target_gap(cny(10_000), period="2026-Q1")
    assert team_gap.gap == cny("3169.60")
    smb = aggregate.target_gap(cny(1000), department="smb")
    assert smb.gap == cny(-200)
    assert smb.reached
    assert gap.to_records()[0]["gap"] == Decimal("4619.60")
    assert "Target gap" in gap._repr_html_()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"target": Money(1, "USD")}, CurrencyMismatch, "not in the forecast's currency"),
        ({"target": 1000}, ValidationError, "target: expected Money"),
        ({"target": cny(1), "basis": "hope"}, ValidationError, "basis"),
    ],
)
def test_target_gap_refuses_bad_input(
    process: SalesProcess, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    aggregate = ForecastAggregate.of(team(process), process)
    with pytest.raises(error, match=message):
        aggregate.target_gap(**kwargs)  # type: ignore[arg-type]


def test_missing_close_dates_are_reported_not_dropped(process: SalesProcess) -> None:
    records = [
        *team(process),
        OpportunityRecord("r10", "bob", "qualify", cny(900)),
        OpportunityRecord("r0", "bob", "qualify", cny(100)),
    ]
    aggregate = ForecastAggregate.of(records, process)
    by_period = aggregate.table(("owner", "period"))
    assert by_period.missing_close_date == 2
    assert by_period.missing_ids == ("r0", "r10")
    assert by_period.row("bob", None).amount == cny(1000)
    assert by_period.to_records()[-1]["period"] == "(no close date)"
    assert "2 without a close date" in by_period._repr_html_()
    assert aggregate.table("stage").missing_close_date == 0
    with pytest.raises(
        ValidationError, match=r"2 opportunities have no expected close date \(e.g. r0, r10\)"
    ):
        aggregate.table("period", strict=True)
    with pytest.raises(ValidationError, match="no expected close date"):
        aggregate.categories(strict=True)
    assert aggregate.missing_close_date == (2, ("r0", "r10"))


def test_only_a_sample_of_missing_ids_is_kept(process: SalesProcess) -> None:
    records = [OpportunityRecord(f"m{i:03d}", "bob", "qualify", cny(1)) for i in range(100)]
    aggregate = ForecastAggregate.of(reversed(records), process)
    assert aggregate.missing_close_date == (100, tuple(f"m{i:03d}" for i in range(10)))


def test_unknown_stage_is_refused_and_nothing_is_added(process: SalesProcess) -> None:
    aggregate = ForecastAggregate.of(team(process), process)
    before = aggregate.table(("owner", "period"))
    bad = [OpportunityRecord("x1", "bob", "closing", cny(1), date(2026, 1, 1))]
    with pytest.raises(ValidationError, match=r"unknown stage 'closing' \(1 records\)"):
        aggregate.add_all([*team(process), *bad])
    assert aggregate.table(("owner", "period")) == before
    with pytest.raises(ValidationError, match="unknown stage"):
        aggregate.add(bad[0])


def test_mixed_currencies_need_rates(process: SalesProcess) -> None:
    records = [
        *team(process),
        OpportunityRecord("u1", "bob", "proposal", Money(100, "USD"), date(2026, 1, 5)),
    ]
    with pytest.raises(CurrencyMismatch, match=r"'u1'.*100.00 USD is not in CNY.*rates="):
        weighted_forecast(records, process)
    table = weighted_forecast(records, process, by="owner", rates={"USD": "7.1"})
    assert table.row("bob").amount == cny(2710)
    assert table.row("bob").weighted == cny(1876)
    with pytest.raises(CurrencyMismatch, match="no conversion rate for USD"):
        weighted_forecast(records, process, rates={"EUR": "7.8"})
    with pytest.raises(ValidationError, match="float"):
        weighted_forecast(records, process, rates={"USD": 7.1})
    with pytest.raises(ValidationError, match=r"rates\[USD\]: must be > 0"):
        weighted_forecast(records, process, rates={"USD": "0"})
    usd = weighted_forecast(records, process, by="owner", currency="USD", rates={"CNY": "0.5"})
    assert usd.row("bob").amount == Money(1100, "USD")


@pytest.mark.parametrize("value", ["-1", "100.01", "250"])
def test_probabilities_outside_0_to_100_are_refused(value: str) -> None:
    with pytest.raises(
        ValidationError, match="probability_override: must be between 0 % and 100 %"
    ):
        OpportunityRecord("x", "bob", "qualify", cny(1), probability_override=Percent(value))
    with pytest.raises(ValidationError, match="must be between 0 % and 100 %"):
        OpportunityRecord("x", "bob", "qualify", cny(1), probability_override=value)  # type: ignore[arg-type]


def test_records_refuse_negative_or_non_money_amounts() -> None:
    with pytest.raises(ValidationError, match="amount: must be >= 0"):
        OpportunityRecord("x", "bob", "qualify", cny(-1))
    with pytest.raises(ValidationError, match="amount: expected Money"):
        OpportunityRecord("x", "bob", "qualify", Decimal(1))  # type: ignore[arg-type]


def test_to_records_and_html(process: SalesProcess) -> None:
    table = weighted_forecast(team(process), process, by=("owner", "period"))
    records = table.to_records()
    assert records[0] == {
        "owner": "alice",
        "period": "2026-Q1",
        "count": 4,
        "amount": Decimal("3900.50"),
        "weighted_amount": Decimal("1380.40"),
        "currency": "CNY",
    }
    assert len(records) == len(table.rows)
    assert table.total_records() == [
        {
            "owner": None,
            "period": None,
            "count": 7,
            "amount": Decimal("8900.50"),
            "weighted_amount": Decimal("5530.40"),
            "currency": "CNY",
        }
    ]
    html = table._repr_html_()
    assert html.startswith("<table><caption>Weighted pipeline by owner, period</caption>")
    assert '<td style="text-align:right">5,530.40</td>' in html


def test_an_empty_forecast(process: SalesProcess) -> None:
    aggregate = ForecastAggregate(process)
    aggregate.add_all([])
    table = aggregate.table("owner")
    assert table.rows == ()
    assert table.total.count == 0
    assert table.total.amount.currency.code == "XXX"
    assert aggregate.record_count == 0
    gap = aggregate.target_gap(cny(100))
    assert gap.gap == cny(100)
    everything = aggregate.table(())
    assert everything.to_records() == []
    assert everything.total_records() == [
        {"count": 0, "amount": Decimal(0), "weighted_amount": Decimal(0), "currency": "XXX"}
    ]


def test_bad_dimension_and_bad_merges(process: SalesProcess) -> None:
    aggregate = ForecastAggregate.of(team(process), process)
    with pytest.raises(ValidationError, match="unknown dimension 'region'"):
        aggregate.table("region")
    monthly = ForecastAggregate.of(team(process), process, period="month")
    with pytest.raises(ValidationError, match="same sales process and period"):
        aggregate.merge(monthly)
    usd = ForecastAggregate.of(
        [OpportunityRecord("u", "bob", "qualify", Money(1, "USD"))], process
    )
    with pytest.raises(CurrencyMismatch, match="CNY and USD"):
        aggregate.merge(usd)
    converted = ForecastAggregate.of(team(process), process, rates={"USD": "7"})
    with pytest.raises(ValidationError, match="different conversion rates"):
        aggregate.merge(converted)
    assert aggregate != "aggregate"


# -- properties -------------------------------------------------------------------------------
PROCESS_STAGES = ("qualify", "needs", "proposal", "negotiation", "legal_review", "contract")

records_strategy = st.lists(
    st.builds(
        OpportunityRecord,
        id=st.text("abcdefgh", min_size=1, max_size=4),
        owner=st.sampled_from(["alice", "bob", "carol"]),
        stage=st.sampled_from(PROCESS_STAGES),
        amount=st.decimals(0, 10_000_000, places=2).map(cny),
        expected_close=st.none() | st.dates(date(2025, 1, 1), date(2027, 12, 31)),
        department=st.sampled_from([None, "smb", "enterprise"]),
        probability_override=st.none() | st.decimals(0, 100, places=1).map(Percent),
        category=st.none() | st.sampled_from(ForecastCategory),
        status=st.sampled_from(OpportunityStatus),
    ),
    max_size=40,
)


@given(records=records_strategy, seed=st.integers(0, 2**32), parts=st.integers(1, 4))
def test_merging_partitions_equals_one_pass(
    process: SalesProcess, records: list[OpportunityRecord], seed: int, parts: int
) -> None:
    rng = random.Random(seed)
    partitions: list[list[OpportunityRecord]] = [[] for _ in range(parts)]
    for record in records:
        partitions[rng.randrange(parts)].append(record)
    whole = ForecastAggregate.of(records, process)
    merged = ForecastAggregate(process)
    for partition in partitions:
        merged = merged + ForecastAggregate.of(partition, process)
    assert merged == whole
    for by in (("stage",), ("owner", "period"), ("department", "category")):
        assert merged.table(by) == whole.table(by)
    assert merged.categories() == whole.categories()


@given(records=records_strategy)
def test_weighted_never_exceeds_amount_and_rows_sum_to_total(
    process: SalesProcess, records: list[OpportunityRecord]
) -> None:
    table = weighted_forecast(records, process, by=("owner", "stage"))
    for row in (*table.rows, table.total):
        assert Decimal(0) <= row.weighted.amount <= row.amount.amount
    assert sum(r.weighted.amount for r in table.rows) == table.total.weighted.amount
    assert sum(r.count for r in table.rows) == table.total.count
    open_records = [r for r in records if r.status is OpportunityStatus.OPEN]
    assert table.total.count == len(open_records)


def test_a_callers_generator_keeps_its_own_decimal_context(process: SalesProcess) -> None:
    def export() -> object:
        for i in range(3):
            third = Decimal(1) / Decimal(3)  # inexact: must not trip the forecast's traps
            yield OpportunityRecord(f"g{i}", "bob", "qualify", cny(str(third)), date(2026, 1, 1))

    table = weighted_forecast(export(), process)  # type: ignore[arg-type]
    assert table.total.amount == cny("0.9999999999999999999999999999")


def test_sums_that_cannot_stay_exact_are_refused(process: SalesProcess) -> None:
    records = [
        OpportunityRecord("big", "bob", "qualify", cny("1" + "0" * 17), date(2026, 1, 1)),
        OpportunityRecord("tiny", "bob", "qualify", cny("0.00000000000000001"), date(2026, 1, 1)),
    ]
    aggregate = ForecastAggregate(process)
    with pytest.raises(ValidationError, match="more than 34 significant digits"):
        aggregate.add_all(records)
    assert aggregate.record_count == 0


def test_html_escapes_names(process: SalesProcess) -> None:
    records = [OpportunityRecord("x", "<b>eve</b>", "qualify", cny(1), date(2026, 1, 1))]
    html = weighted_forecast(records, process, by="owner")._repr_html_()
    assert "&lt;b&gt;eve&lt;/b&gt;" in html
    assert "<b>eve" not in html


def test_streaming_in_batches_equals_one_batch(process: SalesProcess) -> None:
    records = [
        *team(process),
        OpportunityRecord("r11", "alice", "qualify", cny(1000), date(2026, 1, 20)),
        OpportunityRecord(
            "r12", "alice", "proposal", cny(10), date(2026, 2, 2), probability_override=Percent(5)
        ),
    ]
    batched = ForecastAggregate(process)
    for record in records:
        batched.add(record)
    assert batched == ForecastAggregate.of(records, process)
    assert batched.record_count == 11
    doubled = batched + batched
    assert doubled.table(("owner", "period")).total.weighted == cny("11261.80")
    assert batched.table(("owner", "period")).total.weighted == cny("5630.90")


def test_partial_aggregates_travel_between_workers_by_pickle(process: SalesProcess) -> None:
    import pickle

    partial = ForecastAggregate.of(team(process), process)
    copy = pickle.loads(pickle.dumps(partial))
    assert copy == partial
    assert (copy + partial).table("owner").total.count == 14

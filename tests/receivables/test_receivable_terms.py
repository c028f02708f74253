"""Payment terms: due-date reference points, exact schedules, refused configurations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ConfigError, ValidationError
from crmcore.money import Money
from crmcore.receivables import (
    DueKind,
    DueRule,
    EarlyDiscount,
    PaymentTerms,
    Portion,
    PortionKind,
    TermLine,
)
from crmcore.serialization import from_dict
from tests.receivables.rcv_support import TERMS_30_50_20, cny


def test_net_30_from_31_january_is_2_march() -> None:
    assert DueRule.net(30).due_date(date(2022, 1, 31)) == date(2022, 3, 2)


def test_day_10_of_the_month_after_anchor_plus_30_days() -> None:
    rule = DueRule(DueKind.DAY_OF_MONTH_AFTER, days=30, day=10)
    assert rule.due_date(date(2023, 12, 12)) == date(2024, 2, 10)


def test_day_31_is_clamped_to_29_february() -> None:
    rule = DueRule(DueKind.DAY_OF_MONTH_AFTER, days=30, day=31)
    assert rule.due_date(date(2023, 12, 12)) == date(2024, 2, 29)


def test_days_after_month_end_and_end_of_month_after() -> None:
    assert DueRule(DueKind.DAYS_AFTER_MONTH_END, days=30).due_date(date(2024, 1, 15)) == date(
        2024, 3, 1
    )
    assert DueRule(DueKind.END_OF_MONTH_AFTER, months=1).due_date(date(2024, 1, 31)) == date(
        2024, 2, 29
    )


def test_dates_come_from_the_anchor_never_chained() -> None:
    terms = PaymentTerms(
        "monthly",
        [
            TermLine(Portion.percent(50), DueRule(DueKind.END_OF_MONTH_AFTER, months=m))
            for m in (1, 2)
        ],
    )
    plan = terms.schedule(cny(100), date(2024, 1, 31))
    assert [i.due_date for i in plan] == [date(2024, 2, 29), date(2024, 3, 31)]


def test_30_50_20_on_200_is_60_100_40() -> None:
    plan = TERMS_30_50_20.schedule(cny(200), date(2024, 1, 1))
    assert [i.amount for i in plan] == [cny(60), cny(100), cny(40)]
    assert [i.due_date for i in plan] == [date(2024, 1, 1), date(2024, 1, 31), date(2024, 3, 1)]


def test_last_installment_takes_the_residual() -> None:
    thirds = PaymentTerms(
        "thirds",
        [
            TermLine(Portion.percent("33.33"), DueRule.net(0)),
            TermLine(Portion.percent("33.33"), DueRule.net(30)),
            TermLine(Portion.balance(), DueRule.net(60)),
        ],
    )
    plan = thirds.schedule(cny(100), date(2024, 1, 1))
    assert [i.amount for i in plan] == [cny("33.33"), cny("33.33"), cny("33.34")]


def test_fixed_deposit_then_balance() -> None:
    terms = PaymentTerms(
        "deposit",
        [
            TermLine(Portion.fixed(500), DueRule.net(0)),
            TermLine(Portion.balance(), DueRule.net(30)),
        ],
    )
    assert [i.amount for i in terms.schedule(cny(1200), date(2024, 1, 1))] == [cny(500), cny(700)]


def test_a_schedule_with_a_zero_installment_is_refused() -> None:
    terms = PaymentTerms(
        "deposit",
        [
            TermLine(Portion.fixed(500), DueRule.net(0)),
            TermLine(Portion.balance(), DueRule.net(30)),
        ],
    )
    with pytest.raises(ValidationError, match=r"installment 2 would be 0\.00 CNY"):
        terms.schedule(cny(500), date(2024, 1, 1))
    with pytest.raises(ValidationError, match="installment 2 would be -100"):
        terms.schedule(cny(400), date(2024, 1, 1))


def test_a_tiny_amount_rounding_an_installment_to_zero_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"installment 1 would be 0\.00 CNY"):
        TERMS_30_50_20.schedule(cny("0.01"), date(2024, 1, 1))


def test_fixed_lines_that_do_not_cover_the_amount_are_refused() -> None:
    terms = PaymentTerms(
        "two fixed",
        [
            TermLine(Portion.fixed(100), DueRule.net(0)),
            TermLine(Portion.fixed(100), DueRule.net(9)),
        ],
    )
    assert [i.amount for i in terms.schedule(cny(200), date(2024, 1, 1))] == [cny(100), cny(100)]
    with pytest.raises(ValidationError, match="lines cover 200 of 300"):
        terms.schedule(cny(300), date(2024, 1, 1))


@pytest.mark.parametrize("amount", [cny(0), cny(-5), cny("1.005")])
def test_bad_amounts_are_refused(amount: Money) -> None:
    with pytest.raises(ValidationError, match="amount"):
        TERMS_30_50_20.schedule(amount, date(2024, 1, 1))


def test_percents_must_make_100_or_end_with_a_balance() -> None:
    with pytest.raises(ValidationError, match=r"percents add up to 90 %"):
        PaymentTerms("bad", [TermLine(Portion.percent(90), DueRule.net(0))])
    with pytest.raises(ValidationError, match="more than 100 %"):
        PaymentTerms(
            "bad",
            [
                TermLine(Portion.percent(90), DueRule.net(0)),
                TermLine(Portion.percent(20), DueRule.net(0)),
            ],
        )
    with pytest.raises(ValidationError, match=r"lines\[0\].portion: only the last line"):
        PaymentTerms(
            "bad",
            [
                TermLine(Portion.balance(), DueRule.net(0)),
                TermLine(Portion.percent(20), DueRule.net(0)),
            ],
        )
    with pytest.raises(ValidationError, match="at least one line"):
        PaymentTerms("empty", [])


def test_bad_portions_and_rules_are_refused() -> None:
    with pytest.raises(ValidationError, match="takes no value"):
        Portion(PortionKind.BALANCE, Decimal(1))
    with pytest.raises(ValidationError, match="value: required"):
        Portion(PortionKind.FIXED)
    with pytest.raises(ValidationError, match="must be > 0"):
        Portion.fixed(0)
    with pytest.raises(ValidationError, match="<= 100"):
        Portion.percent(101)
    with pytest.raises(ValidationError, match=r"day: must be 1\.\.31"):
        DueRule(DueKind.DAY_OF_MONTH_AFTER, days=30, day=32)
    with pytest.raises(ValidationError, match="only day_of_month_after takes a day"):
        DueRule(DueKind.DAYS_AFTER, day=3)
    with pytest.raises(ValidationError, match="float"):
        Portion.percent(0.5)  # type: ignore[arg-type]


def test_early_payment_discount() -> None:
    terms = PaymentTerms(
        "2/10 net 30", [TermLine(Portion.balance(), DueRule.net(30), EarlyDiscount(2, 10))]
    )
    (inst,) = terms.schedule(cny(1000), date(2024, 1, 1))
    assert inst.discount_until == date(2024, 1, 11)
    assert inst.early_payment_discount(date(2024, 1, 11)) == cny(20)
    assert inst.early_payment_discount(date(2024, 1, 12)) == cny(0)
    assert inst.early_payment_discount(date(2024, 1, 5), cny(500)) == cny(10)
    (plain,) = PaymentTerms.net(30).schedule(cny(10), date(2024, 1, 1))
    assert plain.early_payment_discount(date(2024, 1, 1)) == cny(0)


def test_terms_load_from_plain_data() -> None:
    terms = from_dict(
        PaymentTerms,
        {
            "name": "30/70 day 10",
            "lines": [
                {"portion": {"kind": "percent", "value": "30"}, "due": {"kind": "days_after"}},
                {
                    "portion": {"kind": "balance"},
                    "due": {"kind": "day_of_month_after", "days": 30, "day": 10},
                    "discount": {"percent": "1.5", "days": 5},
                },
            ],
        },
    )
    plan = terms.schedule(cny(1000), date(2023, 12, 12))
    assert [(i.amount, i.due_date) for i in plan] == [
        (cny(300), date(2023, 12, 12)),
        (cny(700), date(2024, 2, 10)),
    ]


def test_bad_terms_data_names_the_path() -> None:
    with pytest.raises(ConfigError) as info:
        from_dict(
            PaymentTerms,
            {
                "name": "x",
                "lines": [
                    {
                        "portion": {"kind": "balance"},
                        "due": {"kind": "day_of_month_after", "day": 40},
                    }
                ],
            },
        )
    assert any(p.startswith("lines[0].due") for p in info.value.problems), info.value.problems


@given(
    amount=st.integers(min_value=100, max_value=10_000_000),
    percents=st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=3),
    days=st.lists(st.integers(min_value=0, max_value=400), min_size=4, max_size=4),
    anchor=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
)
def test_schedules_sum_exactly_and_never_chain(
    amount: int, percents: list[int], days: list[int], anchor: date
) -> None:
    lines = [
        TermLine(Portion.percent(p), DueRule.net(d)) for p, d in zip(percents, days, strict=False)
    ]
    lines.append(TermLine(Portion.balance(), DueRule.net(days[-1])))
    money = Money.of_minor(amount, "CNY")
    plan = PaymentTerms("p", lines).schedule(money, anchor)
    assert sum((i.amount for i in plan), cny(0)) == money
    assert all(i.amount.amount > 0 and i.amount.is_rounded for i in plan)
    for inst, line in zip(plan, lines, strict=True):
        assert inst.due_date == line.due.due_date(anchor)

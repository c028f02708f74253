"""Property tests of the money kernel: allocation is exact and fair, no float gets in."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.testing import strategies as cst


@given(cst.money(extra_places=3), cst.weights())
def test_allocate_sums_exactly_and_each_part_is_within_one_minor_unit(
    money: Money, weights: list[Decimal]
) -> None:
    parts = money.allocate(weights)
    rounded = money.round()
    assert len(parts) == len(weights)
    assert sum(parts, Money.zero(money.currency)) == rounded
    unit = Fraction(money.currency.quantum)
    total = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part.is_rounded
        exact = Fraction(rounded.amount) * Fraction(weight) / total
        assert abs(Fraction(part.amount) - exact) < unit
        if weight == 0:
            assert part.amount == 0


@given(cst.money(min_value=0), st.integers(min_value=1, max_value=30))
def test_equal_weights_differ_by_at_most_one_unit_and_larger_parts_come_first(
    money: Money, n: int
) -> None:
    parts = money.allocate([1] * n)
    amounts = [p.amount for p in parts]
    assert max(amounts) - min(amounts) <= money.currency.quantum
    assert amounts == sorted(amounts, reverse=True)


@given(cst.money(), cst.weights())
def test_allocating_the_negative_is_the_negative_of_the_allocation(
    money: Money, weights: list[Decimal]
) -> None:
    assert (-money).allocate(weights) == [-p for p in money.allocate(weights)]


@given(cst.money(), cst.money())
def test_addition_is_exact_and_commutative(a: Money, b: Money) -> None:
    if a.currency != b.currency:
        b = Money(b.amount, a.currency)
    assert a + b == b + a
    assert (a + b) - b == a
    assert (a + b).amount == a.amount + b.amount


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_is_ever_accepted(value: float) -> None:
    for build in (
        lambda: Money(value, "CNY"),  # type: ignore[arg-type]
        lambda: Percent(value),  # type: ignore[arg-type]
        lambda: Money(1, "CNY") * value,  # type: ignore[operator]
        lambda: Money(1, "CNY").allocate([1, value]),  # type: ignore[list-item]
    ):
        with pytest.raises(ValidationError, match="float"):
            build()


@given(cst.money(extra_places=4))
def test_round_is_idempotent_and_close(money: Money) -> None:
    rounded = money.round()
    assert rounded.round() == rounded
    assert abs(rounded.amount - money.amount) <= money.currency.quantum / 2

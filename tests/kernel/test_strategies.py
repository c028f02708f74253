"""The published Hypothesis strategies produce what they promise."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given

from crmcore.money import Currency, Money, Percent
from crmcore.testing import strategies as cst


@given(cst.currencies())
def test_currencies(currency: Currency) -> None:
    assert currency.code in cst.COMMON_CURRENCIES


@given(cst.money(currency="JPY", min_value=0, max_value=100))
def test_money_in_a_currency_with_bounds(money: Money) -> None:
    assert money.currency.code == "JPY"
    assert Decimal(0) <= money.amount <= Decimal(100)
    assert money.is_rounded


@given(cst.money(extra_places=2))
def test_money_with_extra_places(money: Money) -> None:
    assert money.amount.as_tuple().exponent >= -(money.currency.minor_units + 2)  # type: ignore[operator]


@given(cst.percents())
def test_percents_default_to_0_100(percent: Percent) -> None:
    assert percent.is_between(0, 100)


@given(cst.weights(min_size=2, max_size=5, allow_zero=False))
def test_weights(weights: list[Decimal]) -> None:
    assert 2 <= len(weights) <= 5
    assert all(w > 0 for w in weights)

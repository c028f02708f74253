"""Currencies from CLDR (with host overrides) and exact percentages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, Percent, get_currency, register_currency
from crmcore.money._currency import _OVERRIDES, _REGISTRY


@pytest.mark.parametrize(("code", "minor"), [("JPY", 0), ("CNY", 2), ("BHD", 3), ("KRW", 0)])
def test_minor_units_come_from_cldr(code: str, minor: int) -> None:
    currency = get_currency(code)
    assert currency.minor_units == minor
    assert currency.quantum == Decimal(1).scaleb(-minor)
    assert get_currency(currency) is currency
    assert repr(currency) == f"Currency({code!r}, minor_units={minor})"


def test_a_host_registers_a_currency_and_overrides_minor_units() -> None:
    try:
        xts = register_currency("XTS", 4)
        assert Money("1.23456", "XTS").round() == Money("1.2346", "XTS")
        huf = register_currency("HUF", 0)
        assert huf.minor_units == 0
        assert Money("10.5", "HUF").round() == Money(11, "HUF")
        assert xts == Currency("XTS", 9)  # equal by code
    finally:
        for code in ("XTS", "HUF"):
            _OVERRIDES.pop(code, None)
            _REGISTRY.pop(code, None)
    assert get_currency("HUF").minor_units == 2


@pytest.mark.parametrize(
    ("code", "minor", "message"),
    [
        ("xts", 2, "three upper-case"),
        ("XTS", -1, "0..8"),
        ("XTS", 9, "0..8"),
        ("XTS", "2", "0..8"),
    ],
)
def test_register_currency_refuses_bad_input(code: str, minor: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        register_currency(code, minor)  # type: ignore[arg-type]
    assert "XTS" not in _OVERRIDES


def test_percent_is_a_percentage_not_a_fraction() -> None:
    assert Percent("12.5").fraction == Decimal("0.125")
    assert Percent(10).value == Decimal(10)
    assert Percent.from_fraction("0.125") == Percent("12.5")
    assert Percent(Percent("3")) == Percent(3)
    assert Percent("12.50") == Percent("12.5")
    assert hash(Percent("12.50")) == hash(Percent("12.5"))
    assert str(Percent("12.50")) == "12.5 %"
    assert repr(Percent("12.5")) == "Percent('12.5')"


def test_percent_order_and_arithmetic() -> None:
    assert Percent(5) < Percent(10) <= Percent(10)
    assert Percent(10) > Percent(5)
    assert Percent(5) + Percent("2.5") == Percent("7.5")
    assert Percent(5) - Percent(7) == Percent(-2)
    assert Percent(50).is_between()
    assert not Percent(101).is_between()
    assert Percent(101).is_between(0, 200)
    assert Percent(5).__lt__(5) is NotImplemented
    assert Percent(5).__add__(5) is NotImplemented  # type: ignore[operator]
    assert Percent(5).__sub__(5) is NotImplemented  # type: ignore[operator]


@pytest.mark.parametrize("bad", [0.1, "x", None, float("inf")])
def test_percent_refuses_floats_and_non_numbers(bad: object) -> None:
    with pytest.raises(ValidationError, match="percent"):
        Percent(bad)  # type: ignore[arg-type]


def test_an_absurd_percent_is_refused_without_printing_all_its_digits() -> None:
    with pytest.raises(ValidationError, match=r"percent: '1e999999' is out of range") as caught:
        Percent("1e999999")
    assert len(str(caught.value)) < 100
    assert Percent("0E+999").value == 0

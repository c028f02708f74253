"""Fuzz the kernel's entry points: Money, Percent, currencies, allocation, rounding, l10n."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmcore.l10n import format_money, parse_money
from crmcore.money import Money, Percent, get_currency
from tests.fuzz.hostile import FUZZ, HOSTILE, HOSTILE_NUMBERS, HOSTILE_TEXT, contained

NUMBERS = st.one_of(HOSTILE_NUMBERS, HOSTILE_TEXT, HOSTILE)
CURRENCIES = st.one_of(st.sampled_from(["CNY", "JPY", "BHD", "XXX"]), HOSTILE)
MODES = st.one_of(st.sampled_from(["ROUND_HALF_UP", "ROUND_DOWN"]), HOSTILE)
BASE = Money("123.45", "CNY")


@FUZZ
@given(amount=NUMBERS, currency=CURRENCIES)
def test_money(amount: Any, currency: Any) -> None:
    contained(lambda: Money(amount, currency))


@FUZZ
@given(code=HOSTILE)
def test_get_currency(code: Any) -> None:
    contained(lambda: get_currency(code))


@FUZZ
@given(value=NUMBERS)
def test_percent_and_from_fraction(value: Any) -> None:
    contained(lambda: Percent(value))
    contained(lambda: Percent.from_fraction(value))


@FUZZ
@given(weights=st.one_of(st.lists(NUMBERS, max_size=5), HOSTILE), mode=MODES)
def test_allocate(weights: Any, mode: Any) -> None:
    contained(lambda: BASE.allocate(weights, mode))


@FUZZ
@given(value=NUMBERS, mode=MODES)
def test_arithmetic_and_rounding(value: Any, mode: Any) -> None:
    contained(lambda: BASE * value)
    contained(lambda: BASE / value)
    contained(lambda: BASE.round(mode))
    contained(lambda: BASE.round_to(value, mode))


@FUZZ
@given(
    text=st.one_of(HOSTILE_TEXT, st.text(max_size=20)),
    locale=st.one_of(HOSTILE_TEXT, st.sampled_from(["zh_CN", "de_DE"])),
)
def test_parse_and_format_money(text: Any, locale: Any) -> None:
    contained(lambda: parse_money(text, "CNY", locale=locale))
    contained(lambda: format_money(BASE, locale=locale))

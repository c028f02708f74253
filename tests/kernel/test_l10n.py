"""Formatting and parsing amounts for people, with an explicit locale."""

from __future__ import annotations

import pytest
from hypothesis import given

from crmcore.errors import ValidationError
from crmcore.l10n import format_money, parse_money
from crmcore.money import Money
from crmcore.testing import strategies as cst


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money("26850000", "CNY"), "zh_CN", "¥26,850,000.00"),
        (Money("26850000", "CNY"), "en_US", "CN¥26,850,000.00"),
        (Money("1234.5", "EUR"), "de_DE", "1.234,50\xa0€"),
        (Money("-5", "USD"), "en_US", "-$5.00"),
        (Money("1234.5", "JPY"), "ja_JP", "￥1,235"),
        (Money("0.0005", "BHD"), "en_US", "BHD0.001"),
    ],
)
def test_format_money(money: Money, locale: str, expected: str) -> None:
    assert format_money(money, locale=locale) == expected


def test_format_money_without_symbol() -> None:
    assert format_money(Money("1234.5", "JPY"), locale="en_US", with_symbol=False) == "1,235"
    assert format_money(Money("1234.5", "BHD"), locale="en_US", with_symbol=False) == "1,234.500"
    assert format_money(Money("1234.5", "CNY"), locale="de_DE", with_symbol=False) == "1.234,50"


def test_unknown_locale_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="'xx_YY' is not a locale"):
        format_money(Money(1, "CNY"), locale="xx_YY")


@pytest.mark.parametrize(
    ("text", "currency", "locale", "expected"),
    [
        ("¥26,850,000.00", "CNY", "zh_CN", Money("26850000", "CNY")),
        ("1.234,50 €", "EUR", "de_DE", Money("1234.5", "EUR")),
        ("-$5.00", "USD", "en_US", Money(-5, "USD")),
        ("($5.00)", "USD", "en_US", Money(-5, "USD")),
        ("5.00-", "USD", "en_US", Money(-5, "USD")),
        ("12", "JPY", "ja_JP", Money(12, "JPY")),
        ("CNY 3", "CNY", "en_US", Money(3, "CNY")),
    ],
)
def test_parse_money(text: str, currency: str, locale: str, expected: Money) -> None:
    assert parse_money(text, currency, locale=locale) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "is not an amount in CNY"),
        ("€5", "is not an amount in CNY"),
        ("1.234", "more decimals than CNY allows"),
        ("1,2,3.4.5", "is not a number in locale en_US"),
        ("", "is not an amount"),
        ("1" * 120, "is out of range"),  # once a raw decimal.InvalidOperation
        ("1" * 19 + ".5", "is out of range"),
    ],
)
def test_parse_money_refuses_what_is_not_an_amount(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_money(text, "CNY", locale="en_US")


def test_parse_money_refuses_non_text() -> None:
    with pytest.raises(ValidationError, match="expected text"):
        parse_money(5, "CNY", locale="en_US")  # type: ignore[arg-type]


@given(cst.money(currency="CNY"))
def test_format_then_parse_round_trips_in_chinese(money: Money) -> None:
    assert parse_money(format_money(money, locale="zh_CN"), "CNY", locale="zh_CN") == money


@given(cst.money(currency="EUR"))
def test_format_then_parse_round_trips_in_german(money: Money) -> None:
    assert parse_money(format_money(money, locale="de_DE"), "EUR", locale="de_DE") == money

"""Issue 15: the kernel's one definition of a number refuses hostile input fast and clearly."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from crmcore._numbers import MAX_DIGITS, MIN_EXPONENT, bounded
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent, register_currency

CNY = "CNY"


def refused_fast(call: Callable[[], Any], match: str) -> None:
    """``call`` raises ValidationError matching ``match`` within a tenth of a second."""
    start = time.perf_counter()
    with pytest.raises(ValidationError, match=match):
        call()
    assert time.perf_counter() - start < 0.1


def test_allocating_over_a_weight_of_ten_to_the_million_is_refused_at_once() -> None:
    # was 35 s of big-integer arithmetic
    refused_fast(
        lambda: Money(100, CNY).allocate([Decimal("1e999999"), 1]),
        r"weights\[0\]: Decimal\('1E\+999999'\) is out of range",
    )


def test_weights_at_both_extremes_are_refused_not_overflowed() -> None:
    # was decimal.Overflow
    refused_fast(
        lambda: Money(100, CNY).allocate([Decimal("1e-999999"), Decimal("1e999999")]),
        r"weights\[0\]: .* out of range",
    )


def test_allocation_stays_exact_at_the_edges_of_the_bounds() -> None:
    smallest = Decimal(1).scaleb(MIN_EXPONENT)
    largest = Decimal(10**MAX_DIGITS - 1)
    start = time.perf_counter()
    parts = Money(100, CNY).allocate([smallest, largest, smallest])
    assert time.perf_counter() - start < 0.1
    assert parts == [Money(0, CNY), Money(100, CNY), Money(0, CNY)]
    assert Money(100, CNY).allocate([Decimal("0E-999999"), 1]) == [Money(0, CNY), Money(100, CNY)]


def test_round_to_a_step_finer_than_the_minor_unit_is_refused() -> None:
    # was decimal.InvalidOperation
    refused_fast(
        lambda: Money(100, CNY).round_to("1e-40"), r"step: '1e-40' is finer than the minor unit"
    )
    assert Money("10.03", CNY).round_to("0.05") == Money("10.05", CNY)


def test_multiplying_by_a_huge_factor_is_refused() -> None:
    # was decimal.Overflow
    refused_fast(lambda: Money(100, CNY) * "1e9999999", r"factor: '1e9999999' is out of range")
    refused_fast(
        lambda: Money("999999999999999999", CNY) * 10, r"multiply: the result .* out of range"
    )
    refused_fast(
        lambda: Money("999999999999999999", CNY) + Money(1, CNY), r"add: the result .*range"
    )


def test_percent_from_a_huge_fraction_is_refused() -> None:
    # was decimal.Overflow
    refused_fast(lambda: Percent.from_fraction("1e999999"), r"fraction: '1e999999' is out of")
    refused_fast(lambda: Percent.from_fraction("1e17"), r"fraction: the result .* out of range")


def test_an_unknown_rounding_mode_is_a_validation_error() -> None:
    # was TypeError from decimal
    for call in (
        lambda: Money(1, CNY).round(rounding="bogus"),
        lambda: Money(1, CNY).round_to("0.05", rounding="bogus"),
        lambda: Money(1, CNY).allocate([1, 1], rounding="bogus"),
    ):
        refused_fast(call, r"rounding: 'bogus' is not a rounding mode; use one of ROUND_05UP")


def test_huge_integers_are_refused_without_printing_them() -> None:
    # 10**4300 raised ValueError while building the message; 10**1000000 took 25 s
    big, huge = 10**4300, 10**1000000
    refused_fast(
        lambda: Money(big, CNY), r"amount: an integer of about 4300 digits is out of range"
    )
    refused_fast(lambda: Money(huge, CNY), r"amount: an integer of about 1000000 digits")
    refused_fast(lambda: Money.of_minor(huge, CNY), r"minor_units: an integer of about 1000000")
    assert Money.of_minor(123, CNY) == Money("1.23", CNY)


def test_a_currency_given_as_a_list_is_a_validation_error() -> None:
    # was TypeError: unhashable type: 'list'
    refused_fast(
        lambda: Money("1", ["CNY"]), r"currency: expected an ISO 4217 code, got \['CNY'\]"
    )


def test_registering_currency_none_is_a_validation_error() -> None:
    refused_fast(lambda: register_currency(None, 2), r"code None must be three upper-case")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text", ["1_000", "١٢", "１２", "12\u0661", "NaN", "Infinity", "1e99999999", "1" * 101]
)
def test_only_ascii_decimal_text_is_a_number(text: str) -> None:
    for call in (lambda: Money(text, CNY), lambda: Percent(text), lambda: bounded_text(text)):
        with pytest.raises(ValidationError):
            call()


def bounded_text(text: str) -> Decimal:
    from crmcore._decimal import to_decimal

    return to_decimal(text, "quantity")


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", "12"), (" -0.5 ", "-0.5"), ("+.25", "0.25"), ("1.2e3", "1.2E+3"), ("7.", "7")],
)
def test_ordinary_numbers_still_read(text: str, value: str) -> None:
    assert bounded_text(text) == Decimal(value)


def test_the_bounds_in_numbers() -> None:
    assert bounded(Decimal("999999999999999999.99"), "") == Decimal("999999999999999999.99")
    with pytest.raises(ValidationError, match=r"x: Decimal\('1E\+18'\) is out of range"):
        bounded(Decimal("1e18"), "x: ")
    with pytest.raises(ValidationError, match=r"no digit finer than 10\*\*-50"):
        bounded(Decimal("1e-51"), "x: ")
    assert bounded(Decimal("0E-999999"), "") == 0

"""Money semantics: exactness, currencies, rounding, allocation, refusal of floats."""

from __future__ import annotations

import copy
import pickle
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, getcontext, localcontext

import pytest

from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Money, Percent, get_currency


def test_equal_amounts_with_different_trailing_zeros_are_equal_and_hash_alike() -> None:
    assert Money("1.0", "CNY") == Money("1.00", "CNY")
    assert hash(Money("1.0", "CNY")) == hash(Money("1.00", "CNY"))
    assert len({Money("1.0", "CNY"), Money("1.00", "CNY"), Money(1, "CNY")}) == 1


def test_same_amount_in_other_currency_is_not_equal() -> None:
    assert Money("1", "CNY") != Money("1", "USD")
    assert Money("1", "CNY") != Decimal(1)
    assert Money("1", "CNY").__eq__("1") is NotImplemented


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(Decimal("12.30"), Decimal("12.30")), (12, Decimal(12)), (" 7.5 ", Decimal("7.5"))],
)
def test_amount_accepts_decimal_int_and_str(amount: object, expected: Decimal) -> None:
    money = Money(amount, "CNY")  # type: ignore[arg-type]
    assert money.amount == expected
    assert money.currency == get_currency("CNY")
    assert str(money.currency) == "CNY"


@pytest.mark.parametrize("bad", [0.1, 1.0, float("nan")])
def test_float_amount_is_refused_with_the_reason(bad: float) -> None:
    with pytest.raises(ValidationError, match=r"float .* refused; floats are inexact"):
        Money(bad, "CNY")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "", "NaN", "Infinity", Decimal("NaN"), True, None, [1]])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError, match="amount"):
        Money(bad, "CNY")  # type: ignore[arg-type]


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match="'ZZZ' is not a current ISO 4217"):
        Money(1, "ZZZ")
    with pytest.raises(ValidationError, match="'cny'"):
        Money(1, "cny")
    with pytest.raises(ValidationError, match="expected an ISO 4217 code"):
        Money(1, 156)  # type: ignore[arg-type]


def test_money_is_immutable() -> None:
    money = Money("5", "CNY")
    with pytest.raises(AttributeError):
        money.amount = Decimal(6)  # type: ignore[misc]
    with pytest.raises(AttributeError):
        money.other = 1  # type: ignore[attr-defined]
    assert money == Money(5, "CNY")


def test_arithmetic_is_exact_and_keeps_currency() -> None:
    a, b = Money("0.10", "CNY"), Money("0.20", "CNY")
    assert a + b == Money("0.30", "CNY")
    assert b - a == Money("0.10", "CNY")
    assert -a == Money("-0.10", "CNY")
    assert +a is a
    assert abs(Money("-3", "JPY")) == Money(3, "JPY")
    assert a * 3 == Money("0.30", "CNY")
    assert 3 * a == Money("0.30", "CNY")
    assert a * Decimal("1.5") == Money("0.15", "CNY")
    assert a * "2" == Money("0.2", "CNY")
    assert Money(200, "CNY") * Percent("12.5") == Money(25, "CNY")
    assert Money(10, "CNY") / 4 == Money("2.5", "CNY")
    assert Money(10, "CNY") / Money(4, "CNY") == Decimal("2.5")


def test_sum_of_money_works_and_an_empty_sum_is_zero() -> None:
    parts = [Money("0.10", "CNY")] * 10
    assert sum(parts) == Money(1, "CNY")
    assert sum([], Money.zero("CNY")) == Money(0, "CNY")


def test_mixing_currencies_raises_currency_mismatch() -> None:
    cny, usd = Money(1, "CNY"), Money(1, "USD")
    for operation in (
        lambda: cny + usd,
        lambda: cny - usd,
        lambda: cny < usd,
        lambda: cny <= usd,
        lambda: cny > usd,
        lambda: cny >= usd,
        lambda: cny / usd,
        lambda: sum([cny, usd]),
    ):
        with pytest.raises(CurrencyMismatch, match="different currencies"):
            operation()


def test_money_does_not_mix_with_plain_numbers() -> None:
    money = Money(1, "CNY")
    with pytest.raises(TypeError, match="Money and int"):
        money + 1  # type: ignore[operator]
    with pytest.raises(TypeError, match="Money and Decimal"):
        Decimal(1) + money  # type: ignore[operator]
    with pytest.raises(TypeError, match="Money by Money"):
        money * money  # type: ignore[operator]
    with pytest.raises(ValidationError, match="float"):
        money * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        assert money < 1  # type: ignore[operator]


def test_division_by_zero_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="by zero"):
        Money(1, "CNY") / 0
    with pytest.raises(ValidationError, match="by zero"):
        Money(1, "CNY") / Money(0, "CNY")


def test_comparisons_order_by_amount() -> None:
    small, big = Money("9.99", "CNY"), Money(10, "CNY")
    assert small < big
    assert small <= big
    assert big > small
    assert big >= small
    assert big >= Money("10.00", "CNY")
    assert sorted([big, small]) == [small, big]
    assert max(small, big) == big
    assert not Money.zero("CNY")
    assert Money("0.01", "CNY")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.5", "JPY", "3"),
        ("-2.5", "JPY", "-3"),
        ("1.005", "CNY", "1.01"),
        ("1.0045", "BHD", "1.005"),
        ("1.00049", "BHD", "1.000"),
        ("33.333333", "USD", "33.33"),
    ],
)
def test_round_uses_minor_units_and_half_up_by_default(
    amount: str, currency: str, expected: str
) -> None:
    rounded = Money(amount, currency).round()
    assert rounded.amount == Decimal(expected)
    assert rounded.amount.as_tuple().exponent == -get_currency(currency).minor_units
    assert round(Money(amount, currency)) == rounded


def test_round_with_an_explicit_mode() -> None:
    assert Money("2.675", "USD").round(ROUND_HALF_EVEN) == Money("2.68", "USD")
    assert Money("2.665", "USD").round(ROUND_HALF_EVEN) == Money("2.66", "USD")
    assert Money("2.679", "USD").round(ROUND_DOWN) == Money("2.67", "USD")


def test_cash_rounding_to_a_step() -> None:
    assert Money("10.03", "CHF").round_to("0.05") == Money("10.05", "CHF")
    assert Money("10.02", "CHF").round_to("0.05") == Money("10.00", "CHF")
    assert Money("10.49", "CNY").round_to(1) == Money(10, "CNY")
    assert Money("10.04", "CNY").round_to("0.1", ROUND_DOWN) == Money("10.0", "CNY")
    with pytest.raises(ValidationError, match="step"):
        Money(1, "CNY").round_to(0)


def test_minor_units_and_is_rounded() -> None:
    assert Money("12.34", "CNY").minor_units == 1234
    assert Money("12.345", "CNY").minor_units == 1235
    assert Money("-1.5", "JPY").minor_units == -2
    assert Money.of_minor(1234, "CNY") == Money("12.34", "CNY")
    assert Money.of_minor(7, "BHD") == Money("0.007", "BHD")
    assert Money("12.30", "CNY").is_rounded
    assert not Money("12.301", "CNY").is_rounded
    with pytest.raises(ValidationError, match="expected int"):
        Money.of_minor("12", "CNY")  # type: ignore[arg-type]


def test_arithmetic_ignores_the_hosts_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        total = Money("1234.56", "CNY") + Money("0.01", "CNY")
        product = Money("1234.56", "CNY") * Decimal("1.13")
    assert total == Money("1234.57", "CNY")
    assert product == Money("1395.0528", "CNY")
    assert getcontext().prec == 28


def test_pickle_and_copy_keep_the_value() -> None:
    money = Money("12.34", "BHD")
    assert pickle.loads(pickle.dumps(money)) == money
    assert copy.copy(money) is money
    assert copy.deepcopy(money) is money


def test_repr_str_and_format() -> None:
    money = Money("1234.5", "CNY")
    assert repr(money) == "Money('1234.5', 'CNY')"
    assert str(money) == "1234.50 CNY"
    assert f"{money}" == "1234.50 CNY"
    assert f"{money:,.2f}" == "1,234.50 CNY"


def test_str_shows_the_minor_units_and_never_rounds() -> None:
    assert str(Money(200, "CNY")) == "200.00 CNY"
    assert str(Money.zero("CNY")) == "0.00 CNY"
    assert str(Money("0.0125", "CNY")) == "0.0125 CNY"
    assert str(Money(1500, "JPY")) == "1500 JPY"
    assert str(Money("1.5", "BHD")) == "1.500 BHD"
    assert str(Money("-3", "CNY")) == "-3.00 CNY"


# -- allocation ---------------------------------------------------------------------------------


def test_allocate_three_ways_gives_the_extra_cent_to_the_first() -> None:
    assert Money(100, "CNY").allocate([1, 1, 1]) == [
        Money("33.34", "CNY"),
        Money("33.33", "CNY"),
        Money("33.33", "CNY"),
    ]


def test_allocate_a_negative_amount_mirrors_the_positive_one() -> None:
    assert Money(-100, "CNY").allocate([1, 1, 1]) == [
        Money("-33.34", "CNY"),
        Money("-33.33", "CNY"),
        Money("-33.33", "CNY"),
    ]


def test_allocate_gives_the_leftover_to_the_largest_remainders() -> None:
    # 10.00 by 3:7:... exact shares 0.77, 2.31 (rem .0769...), 6.92 (rem .3077)
    parts = Money(10, "USD").allocate([1, 3, 9])
    assert parts == [Money("0.77", "USD"), Money("2.31", "USD"), Money("6.92", "USD")]
    # exact shares 3.333.., 6.666..: the larger remainder (the second) gets the extra cent
    assert Money(10, "USD").allocate(["1", "2"]) == [Money("3.33", "USD"), Money("6.67", "USD")]


def test_allocate_with_zero_weights_gives_those_parts_zero() -> None:
    assert Money(1000, "JPY").allocate([0, 1, 2]) == [
        Money(0, "JPY"),
        Money(333, "JPY"),
        Money(667, "JPY"),
    ]


def test_allocate_rounds_the_amount_first_and_sums_to_it() -> None:
    parts = Money("10.005", "CNY").allocate([1, 1])
    assert parts == [Money("5.01", "CNY"), Money("5.00", "CNY")]
    assert sum(parts) == Money("10.005", "CNY").round()


def test_allocate_by_money_weights_and_decimal_weights() -> None:
    nets = [Money(500, "CNY"), Money(1000, "CNY")]
    assert Money(100, "CNY").allocate(nets) == [Money("33.33", "CNY"), Money("66.67", "CNY")]
    assert Money(1, "BHD").allocate([Decimal("0.5"), Decimal("0.25"), Decimal("0.25")]) == [
        Money("0.500", "BHD"),
        Money("0.250", "BHD"),
        Money("0.250", "BHD"),
    ]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([0, 0], "must not all be zero"),
        ([], "at least one weight"),
        ([1, -1], r"weights\[1\] is -1"),
        ([1, 0.5], r"weights\[1\]: float"),
        ([Money(1, "USD")], "is not in CNY"),
    ],
)
def test_allocate_refuses_bad_weights(weights: list[object], message: str) -> None:
    with pytest.raises((ValidationError, CurrencyMismatch), match=message):
        Money(1, "CNY").allocate(weights)  # type: ignore[arg-type]


def test_amounts_beyond_a_quintillion_are_refused_with_the_reason() -> None:
    assert Money("999999999999999999.99", "CNY").round() == Money("999999999999999999.99", "CNY")
    for amount in ("1E+40", Decimal("1E+18"), 10**18, "-1000000000000000000"):
        with pytest.raises(ValidationError, match=r"out of range; numbers must be below 10\*\*18"):
            Money(amount, "CNY")  # type: ignore[arg-type]


def test_arithmetic_that_grows_too_large_says_so() -> None:
    with pytest.raises(ValidationError, match=r"multiply: the result .* is out of range"):
        Money("999999999999999999", "CNY") * Decimal("1E+10")


def test_a_zero_with_a_large_exponent_is_just_zero() -> None:
    assert Money(Decimal("0E+32"), "CNY") == Money.zero("CNY")

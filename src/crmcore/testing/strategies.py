"""Hypothesis strategies for crmcore's types, for your own property tests.

>>> from hypothesis import given
>>> from crmcore.testing import strategies as cst
>>> @given(cst.money(currency="CNY", min_value="0", max_value="1000"))
... def test_never_negative(m): assert m.amount >= 0
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from crmcore.money import Currency, Money, Percent, get_currency

__all__ = ["amounts", "currencies", "money", "percents", "weights"]

#: A spread of currencies with 0, 2 and 3 minor units.
COMMON_CURRENCIES = ("CNY", "USD", "EUR", "JPY", "KRW", "BHD", "KWD", "GBP", "CHF", "INR")


def currencies(codes: tuple[str, ...] = COMMON_CURRENCIES) -> st.SearchStrategy[Currency]:
    """Currencies drawn from ``codes`` (by default a mix of 0, 2 and 3 minor units)."""
    return st.sampled_from(codes).map(get_currency)


def amounts(
    min_value: Decimal | int | str = "-1000000",
    max_value: Decimal | int | str = "1000000",
    places: int = 2,
) -> st.SearchStrategy[Decimal]:
    """Decimals in ``[min_value, max_value]`` with at most ``places`` decimals."""
    return st.decimals(
        min_value=Decimal(min_value),
        max_value=Decimal(max_value),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


@st.composite
def money(
    draw: st.DrawFn,
    currency: str | Currency | None = None,
    min_value: Decimal | int | str = "-1000000",
    max_value: Decimal | int | str = "1000000",
    extra_places: int = 0,
) -> Money:
    """Money in ``currency`` (or a drawn one) with the currency's decimals.

    ``extra_places`` adds digits below the minor unit, for testing rounding.
    """
    cur = get_currency(currency) if currency is not None else draw(currencies())
    amount = draw(amounts(min_value, max_value, cur.minor_units + extra_places))
    return Money(amount, cur)


def percents(
    min_value: Decimal | int | str = 0, max_value: Decimal | int | str = 100, places: int = 2
) -> st.SearchStrategy[Percent]:
    """Percents in ``[min_value, max_value]`` (0–100 % by default)."""
    return amounts(min_value, max_value, places).map(Percent)


def weights(
    min_size: int = 1, max_size: int = 12, allow_zero: bool = True
) -> st.SearchStrategy[list[Decimal]]:
    """Lists of non-negative Decimal weights, never all zero."""
    low = Decimal(0) if allow_zero else Decimal("0.01")
    element = amounts(low, "10000", 2)
    return st.lists(element, min_size=min_size, max_size=max_size).filter(
        lambda ws: any(w > 0 for w in ws)
    )

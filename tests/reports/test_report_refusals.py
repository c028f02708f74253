"""Bad input is refused with a specific error naming the value: mixed currencies, bad periods,
unknown groupings, bad rates — and currencies are converted only with explicit rates."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Money
from crmcore.receivables import Receivable
from crmcore.reports import (
    ReportCurrency,
    campaign_report,
    collections_by_period,
    match_receivables,
    orders_by_customer,
    orders_by_tier,
    sales_by_owner,
    sales_report,
)
from tests.reports.report_support import ANN, BOB, TERMS, at, cny, lead, pool, sale, utc

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 4, 1)}
AS_OF = date(2026, 3, 31)


def mixed() -> list[tuple[object, Receivable]]:
    cny_sale = sale("C-1", ANN, customer="acme", widgets=3, on=at(2), department="east")
    usd_sale = sale(
        "U-1", BOB, customer="globex", widgets=2, on=at(3), department="east", currency="USD"
    )
    return [cny_sale, usd_sale]


def test_mixed_currencies_are_refused() -> None:
    sales = mixed()
    with pytest.raises(
        CurrencyMismatch, match=r"order U-1: 40.00 USD is not in the report currency CNY"
    ):
        sales_by_owner(sales, **MARCH, as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(CurrencyMismatch, match="USD"):
        orders_by_customer([o for o, _ in sales], **MARCH)  # type: ignore[misc]
    with pytest.raises(
        CurrencyMismatch, match=r"C-1: 300.00 CNY is not in the report currency USD"
    ):
        sales_by_owner(sales, **MARCH, as_of=AS_OF, currency="USD")  # type: ignore[arg-type]


def test_rates_convert_each_order_then_add() -> None:
    sales = mixed()
    report = sales_by_owner(sales, **MARCH, as_of=AS_OF, currency="CNY", rates={"USD": "7.1234"})  # type: ignore[arg-type]
    # 40.00 USD × 7.1234 = 284.936 → 284.94 CNY, rounded once per order
    assert report.row("bob").confirmed_total == cny("284.94")
    assert report.total is not None
    assert report.total.confirmed_total == cny("584.94")
    tiers = orders_by_tier([o for o, _ in sales], **MARCH, currency="CNY", rates={"USD": "7.1234"})  # type: ignore[misc]
    assert tiers.total is not None
    assert tiers.total.total == cny("584.94")


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"rates \['USD'\]: give the report currency"):
        ReportCurrency(None, {"USD": "7"})
    with pytest.raises(ValidationError, match=r"rates\['USD'\]: must be > 0, got '0'"):
        ReportCurrency("CNY", {"USD": "0"})
    with pytest.raises(ValidationError, match="float"):
        ReportCurrency("CNY", {"USD": 7.1})
    assert ReportCurrency("CNY", {}).rates == {}


@pytest.mark.parametrize(
    ("start", "end", "as_of", "message"),
    [
        (
            date(2026, 4, 1),
            date(2026, 3, 1),
            AS_OF,
            "start 2026-04-01 must be before end 2026-03-01",
        ),
        (date(2026, 3, 1), date(2026, 3, 1), AS_OF, "must be before end"),
        (date(2026, 3, 1), date(2026, 4, 1), date(2026, 2, 28), "as_of 2026-02-28 is before"),
        (datetime(2026, 3, 1), date(2026, 4, 1), AS_OF, "start: expected a date"),
        (date(2026, 3, 1), "2026-04-01", AS_OF, "end: expected a date"),
        (date(2026, 3, 1), date(2026, 4, 1), datetime(2026, 3, 31), "as_of: expected a date"),
    ],
)
def test_bad_periods_are_refused(start: object, end: object, as_of: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        sales_by_owner([], start=start, end=end, as_of=as_of)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=message):
        campaign_report([], [], [], start=start, end=end, as_of=as_of)  # type: ignore[arg-type]


def test_bad_period_for_the_customer_report() -> None:
    with pytest.raises(ValidationError, match="must be before end"):
        orders_by_customer([], start=date(2026, 4, 1), end=date(2026, 3, 1))


def test_unknown_grouping_and_inputs_are_refused() -> None:
    with pytest.raises(ValidationError, match="by: 'region' is not one of owner, department"):
        sales_report([], by="region", **MARCH, as_of=AS_OF)
    with pytest.raises(ValidationError, match="sale: expected an Order"):
        sales_by_owner([("SO-1", None)], **MARCH, as_of=AS_OF)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="orders: expected an Order"):
        orders_by_customer(["SO-1"], **MARCH)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="leads: expected a Lead"):
        campaign_report(["L1"], [], [], **MARCH, as_of=AS_OF)  # type: ignore[list-item]


def test_a_receivable_in_another_currency_than_its_order() -> None:
    (order, _), (_, usd_receivable) = mixed()
    with pytest.raises(
        CurrencyMismatch, match="order C-1: its receivable AR-U-1 is in USD, the order in CNY"
    ):
        sales_by_owner([(order, usd_receivable)], **MARCH, as_of=AS_OF)  # type: ignore[list-item]


def test_receivables_given_twice_are_refused() -> None:
    (order, receivable), _ = mixed()
    with pytest.raises(ValidationError, match="id 'AR-C-1' given twice"):
        list(match_receivables([order], [receivable, receivable], lambda o: f"AR-{o.id}"))  # type: ignore[list-item]


def test_collections_refusals() -> None:
    (_, cny_r), (_, usd_r) = mixed()
    with pytest.raises(ValidationError, match="by: 'owner' is not a period"):
        collections_by_period([cny_r], as_of=AS_OF, by="owner")
    with pytest.raises(ValidationError, match="period '2026-3': not a month label like '2000-01'"):
        collections_by_period([cny_r], as_of=AS_OF, targets={"2026-3": cny(1)})
    with pytest.raises(ValidationError, match="period '2026-Q5': not a quarter label"):
        collections_by_period(
            [cny_r], as_of=AS_OF, by="quarter", owner_targets={("ann", "2026-Q5"): cny(1)}
        )
    with pytest.raises(ValidationError, match="period '2026-13'"):
        collections_by_period([cny_r], as_of=AS_OF, targets={"2026-13": cny(1)})
    with pytest.raises(
        CurrencyMismatch, match=r"collections in 2026-03: .*USD is not in the report currency CNY"
    ):
        collections_by_period([cny_r, usd_r], as_of=AS_OF)
    with pytest.raises(CurrencyMismatch, match=r"targets\['2026-03'\]: 5.00 USD"):
        collections_by_period(
            [cny_r], as_of=AS_OF, targets={"2026-03": Money("5.00", "USD")}, currency="CNY"
        )
    with pytest.raises(CurrencyMismatch, match="owner_targets"):
        collections_by_period(
            [cny_r], as_of=AS_OF, owner_targets={("ann", "2026-03"): Money(5, "USD")}
        )
    with pytest.raises(CurrencyMismatch, match="receivables in USD cannot count towards them"):
        collections_by_period(
            [cny_r, usd_r],
            as_of=AS_OF,
            currency="CNY",
            rates={"USD": "7"},
            owner_targets={("ann", "2026-03"): cny(5)},
        )


def test_collections_convert_with_rates() -> None:
    (_, cny_r), (_, usd_r) = mixed()
    cny_r.record_payment(ANN, cny(300), received_on=date(2026, 3, 5), at=at(5))
    report = collections_by_period([cny_r, usd_r], as_of=AS_OF, currency="CNY", rates={"USD": "7"})
    assert report.total is not None
    assert report.total.received == cny(0)


def test_campaign_report_needs_a_currency_when_no_amount_tells_it() -> None:
    p = pool()
    only = lead("L1", "expo", utc(1), p)
    with pytest.raises(ValidationError, match="give currency="):
        campaign_report([only], [], [], **MARCH, as_of=AS_OF)
    report = campaign_report([only], [], [], **MARCH, as_of=AS_OF, currency="CNY")
    assert report.row("expo").leads == 1
    assert report.row("expo").order_amount == cny(0)


def test_terms_are_shared() -> None:
    assert TERMS.name == "net 30"

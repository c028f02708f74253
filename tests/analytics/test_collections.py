"""The collections forecast on columns equals the record path, merges, and refuses what it
cannot forecast."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.analytics import Installments
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Money
from crmcore.receivables import InstallmentRecord, PaymentBehaviour, collections_forecast

AS_OF = date(2026, 6, 30)
CUSTOMERS = ["acme", "zen", "北方", "dot"]

record = st.builds(
    InstallmentRecord,
    owner=st.sampled_from(["ann", "bo"]),
    customer=st.sampled_from(CUSTOMERS),
    department=st.sampled_from([None, "east"]),
    due_date=st.dates(AS_OF - timedelta(days=120), AS_OF + timedelta(days=200)),
    issue_date=st.just(AS_OF - timedelta(days=150)),
    outstanding=st.builds(
        Money,
        st.decimals(min_value=-500, max_value=10**7, places=2, allow_nan=False),
        st.just("CNY"),
    ),
)
delays = st.lists(st.integers(-10, 60), min_size=1, max_size=9)
behaviours = st.dictionaries(st.sampled_from(CUSTOMERS), delays).map(
    lambda found: {c: PaymentBehaviour.from_delays(c, d) for c, d in found.items()}
)
priors = st.tuples(st.integers(-5, 5), st.integers(-10, 0), st.integers(0, 40))


@given(
    st.lists(record, max_size=40),
    behaviours,
    st.sampled_from(["month", "week"]),
    st.sampled_from([None, "owner", "customer", "department"]),
    priors,
)
def test_columnar_collections_forecast_equals_the_record_path(
    rows: list[InstallmentRecord],
    behaviour: dict[str, PaymentBehaviour],
    by: str,
    group: str | None,
    prior: tuple[int, int, int],
) -> None:
    options = {"by": by, "group": group, "behaviour": behaviour, "prior": prior}
    expected = collections_forecast(rows, AS_OF, **options)  # type: ignore[arg-type]
    columns = Installments.from_records(rows)
    assert columns.collections_forecast(AS_OF, **options) == expected  # type: ignore[arg-type]
    assert columns.collections_forecast(AS_OF, **options).rows == expected.rows  # type: ignore[arg-type]
    # partitions forecast on their own and added equal one pass
    half = len(rows) // 2
    parts = [Installments.from_records(rows[:half]), Installments.from_records(rows[half:])]
    merged = sum(p.collections_forecast(AS_OF, **options) for p in parts)  # type: ignore[arg-type]
    assert merged.rows == expected.rows


def test_a_forecast_by_hand_from_arrow_and_pandas() -> None:
    """acme pays 10 days late (median; 2 early, 30 late), zen has no history (prior 0, 0,
    14). acme's 1,000.00 due 2026-06-25 is expected 2026-07-05 (July), early 06-27 → as_of's
    June, late 07-25 (July); zen's 500.50 due 07-20 → July, late 08-03 (August); a paid row
    (0.00) and a credit note (−20.00) are not expected cash."""
    table = pa.table(
        {
            "Account Name": ["acme", "zen", "acme", "zen"],
            "Account Owner": ["ann", "bo", "ann", "bo"],
            "Due": ["2026-06-25", "2026-07-20", "2026-07-01", "2026-08-01"],
            "Invoice Date": ["2026-05-25"] * 4,
            "Open Amount": ["1,000.00", "500.50", "0.00", "-20.00"],
        }
    )
    acme = PaymentBehaviour.from_delays("acme", [2, 5, 10, 10, 30])
    assert (acme.median_days_late, acme.p10_days_late, acme.p90_days_late) == (10, 2, 30)
    columns = Installments.from_arrow(table, currency="CNY", locale="en")
    forecast = columns.collections_forecast(AS_OF, behaviour={"acme": acme}, group="owner")
    rows = {
        (r.group, r.period): (r.installments, r.expected, r.early, r.late) for r in forecast.rows
    }
    cny = lambda a: Money(a, "CNY")  # noqa: E731
    assert rows == {
        ("ann", "2026-06"): (0, cny(0), cny("1000.00"), cny(0)),
        ("ann", "2026-07"): (1, cny("1000.00"), cny(0), cny("1000.00")),
        ("bo", "2026-07"): (1, cny("500.50"), cny("500.50"), cny(0)),
        ("bo", "2026-08"): (0, cny(0), cny(0), cny("500.50")),
    }
    frame = table.to_pandas()
    again = Installments.from_pandas(frame, currency="CNY", locale="en")
    assert again.collections_forecast(AS_OF, behaviour={"acme": acme}, group="owner") == forecast
    weekly = columns.collections_forecast(AS_OF, by="week", behaviour={"acme": acme})
    # acme: 06-30 (early, as_of) and Sunday 07-05 in ISO week 27, late 07-25 in 30;
    # zen: Monday 07-20 in week 30, late Monday 08-03 in week 32
    assert [r.period for r in weekly.rows] == ["2026-W27", "2026-W30", "2026-W32"]
    assert weekly.row("2026-W27").expected == cny("1000.00")
    assert (weekly.row("2026-W30").expected, weekly.row("2026-W30").late) == (
        cny("500.50"),
        cny("1000.00"),
    )


def test_refusals_and_empty_input() -> None:
    usd = InstallmentRecord("ann", "acme", None, AS_OF, AS_OF, Money(5, "USD"))
    cny = InstallmentRecord("ann", "acme", None, AS_OF, AS_OF, Money(5, "CNY"))
    with pytest.raises(CurrencyMismatch, match="CNY, USD: the forecast is in one currency"):
        Installments.from_records([usd, cny]).collections_forecast(AS_OF)
    with pytest.raises(CurrencyMismatch, match="installment of acme is in USD"):
        collections_forecast([cny, usd], AS_OF)
    with pytest.raises(ValidationError, match="by: 'day' is not one of week, month"):
        Installments.from_records([cny]).collections_forecast(AS_OF, by="day")
    with pytest.raises(ValidationError, match="expected Receivable or InstallmentRecord"):
        collections_forecast(["AR-1"], AS_OF)  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="records: expected InstallmentRecord, got str"):
        Installments.from_records(["AR-1"])  # type: ignore[list-item]
    empty = Installments.from_records([]).collections_forecast(AS_OF)
    assert empty == collections_forecast([], AS_OF)
    assert empty.rows == ()
    whole = Installments.from_records(
        [InstallmentRecord("ann", "acme", None, AS_OF, AS_OF, Money(Decimal("1E+3"), "CNY"))]
    )
    assert whole.frame["outstanding"].to_list() == [Decimal(1000)]

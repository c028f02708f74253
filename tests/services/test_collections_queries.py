"""Collections through the services: the cash forecast, DSO and late payers over the
receivables a user may see (finance sees every one, a salesperson their own)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from crmcore.errors import ValidationError
from tests.services.helpers import ANN, BOB, FAY, USERS, World, cny, memory_world, sqlite_world

MKT = next(u for u in USERS if u.id == "mkt").as_actor()


def _pay(world: World, receivable_id: str, amount: str, on: date) -> None:
    crm = world.crm
    payment = crm.receivables.record_payment(ANN, receivable_id, cny(amount), received_on=on)
    crm.receivables.confirm_payment(FAY, receivable_id, payment.id)


def _history(world: World) -> None:
    """acme (Ann's): three 1,000.00 receivables issued 1 Jan, 1 Feb and 1 Mar 2026, each due
    half on issue and half 30 days later; the January one paid 10 days late on both
    installments (11 Jan and 10 Feb). zen (Bob's): 400.00 issued 1 Mar, due at once."""
    crm = world.crm
    for month in (1, 2, 3):
        crm.receivables.open(
            FAY,
            customer="acme",
            owner_id="ann",
            amount=cny("1000.00"),
            issue_date=date(2026, month, 1),
            receivable_id=f"AR-acme-{month}",
        )
    crm.receivables.open(
        FAY,
        customer="zen",
        owner_id="bob",
        amount=cny("400.00"),
        issue_date=date(2026, 3, 1),
        receivable_id="AR-zen",
    )
    _pay(world, "AR-acme-1", "500.00", date(2026, 1, 11))
    _pay(world, "AR-acme-1", "500.00", date(2026, 2, 10))


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    made = memory_world() if request.param == "memory" else sqlite_world(tmp_path)
    _history(made)
    return made


def test_the_collections_forecast_shifts_each_installment_by_its_customers_delay(
    world: World,
) -> None:
    q = world.crm.queries
    forecast = q.collections_forecast(FAY, date(2026, 3, 2), by="month", group="customer")
    # acme pays 10 days late (median of two settled installments): Feb's first half (due
    # 1 Feb, now late) and March's first half (due 1 Mar, late) fall in March, the as_of month;
    # Feb's second half (due 3 Mar) + 10 days → March; March's second half (due 31 Mar) + 10
    # days → April. zen has no history and default terms (net 30, due 31 Mar): the prior
    # delays (0, 0, 14 days) put its 400.00 in March, and in April in the late band.
    cells = {(r.group, r.period): (r.expected, r.late) for r in forecast.rows}
    assert cells == {
        ("acme", "2026-03"): (cny("1500.00"), cny("1500.00")),
        ("acme", "2026-04"): (cny("500.00"), cny("500.00")),
        ("zen", "2026-03"): (cny("400.00"), cny("0.00")),
        ("zen", "2026-04"): (cny("0.00"), cny("400.00")),
    }
    mine = q.collections_forecast(ANN, date(2026, 3, 2), group="customer")
    assert {r.group for r in mine.rows} == {"acme"}
    assert q.collections_forecast(BOB, date(2026, 3, 2)).row("2026-03").expected == cny("400.00")


def test_dso_and_late_payers_follow_the_same_rule(world: World) -> None:
    q = world.crm.queries
    dso = {r.key: r.days for r in q.days_sales_outstanding(FAY, date(2026, 3, 31)).rows}
    # acme owes 2,000.00 on 31 Mar: March's sales (1,000.00, 31 days) and February's
    # (1,000.00, 28 days) cover it → 59 days. zen owes 400.00 of March's 400.00 → 31 days.
    assert dso == {"acme": Decimal("59.0"), "zen": Decimal("31.0")}
    assert {r.key for r in q.days_sales_outstanding(BOB, date(2026, 3, 31)).rows} == {"zen"}
    (acme,) = q.late_payers(FAY, date(2026, 3, 31), min_settled=2)
    assert (acme.rank, acme.behaviour.customer, acme.behaviour.median_days_late) == (1, "acme", 10)
    assert q.late_payers(BOB, date(2026, 3, 31), min_settled=1) == []


def test_bad_arguments_are_named_and_visibility_applies(world: World) -> None:
    q = world.crm.queries
    with pytest.raises(ValidationError, match="as_of: expected date or None, got str"):
        q.collections_forecast(FAY, "2026-03-02")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="by"):
        q.collections_forecast(FAY, date(2026, 3, 2), by="year")
    with pytest.raises(ValidationError, match="by"):
        q.days_sales_outstanding(FAY, date(2026, 3, 2), by="planet")
    with pytest.raises(ValidationError, match="min_settled"):
        q.late_payers(FAY, date(2026, 3, 2), min_settled=0)
    # marketing owns no receivable and has no grant on them: it sees nothing
    assert q.late_payers(MKT, date(2026, 3, 31), min_settled=1) == []
    assert q.collections_forecast(MKT, date(2026, 3, 2)).rows == ()

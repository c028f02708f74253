"""``python -m crmcore demo``: the lead-to-cash story on memory and SQLite, deterministic for a
seed, continued on a second run, in both locales, with figures that match the stored data."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.cli import COMMANDS
from crmcore.cli._demo import DEFAULT_DB, compute_figures, run_demo
from crmcore.cli._demo_company import MonthIds, month_start, months_stored, next_month
from crmcore.cli._main import main
from crmcore.l10n import format_money
from crmcore.leads import Lead
from crmcore.money import Money
from crmcore.orders import Order, OrderStatus
from crmcore.receivables import Receivable
from crmcore.services import KINDS
from tests.cli.cli_helpers import run

AS_OF = date(2026, 2, 15)


def test_demo_is_a_registered_command() -> None:
    assert "demo" in [c.name for c in COMMANDS]


def test_the_same_seed_prints_the_same_story_and_another_seed_another(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = run(capsys, "demo", "--memory", "--seed", "7")
    second = run(capsys, "demo", "--memory", "--seed", "7")
    other = run(capsys, "demo", "--memory", "--seed", "8")
    assert (first.code, first.err) == (0, "")
    assert first.out == second.out
    assert first.out != other.out
    assert "crmcore demo: month 1 (Jan 2026), seed 7, as of Feb 15, 2026" in first.out
    for section in ("Weighted forecast", "Receivables summary", "Aging by owner", "To-do lists"):
        assert section in first.out
    for section in ("Sales per employee", "Sales per department", "Campaigns"):
        assert section in first.out


def test_the_story_has_every_step_the_issue_asks_for() -> None:
    storage = MemoryDatabase(KINDS)
    summary = run_demo(storage, seed=3, locale="en_US", out=io.StringIO())
    assert summary.leads == 240
    assert sorted(summary.routed) == ["east", "north"]
    assert summary.claimed > 0
    assert summary.converted > 0
    assert summary.won > 0
    assert summary.needed_approval > 0
    assert len(summary.rejected) == 1
    assert summary.shipped > 0
    assert summary.confirmed > 0
    assert len(summary.payment_rejected) == 1
    assert summary.issued > 0
    assert len(summary.returns) == 1
    assert summary.reminders
    with storage.unit_of_work() as uow:
        orders = uow.repository(Order).find()
        rejected = uow.repository(Order).get(summary.rejected[0])
    assert "OrderRejected" in [e.event_name for e in rejected.history]
    assert rejected.status is not OrderStatus.DRAFT
    assert {o.status for o in orders} >= {
        OrderStatus.CONFIRMED,
        OrderStatus.RECEIVED,
        OrderStatus.COMPLETED,
        OrderStatus.CANCELLED,
    }


def test_the_printed_totals_match_the_stored_aggregates() -> None:
    storage = MemoryDatabase(KINDS)
    out = io.StringIO()
    run_demo(storage, seed=5, locale="en_US", out=out)
    text = out.getvalue()
    with storage.unit_of_work() as uow:
        orders = uow.repository(Order).find()
        receivables = uow.repository(Receivable).find()
    zero = Money.zero("CNY")
    confirmed = sum(
        (
            o.grand_total
            for o in orders
            if o.confirmed_at is not None
            and o.status is not OrderStatus.CANCELLED
            and o.grand_total is not None
        ),
        zero,
    )
    balances = [r.balance(AS_OF) for r in receivables]
    received = sum((b.received for b in balances), zero)
    outstanding = sum((b.outstanding for b in balances), zero)
    figures = compute_figures(storage, AS_OF)
    assert figures.by_owner.total is not None
    assert figures.by_owner.total.confirmed_total == confirmed
    assert figures.by_owner.total.received == received
    assert figures.outstanding == outstanding
    assert figures.by_department.total is not None
    assert figures.by_department.total.confirmed_total == confirmed
    assert figures.by_department.total.received == received
    for money in (confirmed, received, outstanding):
        assert format_money(money, locale="en_US") in text
    assert confirmed.amount > Decimal(0)


def test_a_second_run_on_the_same_file_plays_the_next_month(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "demo.sqlite3"
    first = run(capsys, "demo", "--db", db)
    second = run(capsys, "demo", "--db", db, "--locale", "zh_CN")
    assert (first.code, second.code) == (0, 0), second.err
    assert "month 1 (Jan 2026)" in first.out
    assert "第 2 个月（2026年2月），随机种子 1，截至 2026年3月15日，区域设置 zh_CN" in second.out
    storage = SqliteDatabase(db, KINDS)
    try:
        assert months_stored(storage) == 2
        with storage.unit_of_work() as uow:
            leads = uow.repository(Lead).find()
            orders = uow.repository(Order).find()
        assert len(leads) == 480
        assert {o.id[:4] for o in orders} == {"SO1-", "SO2-"}
    finally:
        storage.close()


def test_sqlite_and_memory_tell_the_same_story(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    memory = run(capsys, "demo", "--memory", "--seed", "2")
    sqlite = run(capsys, "demo", "--db", tmp_path / "d.sqlite3", "--seed", "2")
    assert memory.out == sqlite.out


def test_the_default_file_is_created_in_the_current_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(capsys, "demo", "--as-of", "2026-03-31")
    assert result.code == 0, result.err
    assert (tmp_path / DEFAULT_DB).exists()
    assert "as of Mar 31, 2026" in result.out


def test_both_locales_format_money_their_way(capsys: pytest.CaptureFixture[str]) -> None:
    english = run(capsys, "demo", "--memory", "--locale", "en_US")
    chinese = run(capsys, "demo", "--memory", "--locale", "zh_CN")
    assert "CN¥" in english.out
    assert "CN¥" not in chinese.out
    assert "¥" in chinese.out
    assert "应收账款汇总" in chinese.out
    assert english.out.replace("CN¥", "¥").count("¥") == chinese.out.count("¥")


def test_an_as_of_before_the_month_ends_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run(capsys, "demo", "--memory", "--as-of", "2026-01-10")
    assert result.code == 2
    assert "--as-of 2026-01-10: must be on or after 2026-01-29" in result.err
    bad = run(capsys, "demo", "--memory", "--as-of", "soon")
    assert bad.code == 2
    assert "not a date" in bad.err


def test_a_file_that_is_not_a_database_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    result = run(capsys, "demo", "--db", junk)
    assert result.code == 1
    assert "crmcore demo:" in result.err
    assert "Traceback" not in result.err


def test_month_arithmetic_and_ids() -> None:
    assert [month_start(m) for m in (1, 12, 13)] == [
        date(2026, 1, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert next_month(date(2026, 12, 31)) == date(2027, 1, 1)
    ids = MonthIds(3)
    assert [ids.new_id("order"), ids.new_id("order"), ids.new_id("payment")] == [
        "SO3-0001",
        "SO3-0002",
        "PAYMENT3-0001",
    ]


@pytest.mark.parametrize("seed", [0, 20])
def test_awkward_seeds_play_two_months(seed: int) -> None:
    """Seeds whose stories once hit the corners: an order wholly returned (nothing left to
    pay) and a one-unit line shipped in the "first part" of a split shipment."""
    storage = MemoryDatabase(KINDS)
    months = [run_demo(storage, seed=seed, locale="en_US", out=io.StringIO()) for _ in (1, 2)]
    assert [m.month for m in months] == [1, 2]


def test_demo_on_a_postgresql_database_that_does_not_exist_says_so(capsys, postgres_conninfo):
    import psycopg

    server = psycopg.conninfo.conninfo_to_dict(postgres_conninfo)
    where = f"host={server.get('host', '')}&port={server.get('port', 5432)}"
    code = main(["demo", "--db", f"postgresql://postgres@/no_such_db?{where}"])
    err = capsys.readouterr().err
    assert code != 0
    assert 'database "no_such_db" does not exist' in err

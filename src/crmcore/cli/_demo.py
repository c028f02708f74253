"""``python -m crmcore demo``: the whole lead-to-cash story on generated data, then the figures.

Each run plays one month of the story (`crmcore.cli._demo_story`) of the company of
`crmcore.cli._demo_company` through the services, on a SQLite file (default
``./crmcore-demo.sqlite3``) or in memory (``--memory``), then prints the weighted forecast,
the receivables summary and aging, the to-do lists and the reports over everything stored,
with money formatted for ``--locale``. A second run on the same file plays the next month
with new ids and reports on both.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final, TextIO

import attrs

from crmcore.adapters.memory import MemoryDatabase
from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.cli._demo_company import (
    CURRENCY,
    USERS,
    build_crm,
    month_start,
    months_stored,
    next_month,
)
from crmcore.cli._demo_story import MonthSummary, play_month
from crmcore.cli._forecast import DEFAULT_PROCESS
from crmcore.cli._input import UsageError
from crmcore.cli._output import text_table
from crmcore.cli._registry import Command
from crmcore.forecast import Opportunity, weighted_forecast
from crmcore.l10n import format_money
from crmcore.leads import Lead
from crmcore.money import Money
from crmcore.orders import Order
from crmcore.ports import Storage
from crmcore.receivables import Receivable, Reminder, aging
from crmcore.reports import (
    CampaignReport,
    SalesReport,
    campaign_report,
    match_receivables,
    sales_by_department,
    sales_by_owner,
)
from crmcore.services import KINDS, Crm, receivable_id_of
from crmcore.testing.fakes import FixedClock

__all__ = ["COMMAND", "DEFAULT_DB", "DemoFigures", "compute_figures", "run_demo"]

DEFAULT_DB: Final = "crmcore-demo.sqlite3"
#: The plain-text ``--help`` of the command (the module docstring is for developers).
DESCRIPTION: Final = (
    "Play one month of a small company's lead-to-cash work on generated data, through the "
    "services: leads routed and claimed, opportunities, orders with discounts and "
    "approvals, shipments, payments confirmed by finance, invoices, overdue reminders. Then "
    "print the weighted forecast, the receivables summary and aging, the to-do lists and "
    f"the reports over everything stored. The data is kept in ./{DEFAULT_DB} (or --db "
    "PATH, or --memory); each further run on the same file plays the next month. The same "
    "--seed tells the same story. Exit status: 0 done, 1 bad input, 2 usage error."
)
Format = Callable[[Money], str]
LOCALES: Final = ("en_US", "zh_CN")

_TITLES: Final = {
    "en_US": {
        "forecast": "Weighted forecast of the open pipeline (by stage)",
        "summary": "Receivables summary",
        "aging": "Aging by owner",
        "todo": "To-do lists",
        "owner": "Sales per employee (orders confirmed so far)",
        "department": "Sales per department",
        "campaign": "Campaigns",
        "notifications": "Notifications sent this run",
    },
    "zh_CN": {
        "forecast": "加权预测（按阶段）",
        "summary": "应收账款汇总",
        "aging": "账龄分析（按负责人）",
        "todo": "待办事项",
        "owner": "员工销售业绩",
        "department": "部门销售业绩",
        "campaign": "市场活动",
        "notifications": "本次运行发出的通知",
    },
}


@attrs.frozen
class DemoFigures:
    """The figures the demo prints, computed from everything stored (for the tests too)."""

    as_of: date
    receivables: int
    amount: Money
    received: Money
    pending_confirmation: Money
    outstanding: Money
    overdue: Money
    by_owner: SalesReport
    by_department: SalesReport
    campaigns: CampaignReport


def _open(args: argparse.Namespace) -> Storage:
    if args.memory:
        return MemoryDatabase(KINDS)
    path = Path(args.db)
    return SqliteDatabase(path, KINDS)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--db",
        default=DEFAULT_DB,
        metavar="PATH",
        help=f"the SQLite file to keep the demo in (default ./{DEFAULT_DB}); a second run "
        "on the same file plays the next month",
    )
    where.add_argument("--memory", action="store_true", help="keep everything in memory")
    parser.add_argument(
        "--seed", type=int, default=1, help="the random seed (default 1): same seed, same story"
    )
    parser.add_argument("--locale", choices=LOCALES, default="en_US", help="money formatting")
    parser.add_argument(
        "--as-of",
        type=_parse_date,
        default=None,
        metavar="DATE",
        help="the date the reports are as of and reminders are sent for (default: the 15th "
        "of the month after the month played)",
    )


def run(args: argparse.Namespace) -> int:
    storage = _open(args)
    try:
        run_demo(storage, seed=args.seed, locale=args.locale, as_of=args.as_of, out=sys.stdout)
    finally:
        close = getattr(storage, "close", None)
        if close is not None:
            close()
    return 0


def run_demo(
    storage: Storage,
    *,
    seed: int,
    locale: str,
    as_of: date | None = None,
    out: TextIO,
    storage_name: str = "",
) -> MonthSummary:
    """Play the next month on ``storage`` and print the report to ``out``."""
    month = months_stored(storage) + 1
    start = month_start(month)
    report_day = as_of if as_of is not None else next_month(start) + timedelta(days=14)
    if report_day < start + timedelta(days=28):
        raise UsageError(
            f"--as-of {report_day.isoformat()}: must be on or after "
            f"{(start + timedelta(days=28)).isoformat()}, the end of month {month} played now"
        )
    clock = FixedClock(datetime(start.year, start.month, 1, 8, tzinfo=UTC))
    crm, notifier = build_crm(storage, month, clock)
    summary = play_month(crm, clock, seed, month, report_day)
    figures = compute_figures(storage, report_day)
    _print(out, crm, summary, figures, locale, seed, dict(notifier.topics))
    return summary


def compute_figures(storage: Storage, as_of: date) -> DemoFigures:
    """The receivables summary and the reports over everything stored, on ``as_of``."""
    with storage.unit_of_work() as uow:
        orders = sorted(uow.repository(Order).find(), key=lambda o: o.id)
        receivables = sorted(uow.repository(Receivable).find(), key=lambda r: r.id)
        leads = sorted(uow.repository(Lead).find(), key=lambda lead: lead.id)
        opportunities = sorted(uow.repository(Opportunity).find(), key=lambda o: o.id)
    balances = [r.balance(as_of) for r in receivables]

    def total(figure: str) -> Money:
        return sum((getattr(b, figure) for b in balances), Money.zero(CURRENCY))

    sales = list(
        match_receivables(orders, receivables, receivable_id=lambda o: receivable_id_of(o.id))
    )
    start, end = month_start(1), as_of + timedelta(days=1)
    return DemoFigures(
        as_of,
        len(receivables),
        total("net_amount"),
        total("received"),
        total("pending_confirmation"),
        total("outstanding"),
        total("overdue_amount"),
        sales_by_owner(sales, start=start, end=end, as_of=as_of, currency=CURRENCY),
        sales_by_department(sales, start=start, end=end, as_of=as_of, currency=CURRENCY),
        campaign_report(
            leads, opportunities, sales, start=start, end=end, as_of=as_of, currency=CURRENCY
        ),
    )


def _section(out: TextIO, title: str) -> None:
    out.write(f"\n== {title} ==\n")


def _print(
    out: TextIO,
    crm: Crm,
    s: MonthSummary,
    f: DemoFigures,
    locale: str,
    seed: int,
    topics: dict[str, int],
) -> None:
    titles = _TITLES[locale]

    def m(value: Money) -> str:
        return format_money(value, locale=locale)

    out.write(
        f"crmcore demo: month {s.month} ({s.start:%Y-%m}), seed {seed}, "
        f"as of {f.as_of.isoformat()}, locale {locale}\n"
    )
    routed = ", ".join(f"{pool} {n}" for pool, n in sorted(s.routed.items()))
    out.write(
        f"This month: {s.leads} leads captured and routed ({routed}); {s.claimed} claimed, "
        f"{s.returned} returned to the pool, {s.converted} converted.\n"
        f"{s.opportunities} opportunities: {s.won} won, {s.lost} lost. {s.orders} orders: "
        f"{s.needed_approval} needed approval, rejected and resubmitted: "
        f"{', '.join(s.rejected) or 'none'}; cancelled: {', '.join(s.cancelled) or 'none'}.\n"
        f"{s.shipped} shipped, {s.received} received; {s.payments} payments recorded, "
        f"{s.confirmed} confirmed, rejected: {', '.join(s.payment_rejected) or 'none'}; "
        f"{s.invoices} invoices requested, {s.issued} issued; returns: "
        f"{', '.join(s.returns) or 'none'}; {s.completed} orders completed.\n"
    )

    with crm.storage.unit_of_work() as uow:
        opportunities = sorted(uow.repository(Opportunity).find(), key=lambda o: o.id)
        receivables = sorted(uow.repository(Receivable).find(), key=lambda r: r.id)
    records = [o.to_record() for o in opportunities]
    _section(out, titles["forecast"])
    table = weighted_forecast(records, DEFAULT_PROCESS, "stage", currency=CURRENCY)
    rows = [[str(r.key[0]), str(r.count), m(r.amount), m(r.weighted.round())] for r in table.rows]
    rows.append(
        ["total", str(table.total.count), m(table.total.amount), m(table.total.weighted.round())]
    )
    out.write(text_table(["stage", "open", "amount", "weighted"], rows, 3))

    _section(out, titles["summary"])
    out.write(
        text_table(
            ["figure", "amount"],
            [
                ["receivables", str(f.receivables)],
                ["net amount", m(f.amount)],
                ["received", m(f.received)],
                ["pending confirmation", m(f.pending_confirmation)],
                ["outstanding", m(f.outstanding)],
                ["overdue", m(f.overdue)],
            ],
            1,
        )
    )

    _section(out, f"{titles['aging']}, {f.as_of.isoformat()}")
    report = aging(receivables, f.as_of, group_by="owner")
    rows = [
        [str(r.group), *(m(b) for b in r.buckets), m(r.total), str(r.count)] for r in report.rows
    ]
    out.write(
        text_table(["owner", *report.labels, "total", "count"], rows, len(report.labels) + 2)
    )

    _section(out, titles["todo"])
    _todos(out, crm, s.reminders, m)

    for key, sales in (("owner", f.by_owner), ("department", f.by_department)):
        _section(out, titles[key])
        out.write(_sales_table(sales, m))

    _section(out, titles["campaign"])
    c = f.campaigns
    rows = [
        [
            r.campaign,
            str(r.leads),
            str(r.converted_leads),
            str(r.customers),
            str(r.opportunities),
            m(r.opportunity_amount),
            str(r.orders),
            m(r.order_amount),
            m(r.received),
        ]
        for r in (*c.rows, *([c.total] if c.total is not None else []))
    ]
    if c.total is not None:
        rows[-1][0] = "total"
    header = ["campaign", "leads", "converted", "customers", "opps", "opp amount", "orders"]
    out.write(text_table([*header, "order amount", "received"], rows, 8))

    _section(out, titles["notifications"])
    out.write(text_table(["topic", "sent"], [[t, str(n)] for t, n in sorted(topics.items())], 1))


def _sales_table(report: SalesReport, money: Format) -> str:
    rows = [
        [
            r.key,
            str(r.orders),
            money(r.confirmed_total),
            money(r.returns),
            money(r.received),
            money(r.outstanding),
            money(r.invoiced),
        ]
        for r in (*report.rows, *([report.total] if report.total is not None else []))
    ]
    if report.total is not None:
        rows[-1][0] = "total"
    header = [report.by, "orders", "confirmed", "returns", "received", "outstanding", "invoiced"]
    return text_table(header, rows, 6)


def _todos(out: TextIO, crm: Crm, reminders: Sequence[Reminder], money: Format) -> None:
    people = {u.id: u.as_actor() for u in USERS}
    lines: list[str] = []
    for manager in ("mgr.east", "mgr.north", "director"):
        todos = crm.queries.approvals_waiting_for(people[manager])
        lines.extend(f"{manager}: approve {t.subject_kind} {t.subject_id}" for t in todos)
    for ship in crm.queries.orders_awaiting_shipment(people["ship.wu"]):
        left = ", ".join(f"{sku} × {q}" for _, sku, q in ship.remaining)
        lines.append(f"ship.wu: ship {ship.order_id} to {ship.customer} ({left})")
    for p in crm.queries.payments_awaiting_confirmation(people["fin.sun"]):
        lines.append(
            f"fin.sun: confirm payment {p.payment_id} of {money(p.amount)} "
            f"(recorded by {p.recorded_by})"
        )
    for i in crm.queries.invoices_awaiting_issue(people["fin.sun"]):
        lines.append(f"fin.sun: issue invoice {i.invoice_id} for {money(i.amount)}")
    for r in reminders:
        lines.append(
            f"{r.owner}: overdue reminder sent for {r.receivable_id} installment "
            f"{r.installment}, {r.days_late} days late, {money(r.total_due)} due"
        )
    out.write("".join(f"- {line}\n" for line in lines) or "- nothing to do\n")


COMMAND = Command(
    name="demo",
    help="play a month of lead-to-cash on generated data and print the figures",
    description=DESCRIPTION,
    configure=configure,
    run=run,
)

"""``python -m crmcore demo``: the whole lead-to-cash story on generated data, then the figures.

Each run plays one month of the story (`crmcore.cli._demo_story`) of the company of
`crmcore.cli._demo_company` through the services, on a SQLite file (default
``./crmcore-demo.sqlite3``), on PostgreSQL (``--db postgresql://…``) or in memory
(``--memory``), then prints the weighted forecast,
the receivables summary and aging, the to-do lists and the reports over everything stored,
with money formatted for ``--locale``. A second run on the same file plays the next month
with new ids and reports on both.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
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
from crmcore.cli._demo_story import OPENING, MonthSummary, play_month
from crmcore.cli._demo_visits import VISIT_TOPICS, print_visit_week
from crmcore.cli._forecast import DEFAULT_PROCESS
from crmcore.cli._input import UsageError
from crmcore.cli._output import text_table
from crmcore.cli._registry import Command
from crmcore.cli._words import N_, Words
from crmcore.forecast import Opportunity, weighted_forecast
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
#: ``--db`` values that name a PostgreSQL database rather than a SQLite file.
POSTGRES_URLS: Final = ("postgresql://", "postgres://")
#: The plain-text ``--help`` of the command (the module docstring is for developers).
DESCRIPTION: Final = (
    "Play one month of a small company's lead-to-cash work on generated data, through the "
    "services: leads routed and claimed, opportunities, orders with discounts and "
    "approvals, shipments, payments confirmed by finance, invoices, overdue reminders. Then "
    "print the weighted forecast, the receivables summary and aging, the to-do lists and "
    f"the reports over everything stored. The data is kept in ./{DEFAULT_DB} (or --db "
    "PATH, --db postgresql://..., or --memory); each further run on the same database plays "
    "the next month. The same "
    "--seed tells the same story. Exit status: 0 done, 1 bad input, 2 usage error."
)
LOCALES: Final = ("en_US", "zh_CN")

#: How the demo shows its records' ids and names (translated where they are printed).
_NAMES: Final = {
    "east": N_("East China"),
    "north": N_("North China"),
    "expo-2026": N_("Expo 2026"),
    "webinar": N_("Webinar"),
    "referral": N_("Referrals"),
    "(no campaign)": N_("(no campaign)"),
    "order": N_("order"),
    "opportunity": N_("opportunity"),
    "owner": N_("owner"),
    "department": N_("department"),
    # the stages of the demo's sales process
    "qualify": N_("qualify"),
    "needs": N_("needs"),
    "proposal": N_("proposal"),
    "negotiation": N_("negotiation"),
    "contract": N_("contract"),
    # the topics of the services' default notification routes
    "lead assigned to you": N_("lead assigned to you"),
    "opportunity won": N_("opportunity won"),
    "approval waiting for you": N_("approval waiting for you"),
    "approval delegated to you": N_("approval delegated to you"),
    "approval escalated to you": N_("approval escalated to you"),
    "approval due soon": N_("approval due soon"),
    "request approved": N_("request approved"),
    "request rejected": N_("request rejected"),
    "order awaiting shipment": N_("order awaiting shipment"),
    "order rejected": N_("order rejected"),
    "payment awaiting confirmation": N_("payment awaiting confirmation"),
    "payment confirmed": N_("payment confirmed"),
    "payment rejected": N_("payment rejected"),
    "invoice awaiting issue": N_("invoice awaiting issue"),
    "invoice issued": N_("invoice issued"),
    "invoice rejected": N_("invoice rejected"),
    "installment overdue": N_("installment overdue"),
    "installment due soon": N_("installment due soon"),
    "installment due today": N_("installment due today"),
    "payment reversed": N_("payment reversed"),
    "amount written off": N_("amount written off"),
    **VISIT_TOPICS,
}
_BUCKET: Final = re.compile(r"(\d+)–(\d+)")
_LEVEL: Final = re.compile(r"installment overdue, level (\d+)")


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
    if str(args.db).startswith(POSTGRES_URLS):
        try:
            from crmcore.adapters.postgres import PostgresDatabase
        except ImportError as exc:
            raise UsageError(f"--db {args.db.split('@')[-1]}: {exc}") from None
        return PostgresDatabase(args.db, KINDS)
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
        metavar="PATH|URL",
        help=f"the SQLite file to keep the demo in (default ./{DEFAULT_DB}), or a "
        "postgresql://user@host/db URL (needs the postgres extra); a second run on the same "
        "database plays the next month",
    )
    where.add_argument("--memory", action="store_true", help="keep everything in memory")
    parser.add_argument(
        "--seed", type=int, default=1, help="the random seed (default 1): same seed, same story"
    )
    parser.add_argument(
        "--locale",
        choices=LOCALES,
        default="en_US",
        help="the language, dates and money of the report (default en_US)",
    )
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
    start, end = min(when for when, *_ in OPENING), as_of + timedelta(days=1)
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


def _name(w: Words, key: object) -> str:
    """A record's display name in the reader's language (ids and people stay as they are)."""
    text = str(key)
    return w._(_NAMES[text]) if text in _NAMES else text


def _topic(w: Words, topic: str) -> str:
    """A notification topic in the reader's language (the overdue one names its level)."""
    level = _LEVEL.fullmatch(topic)
    if level is not None:
        return w._("installment overdue, level {level}", level=level[1])
    return _name(w, topic)


def _bucket(w: Words, label: str) -> str:
    if label == "not yet due":
        return w._("not yet due")
    if label.startswith("> "):
        return w._("over {days} days", days=label[2:])
    found = _BUCKET.fullmatch(label)
    if found is None:
        return label
    return w._("{first}–{last} days", first=found.group(1), last=found.group(2))


def _story(w: Words, s: MonthSummary) -> str:
    """The month in four sentences, plurals and lists in the reader's language."""
    routed = w.items(
        w._("{pool} {count}", pool=_name(w, pool), count=n) for pool, n in sorted(s.routed.items())
    )
    sentences = []
    if s.opening:
        sentences.append(
            w.ngettext(
                "Brought forward from the old system: {count} receivable of Aug-Dec 2025, "
                "{amount} still owed.",
                "Brought forward from the old system: {count} receivables of Aug-Dec 2025, "
                "{amount} still owed.",
                s.opening,
                amount=w.money(s.opening_amount),
            )
        )
    if s.month > 1:
        sentences.append(
            w._(
                "Left from earlier months and done now: approvals decided {approved}, orders "
                "shipped {shipped}, received {received}, payments confirmed {confirmed}, "
                "invoices issued {issued}; overdue receivables paid {collected}.",
                approved=s.carried_approved,
                shipped=s.carried_shipped,
                received=s.carried_received,
                confirmed=s.carried_confirmed,
                issued=s.carried_issued,
                collected=s.collected,
            )
        )
    sentences += [
        w.ngettext(
            "This month: {count} lead captured and routed ({routed}); {claimed} claimed, "
            "{returned} returned to the pool, {converted} converted.",
            "This month: {count} leads captured and routed ({routed}); {claimed} claimed, "
            "{returned} returned to the pool, {converted} converted.",
            s.leads,
            routed=routed,
            claimed=s.claimed,
            returned=s.returned,
            converted=s.converted,
        ),
        w.ngettext(
            "{count} opportunity opened: {won} won, {lost} lost.",
            "{count} opportunities opened: {won} won, {lost} lost.",
            s.opportunities,
            won=s.won,
            lost=s.lost,
        ),
        w.ngettext(
            "{count} order: {approval} needed approval; rejected and resubmitted: {rejected}; "
            "cancelled: {cancelled}.",
            "{count} orders: {approval} needed approval; rejected and resubmitted: {rejected}; "
            "cancelled: {cancelled}.",
            s.orders,
            approval=s.needed_approval,
            rejected=w.items(s.rejected),
            cancelled=w.items(s.cancelled),
        ),
        w.sentences(
            w._("{shipped} shipped, {received} received.", shipped=s.shipped, received=s.received),
            w.ngettext(
                "{count} payment recorded, {confirmed} confirmed; rejected: {rejected}.",
                "{count} payments recorded, {confirmed} confirmed; rejected: {rejected}.",
                s.payments,
                confirmed=s.confirmed,
                rejected=w.items(s.payment_rejected),
            ),
            w.ngettext(
                "{count} invoice requested, {issued} issued.",
                "{count} invoices requested, {issued} issued.",
                s.invoices,
                issued=s.issued,
            ),
            w._("Returns: {returns}.", returns=w.items(s.returns)),
            w.ngettext("{count} order completed.", "{count} orders completed.", s.completed),
        ),
    ]
    return "\n".join(sentences) + "\n"


def _print(
    out: TextIO,
    crm: Crm,
    s: MonthSummary,
    f: DemoFigures,
    locale: str,
    seed: int,
    topics: dict[str, int],
) -> None:
    w = Words(locale)
    m = w.money
    out.write(
        w._(
            "crmcore demo: month {month} ({period}), seed {seed}, as of {day}, locale {locale}",
            month=s.month,
            period=w.month(s.start),
            seed=seed,
            day=w.day(f.as_of),
            locale=locale,
        )
        + "\n"
    )
    out.write(_story(w, s))

    with crm.storage.unit_of_work() as uow:
        opportunities = sorted(uow.repository(Opportunity).find(), key=lambda o: o.id)
        receivables = sorted(uow.repository(Receivable).find(), key=lambda r: r.id)
    records = [o.to_record() for o in opportunities]
    _section(out, w._("Weighted forecast of the open pipeline (by stage)"))
    table = weighted_forecast(records, DEFAULT_PROCESS, "stage", currency=CURRENCY)
    rows = [
        [_name(w, r.key[0]), str(r.count), m(r.amount), m(r.weighted.round())] for r in table.rows
    ]
    rows.append(
        [
            w._("total"),
            str(table.total.count),
            m(table.total.amount),
            m(table.total.weighted.round()),
        ]
    )
    header = [w._("stage"), w._("opportunities"), w._("amount"), w._("weighted")]
    out.write(text_table(header, rows, 3))

    _section(out, w._("Receivables summary"))
    out.write(
        w.ngettext(
            "{count} receivable, open or settled, as of {day}:",
            "{count} receivables, open or settled, as of {day}:",
            f.receivables,
            day=w.day(f.as_of),
        )
        + "\n"
    )
    out.write(
        text_table(
            [w._("figure"), w._("amount")],
            [
                [w._("net amount"), m(f.amount)],
                [w._("received"), m(f.received)],
                [w._("pending confirmation"), m(f.pending_confirmation)],
                [w._("outstanding"), m(f.outstanding)],
                [w._("overdue"), m(f.overdue)],
            ],
            1,
        )
    )

    _section(out, w._("Aging by owner, as of {day}", day=w.day(f.as_of)))
    report = aging(receivables, f.as_of, group_by="owner")
    rows = [
        [str(r.group), *(m(b) for b in r.buckets), m(r.total), str(r.count)] for r in report.rows
    ]
    labels = [_bucket(w, label) for label in report.labels]
    header = [w._("owner"), *labels, w._("total"), w._("receivables")]
    out.write(text_table(header, rows, len(report.labels) + 2))

    _section(out, w._("To-do lists"))
    _todos(out, crm, s.reminders, w)

    _section(out, w._("Sales per employee (orders confirmed so far)"))
    out.write(_sales_table(f.by_owner, w))
    _section(out, w._("Sales per department"))
    out.write(_sales_table(f.by_department, w))

    _section(out, w._("Campaigns"))
    c = f.campaigns
    rows = [
        [
            _name(w, r.campaign),
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
        rows[-1][0] = w._("total")
    header = [
        w._("campaign"),
        w._("leads"),
        w._("converted"),
        w._("customers"),
        w._("opportunities"),
        w._("opportunity amount"),
        w._("orders"),
        w._("order amount"),
        w._("received"),
    ]
    out.write(text_table(header, rows, 8))

    if s.visits is not None:
        _section(out, w._("Customer visits, week of {day}", day=w.day(s.visits.start)))
        print_visit_week(out, s.visits, w)

    _section(out, w._("Notifications sent this run (one per recipient)"))
    out.write(
        text_table(
            [w._("topic"), w._("notifications")],
            [[_topic(w, t), str(n)] for t, n in sorted(topics.items())],
            1,
        )
    )


def _sales_table(report: SalesReport, w: Words) -> str:
    m = w.money
    rows = [
        [
            _name(w, r.key),
            str(r.orders),
            m(r.confirmed_total),
            m(r.returns),
            m(r.received),
            m(r.outstanding),
            m(r.invoiced),
        ]
        for r in (*report.rows, *([report.total] if report.total is not None else []))
    ]
    if report.total is not None:
        rows[-1][0] = w._("total")
    header = [
        _name(w, report.by),
        w._("orders"),
        w._("confirmed"),
        w._("returns"),
        w._("received"),
        w._("outstanding"),
        w._("invoiced"),
    ]
    return text_table(header, rows, 6)


def _todos(out: TextIO, crm: Crm, reminders: Sequence[Reminder], w: Words) -> None:
    people = {u.id: u.as_actor() for u in USERS}
    lines: list[str] = []
    for manager in ("mgr.east", "mgr.north", "director"):
        todos = crm.queries.approvals_waiting_for(people[manager])
        lines.extend(
            w._(
                "{user}: approve {kind} {id}",
                user=manager,
                kind=_name(w, t.subject_kind),
                id=t.subject_id,
            )
            for t in todos
        )
    for ship in crm.queries.orders_awaiting_shipment(people["ship.wu"]):
        left = w.items(f"{sku} × {q}" for _, sku, q in ship.remaining)
        lines.append(
            w._(
                "{user}: ship {order} to {customer} ({lines})",
                user="ship.wu",
                order=ship.order_id,
                customer=ship.customer,
                lines=left,
            )
        )
    for p in crm.queries.payments_awaiting_confirmation(people["fin.sun"]):
        lines.append(
            w._(
                "{user}: confirm payment {payment} of {amount} (recorded by {recorder})",
                user="fin.sun",
                payment=p.payment_id,
                amount=w.money(p.amount),
                recorder=p.recorded_by,
            )
        )
    for i in crm.queries.invoices_awaiting_issue(people["fin.sun"]):
        lines.append(
            w._(
                "{user}: issue invoice {invoice} for {amount}",
                user="fin.sun",
                invoice=i.invoice_id,
                amount=w.money(i.amount),
            )
        )
    for r in reminders:
        if r.days_late <= 0:
            lines.append(
                w._(
                    "{user}: reminder sent for {receivable} installment {installment}, due "
                    "today, {amount} due",
                    user=r.owner,
                    receivable=r.receivable_id,
                    installment=r.installment,
                    amount=w.money(r.total_due),
                )
            )
            continue
        lines.append(
            w.ngettext(
                "{user}: overdue reminder sent for {receivable} installment {installment}, "
                "{count} day late, {amount} due",
                "{user}: overdue reminder sent for {receivable} installment {installment}, "
                "{count} days late, {amount} due",
                r.days_late,
                user=r.owner,
                receivable=r.receivable_id,
                installment=r.installment,
                amount=w.money(r.total_due),
            )
        )
    if not lines:
        lines.append(w._("nothing to do"))
    out.write("".join(f"- {line}\n" for line in lines))


COMMAND = Command(
    name="demo",
    help="play a month of lead-to-cash on generated data and print the figures",
    description=DESCRIPTION,
    configure=configure,
    run=run,
)

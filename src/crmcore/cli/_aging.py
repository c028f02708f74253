"""``crmcore aging RECEIVABLES.csv --as-of DATE``: aging buckets of open installments.

One row per open installment; the rows stream into
[`crmcore.receivables.aging`][crmcore.receivables.aging] (one
running sum per group, currency and bucket), so the buckets of every group sum exactly to
its outstanding total.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any, Final

from crmcore._decimal import CONTEXT
from crmcore.analytics import INSTALLMENT_COLUMNS
from crmcore.cli._columnar import add_engine_option, columnar_aging
from crmcore.cli._common import add_common_options, money_text, progress_for, write
from crmcore.cli._input import (
    CsvFile,
    InputError,
    Problems,
    RowError,
    cached,
    parse_amount,
    parse_currency,
    parse_date,
    required_text,
)
from crmcore.cli._mapping import add_mapping_options, column_mapping
from crmcore.cli._output import csv_text, json_text, plain_amount, text_table
from crmcore.cli._registry import Command
from crmcore.cli._words import Words, bucket_label, dimension
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money
from crmcore.receivables import AgingBasis, AgingBuckets, AgingReport, InstallmentRecord, aging

__all__ = ["COMMAND"]

#: Canonical column -> other header spellings accepted for it (Salesforce, HubSpot, Chinese).
COLUMNS: Final = INSTALLMENT_COLUMNS
REQUIRED: Final = ("customer", "owner", "due_date", "issue_date", "outstanding")
GROUPINGS: Final = ("customer", "owner", "department")
BASES: Final = {"due": AgingBasis.DUE_DATE, "issue": AgingBasis.ISSUE_DATE}


def _as_of(text: str) -> date:
    try:
        return parse_date(text, "as-of")
    except RowError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _buckets(text: str) -> AgingBuckets:
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(
            f"expected ascending whole days such as 30,60,90,120, got {text!r}"
        )
    try:
        return AgingBuckets(tuple(int(part) for part in parts))
    except ValidationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _currency(text: str) -> Currency:
    try:
        return parse_currency(text, "currency")
    except RowError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def configure(parser: argparse.ArgumentParser) -> None:
    """The aging command's arguments."""
    parser.add_argument("file", metavar="RECEIVABLES.csv", help="one row per open installment")
    parser.add_argument(
        "--as-of", type=_as_of, required=True, metavar="DATE", help="age on this date (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--by", choices=GROUPINGS, default="customer", help="group rows by; default: customer"
    )
    parser.add_argument(
        "--basis",
        choices=tuple(BASES),
        default="due",
        help="count days late from the due date or from the issue date; default: due",
    )
    parser.add_argument(
        "--buckets",
        type=_buckets,
        default=AgingBuckets(),
        metavar="DAYS",
        help="bucket edges in days; default: 30,60,90,120",
    )
    parser.add_argument(
        "--currency", type=_currency, help="the currency of rows without a currency"
    )
    add_mapping_options(parser)
    add_engine_option(parser)
    add_common_options(parser)


def _builder(
    source: CsvFile, currency: Currency | None, locale: str | None = None
) -> Callable[[list[str]], InstallmentRecord]:
    index = source.index
    i_customer, i_owner, i_due, i_issue, i_outstanding = (index[name] for name in REQUIRED)
    i_department = index.get("department")
    i_currency = index.get("currency")
    due_date, issue_date = cached(parse_date, "due_date"), cached(parse_date, "issue_date")
    currency_of = cached(parse_currency, "currency")

    def build(row: list[str]) -> InstallmentRecord:
        customer = required_text(row[i_customer], "customer")
        owner = required_text(row[i_owner], "owner")
        due = due_date(row[i_due])
        issued = issue_date(row[i_issue])
        # a negative amount is a credit note (or an overpayment) not yet set off
        amount = parse_amount(row[i_outstanding], "outstanding", locale=locale, negative=True)
        row_currency = currency
        if i_currency is not None and (code := row[i_currency].strip()):
            row_currency = currency_of(code)
        if row_currency is None:
            raise RowError("currency", "is empty and no --currency was given")
        if amount != amount.quantize(row_currency.quantum, context=CONTEXT):
            # Each row is summed as it is: a fraction of a cent would make groups disagree.
            raise RowError(
                "outstanding",
                f"{row[i_outstanding].strip()!r} has more decimals than "
                f"{row_currency.code}'s {row_currency.minor_units}",
            )
        department = row[i_department].strip() or None if i_department is not None else None
        return InstallmentRecord(
            owner, customer, department, due, issued, Money(amount, row_currency)
        )

    return build


def run(args: argparse.Namespace) -> int:
    """Read the file, age every installment, print the report; 1 when any row is bad."""
    mapping = column_mapping(args, tuple(COLUMNS))
    basis = BASES[args.basis]
    fast = columnar_aging(args, mapping, args.buckets, basis)
    if fast is not None:
        aggregate, rows_read = fast
        report = aggregate.report()
    else:
        report, rows_read = _stream(args, mapping, basis)
    write(Report(args, report, rows_read).render(args.format))
    return 0


def _stream(
    args: argparse.Namespace, mapping: dict[str, str], basis: AgingBasis
) -> tuple[AgingReport, int]:
    """Stream the rows into the aging; every bad row reported with its line."""
    problems = Problems(args.file, args.max_errors)
    with CsvFile(
        args.file,
        COLUMNS,
        REQUIRED,
        encoding=args.encoding,
        delimiter=args.delimiter,
        mapping=mapping,
    ) as source:
        if "currency" not in source.index and args.currency is None:
            raise InputError(
                f"{args.file}:1: there is no currency column; "
                "pass --currency (e.g. --currency CNY)"
            )
        progress = progress_for(source)
        try:
            report = aging(
                source.records(
                    _builder(source, args.currency, args.input_locale), problems, progress
                ),
                args.as_of,
                buckets=args.buckets,
                basis=basis,
                group_by=args.by,
            )
        finally:
            if progress is not None:
                progress.finish()
    if problems.count:
        raise InputError(problems.report())
    return report, source.rows_read


class Report:
    """The aging of one file, rendered as a table, CSV or JSON."""

    def __init__(self, args: argparse.Namespace, report: AgingReport, records: int) -> None:
        self.args = args
        self.report = report
        self.records = records
        self.by: str = args.by
        self.keys = list(report.keys)

    def render(self, kind: str) -> str:
        """The report in ``kind`` (table, csv or json)."""
        if kind == "json":
            return json_text(self.document())
        if kind == "csv":
            return self.csv()
        return self.text()

    def totals(self) -> list[tuple[str, list[Money], Money, int]]:
        """Per currency: the bucket sums, the total and the installment count."""
        sums: dict[str, tuple[list[Money], int]] = {}
        for row in self.report.rows:
            code = row.total.currency.code
            if code not in sums:
                sums[code] = ([Money.zero(code)] * len(row.buckets), 0)
            buckets, count = sums[code]
            sums[code] = (
                [a + b for a, b in zip(buckets, row.buckets, strict=True)],
                count + row.count,
            )
        return [
            (code, buckets, sum(buckets, Money.zero(code)), count)
            for code, (buckets, count) in sorted(sums.items())
        ]

    def text(self) -> str:
        """The table for people, in the words of ``--locale``."""
        locale = self.args.locale
        w = Words(locale)
        by = dimension(w, self.by)
        day = self.report.as_of.isoformat()
        if self.report.basis is AgingBasis.DUE_DATE:
            title = w.ngettext(
                "Aging on {day} by {by} (days past due date): {count} installment",
                "Aging on {day} by {by} (days past due date): {count} installments",
                self.records,
                day=day,
                by=by,
            )
        else:
            title = w.ngettext(
                "Aging on {day} by {by} (days past issue date): {count} installment",
                "Aging on {day} by {by} (days past issue date): {count} installments",
                self.records,
                day=day,
                by=by,
            )
        labels = [bucket_label(w, label) for label in self.report.labels]
        header = [by, w._("currency"), *labels, w._("total"), w._("count")]
        rows = [
            [
                row.group or w._("(none)"),
                row.total.currency.code,
                *(money_text(m, locale) for m in row.buckets),
                money_text(row.total, locale),
                f"{row.count:,}",
            ]
            for row in self.report.rows
        ]
        for code, buckets, total, count in self.totals():
            rows.append(
                [
                    w._("(total)"),
                    code,
                    *(money_text(m, locale) for m in buckets),
                    money_text(total, locale),
                    f"{count:,}",
                ]
            )
        return title + "\n\n" + text_table(header, rows, numeric=len(self.report.labels) + 2)

    def _amounts(self, buckets: list[Money], total: Money, count: int) -> dict[str, Any]:
        currency = total.currency
        return {
            "buckets": {
                key: plain_amount(m.amount, currency)
                for key, m in zip(self.keys, buckets, strict=True)
            },
            "total": plain_amount(total.amount, currency),
            "count": count,
        }

    def document(self) -> dict[str, Any]:
        """The JSON document: exact amounts as strings, one object per group and currency."""
        report = self.report
        return {
            "command": "aging",
            "file": self.args.file,
            "as_of": report.as_of.isoformat(),
            "basis": report.basis.value,
            "by": self.by,
            "records": self.records,
            "buckets": dict(zip(self.keys, report.labels, strict=True)),
            "rows": [
                {
                    self.by: row.group,
                    "currency": row.total.currency.code,
                    **self._amounts(list(row.buckets), row.total, row.count),
                }
                for row in report.rows
            ],
            "totals": [
                {"currency": code, **self._amounts(buckets, total, count)}
                for code, buckets, total, count in self.totals()
            ],
        }

    def csv(self) -> str:
        """One CSV row per group and currency, then a ``(total)`` row per currency."""
        header = [self.by, "currency", *self.keys, "total", "count"]
        rows = [
            [
                row.group or "",
                row.total.currency.code,
                *(plain_amount(m.amount, m.currency) for m in row.buckets),
                plain_amount(row.total.amount, row.total.currency),
                str(row.count),
            ]
            for row in self.report.rows
        ]
        for code, buckets, total, count in self.totals():
            rows.append(
                [
                    "(total)",
                    code,
                    *(plain_amount(m.amount, m.currency) for m in buckets),
                    plain_amount(total.amount, total.currency),
                    str(count),
                ]
            )
        return csv_text(header, rows, raw=self.args.raw)


COMMAND: Final = Command(
    name="aging",
    help="aging buckets of the open installments in a receivables CSV",
    description="Aging of RECEIVABLES.csv (one row per open installment: columns customer, "
    "owner, due_date, issue_date, outstanding; optional department, currency) on --as-of, "
    "grouped --by customer, owner or department. The buckets of every row sum to its "
    "total. Exit status: 0 done, 1 bad input (every bad row is reported with its line), "
    "2 usage error.",
    configure=configure,
    run=run,
)

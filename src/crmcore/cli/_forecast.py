"""``crmcore forecast OPPORTUNITIES.csv``: the weighted pipeline forecast of a CSV export.

One row per opportunity; the rows stream into a
[`ForecastAggregate`][crmcore.forecast.ForecastAggregate]
(one running cell per group, nothing kept per row), grouped as asked, with the target gap.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from crmcore.analytics import OPPORTUNITY_COLUMNS, resolve_stage, resolve_status
from crmcore.cli._columnar import add_engine_option, columnar_forecast
from crmcore.cli._common import add_common_options, money_text, progress_for, write
from crmcore.cli._input import (
    CsvFile,
    InputError,
    Problems,
    RowError,
    UsageError,
    cached,
    parse_amount,
    parse_currency,
    parse_date,
    parse_percent,
    required_text,
)
from crmcore.cli._mapping import add_mapping_options, column_mapping
from crmcore.cli._output import csv_text, display_width, json_text, plain_amount, text_table
from crmcore.cli._registry import Command
from crmcore.cli._words import Words, dimension, dimension_value
from crmcore.errors import ConfigError, ValidationError
from crmcore.forecast import (
    NO_CURRENCY,
    ForecastAggregate,
    ForecastCategory,
    ForecastTable,
    OpportunityRecord,
    OpportunityStatus,
    Period,
    SalesProcess,
    TargetGap,
)
from crmcore.money import Currency, Money
from crmcore.serialization import check_shape, from_dict

__all__ = ["COMMAND", "DEFAULT_PROCESS", "GROUPINGS"]

#: The process used without ``--process``: the textbook B2B funnel of docs/forecast.md.
DEFAULT_PROCESS: Final = from_dict(
    SalesProcess,
    {
        "id": "default",
        "name": "Default B2B process",
        "stages": [
            {"name": "qualify", "probability": "10"},
            {"name": "needs", "probability": "40"},
            {"name": "proposal", "probability": "60"},
            {"name": "negotiation", "probability": "80", "category": "best_case"},
            {"name": "contract", "probability": "90", "category": "commit"},
        ],
    },
)

#: What ``--by`` accepts; month and quarter group the expected close date.
GROUPINGS: Final = ("stage", "owner", "department", "category", "month", "quarter")

#: Canonical column -> other header spellings accepted for it (Salesforce, HubSpot, Chinese).
COLUMNS: Final = OPPORTUNITY_COLUMNS
REQUIRED: Final = ("id", "owner", "stage", "amount")

_STATUSES: Final = {status.value: status for status in OpportunityStatus}
_CATEGORIES: Final = {category.value: category for category in ForecastCategory}
_MONTH: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])", re.ASCII)
_QUARTER: Final = re.compile(r"\d{4}-Q[1-4]", re.ASCII)


# -- options ----------------------------------------------------------------------------------
def _groupings(text: str) -> tuple[str, ...]:
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError("give at least one of " + ", ".join(GROUPINGS))
    for name in names:
        if name not in GROUPINGS:
            raise argparse.ArgumentTypeError(
                f"cannot group by {name!r} (use {', '.join(GROUPINGS)})"
            )
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{text!r} names a grouping twice")
    if "month" in names and "quarter" in names:
        raise argparse.ArgumentTypeError("group by month or by quarter, not both")
    return names


def _amount(text: str) -> Decimal:
    try:
        return parse_amount(text, "amount")
    except RowError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _currency(text: str) -> Currency:
    try:
        return parse_currency(text, "currency")
    except RowError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _rate(text: str) -> tuple[Currency, Decimal]:
    code, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected CODE=RATE such as USD=7.1, got {text!r}")
    rate = _amount(value)
    if not rate:
        raise argparse.ArgumentTypeError(f"the rate for {code} must be > 0")
    return _currency(code), rate


def configure(parser: argparse.ArgumentParser) -> None:
    """The forecast command's arguments."""
    parser.add_argument("file", metavar="OPPORTUNITIES.csv", help="one row per opportunity")
    parser.add_argument(
        "--process",
        metavar="PROCESS.json",
        help="the sales process (stages and probabilities) as JSON; default: qualify 10 %%, "
        "needs 40 %%, proposal 60 %%, negotiation 80 %%, contract 90 %%",
    )
    parser.add_argument(
        "--by",
        type=_groupings,
        default=("stage",),
        metavar="GROUPS",
        help="comma-separated groupings: " + ", ".join(GROUPINGS) + "; default: stage",
    )
    parser.add_argument(
        "--target", type=_amount, metavar="AMOUNT", help="show the gap to this target"
    )
    parser.add_argument(
        "--period",
        metavar="LABEL",
        help="the period the target is for (2026-Q1 or 2026-03); default: the whole file",
    )
    parser.add_argument(
        "--currency",
        type=_currency,
        help="the forecast's currency, and the currency of rows without one; "
        "default: the first row's",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        action="append",
        default=[],
        metavar="CODE=RATE",
        help="convert rows in CODE at RATE (1 CODE = RATE forecast currency); repeatable",
    )
    add_mapping_options(parser)
    add_engine_option(parser)
    add_common_options(parser)


# -- reading ----------------------------------------------------------------------------------
def load_process(path: str) -> SalesProcess:
    """Read a sales process from a JSON file; every problem is an InputError naming the file."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            data = json.load(file)
    except FileNotFoundError:
        raise InputError(f"cannot read {path!r}: no such file") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})"
        ) from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not valid UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise InputError(f"cannot read {path!r}: {error.strerror or error}") from None
    except RecursionError:
        raise InputError(f"{path}: not a valid sales process (nested too deeply)") from None
    except ValueError as error:  # a number too long to read
        raise InputError(f"{path}: not valid JSON ({str(error)[:100]})") from None
    try:
        check_shape(data)
        return from_dict(SalesProcess, data)
    except ConfigError as error:
        problems = "\n".join(f"{path}: {problem}" for problem in error.problems)
        raise InputError(f"{path}: not a valid sales process\n{problems}") from None


def _cell(row: list[str], index: int | None) -> str:
    """The stripped text of an optional column ("" when the file has no such column)."""
    return "" if index is None else row[index].strip()


def _stage_and_status(
    stage: str, status_text: str, process: SalesProcess
) -> tuple[str, OpportunityStatus]:
    """The row's stage and status: a status column, or a stage named like Salesforce's
    ``Closed Won``, or the process's own stage names in any case."""
    status = OpportunityStatus.OPEN
    if status_text:
        try:
            status = resolve_status(status_text)
        except ValidationError:
            raise RowError(
                "status", f"{status_text!r} is not one of {', '.join(_STATUSES)}"
            ) from None
    if process.has_stage(stage):
        return stage, status
    resolved = resolve_stage(stage, process)
    if resolved is None:
        raise RowError(
            "stage",
            f"{stage!r} is not a stage of the sales process {process.id!r} "
            f"({', '.join(process.stage_names)}; or won / lost)",
        )
    return resolved[0], resolved[1] or status


def _checked_currency(
    row_currency: Currency | None, expected: Currency | None, rates: frozenset[Currency]
) -> Currency:
    """The row's currency; RowError when it has none, or one the forecast cannot convert."""
    if row_currency is None:
        raise RowError("currency", "is empty and no --currency was given")
    if expected is not None and row_currency != expected and row_currency not in rates:
        raise RowError(
            "currency",
            f"{row_currency.code!r} is not the forecast's currency {expected.code}; "
            f"pass --rate {row_currency.code}=<value of 1 {row_currency.code} in "
            f"{expected.code}>",
        )
    return row_currency


def _category(text: str) -> ForecastCategory | None:
    """The forecast category a cell names (any case, spaces or dashes), None when empty."""
    if not text:
        return None
    category = _CATEGORIES.get(text.lower().replace(" ", "_").replace("-", "_"))
    if category is None:
        raise RowError("category", f"{text!r} is not one of {', '.join(_CATEGORIES)}")
    return category


def _builder(
    source: CsvFile,
    process: SalesProcess,
    currency: Currency | None,
    rates: frozenset[Currency],
    locale: str | None = None,
) -> Callable[[list[str]], OpportunityRecord]:
    """A function building one OpportunityRecord from one row, raising RowError."""
    index = source.index
    i_id, i_owner, i_stage, i_amount = (index[name] for name in REQUIRED)
    i_currency = index.get("currency")
    i_close = index.get("expected_close")
    i_department = index.get("department")
    i_probability = index.get("probability")
    i_category = index.get("category")
    i_status = index.get("status")
    forecast: list[Currency | None] = [currency]
    close_date = cached(parse_date, "expected_close")
    currency_of = cached(parse_currency, "currency")

    def build(row: list[str]) -> OpportunityRecord:
        stage, status = _stage_and_status(
            required_text(row[i_stage], "stage"), _cell(row, i_status), process
        )
        amount = parse_amount(row[i_amount], "amount", locale=locale)
        code = _cell(row, i_currency)
        row_currency = _checked_currency(
            currency_of(code) if code else currency, forecast[0], rates
        )
        close = _cell(row, i_close)
        probability = _cell(row, i_probability)
        record = OpportunityRecord(
            required_text(row[i_id], "id"),
            required_text(row[i_owner], "owner"),
            stage,
            Money(amount, row_currency),
            close_date(close) if close else None,
            _cell(row, i_department) or None,
            parse_percent(probability, "probability") if probability else None,
            _category(_cell(row, i_category)),
            status,
        )
        if forecast[0] is None:  # the first good row sets the forecast's currency
            forecast[0] = row_currency
        return record

    return build


# -- the command ------------------------------------------------------------------------------
def _period(args: argparse.Namespace) -> Period:
    by: tuple[str, ...] = args.by
    if args.period is not None:
        if args.target is None:
            raise UsageError("--period is the period of --target; give --target too")
        kind = (
            Period.MONTH
            if _MONTH.fullmatch(args.period)
            else Period.QUARTER
            if _QUARTER.fullmatch(args.period)
            else None
        )
        if kind is None:
            raise UsageError(
                f"--period {args.period!r}: use a quarter (2026-Q1) or a month (2026-03)"
            )
        grouped = "month" if "month" in by else "quarter" if "quarter" in by else kind.value
        if grouped != kind.value:
            raise UsageError(
                f"--period {args.period} is not a {grouped} (--by groups by {grouped})"
            )
        return kind
    return Period.MONTH if "month" in by else Period.QUARTER


def run(args: argparse.Namespace) -> int:
    """Read the file, aggregate, print the report; 1 when any row is bad."""
    period = _period(args)
    process = DEFAULT_PROCESS if args.process is None else load_process(args.process)
    currency: Currency | None = args.currency
    rates = dict(args.rate)
    if currency is not None:
        rates.pop(currency, None)
    aggregate = ForecastAggregate(
        process, period, currency, {c.code: r for c, r in rates.items()} or None
    )
    mapping = column_mapping(args, tuple(COLUMNS))
    fast = columnar_forecast(args, mapping, process, period, currency, rates)
    if fast is not None:
        aggregate, rows_read = fast
    else:
        rows_read = _stream(args, mapping, process, currency, rates, aggregate)
    dims = tuple("period" if name in ("month", "quarter") else name for name in args.by)
    table = aggregate.table(dims)
    forecast_currency = aggregate.currency or currency or NO_CURRENCY
    gap = None
    if args.target is not None:
        gap = aggregate.target_gap(Money(args.target, forecast_currency), period=args.period)
    report = Report(args, process, rows_read, table, gap, forecast_currency)
    write(report.render(args.format))
    return 0


def _stream(
    args: argparse.Namespace,
    mapping: dict[str, str],
    process: SalesProcess,
    currency: Currency | None,
    rates: dict[Currency, Decimal],
    aggregate: ForecastAggregate,
) -> int:
    """Stream the rows into ``aggregate``; every bad row reported with its line."""
    problems = Problems(args.file, args.max_errors)
    with CsvFile(
        args.file,
        COLUMNS,
        REQUIRED,
        encoding=args.encoding,
        delimiter=args.delimiter,
        mapping=mapping,
    ) as source:
        if "currency" not in source.index and currency is None:
            raise InputError(
                f"{args.file}:1: there is no currency column; "
                "pass --currency (e.g. --currency CNY)"
            )
        progress = progress_for(source)
        build = _builder(source, process, currency, frozenset(rates), args.input_locale)
        try:
            aggregate.add_all(source.records(build, problems, progress))
        finally:
            if progress is not None:
                progress.finish()
    if problems.count:
        raise InputError(problems.report())
    return source.rows_read


class Report:
    """The forecast of one file, rendered as a table, CSV or JSON."""

    def __init__(
        self,
        args: argparse.Namespace,
        process: SalesProcess,
        records: int,
        table: ForecastTable,
        gap: TargetGap | None,
        currency: Currency,
    ) -> None:
        self.args = args
        self.by: tuple[str, ...] = args.by
        self.process = process
        self.records = records
        self.table = table
        self.gap = gap
        self.currency = currency

    def render(self, kind: str) -> str:
        """The report in ``kind`` (table, csv or json)."""
        if kind == "json":
            return json_text(self.document())
        if kind == "csv":
            return self.csv()
        return self.text()

    def _key(self, key: tuple[str | None, ...], w: Words) -> list[str]:
        return [
            dimension_value(w, name, value)
            if value is not None
            else w._("(no close date)")
            if name in ("month", "quarter")
            else w._("(none)")
            for name, value in zip(self.by, key, strict=True)
        ]

    def _amount(self, money: Money) -> str:
        return plain_amount(money.amount, self.currency)

    def text(self) -> str:
        """The table for people, in the words of ``--locale``."""
        w = Words(self.args.locale)
        total = self.table.total
        lines = [
            w.ngettext(
                "Weighted forecast by {by}: {open} open of {count} opportunity, sales process "
                "{process}, amounts in {currency}",
                "Weighted forecast by {by}: {open} open of {count} opportunities, sales process "
                "{process}, amounts in {currency}",
                self.records,
                by=w.items(dimension(w, name) for name in self.by),
                open=total.count,
                process=repr(self.process.id),
                currency=self.currency.code,
            ),
            "",
        ]
        rows = [
            [*self._key(row.key, w), f"{row.count:,}", *self._money(row.amount, row.weighted)]
            for row in self.table.rows
        ]
        rows.append(
            [
                w._("(total)"),
                *([""] * (len(self.by) - 1)),
                f"{total.count:,}",
                *self._money(total.amount, total.weighted),
            ]
        )
        header = [
            *(dimension(w, name) for name in self.by),
            w._("count"),
            w._("amount"),
            w._("weighted"),
        ]
        text = "\n".join(lines) + "\n" + text_table(header, rows, numeric=3)
        missing = self.table.missing_close_date
        if missing:
            text += (
                "\n"
                + w.ngettext(
                    "{count} opportunity has no expected close date (e.g. {ids})",
                    "{count} opportunities have no expected close date (e.g. {ids})",
                    missing,
                    ids=w.items(self.table.missing_ids),
                )
                + "\n"
            )
        if self.gap is not None:
            text += "\n" + self._gap_text(self.gap, w)
        return text

    def _money(self, amount: Money, weighted: Money) -> list[str]:
        locale = self.args.locale
        return [money_text(amount, locale), money_text(weighted, locale)]

    def _gap_text(self, gap: TargetGap, w: Words) -> str:
        locale, code = self.args.locale, self.currency.code
        if gap.period:
            scope = w._("Target for {period} ({currency}):", period=gap.period, currency=code)
        else:
            scope = w._("Target ({currency}):", currency=code)
        verdict = w._("gap") if gap.gap.amount > 0 else w._("surplus")
        rows = [
            (w._("target"), money_text(gap.target, locale)),
            (w._("closed won"), money_text(gap.closed_won, locale)),
            (w._("weighted open"), money_text(gap.weighted_open, locale)),
            (verdict, money_text(abs(gap.gap), locale)),
        ]
        width = max(len(amount) for _, amount in rows)
        body = "".join(
            f"  {name}{' ' * max(1, 15 - display_width(name))}{amount:>{width}}\n"
            for name, amount in rows
        )
        return f"{scope}\n{body}"

    def _gap_record(self, gap: TargetGap) -> dict[str, Any]:
        return {
            "period": gap.period,
            "target": self._amount(gap.target),
            "closed_won": self._amount(gap.closed_won),
            "weighted_open": self._amount(gap.weighted_open),
            "gap": self._amount(gap.gap),
            "reached": gap.reached,
        }

    def document(self) -> dict[str, Any]:
        """The JSON document: exact amounts as strings, one object per group."""
        table = self.table

        def amounts(row: Any) -> dict[str, Any]:
            return {
                "count": row.count,
                "amount": self._amount(row.amount),
                "weighted_amount": self._amount(row.weighted),
            }

        return {
            "command": "forecast",
            "file": self.args.file,
            "process": self.process.id,
            "currency": self.currency.code,
            "by": list(self.by),
            "records": self.records,
            "rows": [
                {**dict(zip(self.by, row.key, strict=True)), **amounts(row)} for row in table.rows
            ],
            "total": amounts(table.total),
            "missing_close_date": {
                "count": table.missing_close_date,
                "ids": list(table.missing_ids),
            },
            "target": None if self.gap is None else self._gap_record(self.gap),
        }

    def csv(self) -> str:
        """One CSV row per group and a ``(total)`` row; with a target, its columns on the
        total row."""
        header = [*self.by, "count", "amount", "weighted_amount", "currency"]
        code = self.currency.code
        rows = [
            [
                *(value or "" for value in row.key),
                str(row.count),
                self._amount(row.amount),
                self._amount(row.weighted),
                code,
            ]
            for row in self.table.rows
        ]
        total = self.table.total
        total_row = [
            "(total)",
            *[""] * (len(self.by) - 1),
            str(total.count),
            self._amount(total.amount),
            self._amount(total.weighted),
            code,
        ]
        if self.gap is not None:
            header += ["target_period", "target", "closed_won", "weighted_open", "gap"]
            record = self._gap_record(self.gap)
            rows = [[*row, "", "", "", "", ""] for row in rows]
            total_row += [
                record["period"] or "",
                record["target"],
                record["closed_won"],
                record["weighted_open"],
                record["gap"],
            ]
        rows.append(total_row)
        return csv_text(header, rows, raw=self.args.raw)


COMMAND: Final = Command(
    name="forecast",
    help="the weighted pipeline forecast of an opportunities CSV",
    description="Weighted pipeline forecast of OPPORTUNITIES.csv (columns id, owner, stage, "
    "amount; optional currency, expected_close, department, probability, category, "
    "status), grouped --by stage, owner, department, category, month or quarter, with the "
    "gap to a --target. Exit status: 0 done, 1 bad input (every bad row is reported with "
    "its line), 2 usage error.",
    configure=configure,
    run=run,
)

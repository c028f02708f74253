"""``--engine``: large files through the columnar engine when the ``arrow`` extra is installed.

``auto`` (the default) reads a UTF-8 file of 4 MiB or more with polars
(``crmcore.analytics``) and falls back to the streaming reader for anything the columnar
reader does not take as it is — a bad value, another encoding, a missing extra — so that
bad rows are always reported by the streaming reader, each with its file and line, and the
figures are the same whichever engine computed them. ``stream`` always streams;
``columnar`` tries the columnar engine whatever the size.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal
from typing import Final

from crmcore.errors import CrmError
from crmcore.forecast import ForecastAggregate, Period, SalesProcess
from crmcore.money import Currency, get_currency
from crmcore.receivables import AgingAggregate, AgingBasis, AgingBuckets

__all__ = ["ENGINES", "add_engine_option", "columnar_aging", "columnar_forecast"]

ENGINES: Final = ("auto", "columnar", "stream")
#: Files at least this large go through the columnar engine under ``--engine auto``.
LARGE: Final = 4 << 20
_UTF8: Final = ("utf8", "utf8sig")


def add_engine_option(parser: argparse.ArgumentParser) -> None:
    """The ``--engine`` option."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="columnar (needs crmcore[arrow]), stream, or auto: columnar for UTF-8 files of "
        "4 MiB or more, streaming otherwise and whenever a row needs reporting; default: auto",
    )


def _wanted(args: argparse.Namespace) -> bool:
    if args.engine == "stream":
        return False
    if args.encoding.replace("-", "").replace("_", "").lower() not in _UTF8:
        return False
    if args.engine == "columnar":
        return True
    try:
        return os.path.getsize(args.file) >= LARGE
    except OSError:
        return False


def columnar_forecast(
    args: argparse.Namespace,
    mapping: dict[str, str],
    process: SalesProcess,
    period: Period,
    currency: Currency | None,
    rates: dict[Currency, Decimal],
) -> tuple[ForecastAggregate, int] | None:
    """The forecast aggregate and row count by the columnar engine, or None to stream."""
    if not _wanted(args):
        return None
    try:
        from crmcore.analytics import Opportunities

        table = Opportunities.read_csv(
            args.file, columns=mapping, locale=args.input_locale, delimiter=args.delimiter
        )
        aggregate = table.forecast(
            process,
            period=period,
            currency=currency,
            rates={c.code: r for c, r in rates.items()} or None,
        )
    except (CrmError, ImportError):
        return None
    return aggregate, len(table)


def columnar_aging(
    args: argparse.Namespace,
    mapping: dict[str, str],
    buckets: AgingBuckets,
    basis: AgingBasis,
) -> tuple[AgingAggregate, int] | None:
    """The aging aggregate and row count by the columnar engine, or None to stream.

    Amounts with more decimals than a currency's minor units are left to the streaming
    reader, which reports them row by row.
    """
    if not _wanted(args):
        return None
    try:
        from crmcore.analytics import Installments

        table = Installments.read_csv(
            args.file,
            columns=mapping,
            locale=args.input_locale,
            delimiter=args.delimiter,
            currency=args.currency,
        )
        scale = table.frame.schema["outstanding"].scale
        codes = table.frame["currency"].unique().to_list()
        if any(get_currency(code).minor_units < scale for code in codes):
            return None
        aggregate = table.aging(args.as_of, buckets=buckets, basis=basis, group_by=args.by)
    except (CrmError, ImportError):
        return None
    return aggregate, len(table)

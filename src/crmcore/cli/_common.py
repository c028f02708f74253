"""Options and helpers shared by the file-based commands: formats, locale, encoding, output."""

from __future__ import annotations

import argparse
import codecs
import sys
from typing import Final

from babel.core import Locale, UnknownLocaleError

from crmcore.cli._input import CsvFile
from crmcore.cli._progress import Progress
from crmcore.l10n import format_money
from crmcore.money import Money

__all__ = ["FORMATS", "add_common_options", "money_text", "progress_for", "write"]

FORMATS: Final = ("table", "csv", "json")
#: How many bad rows are printed before the rest are only counted.
MAX_ERRORS: Final = 20


#: Codecs that exist but do not read a text file: they encode text as text (idna, punycode)
#: or refuse everything (undefined).
_NOT_FILE_ENCODINGS: Final = frozenset({"idna", "punycode", "undefined"})


def _encoding(text: str) -> str:
    """``text`` when it names a text encoding (utf-8, gbk, utf-16...), else a usage error."""
    try:
        info = codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {text!r}") from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FILE_ENCODINGS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a text encoding (use one such as utf-8, gbk or utf-16)"
        )
    return text


def _locale(text: str) -> str:
    try:
        Locale.parse(text)
    except (UnknownLocaleError, ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a locale known to CLDR") from None
    return text


def _delimiter(text: str) -> str:
    if text == "\\t":
        return "\t"
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"the delimiter must be one character, got {text!r}")
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """``--format``, ``--locale``, ``--encoding``, ``--delimiter`` and ``--max-errors``."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (for people, amounts formatted for --locale), csv or json (exact amounts "
        "as plain decimal strings); default: table",
    )
    parser.add_argument(
        "--locale",
        type=_locale,
        default="en_US",
        help="how the table formats amounts (zh_CN, de_DE...); default: en_US",
    )
    parser.add_argument(
        "--encoding",
        type=_encoding,
        default="utf-8-sig",
        help="the file's text encoding; default utf-8-sig (UTF-8, with or without a BOM)",
    )
    parser.add_argument(
        "--delimiter",
        type=_delimiter,
        default=",",
        help="the field separator (';' for some Excel exports, '\\t' for tabs); default ','",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="with --format csv, write cells as they are (by default a cell that starts with "
        "= + - @ or a tab and is not a number gets a leading ' so spreadsheets do not run it)",
    )
    parser.add_argument(
        "--max-errors",
        type=_positive,
        default=MAX_ERRORS,
        metavar="N",
        help=f"print at most N bad rows (all are counted); default {MAX_ERRORS}",
    )


def money_text(money: Money, locale: str) -> str:
    """An amount for the table: rounded to the currency's minor units, grouped for ``locale``."""
    return format_money(money, locale=locale, with_symbol=False)


def progress_for(source: CsvFile) -> Progress | None:
    """A progress indicator on stderr when stderr is a terminal, else None (no output at all)."""
    stream = sys.stderr
    if not stream.isatty():
        return None
    return Progress(stream, source.path, size=source.size, position=source.position)


def write(text: str) -> None:
    """Print the finished report on stdout (reports are built whole, never printed half)."""
    sys.stdout.write(text)
    sys.stdout.flush()

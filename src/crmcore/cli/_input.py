"""Reading CSV files row by row: the header checked once, each row turned into a record or
into a problem naming its line, column and value.

Nothing is kept per row, so memory stays flat however large the file. Bad rows do not stop
the reading: every one is reported (up to a cap), and no result is printed when there was
one, so a report never silently leaves out rows.
"""

from __future__ import annotations

import codecs
import csv
import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Final, TextIO, TypeVar

from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_decimal_symbol,
    parse_decimal,
)

from crmcore._numbers import bounded
from crmcore.cli._progress import Progress
from crmcore.errors import ValidationError
from crmcore.money import Currency, Percent, get_currency

__all__ = [
    "CsvFile",
    "InputError",
    "Problems",
    "RowError",
    "UsageError",
    "cached",
    "parse_amount",
    "parse_currency",
    "parse_date",
    "parse_percent",
    "required_text",
]

if TYPE_CHECKING:
    from _csv import Reader

T = TypeVar("T")

_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
#: Digits with one sign and the separators of some locale (checked by Babel, strictly).
_LOCALISED: Final = re.compile(r"[+-]?[0-9.,\s\u00a0\u202f'’]*[0-9][0-9.,\s\u00a0\u202f'’]*")
_SEPARATORS: Final = re.compile(r"[\s\-]+")
_HUNDRED: Final = Decimal(100)
#: Distinct values a cached parser remembers before it starts over.
_CACHE_SIZE: Final = 4096
#: Rows between two looks at the clock for the progress indicator (a power of two, minus one).
_PROGRESS_MASK: Final = 1023


class InputError(Exception):
    """Input the user can fix (a missing file, a bad header, bad rows): printed, exit 1."""


class UsageError(Exception):
    """Options that do not fit together: printed with the usage line, exit 2."""


class RowError(Exception):
    """One field of one row is bad; ``column`` is the canonical column name."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")
        self.column = column
        self.message = message


# -- fields -----------------------------------------------------------------------------------
def required_text(text: str, column: str) -> str:
    """The stripped text; an empty cell is refused."""
    value = text.strip()
    if not value:
        raise RowError(column, "is empty (a value is required)")
    return value


def parse_amount(
    text: str, column: str, *, locale: str | None = None, negative: bool = False
) -> Decimal:
    """An exact decimal (``12.5``, ``1200``), or with ``locale`` also grouped as that locale
    writes numbers (``120,000.00`` in en_US, ``1.234,5`` in de_DE), parsed by Babel.

    A negative amount is refused unless ``negative`` (credit notes in aging).
    """
    value = text.strip()
    number: Decimal | None = None
    if _DECIMAL.fullmatch(value) and (locale is None or _point(locale) == "."):
        number = Decimal(value)
    elif locale is not None and _LOCALISED.fullmatch(value):
        try:
            number = parse_decimal(value, locale=locale, strict=True)
        except NumberFormatError:
            number = None
    if number is None or not number.is_finite():
        hint = ""
        if any(ch.isdigit() and not ch.isascii() for ch in value):
            hint = " (write the digits as 0-9)"
        elif "," in value or "." in value:
            hint = (
                f" (as {locale} writes numbers, e.g. {_example(locale)})"
                if locale
                else (" (write it without thousands separators)")
            )
        raise RowError(column, f"{text!r} is not a decimal number{hint}")
    try:
        number = bounded(number, "", text)
    except ValidationError as error:
        raise RowError(column, str(error)) from None
    if number < 0 and not negative:
        raise RowError(column, f"{text!r} is negative; amounts must be >= 0")
    return number


@functools.cache
def _point(locale: str) -> str:
    return str(get_decimal_symbol(locale))


@functools.cache
def _example(locale: str) -> str:
    return str(format_decimal(Decimal("1234.56"), locale=locale))


def parse_date(text: str, column: str) -> date:
    """An ISO 8601 date (``2026-03-31``)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RowError(column, f"{text!r} is not a date (use YYYY-MM-DD)") from None


def cached(parse: Callable[[str, str], T], column: str) -> Callable[[str], T]:
    """``parse`` for ``column`` remembering recent answers: exports repeat the same dates and
    currency codes on many rows. The memory is bounded (the cache is cleared when full)."""
    cache: dict[str, T] = {}

    def parse_cached(text: str) -> T:
        value = cache.get(text)
        if value is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            value = cache[text] = parse(text, column)
        return value

    return parse_cached


def parse_percent(text: str, column: str) -> Percent:
    """A percentage 0–100 (``35`` or ``35%`` is 35 %), read exactly."""
    value = text.strip().removesuffix("%").rstrip()
    if not _DECIMAL.fullmatch(value) or not 0 <= Decimal(value) <= _HUNDRED:
        raise RowError(column, f"{text!r} is not a percentage between 0 and 100")
    return Percent(value)


def parse_currency(text: str, column: str) -> Currency:
    """An ISO 4217 code (``CNY``; lower case is accepted)."""
    try:
        return get_currency(text.strip().upper())
    except ValidationError:
        raise RowError(column, f"{text!r} is not a current ISO 4217 currency code") from None


# -- problems ---------------------------------------------------------------------------------
class Problems:
    """The bad rows of one file: every one counted, the first ``cap`` kept for the report."""

    def __init__(self, path: str, cap: int) -> None:
        self.path = path
        self.cap = cap
        self.count = 0
        self.messages: list[str] = []

    def add(self, line: int, column: str | None, message: str) -> None:
        """Record a problem on ``line`` (1-based, the header is line 1)."""
        self.count += 1
        if len(self.messages) < self.cap:
            where = f"{column}: " if column else ""
            self.messages.append(f"{self.path}:{line}: {where}{message}")

    def report(self) -> str:
        """The kept messages, then how many there were in all."""
        lines = list(self.messages)
        if self.count > len(self.messages):
            lines.append(f"{self.path}: ... and {self.count - len(self.messages)} more bad rows")
        rows = "row" if self.count == 1 else "rows"
        lines.append(f"{self.path}: {self.count} bad {rows}; nothing was computed")
        return "\n".join(lines)


def _column_key(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lstrip("\ufeff").strip().lower())


# -- the file ---------------------------------------------------------------------------------
class CsvFile:
    """A CSV file opened for streaming, its header mapped to canonical column names.

    ``columns`` maps each canonical name to the header spellings accepted for it (compared
    case-insensitively, spaces and hyphens read as underscores); other columns are ignored.
    Use as a context manager; [`records`][crmcore.cli.CsvFile.records] streams the rows.
    """

    def __init__(
        self,
        path: str,
        columns: Mapping[str, Sequence[str]],
        required: Sequence[str],
        *,
        encoding: str = "utf-8-sig",
        delimiter: str = ",",
        mapping: Mapping[str, str] | None = None,
    ) -> None:
        self.path = path
        self._mapping = dict(mapping or {})
        self.encoding = encoding
        self.rows_read = 0
        self._columns = columns
        self._required = required
        self._delimiter = delimiter
        self._file: TextIO | None = None
        self._reader: Reader | None = None
        self._line = 0
        #: canonical name -> position in the row (present columns only)
        self.index: dict[str, int] = {}
        #: canonical name -> the header text as written in the file (for messages)
        self.names: dict[str, str] = {}
        self.width = 0
        self.size: int | None = None

    def __enter__(self) -> CsvFile:
        try:
            self._file = open(self.path, encoding=self.encoding, newline="")
            self.size = os.fstat(self._file.fileno()).st_size
        except FileNotFoundError:
            raise InputError(f"cannot read {self.path!r}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"cannot read {self.path!r}: it is a directory") from None
        except OSError as error:
            raise InputError(f"cannot read {self.path!r}: {error.strerror or error}") from None
        try:
            self._read_header()
        except BaseException:
            self._file.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()

    def _read_header(self) -> None:
        assert self._file is not None
        reader = csv.reader(self._file, delimiter=self._delimiter)
        self._reader = reader
        header = self._guarded(lambda: next(reader, None))
        if header is None or not any(cell.strip() for cell in header):
            raise InputError(
                f"{self.path}: the file is empty; expected a header row with the columns "
                f"{', '.join(self._required)}"
            )
        self._line = reader.line_num
        self.width = len(header)
        spellings = {
            _column_key(alias): canonical
            for canonical, aliases in self._columns.items()
            for alias in (canonical, *aliases)
        }
        keys = [_column_key(name) for name in header]
        for mapped, name in self._mapping.items():
            if _column_key(name) not in keys:
                raise InputError(
                    f"{self.path}:1: --columns {mapped}={name!r}: the header has no such "
                    f"column (it has: {', '.join(n.strip() for n in header)})"
                )
            position = keys.index(_column_key(name))
            self.index[mapped] = position
            self.names[mapped] = header[position].strip().lstrip("\ufeff")
        taken = set(self.index.values())
        for position, name in enumerate(header):
            canonical = spellings.get(_column_key(name))
            if canonical is None or canonical in self._mapping or position in taken:
                continue
            if canonical in self.index:
                raise InputError(
                    f"{self.path}:1: columns {self.names[canonical]!r} and {name.strip()!r} "
                    f"both give the {canonical}"
                )
            self.index[canonical] = position
            self.names[canonical] = name.strip().lstrip("\ufeff")
        missing = [name for name in self._required if name not in self.index]
        if missing:
            found = ", ".join(name.strip() for name in header)
            raise InputError(
                f"{self.path}:1: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the header has: {found})"
            )

    def _guarded(self, read: Callable[[], T]) -> T:
        """Run ``read``, turning decoding and CSV syntax errors into InputError with a line."""
        try:
            return read()
        except (UnicodeError, csv.Error) as error:
            raise self._input_error(error) from None

    def _input_error(self, error: UnicodeError | csv.Error) -> InputError:
        if isinstance(error, UnicodeDecodeError):
            line = self._undecodable_line() or self._line + 1
            return InputError(
                f"{self.path}:{line}: not valid {self.encoding} text ({error.reason}); "
                "pass --encoding with the file's encoding, e.g. --encoding gbk"
            )
        if isinstance(error, UnicodeError):  # utf-16 without its BOM, and the like
            return InputError(
                f"{self.path}:{self._line + 1}: not valid {self.encoding} text ({error}); "
                "pass --encoding with the file's encoding, e.g. --encoding utf-8"
            )
        return InputError(f"{self.path}:{self._line + 1}: {error}")

    def _undecodable_line(self) -> int | None:
        """The first line that does not decode (the text reader decodes ahead in blocks)."""
        decoder = codecs.getincrementaldecoder(self.encoding)()
        with open(self.path, "rb") as raw:
            for number, line in enumerate(raw, start=1):
                try:
                    decoder.decode(line)
                except UnicodeError:
                    return number
        return None

    def records(
        self,
        build: Callable[[list[str]], T],
        problems: Problems,
        progress: Progress | None = None,
    ) -> Iterator[T]:
        """Each good row built into a record; a bad row goes to ``problems`` with its line.

        After the first problem no more records are yielded (the result would be incomplete),
        but the rest of the file is still checked so that every bad row is reported.
        Blank lines are skipped.
        """
        assert self._reader is not None
        reader = self._reader
        width = self.width
        names = self.names
        rows = 0
        try:
            for row in reader:
                line = self._line + 1
                self._line = reader.line_num
                if not any(row):
                    continue
                rows += 1
                if progress is not None and not rows & _PROGRESS_MASK:
                    progress.update(rows)
                if len(row) != width:
                    problems.add(line, None, f"has {len(row)} fields where the header has {width}")
                    continue
                try:
                    record = build(row)
                except RowError as error:
                    problems.add(line, names.get(error.column, error.column), error.message)
                    continue
                if not problems.count:
                    yield record
        except (UnicodeError, csv.Error) as error:
            raise self._input_error(error) from None
        self.rows_read = rows

    def position(self) -> int:
        """Bytes of the file read so far (for the progress indicator)."""
        assert self._file is not None
        return self._file.buffer.tell()

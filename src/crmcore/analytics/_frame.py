"""Columnar ingress shared by the tables: any frame to polars, columns checked and typed.

Every column is turned into its exact type with vectorised polars expressions — amounts into
``Decimal(38, scale)`` (an exact 128-bit integer of minor units; a float column is refused
because its values are already inexact), dates into ``Date``, percentages into decimals —
and a value that does not parse raises ValidationError naming the column, the row (1 = the
first data row) and the value, never a silent null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from crmcore._tables import require
from crmcore.analytics._columns import resolve_columns
from crmcore.errors import ValidationError

__all__ = [
    "FrameInput",
    "amount_column",
    "check_text",
    "checked_rows",
    "clean_single",
    "date_column",
    "defer_text",
    "first_null",
    "frame_of",
    "padded_values",
    "percent_column",
    "prepare",
    "read_csv_frame",
    "select",
    "single_value",
]

#: What the tables accept: a pyarrow Table or RecordBatch, a pandas or a polars DataFrame.
FrameInput = Any

#: ASCII digits only, as everywhere in crmcore (polars' ``\d`` would take Arabic-Indic ones).
_PLAIN: Final = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
#: Bad values named in one message before "... and N more".
_SHOWN: Final = 3


def polars() -> Any:
    """The polars module, or ImportError naming the ``arrow`` extra."""
    return require("polars", "arrow")


def frame_of(data: FrameInput) -> Any:
    """A polars DataFrame of ``data`` (Arrow and pandas are converted, polars kept)."""
    pl = polars()
    if isinstance(data, pl.DataFrame):
        return data
    if isinstance(data, pl.LazyFrame):
        return data.collect()
    module = type(data).__module__
    if module.startswith("pyarrow"):
        return pl.from_arrow(data)
    if module.startswith("pandas"):
        return pl.from_pandas(data)
    raise ValidationError(
        f"data: expected a pyarrow Table, a pandas or polars DataFrame, got {type(data).__name__}"
    )


def read_csv_frame(path: str, *, delimiter: str = ",", encoding: str = "utf-8") -> Any:
    """Every column of a CSV file as text (parsed exactly afterwards, never guessed)."""
    pl = polars()
    if encoding.replace("-", "").replace("_", "").lower() not in ("utf8", "utf8sig"):
        raise ValidationError(f"encoding: the columnar reader reads UTF-8 only, not {encoding}")
    try:
        return pl.read_csv(path, infer_schema=False, separator=delimiter, encoding="utf8")
    except FileNotFoundError:
        raise ValidationError(f"cannot read {path!r}: no such file") from None
    except pl.exceptions.PolarsError as error:
        raise ValidationError(f"{path}: not a readable CSV file ({error})") from None


def select(
    frame: Any,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    columns: Mapping[str, str] | None,
) -> Any:
    """The frame's columns renamed to canonical names; other columns dropped."""
    found = resolve_columns(list(frame.columns), aliases, required, columns)
    return frame.select([polars().col(name).alias(canonical) for canonical, name in found.items()])


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) or value is None else str(value)


def _fail(frame: Any, bad: Any, column: str, message: str) -> None:
    """Raise ValidationError for the rows where ``bad`` holds, if any."""
    pl = polars()
    rows = frame.with_row_index("_row", offset=1).filter(bad).select("_row", column)
    if not rows.height:
        return
    shown = "; ".join(
        f"row {row}: {_show(value)} {message}" for row, value in rows.head(_SHOWN).iter_rows()
    )
    more = f" (and {rows.height - _SHOWN} more rows)" if rows.height > _SHOWN else ""
    del pl
    raise ValidationError(f"{column}: {shown}{more}")


def checked_rows(items: Iterable[Any], kind: type, name: str) -> list[Any]:
    """``items`` as a list, each a ``kind``; ValidationError naming ``name`` otherwise."""
    rows = list(items)
    for row in rows:
        if not isinstance(row, kind):
            raise ValidationError(f"{name}: expected {kind.__name__}, got {type(row).__name__}")
    return rows


def first_null(frame: Any, column: str, message: str) -> None:
    """Raise ValidationError naming the first row where ``column`` is null, if any."""
    pl = polars()
    if frame[column].null_count():
        row = frame.with_row_index("_row", offset=1).filter(pl.col(column).is_null())["_row"][0]
        raise ValidationError(f"{column}: row {row} {message}")


def single_value(frame: Any, column: str) -> Any:
    """The one value every row of ``column`` holds, or None (mixed, null or no rows).

    One vectorised comparison, far cheaper than ``unique()`` on a long column."""
    pl = polars()
    series = frame[column]
    if not len(series) or series.null_count():
        return None
    first = series[0]
    return None if frame.select((pl.col(column) != first).any()).item() else first


def check_text(frame: Any, column: str, *, required: bool) -> Any:
    """A text column stripped; empty cells become null, refused when ``required``.

    Stripping allocates new strings, so it runs only when some value has outer whitespace.
    """
    pl = polars()
    if frame.schema[column] != pl.String:
        frame = frame.with_columns(pl.col(column).cast(pl.String))
    text = pl.col(column)
    padded, empty = frame.select(
        text.str.contains(r"^\s|\s$").any().alias("padded"),
        (text.str.len_bytes() == 0).any().alias("empty"),
    ).row(0)
    if padded:
        frame = frame.with_columns(text.str.strip_chars().replace("", None).alias(column))
    elif empty:
        frame = frame.with_columns(text.replace("", None).alias(column))
    if required:
        _fail(frame, pl.col(column).is_null(), column, "is empty (a value is required)")
    return frame


def clean_single(frame: Any, column: str) -> str | None:
    """The one text every row of ``column`` holds when it needs no cleaning (not empty, no
    outer whitespace), else None: the usual currency column is then checked once."""
    pl = polars()
    if column not in frame.columns or frame.schema[column] != pl.String:
        return None
    one = single_value(frame, column)
    return one if isinstance(one, str) and one == one.strip() != "" else None


def defer_text(
    frame: Any, required: Sequence[str], optional: Sequence[str]
) -> tuple[Any, dict[str, bool]]:
    """Text columns checked now for what is cheap — a missing or empty cell — with padding
    left for when a column is used (``check_text``): the frame and the columns still to check
    (name → required).

    Looking for outer whitespace costs a regular expression per cell, more than the aging
    query itself; a table used for customer aging never needs its owners looked at."""
    pl = polars()
    frame = frame.with_columns(
        [
            pl.col(name).cast(pl.String)
            for name in (*required, *optional)
            if frame.schema[name] != pl.String
        ]
    )
    empty = {name: pl.col(name).str.len_bytes() == 0 for name in (*required, *optional)}
    flags = (
        frame.select(
            *((empty[name] | pl.col(name).is_null()).any().alias(name) for name in required),
            *(empty[name].any().alias(name) for name in optional),
        ).row(0, named=True)
        if empty
        else {}
    )
    unchecked = {}
    for name in (*required, *optional):
        if flags[name]:
            frame = check_text(frame, name, required=name in required)
        else:
            unchecked[name] = name in required
    return frame, unchecked


def padded_values(values: Any) -> bool:
    """Whether any of ``values`` (a polars Series of text) has outer whitespace."""
    return bool(values.str.contains(r"^\s|\s$").any())


def _number_pattern(locale: str | None) -> tuple[str, str, str]:
    """(regex of a number, group symbol, decimal symbol) for ``locale`` (plain without one)."""
    if locale is None:
        return _PLAIN, "", "."
    from babel.numbers import get_decimal_symbol, get_group_symbol

    group, point = get_group_symbol(locale), get_decimal_symbol(locale)
    g, d = re.escape(group), re.escape(point)
    grouped = rf"[+-]?[0-9]{{1,3}}(?:{g}[0-9]{{3}})+(?:{d}[0-9]*)?"
    plain = rf"[+-]?(?:[0-9]+(?:{d}[0-9]*)?|{d}[0-9]+)"
    return f"(?:{grouped}|{plain})", group, point


def amount_column(frame: Any, column: str, *, negative: bool, locale: str | None = None) -> Any:
    """``column`` as an exact ``Decimal(38, scale)``: text parsed (thousands separators by
    ``locale``), integers kept, decimals kept, floats refused."""
    pl = polars()
    dtype = frame.schema[column]
    if dtype.is_float():
        raise ValidationError(
            f"{column}: a float column ({dtype}) is refused; floats are inexact (0.1 is not "
            "one tenth): read the amounts as text or decimals"
        )
    if dtype.is_integer():
        frame = frame.with_columns(pl.col(column).cast(pl.Decimal(38, 0)))
    elif not isinstance(dtype, pl.Decimal):
        frame = check_text(frame, column, required=True)
        pattern, group, point = _number_pattern(locale)
        text = pl.col(column)
        _fail(frame, ~text.str.contains(f"^{pattern}$"), column, "is not a decimal number")
        if group:
            text = text.str.replace_all(group, "", literal=True)
        if point != ".":
            text = text.str.replace(point, ".", literal=True)
        frame = frame.with_columns(text.alias(column))
        scale = frame.select(pl.col(column).str.extract(r"\.(\d*)$").str.len_chars().max()).item()
        frame = frame.with_columns(
            pl.col(column).str.strip_suffix(".").cast(pl.Decimal(38, scale or 0))
        )
    if not negative:
        _fail(frame, pl.col(column) < 0, column, "is negative; amounts must be >= 0")
    return frame


def date_column(frame: Any, column: str) -> Any:
    """``column`` as a ``Date`` (text must be ISO 8601 ``YYYY-MM-DD``); empty cells null."""
    pl = polars()
    dtype = frame.schema[column]
    if dtype == pl.Date:
        return frame
    if isinstance(dtype, pl.Datetime):
        return frame.with_columns(pl.col(column).dt.date())
    frame = check_text(frame, column, required=False)
    parsed = pl.col(column).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    _fail(
        frame,
        pl.col(column).is_not_null() & (parsed.is_null() | (pl.col(column).str.len_chars() != 10)),
        column,
        "is not a date (use YYYY-MM-DD)",
    )
    return frame.with_columns(parsed.alias(column))


def percent_column(frame: Any, column: str) -> Any:
    """``column`` as a decimal percentage 0–100 (``35`` or ``35%``); empty cells null."""
    pl = polars()
    dtype = frame.schema[column]
    if dtype.is_float():
        raise ValidationError(f"{column}: a float column ({dtype}) is refused; use text")
    if not (dtype.is_integer() or isinstance(dtype, pl.Decimal)):
        frame = check_text(frame, column, required=False)
        text = pl.col(column).str.strip_suffix("%").str.strip_chars()
        _fail(
            frame,
            pl.col(column).is_not_null() & ~text.str.contains(f"^{_PLAIN}$"),
            column,
            "is not a percentage between 0 and 100",
        )
        frame = frame.with_columns(text.alias(column))
        scale = frame.select(pl.col(column).str.extract(r"\.(\d*)$").str.len_chars().max()).item()
        frame = frame.with_columns(pl.col(column).cast(pl.Decimal(38, scale or 0)))
    elif dtype.is_integer():
        frame = frame.with_columns(pl.col(column).cast(pl.Decimal(38, 0)))
    _fail(
        frame,
        (pl.col(column) < 0) | (pl.col(column) > 100),
        column,
        "is not a percentage between 0 and 100",
    )
    return frame


def _clean_flags(
    frame: Any,
    required: Sequence[str],
    optional: Sequence[str],
    dates: Sequence[str],
    amounts: Sequence[str],
) -> dict[str, Any]:
    """One parallel scan: for each text column whether any cell needs work (empty, padded,
    missing), for each date whether any cell is not ``YYYY-MM-DD``, for each amount whether
    any cell is not a plain decimal, and the amounts' largest scale."""
    pl = polars()
    checks = []
    for name in (*required, *optional):
        col = pl.col(name)
        dirty = col.str.contains(r"^\s|\s$|^$")
        checks.append((dirty | col.is_null() if name in required else dirty).any().alias(name))
    for name in dates:
        col = pl.col(name)
        parsed = col.str.to_date("%Y-%m-%d", strict=False)
        checks.append(
            ((col.str.len_bytes() != 10) | (parsed.is_null() & col.is_not_null()))
            .any()
            .alias(name)
        )
    for name in amounts:
        col = pl.col(name)
        checks.append((col.is_null() | ~col.str.contains(f"^{_PLAIN}$")).any().alias(name))
        places = col.str.len_bytes() - col.str.find(".", literal=True) - 1
        checks.append(places.max().alias(f"{name}:scale"))
    return dict(frame.select(checks).row(0, named=True)) if checks else {}


def prepare(
    frame: Any,
    *,
    required: Sequence[str] = (),
    optional: Sequence[str] = (),
    dates: Sequence[str] = (),
    amounts: Mapping[str, bool] | None = None,
    locale: str | None = None,
) -> Any:
    """The columns checked and typed: text stripped (``required`` never empty), ``dates`` as
    ``Date``, ``amounts`` (name → negative allowed) as exact decimals.

    Text columns whose every cell is already clean — the usual export — are checked in one
    parallel scan and typed in one more; any column with a cell that needs work (padding,
    an empty cell, a locale's separators, a bad value) takes its detailed path above, which
    fixes what it may and names the rows it refuses. The result is the same either way.
    """
    pl = polars()
    amounts = amounts or {}
    schema = frame.schema
    for name in (*required, *optional):
        if schema[name] != pl.String:
            frame = frame.with_columns(pl.col(name).cast(pl.String))
    is_text = {name for name in (*dates, *amounts) if schema[name] == pl.String}
    fast_dates = [n for n in dates if n in is_text]
    fast_amounts = [n for n in amounts if n in is_text and locale is None]
    flags = _clean_flags(frame, required, optional, fast_dates, fast_amounts)
    for name in (*required, *optional):
        if flags[name]:
            frame = check_text(frame, name, required=name in required)
    typed = []
    for name in dates:
        if name in fast_dates and not flags[name]:
            typed.append(pl.col(name).str.to_date("%Y-%m-%d"))
        else:
            frame = date_column(frame, name)
    for name, negative in amounts.items():
        if name in fast_amounts and not flags[name]:
            scale = flags[f"{name}:scale"] or 0
            typed.append(pl.col(name).str.strip_suffix(".").cast(pl.Decimal(38, scale)))
        else:
            frame = amount_column(frame, name, negative=negative, locale=locale)
    if typed:
        frame = frame.with_columns(typed)
    for name, negative in amounts.items():
        if name in fast_amounts and not flags[name] and not negative:
            _fail(frame, pl.col(name) < 0, name, "is negative; amounts must be >= 0")
    return frame

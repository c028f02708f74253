"""One result-table protocol for every analytics result: records, HTML, Arrow, pandas, repr.

A result implements ``ResultTable.to_records`` (rows only, plain values, one key name per
column) and, when it has them, ``ResultTable.total_records`` (the totals, same keys,
kept apart so a DataFrame of the rows never mixes a total in). The mixin derives the rest:
``_repr_html_`` for notebooks, ``to_arrow()`` / ``to_pandas()`` with exact decimal columns
(pyarrow ``decimal128``, or ``decimal256`` when 38 digits do not suffice — never floats), and
a compact ``__repr__`` that never prints more than a few rows.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from crmcore._decimal import CONTEXT
from crmcore.errors import ValidationError

if TYPE_CHECKING:
    import pandas
    import pyarrow

__all__ = ["Record", "ResultTable", "arrow_table", "html_table", "require"]

#: One row of ``to_records()``: column name → plain value (str, int, Decimal, bool, None).
Record = dict[str, Any]

_PLACES: Final = Decimal("0.01")
#: Rows a repr shows before it says "... N more".
_REPR_ROWS: Final = 5


def require(module: str, extra: str) -> Any:
    """Import an optional dependency, or raise ImportError naming the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"{module} is not installed: pip install 'crmcore[{extra}]'") from error


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.quantize(_PLACES, context=CONTEXT):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _columns(records: Sequence[Mapping[str, Any]]) -> list[str]:
    columns: list[str] = []
    for record in records:
        columns.extend(c for c in record if c not in columns)
    return columns


def html_table(
    title: str,
    records: Sequence[Mapping[str, Any]],
    totals: Sequence[Mapping[str, Any]] = (),
) -> str:
    """A small HTML table with a caption; numbers right-aligned, Decimals to two places."""
    columns = _columns([*records, *totals])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)

    def body(rows: Sequence[Mapping[str, Any]]) -> str:
        lines = []
        for record in rows:
            cells = []
            for column in columns:
                value = record.get(column)
                numeric = isinstance(value, int | Decimal) and not isinstance(value, bool)
                style = ' style="text-align:right"' if numeric else ""
                cells.append(f"<td{style}>{html.escape(_show(value))}</td>")
            lines.append("<tr>" + "".join(cells) + "</tr>")
        return "".join(lines)

    foot = f"<tfoot>{body(totals)}</tfoot>" if totals else ""
    return (
        f"<table><caption>{html.escape(title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body(records)}</tbody>{foot}</table>"
    )


def _decimal_type(values: list[Any], column: str) -> pyarrow.DataType:
    pa = require("pyarrow", "arrow")
    finite = [v for v in values if v is not None]
    scale = max((max(0, -int(v.as_tuple().exponent)) for v in finite), default=0)
    digits = max((max(1, v.adjusted() + 1) for v in finite), default=1)
    if digits + scale <= 38:
        return pa.decimal128(38, scale)
    if digits + scale <= 76:
        return pa.decimal256(76, scale)
    raise ValidationError(f"{column}: {digits + scale} digits do not fit a decimal256 column")


def arrow_table(records: Sequence[Mapping[str, Any]]) -> pyarrow.Table:
    """A pyarrow Table of ``records``: Decimal columns become exact decimal128/256 columns."""
    pa = require("pyarrow", "arrow")
    columns = _columns(records)
    arrays = {}
    for column in columns:
        values = [record.get(column) for record in records]
        if any(isinstance(v, Decimal) for v in values):
            arrays[column] = pa.array(values, type=_decimal_type(values, column))
        else:
            arrays[column] = pa.array(values)
    return pa.table(arrays) if columns else pa.table({})


class ResultTable:
    """Mixin giving a result its notebook and dataframe faces from ``to_records()``."""

    #: The caption of the HTML table and the first word of the repr.
    _title: str = "result"

    def to_records(self) -> list[Record]:
        """One plain dict per row (totals excluded)."""
        raise NotImplementedError  # pragma: no cover

    def total_records(self) -> list[Record]:
        """The totals as dicts with the rows' keys (empty when the result has none)."""
        return []

    def _caption(self) -> str:
        return self._title

    def _repr_html_(self) -> str:
        return html_table(self._caption(), self.to_records(), self.total_records())

    def __repr__(self) -> str:
        records = self.to_records()
        shown = [_brief(r) for r in records[:_REPR_ROWS]]
        more = f", ... {len(records) - _REPR_ROWS} more" if len(records) > _REPR_ROWS else ""
        totals = "".join(f"; total {_brief(t)}" for t in self.total_records())
        name = type(self).__name__
        body = ", ".join(shown)
        return f"<{name} {self._caption()}: {len(records)} rows [{body}{more}]{totals}>"

    def to_arrow(self, *, totals: bool = False) -> pyarrow.Table:
        """The rows (and the totals with ``totals=True``) as a pyarrow Table, money exact."""
        return arrow_table(self.to_records() + (self.total_records() if totals else []))

    def to_pandas(self, *, totals: bool = False) -> pandas.DataFrame:
        """The rows as a pandas DataFrame whose money columns keep Arrow's exact decimals."""
        pd = require("pandas", "arrow")
        frame: pandas.DataFrame = self.to_arrow(totals=totals).to_pandas(
            types_mapper=pd.ArrowDtype
        )
        return frame


def _brief(record: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in record.items()) + "}"

"""What every columnar table shares: the ways in besides polars, its length and its repr, and
the outer whitespace of text columns looked at when a column is first used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from crmcore.analytics._frame import check_text, frame_of, padded_values, read_csv_frame

__all__ = ["ColumnTable"]


class ColumnTable:
    """Typed columns in a polars DataFrame (``frame``); a table defines ``from_polars``,
    which checks and types the columns, and gets Arrow, pandas and CSV ingress from it."""

    def __init__(self, frame: Any, unchecked: Mapping[str, bool] | None = None) -> None:
        self._data = frame
        # text columns whose outer whitespace is not yet looked at (name → required)
        self._unchecked = dict(unchecked or {})

    @property
    def frame(self) -> Any:
        """The checked, typed columns (a polars DataFrame), every text column stripped."""
        return self._checked(*self._unchecked)

    def _checked(self, *names: str) -> Any:
        """The columns with ``names`` stripped: a padded cell is stripped, a required one
        left empty refused with its row, as ``from_polars`` promises."""
        for name in names:
            if name in self._unchecked:
                self._data = check_text(self._data, name, required=self._unchecked[name])
                del self._unchecked[name]  # only once checked: a refusal is raised every time
        return self._data

    def _grouped(self, values: Mapping[str, Any]) -> list[str]:
        """The text columns among ``values`` (column → its group values, a polars Series)
        with a padded value, to strip and group again; the others are marked checked."""
        padded = []
        for name, series in values.items():
            if name in self._unchecked:
                if padded_values(series):
                    padded.append(name)
                else:
                    del self._unchecked[name]
        return padded

    @classmethod
    def from_polars(cls, *args: Any, **options: Any) -> Self:
        """From a polars DataFrame (each table checks and types its own columns)."""
        raise NotImplementedError  # pragma: no cover - every table defines it

    @classmethod
    def from_arrow(cls, table: Any, **options: Any) -> Self:
        """From a pyarrow Table (the options of ``from_polars``)."""
        return cls.from_polars(frame_of(table), **options)

    @classmethod
    def from_pandas(cls, frame: Any, **options: Any) -> Self:
        """From a pandas DataFrame (float amount columns are refused)."""
        return cls.from_polars(frame_of(frame), **options)

    @classmethod
    def read_csv(
        cls, path: str, *, delimiter: str = ",", encoding: str = "utf-8", **options: Any
    ) -> Self:
        """From a UTF-8 CSV file: every cell read as text and parsed exactly."""
        return cls.from_polars(
            read_csv_frame(path, delimiter=delimiter, encoding=encoding), **options
        )

    def __len__(self) -> int:
        return int(self._data.height)

    def __repr__(self) -> str:
        columns = ", ".join(self._data.columns)
        return f"<{type(self).__name__}: {len(self):,} rows, columns {columns}>"

"""What every columnar table shares: the ways in besides polars, its length and its repr."""

from __future__ import annotations

from typing import Any, Self

from crmcore.analytics._frame import frame_of, read_csv_frame

__all__ = ["ColumnTable"]


class ColumnTable:
    """Typed columns in a polars DataFrame (``frame``); a table defines ``from_polars``,
    which checks and types the columns, and gets Arrow, pandas and CSV ingress from it."""

    def __init__(self, frame: Any) -> None:
        self._data = frame

    @property
    def frame(self) -> Any:
        """The checked, typed columns (a polars DataFrame)."""
        return self._data

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

"""A rows-read indicator on stderr, shown only on a terminal and only for long runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, TextIO

__all__ = ["Progress"]

#: Seconds before anything is shown (small files never show progress) and between updates.
DELAY: Final = 0.5
INTERVAL: Final = 0.2


class Progress:
    """Rewrites one stderr line (``opportunities.csv: 120,000 rows read (45 %)``) in place.

    ``position`` reports how many bytes of the file were read so far, ``size`` its size; the
    line is erased by [`finish`][crmcore.cli.Progress.finish], so the report printed next starts on
    a clean line.
    """

    def __init__(
        self,
        stream: TextIO,
        label: str,
        *,
        size: int | None = None,
        position: Callable[[], int] | None = None,
        clock: Callable[[], float] | None = None,
        delay: float | None = None,
        interval: float | None = None,
    ) -> None:
        clock = clock or time.monotonic
        self._stream = stream
        self._label = label
        self._size = size
        self._position = position
        self._clock = clock
        self._next = clock() + (DELAY if delay is None else delay)
        self._interval = INTERVAL if interval is None else interval
        self._width = 0

    @property
    def shown(self) -> bool:
        """True once the indicator has written something."""
        return self._width > 0

    def update(self, rows: int) -> None:
        """Show ``rows`` if the delay has passed and the last update is old enough."""
        now = self._clock()
        if now < self._next:
            return
        self._next = now + self._interval
        text = f"{self._label}: {rows:,} rows read"
        if self._size and self._position is not None:
            percent = min(100, self._position() * 100 // self._size)
            text += f" ({percent} %)"
        self._write(text)

    def finish(self) -> None:
        """Erase the indicator line, if one was shown."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0

    def _write(self, text: str) -> None:
        padding = " " * max(0, self._width - len(text))
        self._stream.write("\r" + text + padding)
        self._stream.flush()
        self._width = max(self._width, len(text))

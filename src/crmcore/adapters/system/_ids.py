"""UUIDv7 ids (RFC 9562): unique without coordination and sorted by creation time."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

__all__ = ["UuidV7Ids"]

_COUNTER_MAX = 0xFFF


class UuidV7Ids:
    """New ids as UUIDv7 strings; ids made later sort later, even within one millisecond.

    The first 48 bits are the Unix time in milliseconds; the next 12 bits count ids made in
    the same millisecond (RFC 9562 method 1), then 62 random bits. ``prefix_kind=True`` puts
    the kind in front (``order-0190b6…``) for ids a person reads. ``clock_ns`` and
    ``random_bytes`` replace the system's (for tests).
    """

    def __init__(
        self,
        *,
        prefix_kind: bool = False,
        clock_ns: Callable[[], int] = time.time_ns,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.prefix_kind = prefix_kind
        self._clock_ns = clock_ns
        self._random = random_bytes
        self._last_ms = -1
        self._counter = 0

    def new_uuid(self) -> uuid.UUID:
        """The next UUIDv7."""
        ms = self._clock_ns() // 1_000_000
        if ms <= self._last_ms:  # same millisecond, or the clock went back: keep order
            ms = self._last_ms
            self._counter += 1
            if self._counter > _COUNTER_MAX:
                ms += 1
                self._counter = 0
        else:
            self._counter = 0
        self._last_ms = ms
        tail = int.from_bytes(self._random(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76 | self._counter << 64 | 0b10 << 62 | tail
        return uuid.UUID(int=value)

    def new_id(self, kind: str) -> str:
        """A new id for an aggregate of ``kind``."""
        text = str(self.new_uuid())
        return f"{kind}-{text}" if self.prefix_kind else text

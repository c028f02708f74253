"""Per-test time limits for the kit: a hung adapter fails with the likely cause, not a hang."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import pytest

__all__ = ["DEFAULT_CAUSE", "time_limit"]

#: What usually makes a kit test hang.
DEFAULT_CAUSE = (
    "a store call that never returns — usually a connection left inside a transaction after "
    "an error (no rollback) still holding row or table locks, or a lock never released"
)


def _scale() -> float:
    """``CRMCORE_KIT_TIME_SCALE`` stretches every limit on a slow machine (default 1)."""
    try:
        return max(float(os.environ.get("CRMCORE_KIT_TIME_SCALE", "1")), 0.1)
    except ValueError:
        return 1.0


@contextlib.contextmanager
def time_limit(seconds: float, what: str, cause: str = DEFAULT_CAUSE) -> Iterator[None]:
    """Fail the test (naming ``what`` and ``cause``) when the block runs past ``seconds``.

    Uses SIGALRM, so it only arms in the main thread on Unix; elsewhere the block runs
    unguarded (the kit's own joins and barriers still time out).
    """
    armed = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not armed:
        yield
        return
    limit = seconds * _scale()

    def expired(signum: int, frame: FrameType | None) -> None:
        pytest.fail(f"{what} ran past its {limit:g} s limit; likely cause: {cause}", pytrace=False)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

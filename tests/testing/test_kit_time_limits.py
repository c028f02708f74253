"""The kit's per-test time limit fails a hung block naming the likely cause."""

from __future__ import annotations

import threading
import time

import pytest

from crmcore.testing._time_limits import DEFAULT_CAUSE, time_limit


def test_a_block_past_its_limit_fails_naming_the_likely_cause() -> None:
    with (
        pytest.raises(
            pytest.fail.Exception,
            match=r"kit test x ran past its 0.2 s limit; "
            r"likely cause: a lock never released",
        ),
        time_limit(0.2, "kit test x", "a lock never released"),
    ):
        time.sleep(5)


def test_a_block_within_its_limit_runs_and_the_alarm_is_disarmed() -> None:
    with time_limit(5, "kit test y"):
        pass
    time.sleep(0.1)
    assert "no rollback" in DEFAULT_CAUSE


def test_outside_the_main_thread_the_block_runs_unguarded() -> None:
    done: list[bool] = []

    def run() -> None:
        with time_limit(0.01, "kit test z"):
            time.sleep(0.05)
        done.append(True)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(5)
    assert done == [True]

"""Shared test set-up: Hypothesis profiles (``dev`` by default, ``ci`` under CI, ``fuzz``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from crmcore.receivables import _receivable

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
# The hostile-input fuzz tests (tests/fuzz) run 10,000 examples each under this profile:
#   HYPOTHESIS_PROFILE=fuzz python -m pytest tests/fuzz
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)

# Every read of a receivable's kept fold of "now" is checked against a full fold, so a change
# that forgets to keep it current fails whichever test makes it.
_receivable.VERIFY_FOLD = True

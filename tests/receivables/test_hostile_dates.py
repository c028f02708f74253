"""Issue 15: terms whose due dates cannot be computed never load; impossible dates are refused."""

from __future__ import annotations

from datetime import date

import pytest

from crmcore._dates import LAST_DATE, MAX_DAYS, MAX_MONTHS
from crmcore.errors import ConfigError, ValidationError
from crmcore.receivables import DueKind, DueRule, PaymentTerms, Portion, TermLine
from crmcore.serialization import from_dict
from tests.receivables.rcv_support import cny, make_receivable


def terms(due: dict[str, object]) -> dict[str, object]:
    return {"name": "t", "lines": [{"portion": {"kind": "balance"}, "due": due}]}


def test_three_million_days_is_refused_when_the_terms_load() -> None:
    # loaded fine, then dateutil's OverflowError when an order was submitted
    with pytest.raises(
        ConfigError, match=r"lines\[0\]\.due\.days: 3000000 must be 0\.\.36600 days"
    ):
        from_dict(PaymentTerms, terms({"kind": "days_after", "days": 3_000_000}))


def test_a_million_months_is_refused_when_the_terms_load() -> None:
    with pytest.raises(
        ConfigError, match=r"lines\[0\]\.due\.months: 1000000 must be 0\.\.1200 months"
    ):
        from_dict(PaymentTerms, terms({"kind": "end_of_month_after", "months": 10**6}))


def test_the_longest_terms_give_a_due_date_from_the_last_supported_anchor() -> None:
    for rule in (
        DueRule(DueKind.DAYS_AFTER, days=MAX_DAYS),
        DueRule(DueKind.DAYS_AFTER_MONTH_END, days=MAX_DAYS),
        DueRule(DueKind.END_OF_MONTH_AFTER, months=MAX_MONTHS),
        DueRule(DueKind.DAY_OF_MONTH_AFTER, days=MAX_DAYS, day=31),
    ):
        assert rule.due_date(LAST_DATE) > LAST_DATE
    with pytest.raises(ValidationError, match=r"days: expected a whole number, got True"):
        DueRule(DueKind.DAYS_AFTER, days=True)


def test_a_receivable_issued_on_date_max_is_refused_cleanly() -> None:
    # was OverflowError from dateutil
    with pytest.raises(
        ValidationError, match=r"issue_date: 9999-12-31 is outside the supported 1900-01-01"
    ):
        make_receivable(issue_date=date.max)
    with pytest.raises(ValidationError, match=r"anchor: 9999-12-31 is outside"):
        PaymentTerms("t", [TermLine(Portion.balance(), DueRule.net(1))]).schedule(
            cny(10), date.max
        )

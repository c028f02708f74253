"""The aging command on a small CSV whose buckets are checked by hand (as of 2026-03-31)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.cli_helpers import EXAMPLES, RECEIVABLES, run, table_lines, write

AS_OF = "2026-03-31"


@pytest.fixture
def receivables(tmp_path: Path) -> Path:
    return write(tmp_path, "receivables.csv", RECEIVABLES)


def test_aging_by_customer_puts_each_installment_in_its_bucket(capsys, receivables):
    # due 04-30 and 03-31: not yet due; 03-30: 1 day; 01-30: 60 days; 2025-12-31: 90 days;
    # 2025-11-01: 150 days
    result = run(capsys, "aging", receivables, "--as-of", AS_OF)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "Aging on 2026-03-31 by customer (days past due date): 6 installments"
    )
    assert table_lines(result.out) == [
        ["Acme", "CNY", "0.00", "10.00", "20.50", "0.00", "0.00", "0.00", "30.50", "2"],
        ["Acme", "USD", "0.00", "0.00", "0.00", "7.00", "0.00", "0.00", "7.00", "1"],
        ["Zeta", "CNY", "0.00", "0.00", "0.00", "0.00", "0.00", "1,000.00", "1,000.00", "1"],
        ["华信", "CNY", "150.25", "0.00", "0.00", "0.00", "0.00", "0.00", "150.25", "2"],
        [
            "(total)",
            "CNY",
            "150.25",
            "10.00",
            "20.50",
            "0.00",
            "0.00",
            "1,000.00",
            "1,180.75",
            "5",
        ],
        ["(total)", "USD", "0.00", "0.00", "0.00", "7.00", "0.00", "0.00", "7.00", "1"],
    ]


def test_aging_by_issue_date(capsys, receivables):
    # days since issue: 30, 89, 89, 120, 181, 454
    result = run(
        capsys, "aging", receivables, "--as-of", AS_OF, "--basis", "issue", "--by", "owner",
        "--format", "csv",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [
        (r["owner"], r["currency"], r["days_1_30"], r["days_61_90"], r["days_91_120"],
         r["days_over_120"], r["total"])
        for r in rows
    ] == [
        ("bob", "CNY", "0.00", "10.00", "20.50", "0.00", "30.50"),
        ("bob", "USD", "0.00", "0.00", "0.00", "7.00", "7.00"),
        ("li", "CNY", "100.00", "50.25", "0.00", "1000.00", "1150.25"),
        ("(total)", "CNY", "100.00", "60.25", "20.50", "1000.00", "1180.75"),
        ("(total)", "USD", "0.00", "0.00", "0.00", "7.00", "7.00"),
    ]  # fmt: skip


def test_aging_by_department_as_json_with_custom_buckets(capsys, receivables):
    result = run(
        capsys, "aging", receivables, "--as-of", AS_OF, "--by", "department",
        "--buckets", "15,45", "--format", "json",
    )  # fmt: skip
    document = json.loads(result.out)
    assert document["buckets"] == {
        "not_yet_due": "not yet due",
        "days_1_15": "1–15",
        "days_16_45": "16–45",
        "days_over_45": "> 45",
    }
    assert document["rows"][0] == {
        "department": None,
        "currency": "CNY",
        "buckets": {
            "not_yet_due": "0.00",
            "days_1_15": "10.00",
            "days_16_45": "0.00",
            "days_over_45": "20.50",
        },
        "total": "30.50",
        "count": 2,
    }
    assert [(r["department"], r["currency"], r["total"]) for r in document["rows"]] == [
        (None, "CNY", "30.50"),
        (None, "USD", "7.00"),
        ("north", "CNY", "1150.25"),
    ]
    assert document["totals"][0]["total"] == "1180.75"
    assert document["as_of"] == AS_OF
    assert document["basis"] == "due_date"


def test_buckets_always_sum_to_the_total(capsys):
    result = run(
        capsys, "aging", EXAMPLES / "receivables.csv", "--as-of", AS_OF, "--format", "json"
    )
    document = json.loads(result.out)
    from decimal import Decimal

    for row in [*document["rows"], *document["totals"]]:
        assert sum(Decimal(v) for v in row["buckets"].values()) == Decimal(row["total"])
    assert [(t["currency"], t["total"], t["count"]) for t in document["totals"]] == [
        ("CNY", "1161890.00", 22),
        ("USD", "28050.00", 3),
    ]


def test_department_none_shows_as_none_in_the_table(capsys, receivables):
    out = run(capsys, "aging", receivables, "--as-of", AS_OF, "--by", "department").out
    assert [row[:2] for row in table_lines(out)][:3] == [
        ["(none)", "CNY"],
        ["(none)", "USD"],
        ["north", "CNY"],
    ]


def test_aging_locale_and_currency_option(capsys, tmp_path):
    text = "customer,owner,issue_date,due_date,outstanding\nc,o,2026-01-01,2026-01-01,1234567.5\n"
    path = write(tmp_path, "r.csv", text)
    assert run(capsys, "aging", path, "--as-of", AS_OF).code == 1
    out = run(capsys, "aging", path, "--as-of", AS_OF, "--currency", "EUR", "--locale", "de_DE")
    assert table_lines(out.out)[0] == [
        "c", "EUR", "0,00", "0,00", "0,00", "1.234.567,50", "0,00", "0,00", "1.234.567,50", "1",
    ]  # fmt: skip


def test_bad_aging_rows_are_reported(capsys, tmp_path):
    text = (
        "customer,owner,issue_date,due_date,outstanding,currency\n"
        ",o,2026-01-01,2026-01-01,1,CNY\n"
        "c,o,2026-01-01,31/01/2026,1,CNY\n"
        "c,o,2026-01-01,2026-01-31,1,CNY\n"
        'c,o,2026-01-01,2026-01-31,"1,0000",CNY\n'
        "c,o,2026-01-01,2026-01-31,1,RMB\n"
        "c,o,2026-01-01,2026-01-31,1,\n"
    )
    path = write(tmp_path, "r.csv", text)
    result = run(capsys, "aging", path, "--as-of", AS_OF)
    assert result.code == 1
    assert result.out == ""
    assert result.err.splitlines() == [
        f"crmcore aging: {path}:2: customer: is empty (a value is required)",
        f"{path}:3: due_date: '31/01/2026' is not a date (use YYYY-MM-DD)",
        f"{path}:5: outstanding: '1,0000' is not a decimal number (as en_US writes numbers, "
        "e.g. 1,234.56)",
        f"{path}:6: currency: 'RMB' is not a current ISO 4217 currency code",
        f"{path}:7: currency: is empty and no --currency was given",
        f"{path}: 5 bad rows; nothing was computed",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: --as-of"),
        (["--as-of", "2026-02-30"], "argument --as-of: '2026-02-30' is not a date"),
        (["--as-of", AS_OF, "--by", "region"], "argument --by: invalid choice: 'region'"),
        (["--as-of", AS_OF, "--basis", "paid"], "argument --basis: invalid choice"),
        (["--as-of", AS_OF, "--buckets", "60,30"], "edges[1]: must be greater than 60"),
        (["--as-of", AS_OF, "--buckets", "a"], "expected ascending whole days"),
        (["--as-of", AS_OF, "--currency", "xx"], "'xx' is not a current ISO 4217 currency code"),
    ],
)
def test_aging_usage_errors_exit_2(capsys, receivables, argv, message):
    result = run(capsys, "aging", receivables, *argv)
    assert result.code == 2
    assert message in result.err
    assert result.out == ""


def test_fractions_of_a_cent_are_a_bad_row_so_every_grouping_agrees(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "cents.csv",
        "customer,owner,due_date,issue_date,outstanding,currency\n"
        "c1,a1,2026-03-01,2026-02-01,0.005,CNY\n"
        "c1,a2,2026-03-01,2026-02-01,10.00,CNY\n",
    )
    result = run(capsys, "aging", path, "--as-of", AS_OF)
    assert result.code == 1
    assert "cents.csv:2: outstanding: '0.005' has more decimals than CNY's 2" in result.err
    assert result.out == ""

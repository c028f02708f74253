"""The forecast command on small CSVs whose figures are checked by hand."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from crmcore.cli._output import display_width
from tests.cli.cli_helpers import EXAMPLES, OPPORTUNITIES, run, table_lines, write


@pytest.fixture
def opportunities(tmp_path: Path) -> Path:
    return write(tmp_path, "opportunities.csv", OPPORTUNITIES)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_forecast_by_stage_with_the_default_process(capsys, opportunities):
    # qualify 10 % of 1000, needs 40 % of 12.5, proposal 60 % of 2000.50, negotiation 80 % of
    # 3000, contract at its own 25 % of 4000; won and lost deals are not in the open pipeline
    result = run(capsys, "forecast", opportunities)
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out.splitlines()[0] == (
        "Weighted forecast by stage: 5 open of 7 opportunities, sales process 'default', "
        "amounts in CNY"
    )
    assert table_lines(result.out) == [
        ["qualify", "1", "1,000.00", "100.00"],
        ["needs", "1", "12.50", "5.00"],
        ["proposal", "1", "2,000.50", "1,200.30"],
        ["negotiation", "1", "3,000.00", "2,400.00"],
        ["contract", "1", "4,000.00", "1,000.00"],
        ["(total)", "5", "10,013.00", "4,705.30"],
    ]


def test_forecast_by_owner_and_quarter_sorts_names_and_shows_undated_deals(capsys, opportunities):
    result = run(capsys, "forecast", opportunities, "--by", "owner,quarter")
    assert result.code == 0
    assert table_lines(result.out) == [
        ["alice", "2026-Q1", "2", "3,000.50", "1,300.30"],
        ["bob", "2026-Q2", "2", "7,000.00", "3,400.00"],
        ["陈静", "(no close date)", "1", "12.50", "5.00"],
        ["(total)", "5", "10,013.00", "4,705.30"],
    ]
    assert "1 opportunity has no expected close date (e.g. C1)" in result.out


def test_wide_characters_are_aligned_by_display_width(capsys, opportunities):
    out = run(capsys, "forecast", opportunities, "--by", "owner").out
    lines = [line for line in out.splitlines() if line.startswith(("alice", "陈静"))]
    # "陈静" takes four terminal columns: the counts still end in the same column
    ends = [
        display_width(line[: line.index(count) + 1])
        for line, count in zip(lines, "21", strict=True)
    ]
    assert ends[0] == ends[1] == 14


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (
            "month",
            [
                ["2026-01", "1", "1000.00", "100.00"],
                ["2026-02", "1", "2000.50", "1200.30"],
                ["2026-04", "1", "3000.00", "2400.00"],
                ["2026-05", "1", "4000.00", "1000.00"],
                ["", "1", "12.50", "5.00"],
                ["(total)", "5", "10013.00", "4705.30"],
            ],
        ),
        (
            "department",
            [
                ["east", "3", "3013.00", "1305.30"],
                ["west", "2", "7000.00", "3400.00"],
                ["(total)", "5", "10013.00", "4705.30"],
            ],
        ),
        (
            "category",
            [
                ["best_case", "1", "3000.00", "2400.00"],
                ["commit", "1", "4000.00", "1000.00"],
                ["pipeline", "3", "3013.00", "1305.30"],
                ["(total)", "5", "10013.00", "4705.30"],
            ],
        ),
    ],
)
def test_forecast_groupings_as_csv(capsys, opportunities, by, expected):
    result = run(capsys, "forecast", opportunities, "--by", by, "--format", "csv")
    assert result.code == 0
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == [by, "count", "amount", "weighted_amount", "currency"]
    assert [row[:4] for row in rows[1:]] == expected
    assert {row[4] for row in rows[1:]} == {"CNY"}


def test_department_and_stage_together(capsys, opportunities):
    result = run(capsys, "forecast", opportunities, "--by", "department, stage", "--format", "csv")
    rows = csv_rows(result.out)
    assert [(r["department"], r["stage"], r["weighted_amount"]) for r in rows] == [
        ("east", "qualify", "100.00"),
        ("east", "needs", "5.00"),
        ("east", "proposal", "1200.30"),
        ("west", "negotiation", "2400.00"),
        ("west", "contract", "1000.00"),
        ("(total)", "", "4705.30"),
    ]


def test_json_keeps_exact_amounts_and_reports_the_target_gap(capsys, opportunities):
    result = run(
        capsys, "forecast", opportunities, "--by", "owner", "--target", "20000", "--format", "json"
    )
    assert result.code == 0
    document = json.loads(result.out)
    assert document["currency"] == "CNY"
    assert document["records"] == 7
    assert document["rows"][0] == {
        "owner": "alice",
        "count": 2,
        "amount": "3000.50",
        "weighted_amount": "1300.30",
    }
    assert document["rows"][2]["owner"] == "陈静"
    assert document["total"] == {"count": 5, "amount": "10013.00", "weighted_amount": "4705.30"}
    # 20000 - won 5000 - weighted open 4705.30
    assert document["target"] == {
        "period": None,
        "target": "20000.00",
        "closed_won": "5000.00",
        "weighted_open": "4705.30",
        "gap": "10294.70",
        "reached": False,
    }
    assert document["missing_close_date"] == {"count": 0, "ids": []}  # not grouped by period


def test_target_for_one_quarter_is_a_surplus(capsys, opportunities):
    # Q1: won 5000 (W1) and alice's open 1300.30 against a target of 5000
    result = run(capsys, "forecast", opportunities, "--target", "5000", "--period", "2026-Q1")
    assert result.code == 0
    tail = result.out.split("Target for 2026-Q1 (CNY):\n")[1].splitlines()
    assert [line.split() for line in tail] == [
        ["target", "5,000.00"],
        ["closed", "won", "5,000.00"],
        ["weighted", "open", "1,300.30"],
        ["surplus", "1,300.30"],
    ]


def test_target_by_month_in_csv_goes_on_the_total_row(capsys, opportunities):
    result = run(
        capsys, "forecast", opportunities, "--by", "month", "--target", "3000",
        "--period", "2026-02", "--format", "csv",
    )  # fmt: skip
    rows = csv_rows(result.out)
    assert rows[0]["target"] == ""
    total = rows[-1]
    assert (total["month"], total["target_period"], total["target"]) == (
        "(total)",
        "2026-02",
        "3000.00",
    )
    # February: won 5000 (W1 on 2026-02-01), open A2 weighted 1200.30 -> 3000 - 6200.30
    assert (total["closed_won"], total["weighted_open"], total["gap"]) == (
        "5000.00",
        "1200.30",
        "-3200.30",
    )


def test_a_process_file_changes_the_probabilities(capsys, opportunities):
    # examples/process.json: qualify 5, needs 25, proposal 50, negotiation 70, contract 90:
    # 50 + 3.125 + 1000.25 + 2100 + 1000 (the deal's own 25 %) = 4153.375, exact in CSV
    process = EXAMPLES / "process.json"
    result = run(capsys, "forecast", opportunities, "--process", process, "--format", "csv")
    assert csv_rows(result.out)[-1]["weighted_amount"] == "4153.375"
    table = run(capsys, "forecast", opportunities, "--process", process)
    assert "sales process 'east-china-b2b'" in table.out
    assert table_lines(table.out)[-1] == ["(total)", "5", "10,013.00", "4,153.38"]


def test_locale_formats_the_table(capsys, opportunities):
    out = run(capsys, "forecast", opportunities, "--by", "owner", "--locale", "de_DE").out
    assert table_lines(out)[-1] == ["(total)", "5", "10.013,00", "4.705,30"]


def test_rows_in_another_currency_need_a_rate(capsys, tmp_path):
    text = "id,owner,stage,amount,currency\nx,a,qualify,100,CNY\ny,b,qualify,10,usd\n"
    path = write(tmp_path, "mixed.csv", text)
    refused = run(capsys, "forecast", path)
    assert refused.code == 1
    assert (
        f"{path}:3: currency: 'USD' is not the forecast's currency CNY; "
        "pass --rate USD=<value of 1 USD in CNY>"
    ) in refused.err
    converted = run(capsys, "forecast", path, "--rate", "USD=7.1", "--format", "json")
    assert json.loads(converted.out)["total"]["amount"] == "171.00"  # 100 + 10 x 7.1


def test_currency_option_for_files_without_a_currency_column(capsys, tmp_path):
    path = write(tmp_path, "nocur.csv", "id,owner,stage,amount\nx,a,needs,250\n")
    missing = run(capsys, "forecast", path)
    assert missing.code == 1
    assert "there is no currency column; pass --currency" in missing.err
    result = run(capsys, "forecast", path, "--currency", "EUR", "--rate", "EUR=1")
    assert result.code == 0
    assert "amounts in EUR" in result.out
    assert table_lines(result.out)[-1] == ["(total)", "1", "250.00", "100.00"]


def test_an_empty_currency_cell_without_option_is_a_bad_row(capsys, tmp_path):
    path = write(tmp_path, "o.csv", "id,owner,stage,amount,currency\nx,a,needs,250,\n")
    result = run(capsys, "forecast", path)
    assert result.code == 1
    assert f"{path}:2: currency: is empty and no --currency was given" in result.err


def test_won_and_lost_as_stage_names_count_as_outcomes(capsys, tmp_path):
    text = (
        "id,owner,stage,amount,currency,expected_close\n"
        "w,a,Won,700,CNY,2026-01-10\nl,a,lost,300,CNY,2026-01-11\no,a,needs,100,CNY,2026-01-12\n"
    )
    path = write(tmp_path, "o.csv", text)
    result = run(capsys, "forecast", path, "--target", "1000", "--format", "json")
    document = json.loads(result.out)
    assert document["total"]["count"] == 1
    assert document["target"]["closed_won"] == "700.00"
    assert document["target"]["gap"] == "260.00"  # 1000 - 700 - 40


def test_categories_and_statuses_from_the_file(capsys, tmp_path):
    text = (
        "opportunity_id,owner,stage,amount,currency,forecast category,status,win probability\n"
        "a,x,qualify,100,CNY,Best Case,open,50%\n"
        "b,x,needs,100,CNY,omitted,,\n"
        "c,x,needs,100,CNY,,invalid,\n"
    )
    path = write(tmp_path, "o.csv", text)
    result = run(capsys, "forecast", path, "--by", "category", "--format", "csv")
    assert result.code == 0, result.err
    assert [(r["category"], r["count"], r["weighted_amount"]) for r in csv_rows(result.out)] == [
        ("best_case", "1", "50.00"),
        ("omitted", "1", "0.00"),  # in the pipeline, but an omitted deal weighs nothing
        ("(total)", "2", "50.00"),
    ]


def test_a_header_only_file_gives_an_empty_forecast(capsys, tmp_path):
    path = write(tmp_path, "o.csv", "id,owner,stage,amount,currency\n")
    result = run(capsys, "forecast", path, "--format", "json", "--target", "10")
    assert result.code == 0
    document = json.loads(result.out)
    assert document["rows"] == []
    assert document["total"] == {"count": 0, "amount": "0.00", "weighted_amount": "0.00"}
    assert document["target"]["gap"] == "10.00"
    table = run(capsys, "forecast", path, "--currency", "CNY")
    assert table_lines(table.out) == [["(total)", "0", "0.00", "0.00"]]


def test_examples_file_runs(capsys):
    result = run(capsys, "forecast", EXAMPLES / "opportunities.csv", "--by", "owner,quarter")
    assert result.code == 0
    assert table_lines(result.out)[-1] == ["(total)", "33", "4,377,000.00", "2,168,285.00"]


def test_a_bad_first_row_does_not_set_the_currency(capsys, tmp_path):
    text = "id,owner,stage,amount,currency\n,a,needs,1,USD\nx,a,needs,10,CNY\ny,a,needs,1,USD\n"
    path = write(tmp_path, "o.csv", text)
    result = run(capsys, "forecast", path)
    assert result.err.splitlines()[:2] == [
        f"crmcore forecast: {path}:2: id: is empty (a value is required)",
        f"{path}:4: currency: 'USD' is not the forecast's currency CNY; "
        "pass --rate USD=<value of 1 USD in CNY>",
    ]

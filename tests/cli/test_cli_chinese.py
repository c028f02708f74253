"""The file commands in Chinese: titles, columns, stages, categories and totals translated;
only the data (customers, owners, ids, currency codes) stays as the file has it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_helpers import EXAMPLES, run


def test_the_forecast_speaks_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(
        capsys,
        "forecast",
        EXAMPLES / "opportunities.csv",
        "--by",
        "stage,category",
        "--target",
        "100000",
        "--period",
        "2026-Q2",
        "--locale",
        "zh_CN",
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == (
        "加权预测（按阶段、类别）：36 个商机中未结 33 个，销售流程 'default'，金额单位 CNY"
    )
    assert lines[2].split() == ["阶段", "类别", "数量", "金额", "加权金额"]
    assert lines[4].split()[:3] == ["资格确认", "管道", "7"]
    assert "（合计）" in result.out
    assert "2026-Q2 目标（CNY）：" in result.out
    assert "  已赢单 " in result.out


def test_one_opportunity_is_singular_in_english(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one = tmp_path / "one.csv"
    one.write_text("id,owner,stage,amount\nO1,ann,qualify,1000\n", encoding="utf-8")
    result = run(capsys, "forecast", one, "--currency", "CNY")
    assert result.code == 0, result.err
    assert result.out.startswith("Weighted forecast by stage: 1 open of 1 opportunity,")


def test_the_aging_speaks_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(
        capsys, "aging", EXAMPLES / "receivables.csv", "--as-of", "2026-03-31", "--locale", "zh_CN"
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "2026-03-31 账龄分析（按客户，按逾期天数）：分期款 25 笔"
    assert lines[2].split() == [
        "客户",
        "币种",
        "未到期",
        "1–30",
        "天",
        "31–60",
        "天",
        "61–90",
        "天",
        "91–120",
        "天",
        "120",
        "天以上",
        "合计",
        "数量",
    ]
    assert "（合计）" in result.out

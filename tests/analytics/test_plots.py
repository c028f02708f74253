"""Charts: every result's ``.plot()`` draws what it holds (Agg backend), and the docs' PNGs
are rendered by scripts/forecast_charts.py."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from crmcore.money import Money
from crmcore.receivables import InstallmentRecord, aging

ROOT = Path(__file__).resolve().parents[2]


def charts_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "forecast_charts", ROOT / "scripts" / "forecast_charts.py"
    )
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_each_result_plots_its_rows() -> None:
    script = charts_script()
    from crmcore.forecast import outcome_distribution, weighted_forecast

    deals = script.pipeline()
    forecast = weighted_forecast(deals, script.PROCESS, by="stage").plot()
    assert [t.get_text() for t in forecast.get_xticklabels()] == list(script.COUNTS)
    assert len(forecast.patches) == 10  # amount and weighted for five stages
    assert forecast.patches[5].get_height() == 3_250_000  # qualify weighted
    dist = outcome_distribution(deals, script.PROCESS, target=Money(30_000_000, "CNY")).plot()
    assert len(dist.lines) == 5  # the step line and P10, P50, P90, target
    plt.close("all")


def test_aging_plot_stacks_credit_notes_to_the_left() -> None:
    records = [
        InstallmentRecord("ann", "c", None, date(2026, 2, 1), date(2026, 1, 1), Money(100, "CNY")),
        InstallmentRecord(
            "ann", "c", None, date(2026, 3, 20), date(2026, 1, 1), Money(-30, "CNY")
        ),
    ]
    axes = aging(records, date(2026, 3, 31)).plot()
    widths = sorted(p.get_width() for p in axes.patches if p.get_width())
    assert widths == [-30.0, 100.0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["ann CNY"]
    plt.close("all")


def test_the_docs_charts_are_rendered(tmp_path: Path) -> None:
    written = charts_script().render(tmp_path)
    assert [p.name for p in written] == [
        "forecast-by-stage.png", "funnel.png", "aging.png", "distribution.png",
    ]  # fmt: skip
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (ROOT / "docs" / "img" / path.name).is_file()  # committed, referenced by the page

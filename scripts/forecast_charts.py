"""Render the charts of docs/forecast.md into docs/img/ (run by the tests into a temp folder).

PYTHONPATH=src python scripts/forecast_charts.py          # writes docs/img/*.png
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from crmcore.forecast import (
    FunnelAggregate,
    Opportunity,
    OpportunityRecord,
    SalesProcess,
    outcome_distribution,
    weighted_forecast,
)
from crmcore.money import Money
from crmcore.ports import Actor
from crmcore.receivables import InstallmentRecord, aging
from crmcore.serialization import from_dict

PROCESS = from_dict(
    SalesProcess,
    {
        "id": "b2b",
        "stages": [
            {"name": "qualify", "probability": "10"},
            {"name": "needs", "probability": "40"},
            {"name": "proposal", "probability": "60"},
            {"name": "negotiation", "probability": "80", "category": "best_case"},
            {"name": "contract", "probability": "90", "category": "commit"},
        ],
    },
)
COUNTS = {"qualify": 65, "needs": 34, "proposal": 27, "negotiation": 15, "contract": 6}


def pipeline() -> list[OpportunityRecord]:
    """The textbook pipeline of the forecast page."""
    owners = ["alice", "bob", "chen"]
    return [
        OpportunityRecord(
            f"{stage}-{i}", owners[i % 3], stage, Money(500_000, "CNY"), date(2026, 1 + i % 6, 15)
        )
        for stage, n in COUNTS.items()
        for i in range(n)
    ]


def histories() -> list[object]:
    """Deals moved through the funnel, some won, some lost."""
    actor = Actor("alice", {"sales"})
    result = []
    for i in range(40):
        start = datetime(2026, 1, 1) + timedelta(days=i)
        deal = Opportunity.open(
            f"h{i}", PROCESS, amount=Money(100_000, "CNY"), owner_id="alice", actor=actor, at=start
        )
        for step, stage in enumerate(PROCESS.stage_names[1 : 1 + i % 5], start=1):
            deal.advance(actor, stage, at=start + timedelta(days=7 * step))
        if i % 5 == 4:
            deal.win(actor, at=start + timedelta(days=60))
        elif i % 3 == 0:
            deal.lose(actor, at=start + timedelta(days=50), reason="price")
        result.append(deal.to_history())
    return result


def render(folder: Path) -> list[Path]:
    """Draw the four charts into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    deals = pipeline()
    receivables = [
        InstallmentRecord(
            owner, "acme", None, date(2026, 3, 31) - timedelta(days=d), date(2026, 1, 1),
            Money(amount, "CNY"),
        )
        for owner, d, amount in [
            ("alice", -10, 50_000), ("alice", 20, 30_000), ("alice", 75, 12_000),
            ("bob", 45, 80_000), ("bob", 130, 20_000), ("bob", 15, -5_000),
            ("chen", 5, 64_000), ("chen", 100, 9_000),
        ]
    ]  # fmt: skip
    charts = {
        "forecast-by-stage.png": weighted_forecast(deals, PROCESS, by="stage").plot(),
        "funnel.png": FunnelAggregate.of(
            histories(),
            PROCESS,
            as_of=datetime(2026, 4, 1),  # type: ignore[arg-type]
        )
        .snapshot()
        .plot(),
        "aging.png": aging(receivables, date(2026, 3, 31)).plot(),
        "distribution.png": outcome_distribution(
            deals, PROCESS, target=Money(30_000_000, "CNY")
        ).plot(),
    }
    written = []
    for name, axes in charts.items():
        path = folder / name
        axes.figure.tight_layout()
        axes.figure.savefig(path, dpi=80)
        matplotlib.pyplot.close(axes.figure)
        written.append(path)
    return written


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "docs" / "img"
    )
    for path in render(target):
        print(path)

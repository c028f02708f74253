"""Data shared by the forecast tests (a module with a unique name, importable from tests)."""

from __future__ import annotations

from datetime import datetime

PROCESS_DATA = {
    "id": "b2b",
    "name": "B2B deals",
    "stages": [
        {
            "name": "qualify",
            "probability": "10",
            "expected_days": 7,
            "required_fields": ["budget"],
        },
        {
            "name": "needs",
            "probability": "40",
            "expected_days": 14,
            "required_fields": ["decision_maker"],
        },
        {"name": "proposal", "probability": "60", "expected_days": 10},
        {"name": "negotiation", "probability": "80", "category": "best_case"},
        {
            "name": "legal_review",
            "probability": "85",
            "departments": ["enterprise"],
            "required_fields": ["legal_ok"],
            "category": "best_case",
        },
        {
            "name": "contract",
            "probability": "90",
            "category": "commit",
            "approval_process_id": "big-deal-approval",
        },
    ],
}


def at(day: int, month: int = 1, hour: int = 9) -> datetime:
    """A moment in 2026, for readable histories."""
    return datetime(2026, month, day, hour)

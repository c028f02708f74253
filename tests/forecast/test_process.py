"""The sales process as configuration: loading, round-tripping and bad data with paths."""

from __future__ import annotations

import json

import pytest

from crmcore.errors import ConfigError, NotFound, ValidationError
from crmcore.forecast import ForecastCategory, SalesProcess, Stage
from crmcore.money import Percent
from crmcore.serialization import from_dict, to_dict
from tests.forecast.forecast_helpers import PROCESS_DATA


def test_loads_from_json_and_round_trips(process: SalesProcess) -> None:
    loaded = from_dict(SalesProcess, json.loads(json.dumps(PROCESS_DATA)))
    assert loaded == process
    assert from_dict(SalesProcess, to_dict(process)) == process
    assert process.stage_names == (
        "qualify",
        "needs",
        "proposal",
        "negotiation",
        "legal_review",
        "contract",
    )
    contract = process.stage("contract")
    assert contract.probability == Percent(90)
    assert contract.category is ForecastCategory.COMMIT
    assert contract.approval_process_id == "big-deal-approval"
    assert process.stage("qualify").required_fields == ("budget",)
    assert process.position("proposal") == 2


def test_department_paths_skip_stages_of_other_departments(process: SalesProcess) -> None:
    assert "legal_review" in [s.name for s in process.path_for("enterprise")]
    assert "legal_review" not in [s.name for s in process.path_for("smb")]
    assert len(process.path_for(None)) == 5


def test_unknown_stage_is_not_found(process: SalesProcess) -> None:
    with pytest.raises(NotFound, match="no stage 'closing'"):
        process.stage("closing")
    assert not process.has_stage("closing")


@pytest.mark.parametrize(
    ("stages", "problem"),
    [
        (
            [{"name": "a", "probability": "10"}, {"name": "b", "probability": "120"}],
            "stages[1].probability: must be between 0 % and 100 %, got 120 %",
        ),
        (
            [{"name": "a", "probability": "10"}, {"name": "a", "probability": "20"}],
            "stages[1].name: duplicate stage name 'a'",
        ),
        ([], "stages: a sales process needs at least one stage"),
        ([{"probability": "5"}], "stages[0].name: required"),
        ([{"name": "a", "probability": "5", "colour": "red"}], "stages[0]: unknown keys"),
        ([{"name": "a", "probability": "-1"}], "stages[0].probability: must be between"),
        ([{"name": "a", "probability": "5", "expected_days": 0}], "expected_days: must be > 0"),
        ([{"name": "a", "probability": "5", "category": "maybe"}], "stages[0].category"),
        ([{"name": "a", "probability": 0.5}], "float 0.5 refused"),
    ],
)
def test_bad_configuration_names_the_path(stages: list[object], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_dict(SalesProcess, {"id": "p", "stages": stages})
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_blank_required_field_name_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"required_fields\[1\]"):
        Stage("a", Percent(5), required_fields=("budget", " "))


def test_single_strings_are_accepted_for_lists() -> None:
    stage = Stage("a", Percent(5), required_fields="budget", departments="smb")
    assert stage.required_fields == ("budget",)
    assert stage.departments == frozenset({"smb"})
    process = SalesProcess("p", [stage], sales_roles="rep", invalidate_roles="boss")
    assert process.sales_roles == frozenset({"rep"})
    assert process.invalidate_roles == frozenset({"boss"})

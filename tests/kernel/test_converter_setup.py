"""One configuration door: packages never touch the converter when imported; the converter
calls every package's ``configure_converter`` once, on first use; the old doors still work
and say what replaces them."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import crmcore
from crmcore import _converters
from crmcore.forecast import SalesProcess
from crmcore.leads import AssignmentPolicy, RoundRobin, policy_from_dict
from crmcore.receivables import (
    AgingBuckets,
    CreditPolicy,
    DunningPolicy,
    PaymentTerms,
    ReceivablePolicy,
    WriteOffRules,
)
from crmcore.serialization import converter, from_dict, to_dict
from crmcore.serialization._converter import CrmConverter
from crmcore.services import NotificationRoutes
from crmcore.workflow import (
    ApprovalInstance,
    ApprovalProcess,
    Compare,
    Condition,
    Op,
    condition_from_dict,
    condition_to_dict,
)
from tests.workflow.workflow_helpers import T0, Order, actor, org

SRC = Path(crmcore.__file__).resolve().parent.parent

#: Counts the hooks of the shared converter, in a fresh interpreter, before and after every
#: module is imported, then after the first use. The CLI is left out: its module constants
#: (the demo's processes) are configuration loaded through ``from_dict``, a first use.
_PROBE = """
import importlib, json, pathlib
from crmcore.serialization import converter

def hooks():
    out = []
    for dispatch in (converter._structure_func, converter._unstructure_func):
        out.append(dispatch._function_dispatch.get_num_fns())
        out.append(len(dispatch._direct_dispatch))
        out.append(len(dispatch._single_dispatch.registry))
    return out

import crmcore
before = hooks()
root = pathlib.Path(crmcore.__file__).parent
for path in sorted(root.rglob("*.py")):
    name = ".".join(("crmcore", *path.relative_to(root).with_suffix("").parts))
    name = name.removesuffix(".__init__")
    if not name.startswith(("crmcore.adapters.postgres", "crmcore.__main__", "crmcore.cli")):
        importlib.import_module(name)
after_import = hooks()
from crmcore.serialization import to_dict
from crmcore.leads import RoundRobin
to_dict(RoundRobin())
print(json.dumps([before, after_import, hooks()]))
"""


def test_importing_the_packages_does_not_touch_the_converter() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    )
    before, after_import, after_use = json.loads(result.stdout)
    assert after_import == before
    assert after_use != before  # the first use taught it every package's types


def test_every_package_configures_the_converter_from_one_place() -> None:
    names = [configure.__module__ for configure in _converters.PACKAGES]
    assert names == [
        "crmcore.pricing._serialization",
        "crmcore.workflow._serialization",
        "crmcore.receivables._serialization",
        "crmcore.leads._serialization",
        "crmcore.forecast._serialization",
        "crmcore.visits._serialization",
        "crmcore.orders._serialization",
        "crmcore.services._serialization",
    ]


def test_a_copy_of_the_converter_is_configured_once() -> None:
    copied = converter.copy()
    assert isinstance(copied, CrmConverter)
    assert copied.structure({"kind": "round_robin"}, AssignmentPolicy) == RoundRobin()
    assert copied.get_unstructure_hook(RoundRobin)(RoundRobin()) == {"kind": "round_robin"}


_CONDITION = {"field": "net_total", "op": ">=", "value": "100"}
_PROCESS = {
    "id": "p",
    "version": 1,
    "subject_kind": "order",
    "steps": [{"name": "manager", "approvers": [{"role": "manager"}]}],
}


@pytest.mark.parametrize(
    ("old", "cls", "data"),
    [
        (ReceivablePolicy.from_dict, ReceivablePolicy, {}),
        (AgingBuckets.from_dict, AgingBuckets, {"edges": [15, 30]}),
        (CreditPolicy.from_dict, CreditPolicy, {}),
        (
            DunningPolicy.from_dict,
            DunningPolicy,
            {"steps": [{"offset_days": 7, "level": 1, "fee": "5"}], "annual_interest": "8"},
        ),
        (WriteOffRules.from_dict, WriteOffRules, {"reasons": []}),
        (PaymentTerms.from_dict, PaymentTerms, to_dict(PaymentTerms.net(30))),
        (
            SalesProcess.from_dict,
            SalesProcess,
            {"id": "s", "stages": [{"name": "a", "probability": "10"}]},
        ),
        (ApprovalProcess.from_dict, ApprovalProcess, _PROCESS),
        (policy_from_dict, AssignmentPolicy, {"kind": "round_robin"}),
        (condition_from_dict, Condition, _CONDITION),
        (NotificationRoutes.from_dict, NotificationRoutes, {}),
    ],
)
def test_the_old_doors_warn_and_load_the_same(old: object, cls: type, data: object) -> None:
    with pytest.warns(DeprecationWarning, match=r"is deprecated; use .*from_dict\("):
        loaded = old(data)  # type: ignore[operator]
    assert loaded == from_dict(cls, data)


def test_the_old_ways_back_warn_and_give_the_same_data() -> None:
    process = from_dict(ApprovalProcess, _PROCESS)
    sales = from_dict(SalesProcess, {"id": "s", "stages": [{"name": "a", "probability": "10"}]})
    condition = Compare("net_total", Op.GE, "100")
    with pytest.warns(DeprecationWarning, match="use crmcore.serialization.to_dict"):
        assert process.to_dict() == to_dict(process)
    with pytest.warns(DeprecationWarning, match="use crmcore.serialization.to_dict"):
        assert sales.to_dict() == to_dict(sales)
    with pytest.warns(DeprecationWarning, match="use crmcore.serialization.to_dict"):
        assert condition_to_dict(condition) == to_dict(condition) == _CONDITION


def test_an_approval_request_goes_through_the_same_door() -> None:
    process = from_dict(ApprovalProcess, _PROCESS)
    directory = org()
    request = ApprovalInstance.start(
        process, Order(), actor("sam"), directory, at=T0, instance_id="AP-1"
    )
    data = to_dict(request)
    with pytest.warns(DeprecationWarning, match="use crmcore.serialization.to_dict"):
        assert request.to_dict() == data
    with pytest.warns(DeprecationWarning, match=r"use from_dict\(ApprovalInstance, data\)"):
        assert ApprovalInstance.from_dict(data) == request
    assert from_dict(ApprovalInstance, json.loads(json.dumps(data))) == request


#: Internals that left the package ``__all__``s: (package, name, private module still holding it).
TRIMMED = [
    ("crmcore.services", "owner_from_event", "crmcore.services._notifications"),
    ("crmcore.services", "deliver_outbox", "crmcore.services._notifications"),
    ("crmcore.services", "OwnerLookup", "crmcore.services._case"),
    ("crmcore.services", "ComputedKind", "crmcore.services._kinds"),
    ("crmcore.services", "resolve_actor", "crmcore.services._identity"),
    ("crmcore.services", "Acting", "crmcore.services._identity"),
    ("crmcore.services", "IdempotencyRecord", "crmcore.services._records"),
    ("crmcore.services", "DunningLog", "crmcore.services._records"),
    ("crmcore.services", "record_of", "crmcore.services._record_access"),
    ("crmcore.cli", "build_parser", "crmcore.cli._main"),
    ("crmcore.cli", "DEFAULT_PROCESS", "crmcore.cli._forecast"),
    ("crmcore.receivables", "bucket_keys", "crmcore.receivables._aging"),
    ("crmcore.forecast", "period_label", "crmcore.forecast._records"),
    ("crmcore.forecast", "UNCHANGED", "crmcore._aggregate"),
    ("crmcore.analytics", "column_key", "crmcore.analytics._columns"),
    ("crmcore.analytics", "resolve_columns", "crmcore.analytics._columns"),
]


@pytest.mark.parametrize(("package", "name", "home"), TRIMMED)
def test_internals_left_the_public_surface_but_stay_importable(
    package: str, name: str, home: str
) -> None:
    assert name not in importlib.import_module(package).__all__
    assert hasattr(importlib.import_module(home), name)


def test_the_one_unchanged_sentinel_is_crmcore_s() -> None:
    import crmcore.forecast

    with pytest.warns(DeprecationWarning, match=r"use crmcore\.UNCHANGED"):
        assert crmcore.forecast.UNCHANGED is crmcore.UNCHANGED
    with pytest.raises(AttributeError, match="no attribute 'NOPE'"):
        _ = crmcore.forecast.NOPE  # type: ignore[attr-defined]
    assert "UNCHANGED" in crmcore.__all__
    assert "StorageError" in crmcore.__all__

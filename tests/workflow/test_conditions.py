"""Conditions as data: comparisons over a subject's attributes, combinators, the data form."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore.errors import ConfigError
from crmcore.money import Money, Percent
from crmcore.serialization import converter, from_dict, to_dict
from crmcore.workflow import (
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    Op,
    Predicate,
    as_condition,
)
from crmcore.workflow._conditions import resolve


class Tier(enum.Enum):
    GOLD = "gold"
    SILVER = "silver"


@attrs.frozen
class Reason:
    kind: str


@attrs.frozen
class Customer:
    tier: Tier
    region: str


@attrs.frozen
class Order:
    id: str = "o-1"
    net_total: Money = attrs.Factory(lambda: Money("12000.00", "CNY"))
    discount: Percent = attrs.Factory(lambda: Percent("15"))
    quantity: int = 30
    weight: Decimal = Decimal("2.5")
    on: date = date(2026, 3, 1)
    at: datetime = datetime(2026, 3, 1, 10, 30)
    rush: bool = False
    customer: Customer = Customer(Tier.GOLD, "north")
    approval_reasons: tuple[Reason, ...] = ()
    tags: list[str] = attrs.Factory(list)
    note: str | None = None
    extra: dict[str, Any] = attrs.Factory(dict)


ORDER = Order(
    approval_reasons=(Reason("discount_above_authority"), Reason("below_margin_floor")),
    tags=["vip", "export"],
    extra={"channel": "web"},
)


# -- comparisons on each kind of value ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"field": "net_total", "op": ">=", "value": {"amount": "10000", "currency": "CNY"}},
            True,
        ),
        (
            {"field": "net_total", "op": "<", "value": {"amount": "10000", "currency": "CNY"}},
            False,
        ),
        ({"field": "net_total", "op": ">", "value": "11999.99"}, True),
        ({"field": "net_total", "op": "==", "value": "12000"}, True),
        ({"field": "discount", "op": ">", "value": "10"}, True),
        ({"field": "discount", "op": "<=", "value": "15.00"}, True),
        ({"field": "discount", "op": "<", "value": "15"}, False),
        ({"field": "quantity", "op": ">=", "value": "30"}, True),
        ({"field": "quantity", "op": "!=", "value": 30}, False),
        ({"field": "weight", "op": "<", "value": "2.51"}, True),
        ({"field": "on", "op": ">=", "value": "2026-03-01"}, True),
        ({"field": "on", "op": "<", "value": "2026-03-01"}, False),
        ({"field": "at", "op": ">", "value": "2026-03-01T10:00:00"}, True),
        ({"field": "rush", "op": "==", "value": False}, True),
        ({"field": "customer.tier", "op": "==", "value": "gold"}, True),
        ({"field": "customer.tier", "op": "in", "value": ["silver"]}, False),
        ({"field": "customer.region", "op": "in", "value": ["north", "south"]}, True),
        ({"field": "customer.region", "op": "not in", "value": ["north", "south"]}, False),
        ({"field": "note", "op": "==", "value": None}, True),
        ({"field": "note", "op": ">", "value": "a"}, False),
        ({"field": "extra.channel", "op": "==", "value": "web"}, True),
    ],
)
def test_comparison_reads_the_subject_attribute_as_its_own_type(
    data: dict[str, Any], expected: bool
) -> None:
    assert from_dict(Condition, data).evaluate(ORDER) is expected


def test_discount_above_authority_is_configuration_over_approval_reasons() -> None:
    needs_manager = from_dict(
        Condition,
        {"field": "approval_reasons.kind", "op": "contains", "value": "discount_above_authority"},
    )
    assert needs_manager.evaluate(ORDER) is True
    assert needs_manager.evaluate(Order()) is False
    other = Order(approval_reasons=(Reason("below_margin_floor"),))
    assert needs_manager.evaluate(other) is False
    not_reason = from_dict(
        Condition,
        {"field": "approval_reasons.kind", "op": "not contains", "value": "below_margin_floor"},
    )
    assert not_reason.evaluate(ORDER) is False
    assert not_reason.evaluate(Order()) is True


def test_a_path_through_a_list_is_true_when_any_element_matches() -> None:
    assert resolve(ORDER, "approval_reasons.kind") == [
        "discount_above_authority",
        "below_margin_floor",
    ]
    cond = Compare("approval_reasons.kind", Op.IN, ["below_margin_floor"])
    assert cond.evaluate(ORDER) is True
    assert Compare("approval_reasons.kind", Op.EQ, "nope").evaluate(ORDER) is False
    assert Compare("tags", Op.CONTAINS, "vip").evaluate(ORDER) is True
    assert resolve({"a": ({"b": [1, 2]}, {"b": 3})}, "a.b") == [1, 2, 3]


def test_contains_on_nothing_is_false_and_on_a_scalar_is_a_config_error() -> None:
    assert Compare("note", Op.CONTAINS, "x").evaluate(ORDER) is False
    assert Compare("note", Op.NOT_CONTAINS, "x").evaluate(ORDER) is True
    with pytest.raises(ConfigError, match="not a collection"):
        Compare("customer.region", Op.CONTAINS, "n").evaluate(ORDER)
    with pytest.raises(ConfigError, match="not a collection"):
        Compare("quantity", Op.CONTAINS, 3).evaluate(ORDER)


def test_contains_coerces_the_value_like_the_items() -> None:
    subject = {"amounts": [Decimal("1.50"), Decimal("2")]}
    assert Compare("amounts", Op.CONTAINS, "1.5").evaluate(subject) is True
    assert Compare("amounts", Op.CONTAINS, "1.5").evaluate({"amounts": []}) is False


def test_missing_attribute_names_the_path() -> None:
    with pytest.raises(ConfigError, match=r"'customer\.segment': Customer has no 'segment'"):
        Compare("customer.segment", Op.EQ, "x").evaluate(ORDER)
    assert resolve({"a": None}, "a.b.c") is None


def test_in_needs_a_list_value() -> None:
    with pytest.raises(ConfigError, match="must be a list"):
        Compare("customer.region", Op.IN, "north").evaluate(ORDER)


def test_a_comparison_built_in_code_is_checked_at_once() -> None:
    with pytest.raises(ConfigError, match=r"op: unknown operator '~' \(use one of ==, !=,"):
        Compare("x", "~", 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="op: unknown operator None"):
        Compare("x", None, 1)  # type: ignore[arg-type]
    assert Compare("x", "==", 1) == Compare("x", Op.EQ, 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="field: must be a non-empty string, got ''"):
        Compare("", Op.EQ, 1)
    with pytest.raises(ConfigError, match="field: must be a non-empty string, got None"):
        Compare(None, Op.EQ, 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"value: float 0\.5 refused in discount >"):
        Compare("discount", Op.GT, 0.5)
    with pytest.raises(ConfigError, match=r"value: float \['A', 0.5\] refused"):
        Compare("tier", Op.IN, ["A", 0.5])
    with pytest.raises(
        ConfigError, match=r"customer\.region in needs a list of options, got 'north'"
    ):
        Compare("customer.region", Op.IN, "north")


def test_money_in_another_currency_is_a_config_error_not_a_silent_false() -> None:
    cond = Compare("net_total", Op.GT, Money("100", "USD"))
    with pytest.raises(ConfigError, match="another currency"):
        cond.evaluate(ORDER)
    assert Compare("net_total", Op.GT, Money("100", "CNY")).evaluate(ORDER)


def test_uncomparable_values_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot compare"):
        Compare("customer.region", Op.GT, 5).evaluate(ORDER)
    with pytest.raises(ConfigError, match="does not fit"):
        Compare("quantity", Op.GT, "many").evaluate(ORDER)
    with pytest.raises(ConfigError, match="does not fit"):
        Compare("on", Op.GT, "yesterday").evaluate(ORDER)
    with pytest.raises(ConfigError, match="does not fit"):
        Compare("customer.tier", Op.EQ, "platinum").evaluate(ORDER)


def test_typed_values_pass_through() -> None:
    assert Compare("discount", Op.EQ, Percent("15")).evaluate(ORDER)
    assert Compare("customer.tier", Op.EQ, Tier.GOLD).evaluate(ORDER)
    assert Compare("on", Op.EQ, date(2026, 3, 1)).evaluate(ORDER)
    assert Compare("net_total", Op.EQ, Money("12000", "CNY")).evaluate(ORDER)


# -- combinators and callables ----------------------------------------------------------------


def test_all_any_not_combine_and_describe_themselves() -> None:
    big = Compare("net_total", Op.GE, Money("10000", "CNY"))
    north = Compare("customer.region", Op.EQ, "north")
    rush = Compare("rush", Op.EQ, True)
    assert AllOf([big, north]).evaluate(ORDER) is True
    assert AllOf([big, rush]).evaluate(ORDER) is False
    assert AnyOf([rush, north]).evaluate(ORDER) is True
    assert AnyOf([rush]).evaluate(ORDER) is False
    assert Not(rush).evaluate(ORDER) is True
    assert AllOf([]).evaluate(ORDER) is True
    assert AnyOf([]).evaluate(ORDER) is False
    assert AllOf([]).describe() == "always"
    assert AnyOf([]).describe() == "never"
    text = AllOf([big, AnyOf([north, Not(rush)])]).describe()
    assert (
        text == "(net_total >= 10000.00 CNY and (customer.region == 'north' or not rush == True))"
    )
    assert from_dict(
        Condition, {"field": "net_total", "op": ">", "value": {"amount": "5", "currency": "CNY"}}
    ).describe() == ("net_total > 5.00 CNY")
    assert big(ORDER) is True


def test_a_host_configuring_in_code_may_pass_a_callable() -> None:
    def is_export(order: Order) -> bool:
        return "export" in order.tags

    cond = as_condition(is_export)
    assert isinstance(cond, Predicate)
    assert cond.describe() == "is_export"
    assert cond.evaluate(ORDER) is True
    assert as_condition(cond) is cond
    assert as_condition({"field": "rush", "op": "==", "value": True}) == Compare(
        "rush", Op.EQ, True
    )
    with pytest.raises(ConfigError, match="must be a Condition"):
        as_condition(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Python code"):
        to_dict(cond)


# -- the data form ----------------------------------------------------------------------------

NESTED = {
    "all": [
        {"field": "net_total", "op": ">=", "value": {"amount": "10000", "currency": "CNY"}},
        {"any": [{"field": "customer.region", "op": "in", "value": ["north", "east"]}]},
        {"not": {"field": "rush", "op": "==", "value": True}},
    ]
}


def test_data_form_round_trips() -> None:
    cond = from_dict(Condition, NESTED)
    assert isinstance(cond, AllOf)
    assert cond.evaluate(ORDER) is True
    assert to_dict(cond) == NESTED
    assert from_dict(Condition, to_dict(cond)) == cond
    typed = Compare("net_total", Op.GT, Money("5", "CNY"))
    assert to_dict(typed)["value"] == {"amount": "5", "currency": "CNY"}
    assert converter.structure(NESTED, Condition) == cond
    assert to_dict(cond) == NESTED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1], "a condition must be an object"),
        ({"all": "x"}, "all: must be a list"),
        ({"all": [{"field": "x", "op": "~", "value": 1}]}, r"all\[0\]\.op: unknown operator '~'"),
        ({"any": [{"nope": 1}]}, r"any\[0\]: a condition is"),
        ({"not": {"field": "", "op": "==", "value": 1}}, "not.field: must be a non-empty string"),
        ({"field": "x", "op": ">", "value": 0.1}, "value: float 0.1 refused"),
        ({"field": "x", "op": "in", "value": "a"}, "value: 'in' needs a list"),
        ({"field": "x", "op": "=="}, r"got keys \['field', 'op'\]"),
    ],
)
def test_bad_data_names_the_path(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(Condition, data)


def test_bad_condition_inside_a_config_names_the_full_path() -> None:
    @attrs.frozen
    class Rule:
        when: Condition

    with pytest.raises(ConfigError) as err:
        from_dict(Rule, {"when": {"all": [{"field": "x", "op": "like", "value": 1}]}})
    assert err.value.problems == [
        "when.all[0].op: unknown operator 'like' (use one of ==, !=, <, <=, >, >=, in, not in, "
        "contains, not contains)"
    ]


# -- properties -------------------------------------------------------------------------------

leaf = st.sampled_from(
    [
        Compare("rush", Op.EQ, True),
        Compare("rush", Op.EQ, False),
        Compare("quantity", Op.GT, 10),
        Compare("customer.region", Op.IN, ["south"]),
    ]
)
conditions = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(AllOf),
        st.lists(inner, max_size=3).map(AnyOf),
        inner.map(Not),
    ),
    max_leaves=8,
)


@given(conditions)
def test_data_form_keeps_the_meaning(cond: Condition) -> None:
    again = from_dict(Condition, to_dict(cond))
    assert again == cond
    assert again.evaluate(ORDER) == cond.evaluate(ORDER)


@given(conditions, conditions)
def test_de_morgan(a: Condition, b: Condition) -> None:
    assert Not(AllOf([a, b])).evaluate(ORDER) == AnyOf([Not(a), Not(b)]).evaluate(ORDER)
    assert Not(AnyOf([a, b])).evaluate(ORDER) == AllOf([Not(a), Not(b)]).evaluate(ORDER)


@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_ordering_ops_agree_with_python(actual: int, bound: int) -> None:
    subject = {"n": actual}
    assert Compare("n", Op.LT, str(bound)).evaluate(subject) == (actual < bound)
    assert Compare("n", Op.LE, str(bound)).evaluate(subject) == (actual <= bound)
    assert Compare("n", Op.GT, str(bound)).evaluate(subject) == (actual > bound)
    assert Compare("n", Op.GE, str(bound)).evaluate(subject) == (actual >= bound)
    assert Compare("n", Op.EQ, str(bound)).evaluate(subject) == (actual == bound)
    assert Compare("n", Op.NE, str(bound)).evaluate(subject) == (actual != bound)


def test_a_tuple_attribute_reads_as_a_list_and_decimals_describe_plainly() -> None:
    assert resolve(ORDER, "approval_reasons") == list(ORDER.approval_reasons)
    assert Compare("weight", Op.LT, Decimal("3")).describe() == "weight < 3"


def test_a_condition_built_in_code_equals_the_same_condition_loaded_from_json() -> None:

    built = AllOf(
        [
            Compare("net_total", Op.GE, Money("50000", "CNY")),
            Compare("discount", Op.GT, Percent("12.5")),
            Compare("tier", Op.IN, frozenset({"B", "A"})),
            Compare("on", Op.LT, date(2026, 1, 1)),
        ]
    )
    loaded = from_dict(Condition, json.loads(json.dumps(to_dict(built))))
    assert loaded == built
    assert built.conditions[0].value == {"amount": "50000", "currency": "CNY"}  # type: ignore[attr-defined]
    assert built.conditions[2].value == ["A", "B"]  # type: ignore[attr-defined]
    assert built.describe() == (
        "(net_total >= 50000.00 CNY and discount > 12.5 and tier in ['A', 'B'] "
        "and on < '2026-01-01')"
    )


def test_a_missing_optional_key_makes_every_comparison_false() -> None:
    """Routing on a custom field most leads lack must not fail their creation: a key a
    mapping does not have is absent, and a comparison on it is false whatever its operator."""
    with_field = {"custom": {"employees": 250}}
    without = {"custom": {}}
    for data, expected in (
        ({"field": "custom.employees", "op": ">", "value": 100}, (True, False)),
        ({"field": "custom.employees", "op": "!=", "value": 100}, (True, False)),
        ({"field": "custom.employees", "op": "not in", "value": [1, 2]}, (True, False)),
        ({"not": {"field": "custom.employees", "op": "==", "value": 250}}, (False, True)),
    ):
        condition = from_dict(Condition, data)
        assert (condition.evaluate(with_field), condition.evaluate(without)) == expected, data
    # through a list, elements without the key are left out
    rows = {"lines": [{"sku": "A"}, {"qty": 3}]}
    assert from_dict(Condition, {"field": "lines.sku", "op": "==", "value": "A"}).evaluate(rows)
    assert not from_dict(Condition, {"field": "lines.sku", "op": "==", "value": "B"}).evaluate(
        rows
    )
    assert repr(resolve({"a": {}}, "a.b")) == "ABSENT"

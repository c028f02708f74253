"""The one converter: kernel types round-trip; bad data names every bad path."""

from __future__ import annotations

import enum
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmcore._validators import non_empty, non_negative, percent_0_100, positive
from crmcore.errors import ConfigError, ValidationError
from crmcore.money import Currency, Money, Percent
from crmcore.serialization import from_dict, to_dict
from crmcore.testing import strategies as cst


class Channel(enum.Enum):
    WEB = "web"
    SHOP = "shop"


@attrs.frozen
class Line:
    sku: str = attrs.field(validator=non_empty)
    quantity: Decimal = attrs.field(validator=positive)
    unit_price: Money
    discount: Percent = attrs.field(default=Percent(0), validator=percent_0_100)


@attrs.frozen
class Order:
    lines: list[Line]
    on: date
    channel: Channel
    created_at: datetime
    currency: Currency
    tags: frozenset[str] = frozenset()
    deposit: Decimal = attrs.field(default=Decimal(0), validator=non_negative)
    count: int = 0
    urgent: bool = False


def sample() -> Order:
    return Order(
        lines=[Line("A-1", Decimal("2.5"), Money("19.99", "CNY"), Percent("12.5"))],
        on=date(2026, 3, 1),
        channel=Channel.WEB,
        created_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        currency=Currency("CNY", 2),
        tags=frozenset({"b", "a"}),
        count=3,
    )


def test_to_dict_gives_plain_json_ready_data() -> None:
    data = to_dict(sample())
    assert data == {
        "lines": [
            {
                "sku": "A-1",
                "quantity": "2.5",
                "unit_price": {"amount": "19.99", "currency": "CNY"},
                "discount": "12.5",
            }
        ],
        "on": "2026-03-01",
        "channel": "web",
        "created_at": "2026-03-01T09:30:00+00:00",
        "currency": "CNY",
        "tags": ["a", "b"],
        "deposit": "0",
        "count": 3,
        "urgent": False,
    }
    assert from_dict(Order, json.loads(json.dumps(data))) == sample()


def test_every_bad_field_is_named_by_its_path() -> None:
    data = to_dict(sample())
    data["lines"] = [
        data["lines"][0],
        {"sku": "B", "quantity": "0", "unit_price": {"amount": "1", "currency": "CNY"}},
        {"sku": " ", "quantity": 1.5, "unit_price": {"amount": "1"}},
        {"quantity": "1", "unit_price": "1 CNY", "discount": "120", "colour": "red"},
    ]
    data["on"] = "01/03/2026"
    data["channel"] = "fax"
    data["count"] = True
    with pytest.raises(ConfigError) as caught:
        from_dict(Order, data)
    problems = caught.value.problems
    assert "lines[1].quantity: must be > 0, got 0" in problems
    assert any(p.startswith("lines[2].quantity: float 1.5 refused") for p in problems)
    assert any(p.startswith("lines[2].unit_price: money needs both") for p in problems)
    assert any(p.startswith("lines[3].unit_price: expected") for p in problems)
    assert "lines[3].sku: required" in problems
    assert "on: '01/03/2026' is not an ISO 8601 date (YYYY-MM-DD)" in problems
    assert "channel: 'fax' is not one of 'web', 'shop'" in problems
    assert "count: expected a whole number, got True" in problems
    assert str(caught.value).startswith("invalid Order: ")
    assert isinstance(caught.value, ValidationError)


def test_unknown_keys_and_wrong_shapes_are_reported() -> None:
    data = to_dict(sample())
    data["colour"] = "red"
    with pytest.raises(ConfigError, match=r"\(top level\): unknown keys \['colour'\]"):
        from_dict(Order, data)
    data = to_dict(sample())
    data["lines"][0]["unit_price"] = {"amount": "1", "currency": "CNY", "x": 1}
    data["urgent"] = "yes"
    data["created_at"] = 5
    with pytest.raises(ConfigError) as caught:
        from_dict(Order, data, what="order")
    assert str(caught.value).startswith("invalid order: ")
    problems = caught.value.problems
    assert any("lines[0].unit_price: unexpected keys ['x']" in p for p in problems)
    assert "urgent: expected true or false, got 'yes'" in problems
    assert "created_at: expected an ISO 8601 date-time string, got 5" in problems
    # Validators run once every field has the right type: a range error shows up then.
    data = to_dict(sample())
    data["deposit"] = "-1"
    with pytest.raises(ConfigError, match=r"deposit: must be >= 0, got -1"):
        from_dict(Order, data)


def test_scalars_are_checked_too() -> None:
    assert from_dict(int, 12) == 12
    assert from_dict(Money, Money(1, "CNY")) == Money(1, "CNY")
    assert from_dict(Percent, Percent(1)) == Percent(1)
    assert from_dict(date, date(2026, 1, 2)) == date(2026, 1, 2)
    assert from_dict(datetime, "2026-01-02T03:04:05") == datetime(2026, 1, 2, 3, 4, 5)
    for cls, value, message in [
        (str, 5, "expected a string, got int 5"),
        (int, 1.5, "expected a whole number"),
        (int, "12", "expected a whole number, got '12'"),
        (tuple[int, ...], None, "expected a list, got None"),
        (tuple[int, ...], {"a": 1}, "expected a list"),
        (Money, "1 CNY", "expected"),
        (date, 20260102, "expected an ISO 8601 date string"),
        (datetime, "noon", "is not an ISO 8601 date-time"),
        (Decimal, 0.1, "float"),
    ]:
        with pytest.raises(ConfigError, match=message):
            from_dict(cls, value)


@given(
    money=cst.money(extra_places=2),
    percent=cst.percents(-500, 500, 4),
    day=st.dates(),
    moment=st.datetimes(timezones=st.just(UTC)),
    amount=cst.amounts(places=6),
)
def test_every_kernel_type_round_trips(
    money: Money, percent: Percent, day: date, moment: datetime, amount: Decimal
) -> None:
    for value, cls in [
        (money, Money),
        (percent, Percent),
        (day, date),
        (moment, datetime),
        (amount, Decimal),
        (money.currency, Currency),
    ]:
        data = json.loads(json.dumps(to_dict(value)))
        assert from_dict(cls, data) == value


def test_a_string_or_mapping_is_not_taken_for_a_list() -> None:
    data = to_dict(sample())
    data["lines"] = "A-1"
    with pytest.raises(ConfigError, match=r"lines: expected a list, got 'A-1'"):
        from_dict(Order, data)
    data["lines"] = {"sku": "A-1"}
    with pytest.raises(ConfigError, match=r"lines: expected a list, got \{'sku': 'A-1'\}"):
        from_dict(Order, data)


def test_event_histories_and_money_or_percent_limits_round_trip() -> None:
    from crmcore.events import DomainEvent
    from crmcore.serialization import converter
    from crmcore.testing.contracts import SampleDeposited

    event = SampleDeposited(
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor_id="a",
        subject_kind="sample_account",
        subject_id="acc-1",
        amount=Money(1, "CNY"),
    )
    data = converter.unstructure([event], list[DomainEvent])
    assert data[0]["event"] == "SampleDeposited"
    assert converter.structure(data, list[DomainEvent]) == [event]
    with pytest.raises(ConfigError, match="an event needs its 'event' name"):
        from_dict(list[DomainEvent], [{"actor_id": "a"}])
    limit = Money | Percent
    assert from_dict(limit, {"amount": "5", "currency": "CNY"}) == Money(5, "CNY")  # type: ignore[arg-type]
    assert from_dict(limit, "12.5") == Percent("12.5")  # type: ignore[arg-type]
    assert from_dict(limit, Percent(1)) == Percent(1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="expected Money"):
        from_dict(limit, [1])  # type: ignore[arg-type]


def test_an_object_is_required_where_a_class_is_loaded() -> None:
    for data in ([], (1,), None):
        with pytest.raises(ConfigError, match="invalid Order: expected an object"):
            from_dict(Order, data)
    with pytest.raises(ConfigError, match="invalid Order"):
        from_dict(Order, "x")

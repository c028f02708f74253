"""The shared attrs validators say which field is wrong and why."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from crmcore._decimal import to_decimal
from crmcore._validators import non_empty, non_negative, percent_0_100, positive
from crmcore.errors import ConfigError, ValidationError
from crmcore.money import Money, Percent
from crmcore.serialization import from_dict


@attrs.frozen
class Terms:
    name: str = attrs.field(validator=non_empty)
    quantity: Decimal | None = attrs.field(default=None, validator=positive)
    deposit: Money | None = attrs.field(default=None, validator=non_negative)
    rate: Percent | None = attrs.field(default=None, validator=percent_0_100)


def test_valid_and_absent_values_pass() -> None:
    terms = Terms("net 30", Decimal(1), Money(0, "CNY"), Percent(100))
    assert terms.rate == Percent(100)
    assert Terms("cash").quantity is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "name: must be a non-empty string, got ''"),
        ({"name": "x", "quantity": Decimal(0)}, "quantity: must be > 0, got 0"),
        ({"name": "x", "deposit": Money(-1, "CNY")}, "deposit: must be >= 0, got -1.00 CNY"),
        ({"name": "x", "rate": Percent("100.5")}, "rate: must be between 0 % and 100 %"),
        ({"name": "x", "rate": Percent(-1)}, "rate: must be between 0 % and 100 %"),
        ({"name": "x", "rate": Decimal(10)}, r"rate: expected a Percent such as Percent\('10'\)"),
        ({"name": "x", "quantity": "3"}, "quantity: expected a number, Money or Percent, got str"),
        ({"name": "x", "deposit": True}, "deposit: expected a number, Money or Percent, got bool"),
    ],
)
def test_each_validator_names_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Terms(**kwargs)  # type: ignore[arg-type]


def test_decimal_subclasses_and_host_contexts() -> None:
    class Amount(Decimal):
        pass

    value = to_decimal(Amount("1.5"))
    assert type(value) is Decimal
    assert value == Decimal("1.5")


def test_a_wrong_shape_in_nested_data_is_reported_not_raised_raw() -> None:
    with pytest.raises(ConfigError, match=r"name: expected a string"):
        from_dict(Terms, {"name": ["a"]})
    with pytest.raises(ConfigError, match=r"\(top level\): expected a list"):
        from_dict(list[Terms], 5)
    with pytest.raises(ConfigError, match=r"quantity: must be > 0"):
        from_dict(Terms, {"name": "x", "quantity": "-2"})

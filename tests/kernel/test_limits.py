"""check_shape names the path of the first problem it meets: depth, size, text, numbers."""

from __future__ import annotations

import pytest

from crmcore.errors import ConfigError, ValidationError
from crmcore.serialization import check_shape, check_values
from crmcore.serialization._limits import MAX_ITEMS, MAX_TEXT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"steps": [{"name": "x" * (MAX_TEXT + 1)}]}, r"^steps\[0\]\.name: text longer than"),
        ({"a": [1, 2, {"b": 10**30}]}, r"^a\[2\]\.b: number out of range"),
        ({7: {"c": -(10**19)}}, r"^7\.c: number out of range"),
        ([[[[1]]]], r"^\[0\]\[0\]: nested deeper than 2 levels"),
        ("x" * (MAX_TEXT + 1), r"^\(top level\): text longer than"),
        (10**40, r"^\(top level\): number out of range"),
    ],
)
def test_the_first_problem_is_named_by_its_path(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_shape(data, max_depth=2 if isinstance(data, list) else 32)


def test_too_many_values_and_what_passes() -> None:
    with pytest.raises(ConfigError, match=f"routes: more than {MAX_ITEMS} values"):
        check_shape({"x": [0] * MAX_ITEMS}, "routes")
    check_shape({"ok": [True, None, 1.5, "text", 10**17, (1, 2)], "deep": [[[]]]})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"x": (None, 10**4300)}, r"custom\.x: cannot store tuple <tuple> \(use None"),
        ({"x": {10**4300: 1}}, "custom.x: key an integer of about 4300 digits is not a string"),
        ({10**4300: 1}, "custom: key an integer of about 4300 digits is not a string"),
    ],
)
def test_a_value_too_big_to_print_is_refused_with_a_message(
    values: dict[object, object], message: str
) -> None:
    """The message itself used to fail: repr() of a 4,301-digit int raises ValueError."""
    with pytest.raises(ValidationError, match=message):
        check_values(values, "custom")  # type: ignore[arg-type]

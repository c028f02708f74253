"""Conditions as data: all / any / not over comparisons of a subject's attributes.

Used by approval processes (entry and step conditions), lead routing and anything else
that configuration must decide without code. No ``eval``: the data form is parsed into
these classes, and a host configuring in code may pass a [`Predicate`][crmcore.workflow.Predicate]
instead.

Data form::

    {"all": [{"field": "net_total", "op": ">=", "value": {"amount": "10000", "currency": "CNY"}},
             {"not": {"field": "customer.tier", "op": "in", "value": ["A", "B"]}}]}

A dotted ``field`` walks attributes (or mapping keys); through a list it collects the values
of every element, so ``approval_reasons.kind`` is the list of reason kinds, and
``{"field": "approval_reasons.kind", "op": "contains", "value": "discount_above_authority"}``
asks whether any reason is of that kind.
"""

from __future__ import annotations

import abc
import enum
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from crmcore._decimal import to_decimal
from crmcore._deprecation import deprecated
from crmcore._numbers import show
from crmcore.errors import ConfigError, CrmError, CurrencyMismatch, ValidationError
from crmcore.money import Money, Percent
from crmcore.serialization import check_shape, converter, kernel_data

__all__ = [
    "AllOf",
    "AnyOf",
    "Compare",
    "Condition",
    "Not",
    "Op",
    "Predicate",
    "as_condition",
    "condition_data",
    "condition_from_dict",
    "condition_of",
    "condition_to_dict",
]


class Op(enum.Enum):
    """The comparison operators a condition may use."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not contains"


_ORDERING: Final = {
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}
_MISSING: Final = object()
#: The longest dotted field path a condition may name.
_MAX_PATH: Final = 200


class Condition(abc.ABC):
    """Base of every condition: ``evaluate(subject) -> bool`` and a readable ``describe()``."""

    __slots__ = ()

    @abc.abstractmethod
    def evaluate(self, subject: object) -> bool:
        """True when the condition holds for ``subject``."""

    @abc.abstractmethod
    def describe(self) -> str:
        """The condition in words, for explanations and error messages."""

    def __call__(self, subject: object) -> bool:
        return self.evaluate(subject)


def as_condition(value: Condition | Callable[[Any], bool] | Mapping[str, Any]) -> Condition:
    """Accept a Condition, its data form, or a plain Python callable (wrapped as Predicate)."""
    if isinstance(value, Condition):
        return value
    if isinstance(value, Mapping):
        return condition_of(value)
    if callable(value):
        return Predicate(value, getattr(value, "__name__", "custom predicate"))
    raise ConfigError(f"a condition must be a Condition, a dict or a callable, got {show(value)}")


def _conditions(items: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(items)


def _op(value: Op | str) -> Op:
    if isinstance(value, Op):
        return value
    try:
        return Op(value)
    except (ValueError, TypeError):
        allowed = ", ".join(o.value for o in Op)
        raise ConfigError(f"op: unknown operator {value!r} (use one of {allowed})") from None


def _field_path(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    problem = _path_problem(value)
    if problem is not None:
        raise ConfigError(f"{attribute.name}: {problem}")


def _path_problem(value: object) -> str | None:
    """Why ``value`` is not a dotted path of data fields (``customer.region``), or None.

    Each part names a data field: never empty, never private or dunder (``_x``,
    ``__globals__``), so a condition can read a subject's data but never walk into its code.
    """
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty string, got {show(value)}"
    if len(value) > _MAX_PATH:
        return f"a field path is at most {_MAX_PATH} characters, got {len(value)}"
    for part in value.split("."):
        if not part.strip() or part.startswith("_"):
            return (
                f"{show(value)} is not a path of data fields (each dotted part must be a "
                "field name, not empty and not starting with '_')"
            )
    return None


def _has_float(value: object) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_float(v) for v in value)
    return isinstance(value, float)


def _as_data(value: Any) -> Any:
    """A configured value as plain data (the converter of ``Compare.value``)."""
    return _plain(value)


@attrs.frozen
class Compare(Condition):
    """``field op value``: e.g. ``Compare("net_total", Op.GT, Money("10000", "CNY"))``.

    Refused at once (ConfigError): an unknown operator, an empty field, a float value (write
    it as a string or Decimal) and an ``in`` / ``not in`` value that is not a list.
    """

    field: str = attrs.field(validator=_field_path)
    op: Op = attrs.field(converter=_op)
    #: Kept as plain data (Money as its mapping, dates as ISO text) so a condition built in
    #: code equals the same condition loaded from JSON; read as the subject's type when
    #: evaluated.
    value: Any = attrs.field(converter=_as_data)

    def __attrs_post_init__(self) -> None:
        if _has_float(self.value):
            raise ConfigError(
                f"value: float {self.value!r} refused in {self.field} {self.op.value}; "
                "write it as a string or a Decimal"
            )
        if self.op in (Op.IN, Op.NOT_IN) and not isinstance(
            self.value, list | tuple | frozenset | set
        ):
            raise ConfigError(
                f"value: {self.field} {self.op.value} needs a list of options, "
                f"got {self.value!r} (the value of {self.op.value!r} must be a list)"
            )

    def evaluate(self, subject: object) -> bool:
        actual = resolve(subject, self.field)
        if actual is ABSENT:
            return False  # whatever the operator: wrap in not to match records without it
        if self.op in (Op.CONTAINS, Op.NOT_CONTAINS):
            if actual is None:
                found = False
            elif isinstance(actual, str | bytes) or not isinstance(actual, Iterable):
                raise ConfigError(
                    f"condition {self.describe()}: {self.field} is {actual!r}, not a collection"
                )
            else:
                items = list(actual)
                probe = _coerce(self.value, items[0], self) if items else self.value
                found = probe in items
            return found if self.op is Op.CONTAINS else not found
        if isinstance(actual, list):
            # A path through a list: true when any element satisfies the comparison.
            return any(self._compare(item) for item in actual)
        return self._compare(actual)

    def _compare(self, actual: Any) -> bool:
        if self.op in (Op.IN, Op.NOT_IN):
            inside = any(_coerce(o, actual, self) == actual for o in self.value)
            return inside if self.op is Op.IN else not inside
        expected = _coerce(self.value, actual, self)
        if self.op is Op.EQ:
            return bool(actual == expected)
        if self.op is Op.NE:
            return bool(actual != expected)
        if actual is None or expected is None:
            return False
        try:
            return bool(_ORDERING[self.op](actual, expected))
        except CurrencyMismatch:
            raise ConfigError(
                f"condition {self.describe()}: {self.field} is {actual}, another currency"
            ) from None
        except TypeError:
            raise ConfigError(
                f"condition {self.describe()}: cannot compare {type(actual).__name__} "
                f"{actual!r} with {expected!r}"
            ) from None

    def describe(self) -> str:
        return f"{self.field} {self.op.value} {_show(self.value)}"


@attrs.frozen
class AllOf(Condition):
    """True when every condition is true (and for an empty list)."""

    conditions: tuple[Condition, ...] = attrs.field(converter=_conditions)

    def evaluate(self, subject: object) -> bool:
        return all(c.evaluate(subject) for c in self.conditions)

    def describe(self) -> str:
        return (
            "(" + " and ".join(c.describe() for c in self.conditions) + ")"
            if self.conditions
            else "always"
        )


@attrs.frozen
class AnyOf(Condition):
    """True when at least one condition is true (false for an empty list)."""

    conditions: tuple[Condition, ...] = attrs.field(converter=_conditions)

    def evaluate(self, subject: object) -> bool:
        return any(c.evaluate(subject) for c in self.conditions)

    def describe(self) -> str:
        return (
            "(" + " or ".join(c.describe() for c in self.conditions) + ")"
            if self.conditions
            else "never"
        )


@attrs.frozen
class Not(Condition):
    """True when the inner condition is false."""

    condition: Condition

    def evaluate(self, subject: object) -> bool:
        return not self.condition.evaluate(subject)

    def describe(self) -> str:
        return f"not {self.condition.describe()}"


@attrs.frozen
class Predicate(Condition):
    """A Python callable, for hosts that configure in code; it cannot be saved as data."""

    function: Callable[[Any], bool]
    description: str = "custom predicate"

    def evaluate(self, subject: object) -> bool:
        return bool(self.function(subject))

    def describe(self) -> str:
        return self.description


class _Absent:
    """A key a mapping does not have (an optional field left out)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


#: What ``resolve`` gives for a key a mapping along the path does not have.
ABSENT: Final = _Absent()


def resolve(subject: object, path: str) -> Any:
    """The value at a dotted ``path`` of ``subject``; through a list, the list of values.

    An attribute the subject's type does not have is a configuration error (a typo in the
    field name); a key a mapping does not have is ``ABSENT`` (an optional field left out)."""
    current: Any = subject
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if isinstance(current, list | tuple):
            current = [_step(item, part, walked) for item in current]
            current = [
                x for v in current for x in (v if isinstance(v, list) else [v]) if x is not ABSENT
            ]
        else:
            current = _step(current, part, walked)
    if isinstance(current, tuple):
        return list(current)
    return current


def _step(obj: object, part: str, walked: list[str]) -> Any:
    if obj is None or obj is ABSENT:
        return obj
    if part.startswith("_"):
        raise ConfigError(f"condition field {'.'.join(walked)!r}: {part!r} is not a data field")
    if isinstance(obj, Mapping):
        # Keys of a mapping (a lead's custom fields, a record's extras) are optional data:
        # a missing one is ABSENT, and every comparison on it is false.
        return obj.get(part, ABSENT)
    value = getattr(obj, part, _MISSING)
    if value is _MISSING:
        raise ConfigError(
            f"condition field {'.'.join(walked)!r}: {type(obj).__name__} has no {part!r}"
        )
    if callable(value) and not attrs.has(type(value)):
        raise ConfigError(
            f"condition field {'.'.join(walked)!r}: {part!r} of {type(obj).__name__} is a "
            "method, not a data field"
        )
    return value


def _coerce(value: Any, like: Any, condition: Compare) -> Any:
    """Read a configured value as the type of the subject's actual value."""
    try:
        if value is None or like is None:
            return value
        if isinstance(like, Money):
            if isinstance(value, Money):
                return value
            if isinstance(value, Mapping):
                return converter.structure(dict(value), Money)
            return Money(value, like.currency)
        if isinstance(like, Percent):
            return value if isinstance(value, Percent) else Percent(value)
        if isinstance(like, bool):
            return value
        if isinstance(like, Decimal | int) and not isinstance(value, Decimal | int):
            return to_decimal(value, "")
        if isinstance(like, datetime) and isinstance(value, str):
            return datetime.fromisoformat(value)
        if isinstance(like, date) and not isinstance(like, datetime) and isinstance(value, str):
            return date.fromisoformat(value)
        if isinstance(like, enum.Enum) and not isinstance(value, enum.Enum):
            return type(like)(value)
    except (ValidationError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"condition {condition.describe()}: value {value!r} does not fit "
            f"{condition.field} ({type(like).__name__}): {exc}"
        ) from None
    return value


def _show(value: Any) -> str:
    if isinstance(value, Mapping) and set(value) == {"amount", "currency"}:
        try:  # shown as the Money it stands for, to the currency's minor units
            return str(Money(value["amount"], value["currency"]))
        except CrmError:
            return f"{value['amount']} {value['currency']}"
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value  # a number kept as text (Decimals and Percents are data as strings)
    return str(value) if isinstance(value, Money | Percent | Decimal) else repr(value)


_NUMBER: Final = re.compile(r"-?\d+(\.\d+)?", re.ASCII)


# -- data form ------------------------------------------------------------------------------


def condition_from_dict(data: object, path: str = "") -> Condition:
    """Deprecated: use ``crmcore.serialization.from_dict(Condition, data)``."""
    deprecated("condition_from_dict", "crmcore.serialization.from_dict(Condition, data)")
    return condition_of(data, path)


def condition_of(data: object, path: str = "") -> Condition:
    """Parse the data form; errors name the path inside the condition (``all[1].op``)."""
    where = f"{path}: " if path else ""
    if not path:
        check_shape(data, "condition")
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}a condition must be an object, got {show(data)}")
    keys = set(data)
    combinators: tuple[tuple[str, type[AllOf] | type[AnyOf]], ...] = (
        ("all", AllOf),
        ("any", AnyOf),
    )
    for combinator, cls in combinators:
        if keys == {combinator}:
            items = data[combinator]
            if not isinstance(items, list):
                raise ConfigError(f"{_join(path, combinator)}: must be a list, got {show(items)}")
            parts = tuple(
                condition_of(item, f"{_join(path, combinator)}[{i}]")
                for i, item in enumerate(items)
            )
            return cls(parts)
    if keys == {"not"}:
        return Not(condition_of(data["not"], _join(path, "not")))
    if keys == {"field", "op", "value"}:
        field = data["field"]
        problem = _path_problem(field)
        if problem is not None:
            raise ConfigError(f"{_join(path, 'field')}: {problem}")
        try:
            op = Op(data["op"])
        except (ValueError, TypeError):
            allowed = ", ".join(o.value for o in Op)
            raise ConfigError(
                f"{_join(path, 'op')}: unknown operator {show(data['op'])} (use one of {allowed})"
            ) from None
        value = data["value"]
        if isinstance(value, float):
            raise ConfigError(
                f"{_join(path, 'value')}: float {value!r} refused; write it as a string"
            )
        if op in (Op.IN, Op.NOT_IN) and not isinstance(value, list):
            raise ConfigError(
                f"{_join(path, 'value')}: {op.value!r} needs a list, got {show(value)}"
            )
        return Compare(field, op, value)
    raise ConfigError(
        f"{where}a condition is {{'all': [...]}}, {{'any': [...]}}, {{'not': {{...}}}} or "
        f"{{'field', 'op', 'value'}}; got keys {sorted(str(k) for k in keys)}"
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def condition_to_dict(condition: Condition) -> dict[str, Any]:
    """Deprecated: use ``crmcore.serialization.to_dict(condition)``."""
    deprecated("condition_to_dict", "crmcore.serialization.to_dict(condition)")
    return condition_data(condition)


def condition_data(condition: Condition) -> dict[str, Any]:
    """The data form of a condition; a [`Predicate`][crmcore.workflow.Predicate] cannot be saved
    and is refused."""
    if isinstance(condition, Compare):
        return {
            "field": condition.field,
            "op": condition.op.value,
            "value": _plain(condition.value),
        }
    if isinstance(condition, AllOf):
        return {"all": [condition_data(c) for c in condition.conditions]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_data(c) for c in condition.conditions]}
    if isinstance(condition, Not):
        return {"not": condition_data(condition.condition)}
    raise ConfigError(
        f"condition {condition.describe()!r} is Python code and cannot be saved as data"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return value  # refused with its own message once the condition is built
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return kernel_data(value)

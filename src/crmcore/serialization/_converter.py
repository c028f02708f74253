"""The one cattrs converter of crmcore and the hooks for the kernel types."""

from __future__ import annotations

import enum
import importlib
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from crmcore._decimal import to_decimal
from crmcore._numbers import show
from crmcore.errors import ConfigError, CrmError, ValidationError
from crmcore.events import DomainEvent, event_type
from crmcore.money import Currency, Money, Percent, get_currency
from crmcore.serialization._limits import check_shape

__all__ = [
    "CrmConverter",
    "converter",
    "from_dict",
    "kernel_data",
    "load_aliases",
    "register_record",
    "to_dict",
]

T = TypeVar("T")


class CrmConverter(cattrs.Converter):
    """crmcore's converter: the kernel types at once, every package's types on first use.

    No package touches it when imported. The first structure, unstructure, hook look-up or
    copy calls each package's ``configure_converter`` once, in layer order, from one place
    (``crmcore._converters``), so a hook generated for an order finds the pricing hooks.
    """

    _packages_configured: bool

    def _configure_packages(self) -> None:
        if getattr(self, "_packages_configured", False):
            return
        self._packages_configured = True  # set first: the packages' set-up uses the hooks
        # A name, not an import: the kernel sits below the packages it configures.
        importlib.import_module("crmcore._converters").configure_packages(self)

    def structure(self, obj: Any, cl: type[T]) -> T:
        """Build ``cl`` from plain data (see cattrs)."""
        self._configure_packages()
        return super().structure(obj, cl)

    def unstructure(self, obj: Any, unstructure_as: Any = None) -> Any:
        """Plain data for ``obj`` (see cattrs)."""
        self._configure_packages()
        return super().unstructure(obj, unstructure_as)

    def get_structure_hook(self, type: Any, cache_result: bool = True) -> Any:
        """The function that builds ``type`` (see cattrs)."""
        self._configure_packages()
        return super().get_structure_hook(type, cache_result)

    def get_unstructure_hook(self, type: Any, cache_result: bool = True) -> Any:
        """The function that gives plain data for ``type`` (see cattrs)."""
        self._configure_packages()
        return super().get_unstructure_hook(type, cache_result)

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """A converter with every hook of this one, configured (see cattrs)."""
        self._configure_packages()
        copied = super().copy(*args, **kwargs)
        copied._packages_configured = True
        return copied


#: The converter every ``to_dict`` / ``from_dict``, the storage adapters and the CLI use.
converter: Final = CrmConverter(forbid_extra_keys=True, detailed_validation=True)


def _structure_decimal(value: object, _: type) -> Decimal:
    return to_decimal(value, "")


def _structure_money(value: object, _: type) -> Money:
    if isinstance(value, Money):
        return value
    if not isinstance(value, dict):
        raise ValidationError(f'expected {{"amount": ..., "currency": ...}}, got {value!r}')
    extra = set(value) - {"amount", "currency"}
    if extra:
        raise ValidationError(f"unexpected keys {sorted(extra)} in money {value!r}")
    if "amount" not in value or "currency" not in value:
        raise ValidationError(f"money needs both amount and currency, got {value!r}")
    return Money(value["amount"], value["currency"])


def _structure_percent(value: object, _: type) -> Percent:
    if isinstance(value, Percent):
        return value
    return Percent(to_decimal(value, ""))


def _structure_date(value: object, _: type) -> date:
    if type(value) is date:
        return value
    if not isinstance(value, str):
        raise ValidationError(f"expected an ISO 8601 date string, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValidationError(f"expected an ISO 8601 date-time string, got {value!r}")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not an ISO 8601 date-time") from None


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"expected a string, got {type(value).__name__} {value!r}")
    return value


def _structure_int(value: object, _: type) -> int:
    # JSON has whole numbers; "2" is text, and reading it as 2 would hide a typo upstream.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"expected a whole number, got {value!r}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"expected true or false, got {value!r}")
    return value


def _structure_enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ValidationError(f"{value!r} is not one of {allowed}") from None


converter.register_structure_hook(Decimal, _structure_decimal)
converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Money, _structure_money)
converter.register_unstructure_hook(
    Money, lambda m: {"amount": str(m.amount), "currency": m.currency.code}
)
converter.register_structure_hook(Currency, lambda v, _: get_currency(v))
converter.register_unstructure_hook(Currency, lambda c: c.code)
converter.register_structure_hook(Percent, _structure_percent)
converter.register_unstructure_hook(Percent, lambda p: str(p.value))
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(datetime, datetime.isoformat)
converter.register_structure_hook(date, _structure_date)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(bool, _structure_bool)
converter.register_structure_hook_func(
    lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _structure_enum
)
# cattrs < 26 also dispatches Enum by class before the predicate above; claim that slot too,
# so every supported cattrs names the allowed values the same way.
converter.register_structure_hook(enum.Enum, _structure_enum)
converter.register_unstructure_hook_func(
    lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value
)


def _structure_money_or_percent(value: object, _: type) -> Money | Percent:
    # A limit that is either an amount or a share: Money is a mapping, a Percent a string.
    if isinstance(value, Money | Percent):
        return value
    if isinstance(value, dict):
        return _structure_money(value, Money)
    if isinstance(value, str):  # a bare number would be ambiguous: an amount or a share?
        return _structure_percent(value, Percent)
    raise ValidationError(f"expected Money (a mapping) or a Percent (a string), got {value!r}")


def _unstructure_event(event: DomainEvent) -> dict[str, Any]:
    # Typed as the base class (an aggregate's history): tag each with its registered name.
    return {"event": event.event_name, **converter.unstructure(event, unstructure_as=type(event))}


def _structure_event(value: object, _: type) -> DomainEvent:
    if not isinstance(value, dict) or not isinstance(value.get("event"), str):
        raise ValidationError(f"an event needs its 'event' name, got {value!r}")
    fields = {k: v for k, v in value.items() if k != "event"}
    return converter.structure(fields, event_type(value["event"]))


converter.register_structure_hook_func(lambda t: t == Money | Percent, _structure_money_or_percent)


def _structure_limit(value: object, _: type) -> Money | Percent | date:
    # An approval reason's limit: an amount, a share, or a day (an ISO date string).
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return _structure_date(value, date)
    return _structure_money_or_percent(value, Money)


_ISO_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
converter.register_structure_hook_func(lambda t: t == Money | Percent | date, _structure_limit)
# Only for the base class itself: a concrete event type keeps its plain attrs form.
converter.register_unstructure_hook_func(lambda t: t is DomainEvent, _unstructure_event)
converter.register_structure_hook_func(lambda t: t is DomainEvent, _structure_event)


def _list_of(t: Any) -> Any:
    # A string or a mapping is iterable, but never the list the data asked for.
    if get_origin(t) is list:
        inner = list_structure_factory(t, converter)
    else:
        inner = homogenous_tuple_structure_factory(t, converter)

    def structure(value: object, type_: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValidationError(f"expected a list, got {value!r}")
        return inner(value, type_)

    return structure


def _is_list_type(t: Any) -> bool:
    args = get_args(t)
    return get_origin(t) is list or (
        get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis
    )


converter.register_structure_hook_factory(_is_list_type, _list_of)


def _is_set_type(t: Any) -> bool:
    return t in (set, frozenset) or get_origin(t) in (set, frozenset)


def _sorted_list(values: Any) -> list[Any]:
    items = [converter.unstructure(x) for x in values]
    try:
        return sorted(items)
    except TypeError:  # mixed kinds (1 and "a"): still one order, by kind and repr
        return sorted(items, key=lambda x: (type(x).__name__, show(x, 200)))


# Sets become sorted lists, so the same set always gives the same JSON.
converter.register_unstructure_hook_func(_is_set_type, _sorted_list)


def register_record(
    converter: cattrs.Converter,
    cls: type[Any],
    *,
    renamed: tuple[str, ...] = (),
    saving: dict[str, Any] | None = None,
    loading: dict[str, Any] | None = None,
) -> None:
    """Hooks for an attrs record: unknown keys refused, each private field ``_name`` of
    ``renamed`` stored as ``name``, ``saving`` / ``loading`` cattrs overrides per field."""
    renames: dict[str, Any] = {f"_{name}": override(rename=name) for name in renamed}
    out: dict[str, Any] = {**renames, **(saving or {})}
    into: dict[str, Any] = {**renames, **(loading or {}), "_cattrs_forbid_extra_keys": True}
    converter.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, converter, **out))
    converter.register_structure_hook(cls, make_dict_structure_fn(cls, converter, **into))


def load_aliases(
    cls: type[Any], _converter: cattrs.Converter = converter, /, **old_to_new: str
) -> None:
    """Also accept the old key of a renamed field when loading ``cls`` (``owner="owner_id"``).

    Stored data of earlier releases keeps loading; saving always writes the new key. Call it
    from a ``configure_converter`` (passing its converter) after ``cls``'s own structure hook
    is registered: it wraps that hook.
    """
    inner = _converter.get_structure_hook(cls)

    def structure(value: object, type_: type) -> Any:
        if isinstance(value, dict) and not old_to_new.keys().isdisjoint(value):
            value = {
                old_to_new.get(k, k) if old_to_new.get(k) not in value else k: v
                for k, v in value.items()
            }
        return inner(value, type_)

    _converter.register_structure_hook(cls, structure)


def kernel_data(value: Any) -> Any:
    """Plain data for a kernel value (Money, Decimal, Percent, dates, enums) without teaching
    the converter the packages' types: a condition built while a package is imported uses it."""
    return cattrs.Converter.unstructure(converter, value)


def to_dict(obj: Any) -> Any:
    """Plain data (dicts, lists, str) for ``obj``: JSON-ready, Decimals as strings."""
    return converter.unstructure(obj)


def from_dict(cls: type[T], data: object, *, what: str | None = None) -> T:
    """Build ``cls`` from plain data, or raise ConfigError naming the path of every bad field.

    The message reads like ``lines[2].quantity: must be > 0``; ``error.problems`` lists each.
    """
    name = what or getattr(cls, "__name__", str(cls))
    # A list or nothing is never a record (some records also load from a string or number).
    if attrs.has(cls) and (data is None or isinstance(data, list | tuple | set)):
        raise ConfigError(
            f"invalid {name}: expected an object (a mapping of fields), got "
            f"{type(data).__name__} {show(data, 200)}"
        )
    try:
        check_shape(data)
    except ConfigError as exc:
        raise ConfigError(f"invalid {name}: {exc}", exc.problems) from None
    try:
        return converter.structure(data, cls)
    except RecursionError:
        raise ConfigError(f"invalid {name}: nested too deeply") from None
    except (
        cattrs.BaseValidationError,
        CrmError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
    ) as exc:
        problems = cattrs.transform_error(exc, path="$", format_exception=_format_exception)
        problems = [_tidy(p) for p in problems]
        raise ConfigError(f"invalid {name}: " + "; ".join(problems), problems) from None


def _format_exception(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, CrmError | ValueError) and not isinstance(exc, KeyError):
        return str(exc)
    if isinstance(exc, KeyError):
        return "required"
    if isinstance(exc, AttributeError):  # a string or number where fields were expected
        return "expected an object (a mapping of fields)"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown keys {sorted(str(k) for k in exc.extra_fields)}"
    if isinstance(exc, TypeError):
        if type_ is not None:
            return f"expected {getattr(type_, '__name__', str(type_))}"
        return "expected a list" if "not iterable" in str(exc) else str(exc)
    return f"{type(exc).__name__}: {exc}"


_FIELD_MESSAGE: Final = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.DOTALL)


def _tidy(problem: str) -> str:
    """Turn cattrs' ``msg @ $.a.b[2]`` into ``a.b[2]: msg``.

    A validator's own ``"quantity: must be > 0"`` raised while building ``lines[2]`` becomes
    ``lines[2].quantity: must be > 0``.
    """
    message, sep, path = problem.rpartition(" @ ")
    if not sep:
        return problem
    path = path.removeprefix("$").removeprefix(".")
    field = _FIELD_MESSAGE.match(message)
    if field is not None:
        sep = "" if field[1].startswith("[") else "."
        path = f"{path}{sep}{field[1]}" if path else field[1]
        message = field[2]
    return f"{path or '(top level)'}: {message}"

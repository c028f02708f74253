"""The typed service boundary: every use case checks its arguments against its annotations.

One mechanism for all use cases and queries: ``typed_boundary`` wraps each public method
of a service class so that, before anything is loaded or changed, each argument is checked
against the method's own type annotations (``lead_id: str``, ``as_of: date | None``,
``amount: Money``...). A wrong type or shape raises ``crmcore.errors.ValidationError``
naming the argument, instead of a ``TypeError`` or ``AttributeError`` deep inside a commit.
Numbers and dates are also held to the kernel's bounds (``crmcore._numbers``,
``crmcore._dates``).
"""

from __future__ import annotations

import collections.abc as abc
import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, get_args, get_origin

from crmcore._dates import check_date
from crmcore._numbers import MAX_DIGITS, bounded, show
from crmcore.errors import CrmError, ValidationError
from crmcore.serialization import check_values

__all__ = ["MAX_ARGUMENT_TEXT", "check_argument", "typed_boundary"]

C = TypeVar("C", bound=type)

#: The longest string a use case accepts as one argument.
MAX_ARGUMENT_TEXT: Final = 10_000
#: The most items a list or mapping argument may hold.
MAX_ARGUMENT_ITEMS: Final = 10_000

_INT_LIMIT: Final = 10**MAX_DIGITS
_SEQUENCES: Final = (list, tuple, abc.Sequence, abc.Iterable, abc.Collection, set, frozenset)
_MAPPINGS: Final = (dict, abc.Mapping)


def typed_boundary(cls: C) -> C:
    """Class decorator: check the arguments of every public method against its annotations."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _checked(member))
    return cls


def _checked(function: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(function)
    hints: dict[str, Any] = {}

    @functools.wraps(function)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not hints:
            hints.update(_hints(function, signature))
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ValidationError(f"{function.__name__}: {exc}") from None
        for name, value in bound.arguments.items():
            if name != "self":
                check_argument(value, hints.get(name, Any), f"{function.__name__}: {name}")
        return function(*args, **kwargs)

    return checked


def _hints(function: Callable[..., Any], signature: inspect.Signature) -> dict[str, Any]:
    """The resolved annotations; one that cannot be resolved is read as ``Any``."""
    found: dict[str, Any] = {"self": Any}
    namespace = getattr(function, "__globals__", {})
    for name, parameter in signature.parameters.items():
        annotation = parameter.annotation
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)
            except Exception:
                annotation = Any
        if annotation is inspect.Parameter.empty:
            annotation = Any
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            annotation = tuple[annotation, ...]  # type: ignore[valid-type]
        elif parameter.kind is inspect.Parameter.VAR_KEYWORD:
            annotation = dict[str, annotation]  # type: ignore[valid-type]
        found[name] = annotation
    return found


def check_argument(value: object, hint: Any, what: str) -> None:
    """Raise ValidationError naming ``what`` unless ``value`` fits the annotation ``hint``."""
    problem = _problem(value, hint, what)
    if problem is not None:
        raise ValidationError(problem)


def _describe(hint: Any) -> str:
    if hint is None or hint is type(None):
        return "None"
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(hint))
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in get_args(hint))
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(hint, "__name__", str(hint))


def _wrong(value: object, hint: Any, what: str) -> str:
    return f"{what}: expected {_describe(hint)}, got {type(value).__name__} {show(value)}"


def _problem(value: object, hint: Any, what: str) -> str | None:
    """Why ``value`` does not fit ``hint`` (a message naming ``what``), or None when it does."""
    if hint is Any or hint is object or isinstance(hint, TypeVar):
        return None
    if hint is None or hint is type(None):
        return None if value is None else _wrong(value, hint, what)
    origin = get_origin(hint)
    args = get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _union_problem(value, hint, args, what)
    if origin is typing.Literal:
        return None if value in args else _wrong(value, hint, what)
    if origin is abc.Callable or hint is abc.Callable:
        return None if callable(value) else _wrong(value, hint, what)
    if origin in _MAPPINGS or hint in _MAPPINGS:
        return _mapping_problem(value, hint, args, what)
    if origin in _SEQUENCES or hint in _SEQUENCES:
        return _sequence_problem(value, hint, origin, args, what)
    if origin is type:
        return None if isinstance(value, type) else _wrong(value, hint, what)
    if not isinstance(hint, type):
        return None  # an annotation this boundary does not read (a Protocol alias...)
    return _scalar_problem(value, hint, what)


def _union_problem(value: object, hint: Any, members: tuple[Any, ...], what: str) -> str | None:
    problems = [_problem(value, member, what) for member in members]
    if any(p is None for p in problems):
        return None
    # One member of the right kind explains best (list[str] given [1]: its item's problem).
    for member, problem in zip(members, problems, strict=True):
        if _kind_fits(value, member):
            return problem
    return _wrong(value, hint, what)


def _kind_fits(value: object, hint: Any) -> bool:
    kind = get_origin(hint) or hint
    return isinstance(kind, type) and not isinstance(value, str) and isinstance(value, kind)


def _int_problem(value: object, what: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return _wrong(value, int, what)
    if not -_INT_LIMIT < value < _INT_LIMIT:
        return f"{what}: {show(value)} is out of range (below 10**{MAX_DIGITS})"
    return None


def _decimal_problem(value: object, what: str) -> str | None:
    if not isinstance(value, Decimal):
        return _wrong(value, Decimal, what)
    return _guard(lambda: bounded(value, ""), what)


def _str_problem(value: object, what: str) -> str | None:
    if not isinstance(value, str):
        return _wrong(value, str, what)
    if len(value) > MAX_ARGUMENT_TEXT:
        return f"{what}: text longer than {MAX_ARGUMENT_TEXT} characters"
    return None


def _date_problem(value: object, what: str) -> str | None:
    if isinstance(value, datetime) or not isinstance(value, date):
        return _wrong(value, date, what)
    return _guard(lambda: check_date(value, ""), what)


def _datetime_problem(value: object, what: str) -> str | None:
    if not isinstance(value, datetime):
        return _wrong(value, datetime, what)
    return _guard(lambda: check_date(value, ""), what)


#: The scalar types whose values are checked beyond their type (bounds, length, range).
_SCALARS: Final[dict[type, Callable[[object, str], str | None]]] = {
    int: _int_problem,
    Decimal: _decimal_problem,
    str: _str_problem,
    date: _date_problem,
    datetime: _datetime_problem,
}


def _scalar_problem(value: object, hint: type, what: str) -> str | None:
    checker = _SCALARS.get(hint)
    if checker is not None:
        return checker(value, what)
    if hint is bool or issubclass(hint, enum.Enum):
        return None if isinstance(value, hint) else _wrong(value, hint, what)
    try:
        fits = isinstance(value, hint)
    except TypeError:  # a Protocol that is not runtime-checkable: nothing to check
        return None
    return None if fits else _wrong(value, hint, what)


def _guard(check: Callable[[], object], what: str) -> str | None:
    """The message of the CrmError ``check`` raises, prefixed with ``what``; None if none."""
    try:
        check()
    except CrmError as exc:
        return f"{what}: {str(exc).removeprefix(': ')}" if what else str(exc)
    return None


def _mapping_problem(value: object, hint: Any, args: tuple[Any, ...], what: str) -> str | None:
    if not isinstance(value, abc.Mapping):
        return _wrong(value, hint, what)
    if len(value) > MAX_ARGUMENT_ITEMS:
        return f"{what}: more than {MAX_ARGUMENT_ITEMS} entries"
    key_hint, item_hint = args if len(args) == 2 else (Any, Any)
    for key, item in value.items():
        problem = _problem(key, key_hint, f"{what} key")
        if problem is not None:
            return problem
        name = key if isinstance(key, str) else show(key)
        if item_hint is Any and isinstance(key, str):
            try:
                check_values({key: item}, what)
            except CrmError as exc:
                return str(exc)
            continue
        problem = _problem(item, item_hint, f"{what}.{name}")
        if problem is not None:
            return problem
    return None


def _sequence_problem(
    value: object, hint: Any, origin: Any, args: tuple[Any, ...], what: str
) -> str | None:
    kind = origin or hint
    if isinstance(value, str | bytes | abc.Mapping) or not isinstance(value, abc.Iterable):
        return _wrong(value, hint, what)
    if kind in (list, tuple, set, frozenset) and not isinstance(value, kind):
        return _wrong(value, hint, what)
    if not isinstance(value, abc.Collection):
        return None  # a generator: consumed by the use case, which checks what it reads
    if len(value) > MAX_ARGUMENT_ITEMS:
        return f"{what}: more than {MAX_ARGUMENT_ITEMS} items"
    if kind is tuple and args and args[-1] is not Ellipsis:
        if len(args) != len(value):
            return f"{what}: expected {len(args)} items, got {len(value)}"
        pairs = list(zip(args, value, strict=True))
    else:
        item_hint = args[0] if args else Any
        pairs = [(item_hint, item) for item in value]
    for i, (item_hint, item) in enumerate(pairs):
        problem = _problem(item, item_hint, f"{what}[{i}]")
        if problem is not None:
            return problem
    return None

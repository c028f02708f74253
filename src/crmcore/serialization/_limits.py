"""Depth and size limits for configuration data, checked before anything reads it.

Configuration is nested (conditions in conditions, steps with approvers, routes with
recipients), and hostile data nests deeper than Python's recursion limit or carries
integers too big to print. ``check_shape`` walks the data without recursion and raises
``crmcore.errors.ConfigError`` naming the path of the first problem.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from crmcore._numbers import MAX_DIGITS
from crmcore.errors import ConfigError

__all__ = ["MAX_DEPTH", "MAX_ITEMS", "MAX_TEXT", "check_shape", "load_json"]

#: The deepest nesting of objects and lists accepted in configuration.
MAX_DEPTH: Final = 32
#: The most values (objects, lists, scalars) one document may hold.
MAX_ITEMS: Final = 1_000_000
#: The longest string accepted in one value.
MAX_TEXT: Final = 100_000

_INT_LIMIT: Final = 10**MAX_DIGITS


def _shown(path: str) -> str:
    text = path or "(top level)"
    return text if len(text) <= 80 else text[:60] + "…" + text[-19:]


def check_shape(data: object, path: str = "", *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse data nested deeper than ``max_depth``, bigger than MAX_ITEMS, or with huge values."""
    # Only containers go on the stack, each with its crumb (parent crumb, key, is an index)
    # and depth; scalars are checked where they are met, and the path text is only built for
    # a message (building it for every value cost more than the check itself).
    _check_scalar(data, path, None)
    if not isinstance(data, dict | list | tuple | Mapping):
        return
    stack: list[tuple[Any, _Crumb, int]] = [(data, None, 0)]
    count = 1
    while stack:
        value, crumb, depth = stack.pop()
        if depth >= max_depth:
            raise ConfigError(
                f"{_shown(_path(path, crumb))}: nested deeper than {max_depth} levels"
            )
        items = enumerate(value) if isinstance(value, list | tuple) else value.items()
        index = isinstance(value, list | tuple)
        for key, item in items:
            count += 1
            if isinstance(item, str):
                if len(item) > MAX_TEXT:
                    _check_scalar(item, path, (crumb, key, index))
            elif isinstance(item, dict | list | tuple | Mapping):
                stack.append((item, (crumb, key, index), depth + 1))
            elif isinstance(item, int):
                _check_scalar(item, path, (crumb, key, index))
        if count > MAX_ITEMS:
            raise ConfigError(f"{_shown(path)}: more than {MAX_ITEMS} values")


def _check_scalar(value: object, path: str, crumb: _Crumb) -> None:
    """ConfigError for a text too long or an integer out of range, naming where it is."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise ConfigError(f"{_shown(_path(path, crumb))}: text longer than {MAX_TEXT} characters")
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not -_INT_LIMIT < value < _INT_LIMIT
    ):
        raise ConfigError(
            f"{_shown(_path(path, crumb))}: number out of range (must be below 10**{MAX_DIGITS})"
        )


#: Where a value sits: (the parent's crumb, its key or index, whether it is an index).
_Crumb = tuple["_Crumb", object, bool] | None


def _path(start: str, crumb: _Crumb) -> str:
    """The path text of a crumb: ``lines[2].quantity``, after ``start``."""
    parts: list[tuple[object, bool]] = []
    while crumb is not None:
        crumb, key, is_index = crumb
        parts.append((key, is_index))
    text = start
    for key, is_index in reversed(parts):
        if is_index:
            text = f"{text}[{key}]"
        else:
            name = key if isinstance(key, str) else repr(key)[:40]
            text = f"{text}.{name}" if text else name
    return text


def load_json(text: object, what: str) -> Any:
    """Parse JSON text and check its shape, or raise ConfigError naming ``what``."""
    if isinstance(text, bytes | bytearray):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{what}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    if not isinstance(text, str):
        raise ConfigError(f"{what}: expected JSON text, got {type(text).__name__}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{what}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise ConfigError(f"{what}: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an integer too long to read
        raise ConfigError(f"{what}: {str(exc)[:120]}") from None
    check_shape(data, "")
    return data

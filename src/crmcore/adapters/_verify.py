"""How much of a commit is loaded back before it is stored: every write, or each new shape.

A commit stores only what loads back. Loading every write back doubled the cost of a commit
(a 7.5 KB order: about 0.2 ms to dump, 0.4 ms more to load). What a load refuses in data that
crmcore itself dumped is almost always a *type* that slipped past a domain check (a number
where a name belongs, a float, a set): that changes the shape of the data. So by default a
write is loaded back only when its shape — every key and the JSON type of every value, a
list by the shapes of its items, never by its length — is new for its kind (or event type)
in this store; the shapes that loaded back are remembered. ``WriteCheck.ALWAYS`` loads back
every write, as before: the debugging mode, and what the benchmark compares with.
"""

from __future__ import annotations

import enum
import threading
from typing import Final

__all__ = ["Shape", "ShapeLog", "WriteCheck"]

#: A shape as a store names it: (generation of its log, number within the generation).
Shape = tuple[int, int]

#: Shapes remembered per kind; beyond it new shapes are still checked, just not remembered.
MAX_SHAPES: Final = 4096
#: Distinct sub-shapes interned; beyond it the log starts afresh (rare: free-form keys).
MAX_PARTS: Final = 200_000

_SCALARS: Final[dict[type, int]] = {str: -1, int: -2, float: -3, bool: -4, type(None): -5}


class WriteCheck(enum.Enum):
    """Which writes a commit loads back before storing them."""

    #: Each write whose shape is new for its kind (the default).
    PER_SHAPE = "per_shape"
    #: Every write (debugging; the cost of a commit roughly doubles).
    ALWAYS = "always"


class ShapeLog:
    """The shapes of the writes that loaded back, per kind or event type, in one store."""

    def __init__(self, check: WriteCheck = WriteCheck.PER_SHAPE) -> None:
        self.check = WriteCheck(check)
        self._parts: dict[tuple[object, ...], int] = {}
        self._verified: dict[str, set[Shape]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def shape(self, data: object) -> Shape:
        """What names the shape of JSON-ready ``data``: equal shapes, equal names."""
        with self._lock:
            if len(self._parts) > MAX_PARTS:
                self._parts.clear()
                self._verified.clear()
                self._generation += 1
            return (self._generation, self._shape(data))

    def _shape(self, value: object) -> int:
        kind = type(value)
        scalars = _SCALARS
        if kind is dict:
            items: list[object] = [tuple(value)]  # type: ignore[arg-type]  # the keys, in order
            for item in value.values():  # type: ignore[attr-defined]
                scalar = scalars.get(type(item))
                items.append(self._shape(item) if scalar is None else scalar)
            key = tuple(items)
        elif kind is list or kind is tuple:
            found = set()
            for item in value:  # type: ignore[attr-defined]
                scalar = scalars.get(type(item))
                found.add(self._shape(item) if scalar is None else scalar)
            key = ("[", *sorted(found))
        else:
            scalar = scalars.get(kind)
            if scalar is not None:
                return scalar
            key = ("?", kind.__qualname__)  # never JSON: the load will say what is wrong
        parts = self._parts
        number = parts.get(key)
        if number is None:
            number = parts[key] = len(parts)
        return number

    def needs_check(self, name: str, shape: Shape) -> bool:
        """True when a write of ``name`` with ``shape`` must be loaded back before storing."""
        if self.check is WriteCheck.ALWAYS:
            return True
        with self._lock:
            return shape not in self._verified.get(name, ())

    def loaded_back(self, name: str, shape: Shape) -> None:
        """Remember that a write of ``name`` with ``shape`` loaded back."""
        with self._lock:
            seen = self._verified.setdefault(name, set())
            if len(seen) < MAX_SHAPES:
                seen.add(shape)

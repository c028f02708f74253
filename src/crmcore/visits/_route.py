"""Route planning for a day's stops: nearest neighbour, then 2-opt, deterministic.

The route is an open path: from the start (the salesperson's office or home, when given,
else the first stop as listed) through every stop once, with no return. Nearest neighbour
builds a first order (ties go to the stop listed first); 2-opt then reverses the segment
that shortens the path most, until no reversal shortens it. Distances are the exact
haversine metres of ``distance_m``, so the same stops always give the same route.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from crmcore.errors import ValidationError
from crmcore.visits._geo import GeoPoint, distance_m

__all__ = ["Leg", "Route", "Stop", "plan_route", "route_of"]


@attrs.frozen
class Stop:
    """One place on a route: the customer's id and location."""

    customer_id: str
    location: GeoPoint


@attrs.frozen
class Leg:
    """One leg of a route: from (None: the start), to, and its metres."""

    from_id: str | None
    to_id: str
    distance_m: Decimal


@attrs.frozen
class Route:
    """Stops in visiting order, each leg's distance and the total (metres)."""

    stops: tuple[Stop, ...]
    legs: tuple[Leg, ...]
    total_m: Decimal

    @property
    def order(self) -> tuple[str, ...]:
        """The customer ids in visiting order."""
        return tuple(s.customer_id for s in self.stops)


def _checked(stops: Sequence[Stop], start: GeoPoint | None) -> list[Stop]:
    if start is not None and not isinstance(start, GeoPoint):
        raise ValidationError(f"start: expected a GeoPoint, got {start!r}")
    listed = list(stops)
    for i, stop in enumerate(listed):
        if not isinstance(stop, Stop):
            raise ValidationError(f"stops[{i}]: expected a Stop, got {stop!r}")
    ids = [s.customer_id for s in listed]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValidationError(f"stops: customers {twice} appear twice")
    return listed


def route_of(stops: Sequence[Stop], start: GeoPoint | None = None) -> Route:
    """The route visiting ``stops`` in the given order, with its legs and total."""
    listed = _checked(stops, start)
    legs: list[Leg] = []
    previous: Stop | None = None
    for stop in listed:
        if previous is not None:
            legs.append(Leg(previous.customer_id, stop.customer_id, _d(previous, stop)))
        elif start is not None:
            legs.append(Leg(None, stop.customer_id, distance_m(start, stop.location)))
        previous = stop
    total = sum((leg.distance_m for leg in legs), Decimal("0.00"))
    return Route(tuple(listed), tuple(legs), total)


def _d(a: Stop, b: Stop) -> Decimal:
    return distance_m(a.location, b.location)


def plan_route(stops: Sequence[Stop], start: GeoPoint | None = None) -> Route:
    """A short route through ``stops``: nearest neighbour, then 2-opt (see the module)."""
    listed = _checked(stops, start)
    if len(listed) < 2:
        return route_of(listed, start)
    # nodes: 0 is the start (when given), then the stops; the matrix is computed once.
    points = ([start] if start is not None else []) + [s.location for s in listed]
    n = len(points)
    matrix = [[distance_m(points[i], points[j]) for j in range(n)] for i in range(n)]
    path = _nearest_neighbour(matrix)
    path = _two_opt(matrix, path)
    offset = 1 if start is not None else 0
    return route_of([listed[i - offset] for i in path if i >= offset], start)


def _nearest_neighbour(matrix: list[list[Decimal]]) -> list[int]:
    n = len(matrix)
    path = [0]
    left = list(range(1, n))
    while left:
        here = path[-1]
        best = min(left, key=lambda j: (matrix[here][j], j))
        path.append(best)
        left.remove(best)
    return path


def _two_opt(matrix: list[list[Decimal]], path: list[int]) -> list[int]:
    """Reverse ``path[i..j]`` (the first node stays: it is the start) while that shortens the
    open path; each round takes the largest gain, ties to the smallest (i, j)."""
    n = len(path)
    while True:
        best_gain, best = Decimal(0), None
        for i in range(1, n - 1):
            a, b = path[i - 1], path[i]
            for j in range(i + 1, n):
                c = path[j]
                before = matrix[a][b]
                after = matrix[a][c]
                if j + 1 < n:
                    d = path[j + 1]
                    before += matrix[c][d]
                    after += matrix[b][d]
                gain = before - after
                if gain > best_gain:
                    best_gain, best = gain, (i, j)
        if best is None:
            return path
        i, j = best
        path = path[:i] + path[i : j + 1][::-1] + path[j + 1 :]

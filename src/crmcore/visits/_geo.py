"""Points on the Earth and the distance between them (haversine), in exact Decimal arithmetic.

Coordinates are Decimal degrees (latitude -90..90, longitude -180..180); floats are refused.
The distance is the great-circle distance on a sphere of the IUGG mean Earth radius
R1 = 6,371,008.8 m, computed with Decimal series at 34 digits (no float, no map service)
and rounded half-even to the centimetre. The spherical model differs from the ellipsoid by
at most about 0.5 %, which is far below what a check-in tolerance of tens of metres needs.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from functools import lru_cache
from typing import Any, Final

import attrs

from crmcore._decimal import CONTEXT, to_decimal
from crmcore.errors import ValidationError

__all__ = ["CENTIMETRE", "EARTH_RADIUS_M", "GeoPoint", "distance_m"]

#: The IUGG mean Earth radius R1 = (2a + b) / 3 of the WGS 84 ellipsoid, in metres.
EARTH_RADIUS_M: Final = Decimal("6371008.8")
#: Distances are rounded half-even to this step (metres).
CENTIMETRE: Final = Decimal("0.01")

_PREC = 40


def _lat(value: object) -> Decimal:
    return to_decimal(value, "lat")


def _lon(value: object) -> Decimal:
    return to_decimal(value, "lon")


def _in_range(_: object, attribute: attrs.Attribute[Any], value: Decimal) -> None:
    limit = 90 if attribute.name == "lat" else 180
    if not -limit <= value <= limit:
        raise ValidationError(
            f"{attribute.name}: must be between -{limit} and {limit} degrees, got {value}"
        )


@attrs.frozen(order=True)
class GeoPoint:
    """A location in Decimal degrees: ``GeoPoint("31.2304", "121.4737")`` (Shanghai)."""

    lat: Decimal = attrs.field(converter=_lat, validator=_in_range)
    lon: Decimal = attrs.field(converter=_lon, validator=_in_range)

    def __str__(self) -> str:
        return f"({self.lat}, {self.lon})"


@lru_cache(maxsize=1)
def _pi() -> Decimal:
    """π to the working precision (the decimal module's recipe)."""
    with localcontext(CONTEXT) as ctx:
        ctx.prec = _PREC + 2
        three = Decimal(3)
        lasts, t, s, n, na, d, da = Decimal(0), three, three, 1, 0, 0, 24
        while s != lasts:
            lasts = s
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            t = (t * n) / d
            s += t
        return +s


def _sin(x: Decimal) -> Decimal:
    """sin x by its Taylor series (|x| <= π here, so it converges in a few dozen terms)."""
    total, term, i = x, x, 1
    square = x * x
    while True:
        term = -term * square / ((i + 1) * (i + 2))
        i += 2
        if total + term == total:
            return total
        total += term


def _cos(x: Decimal) -> Decimal:
    """cos x by its Taylor series."""
    total, term, i = Decimal(1), Decimal(1), 0
    square = x * x
    while True:
        term = -term * square / ((i + 1) * (i + 2))
        i += 2
        if total + term == total:
            return total
        total += term


def _atan(x: Decimal) -> Decimal:
    """atan x: reflect above 1, halve the angle twice, then the Taylor series."""
    if x < 0:
        return -_atan(-x)
    if x > 1:
        return _pi() / 2 - _atan(1 / x)
    for _ in range(3):  # atan x = 2 atan(x / (1 + sqrt(1 + x²)))
        x = x / (1 + (1 + x * x).sqrt())
    total, term, power, i = x, x, x, 1
    square = x * x
    while True:
        power = -power * square
        i += 2
        term = power / i
        if total + term == total:
            return total * 8
        total += term


@lru_cache(maxsize=65536)
def _distance(a: GeoPoint, b: GeoPoint) -> Decimal:
    if a == b:
        return Decimal("0.00")
    with localcontext(CONTEXT) as ctx:
        ctx.prec = _PREC
        radians = _pi() / 180
        phi1, phi2 = a.lat * radians, b.lat * radians
        half_dphi = (b.lat - a.lat) * radians / 2
        half_dlambda = (b.lon - a.lon) * radians / 2
        s1, s2 = _sin(half_dphi), _sin(half_dlambda)
        h = s1 * s1 + _cos(phi1) * _cos(phi2) * s2 * s2
        h = min(max(h, Decimal(0)), Decimal(1))
        rest = 1 - h
        angle = _pi() if rest == 0 else 2 * _atan(h.sqrt() / rest.sqrt())
        metres = EARTH_RADIUS_M * angle
    return metres.quantize(CENTIMETRE, context=CONTEXT)


def distance_m(a: GeoPoint, b: GeoPoint) -> Decimal:
    """The great-circle distance from ``a`` to ``b`` in metres, to the centimetre."""
    for name, point in (("from", a), ("to", b)):
        if not isinstance(point, GeoPoint):
            raise ValidationError(f"{name}: expected a GeoPoint, got {point!r}")
    return _distance(a, b)

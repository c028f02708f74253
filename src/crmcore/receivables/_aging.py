"""Aging: outstanding money by how late it is, over any number of receivables or records.

[`aging`][crmcore.receivables.aging] streams: it reads its input once, keeps one running total per
group, currency
and bucket, and never builds a table, so its memory does not grow with the input. Feed it
receivables or plain [`InstallmentRecord`][crmcore.receivables.InstallmentRecord] rows (from a
database cursor, a CSV reader).
"""

from __future__ import annotations

import enum
import itertools
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal, Inexact, localcontext
from functools import reduce
from operator import attrgetter
from typing import Any, Final

import attrs

from crmcore._decimal import CONTEXT
from crmcore._deprecation import deprecated
from crmcore._numbers import check_result, show
from crmcore._plots import stacked
from crmcore._tables import Record, ResultTable
from crmcore._validators import member, non_empty
from crmcore.errors import ValidationError
from crmcore.money import Currency, Money, get_currency
from crmcore.money._money import AMOUNT_SLOT, CURRENCY_SLOT, money_each, rounded_each
from crmcore.receivables._receivable import Receivable
from crmcore.serialization import from_dict

__all__ = [
    "AgingAggregate",
    "AgingBasis",
    "AgingBuckets",
    "AgingReport",
    "AgingRow",
    "GroupBy",
    "InstallmentRecord",
    "aging",
    "bucket_keys",
]

_ZERO: Final = Decimal(0)
#: Additions that would round raise instead (crmcore's context, never the host's).
EXACT: Final = CONTEXT.copy()
EXACT.traps[Inexact] = True
#: Items are pulled in chunks of this many outside the exact context.
_CHUNK: Final = 4096


class AgingBasis(enum.Enum):
    """Count days from the installment's due date or from the receivable's issue date."""

    DUE_DATE = "due_date"
    ISSUE_DATE = "issue_date"


class GroupBy(enum.Enum):
    """The dimension aging rows are grouped by (``NONE``: one row per currency)."""

    CUSTOMER = "customer"
    OWNER = "owner"
    DEPARTMENT = "department"
    NONE = "none"


def _edges(value: Iterable[int]) -> tuple[int, ...]:
    edges = tuple(value)
    if not edges:
        raise ValidationError("edges: at least one edge is required")
    for i, edge in enumerate(edges):
        if isinstance(edge, bool) or not isinstance(edge, int) or edge < 1:
            raise ValidationError(f"edges[{i}]: must be an integer >= 1, got {show(edge)}")
        if i and edge <= edges[i - 1]:
            raise ValidationError(
                f"edges[{i}]: must be greater than {show(edges[i - 1])}, got {show(edge)} "
                "(edges ascend)"
            )
    return edges


@attrs.frozen
class AgingBuckets:
    """Bucket edges in days late: ``(30, 60, 90, 120)`` gives not yet due, 1–30, 31–60,
    61–90, 91–120 and over 120. Day 0 and earlier is "not yet due"."""

    edges: tuple[int, ...] = attrs.field(default=(30, 60, 90, 120), converter=_edges)
    first_label: str = attrs.field(default="not yet due", validator=non_empty)

    @property
    def labels(self) -> tuple[str, ...]:
        """One label per bucket, first "not yet due", last "> N"."""
        labels = [self.first_label]
        low = 1
        for edge in self.edges:
            labels.append(f"{low}–{edge}")
            low = edge + 1
        labels.append(f"> {self.edges[-1]}")
        return tuple(labels)

    def index(self, days_late: int) -> int:
        """The bucket of an amount ``days_late`` days late (0 = not yet due)."""
        return 0 if days_late <= 0 else bisect_left(self.edges, days_late) + 1

    @classmethod
    def from_dict(cls, data: object) -> AgingBuckets:
        """Deprecated: use ``crmcore.serialization.from_dict(AgingBuckets, data)``."""
        deprecated("AgingBuckets.from_dict", "crmcore.serialization.from_dict(AgingBuckets, data)")
        return from_dict(cls, data)


def _outstanding(_: object, attribute: attrs.Attribute[Any], value: Money) -> None:
    if not isinstance(value, Money):
        raise ValidationError(f"{attribute.name}: must be Money, got {value!r}")


@attrs.frozen(slots=True)
class InstallmentRecord:
    """One open installment as a plain row: what aging needs, nothing more.

    A negative ``outstanding`` is a credit note (or an overpayment) not yet settled: it ages
    like any other amount and lowers its group's total.
    """

    owner: str
    customer: str
    department: str | None
    due_date: date
    issue_date: date
    outstanding: Money = attrs.field(validator=_outstanding)


def _amounts(row: AgingRow, attribute: attrs.Attribute[Any], value: tuple[Decimal, ...]) -> None:
    if not isinstance(value, tuple):
        raise ValidationError(f"amounts: expected a tuple of Decimal, got {type(value).__name__}")
    for i, amount in enumerate(value):
        if type(amount) is not Decimal or not amount.is_finite():
            raise ValidationError(f"amounts[{i}]: expected a finite Decimal, got {show(amount)}")
        check_result(amount, f"amounts[{i}]")
    check_result(_sum(value), "amounts: the total")


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    return reduce(CONTEXT.add, amounts, _ZERO)


@attrs.frozen
class AgingRow:
    """The outstanding money of one group in one currency, per bucket; ``total`` = Σ buckets.

    The row keeps its bucket ``amounts`` as plain decimals and builds ``buckets`` and ``total``
    as Money when read: a report of thousands of rows costs no Money objects (and no garbage
    collections) until someone reads them.
    """

    group: str | None
    currency: Currency = attrs.field(converter=get_currency)
    amounts: tuple[Decimal, ...] = attrs.field(validator=_amounts)
    count: int

    @property
    def buckets(self) -> tuple[Money, ...]:
        """Each bucket's amount as Money."""
        return money_each(self.amounts, self.currency)

    @property
    def total(self) -> Money:
        """The sum of the buckets as Money."""
        return money_each((_sum(self.amounts),), self.currency)[0]


_set = object.__setattr__


def _row(
    group: str | None, currency: Currency, amounts: tuple[Decimal, ...], count: int
) -> AgingRow:
    """An AgingRow of amounts already rounded and checked (the report's fast path)."""
    row: AgingRow = object.__new__(AgingRow)
    _set(row, "group", group)
    _set(row, "currency", currency)
    _set(row, "amounts", amounts)
    _set(row, "count", count)
    return row


@attrs.frozen(repr=False)
class AgingReport(ResultTable):
    """Aging on ``as_of``: one row per group and currency, in group order."""

    as_of: date
    basis: AgingBasis
    group_by: GroupBy
    labels: tuple[str, ...]
    rows: tuple[AgingRow, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """Column names of the buckets in records: ``not_yet_due``, ``days_1_30``, ..."""
        return bucket_keys(self.labels)

    def totals(self) -> dict[str, Money]:
        """The outstanding total per currency code."""
        result: dict[str, Money] = {}
        for row in self.rows:
            code = row.total.currency.code
            result[code] = result[code] + row.total if code in result else row.total
        return result

    def _record(
        self, group: dict[str, str | None], amounts: Iterable[Decimal], total: Money, count: int
    ) -> Record:
        return {
            **group,
            "currency": total.currency.code,
            **dict(zip(self.keys, amounts, strict=True)),
            "total": total.amount,
            "count": count,
        }

    def _group(self, value: str | None) -> dict[str, str | None]:
        return {} if self.group_by is GroupBy.NONE else {self.group_by.value: value}

    def to_records(self) -> list[Record]:
        """One dict per group and currency: the group column (named by ``group_by``),
        currency, one column per bucket (``keys``), total and count. Totals: ``total_records``."""
        return [
            self._record(self._group(row.group), row.amounts, row.total, row.count)
            for row in self.rows
        ]

    def total_records(self) -> list[Record]:
        """One dict per currency with the bucket sums over every group."""
        sums: dict[str, tuple[list[Money], int]] = {}
        for row in self.rows:
            code = row.total.currency.code
            buckets, count = sums.get(code, ([Money.zero(code)] * len(row.buckets), 0))
            sums[code] = (
                [a + b for a, b in zip(buckets, row.buckets, strict=True)],
                count + row.count,
            )
        return [
            self._record(
                self._group(None),
                [m.amount for m in buckets],
                sum(buckets, Money.zero(code)),
                count,
            )
            for code, (buckets, count) in sorted(sums.items())
        ]

    def plot(self, ax: Any = None) -> Any:
        """Stacked bars of the buckets per group and currency (matplotlib, ``plot`` extra)."""
        labels = [f"{row.group or '(none)'} {row.total.currency.code}" for row in self.rows]
        layers = {
            label: [row.amounts[i] for row in self.rows] for i, label in enumerate(self.labels)
        }
        codes = sorted({row.total.currency.code for row in self.rows})
        return stacked(labels, layers, title=self._caption(), unit=", ".join(codes), ax=ax)

    def _caption(self) -> str:
        basis = "due" if self.basis is AgingBasis.DUE_DATE else "issue"
        return f"Aging on {self.as_of.isoformat()} by {self.group_by.value} ({basis} date)"


def bucket_keys(labels: Sequence[str]) -> tuple[str, ...]:
    """Machine-friendly bucket column names: not_yet_due, days_1_30, ..., days_over_120."""
    keys = []
    for i, label in enumerate(labels):
        if i == len(labels) - 1 and label.startswith("> "):
            keys.append("days_over_" + label.removeprefix("> "))
        elif "–" in label:
            keys.append("days_" + label.replace("–", "_"))
        else:
            keys.append("_".join(label.split()))
    return tuple(keys)


def _records(receivable: Receivable, as_of: date) -> Iterator[InstallmentRecord]:
    for row in receivable.installment_view(as_of):
        if row.outstanding.amount > 0:
            yield InstallmentRecord(
                owner=receivable.owner_id,
                customer=receivable.customer,
                department=receivable.department,
                due_date=row.due_date,
                issue_date=receivable.issue_date,
                outstanding=row.outstanding,
            )


def _as_records(item: object, as_of: date) -> Iterable[InstallmentRecord]:
    """The item as records: a record itself, a receivable's open installments; else refused."""
    if type(item) is InstallmentRecord:
        return (item,)
    if isinstance(item, Receivable):
        return _records(item, as_of)
    raise ValidationError(
        f"items: expected Receivable or InstallmentRecord, got {type(item).__name__}"
    )


def _buckets(value: AgingBuckets | None) -> AgingBuckets:
    return AgingBuckets() if value is None else value


# (group, currency code) -> (unrounded bucket sums, installment count); tuples of decimals,
# so the garbage collector stops tracking them
_Totals = dict[tuple[str | None, str], tuple[tuple[Decimal, ...], int]]


@attrs.define(eq=False)
class AgingAggregate:
    """Mergeable partial aging: unrounded exact sums per group, currency and bucket.

    Aggregate each partition on its own (``AgingAggregate.of(part, as_of)``), then add the
    partials (``a + b``, ``sum(parts)``, [`merge_all`][crmcore.receivables.merge_all]): the
    result equals one pass over all of them, because nothing is rounded until
    [`report`][crmcore.receivables.AgingAggregate.report].
    """

    as_of: date
    buckets: AgingBuckets = attrs.field(default=None, converter=_buckets)
    basis: AgingBasis = attrs.field(default=AgingBasis.DUE_DATE, converter=AgingBasis)
    group_by: GroupBy = attrs.field(default=GroupBy.OWNER, converter=GroupBy)
    _totals: _Totals = attrs.field(factory=dict, init=False)

    @classmethod
    def of(
        cls,
        items: Iterable[Receivable | InstallmentRecord],
        as_of: date,
        *,
        buckets: AgingBuckets | None = None,
        basis: AgingBasis | str = AgingBasis.DUE_DATE,
        group_by: GroupBy | str = GroupBy.OWNER,
    ) -> AgingAggregate:
        """One streaming pass over ``items``."""
        aggregate = cls(
            as_of,
            buckets,
            member(AgingBasis, basis, "basis"),
            member(GroupBy, group_by, "group_by"),
        )
        aggregate.add_all(items)
        return aggregate

    @property
    def settings(self) -> tuple[date, AgingBuckets, AgingBasis, GroupBy]:
        """What two partitions must share to be merged."""
        return (self.as_of, self.buckets, self.basis, self.group_by)

    def sums(self) -> dict[tuple[str | None, str], tuple[tuple[Decimal, ...], int]]:
        """The exact, unrounded bucket sums and count per (group, currency code)."""
        return dict(self._totals)

    def add_sums(
        self, group: str | None, currency: str, sums: Sequence[Decimal], count: int
    ) -> None:
        """Add precomputed bucket sums of one group (the columnar engine's way in)."""
        self.add_rows([(group, currency, sums, count)])

    def add_rows(self, rows: Iterable[tuple[str | None, str, Sequence[Decimal], int]]) -> None:
        """Add precomputed (group, currency code, bucket sums, count) rows in one call; every
        row is checked before any is added, so a bad row changes nothing."""
        size = len(self.buckets.edges) + 2
        rows = list(rows)
        for _, _, sums, count in rows:
            if len(sums) != size:
                raise ValidationError(f"sums: expected {size} buckets, got {len(sums)}")
            if not all(type(value) is Decimal for value in sums) or type(count) is not int:
                raise ValidationError("sums: expected Decimal sums and an int count")
        totals, plus, add = self._totals, EXACT.plus, EXACT.add
        for group, currency, sums, count in rows:
            key = (group, currency)
            old = totals.get(key)
            if old is None:
                totals[key] = (tuple(map(plus, sums)), count)
            else:
                totals[key] = (tuple(map(add, old[0], sums)), old[1] + count)

    def add_all(self, items: Iterable[Receivable | InstallmentRecord]) -> None:
        """Stream ``items`` in (receivables contribute each installment's outstanding amount)."""
        as_of = self.as_of
        size = len(self.buckets.edges) + 2
        when = "due_date" if self.basis is AgingBasis.DUE_DATE else "issue_date"
        grouped = self.group_by is not GroupBy.NONE
        # One C call reads all a row contributes: amount, currency, day and group (ungrouped,
        # the day stands in for the group and the groups are folded into one at the end).
        fields = attrgetter(
            f"outstanding.{AMOUNT_SLOT}",
            f"outstanding.{CURRENCY_SLOT}",
            when,
            self.group_by.value if grouped else when,
        )
        index_of = self.buckets.index
        cache: dict[date, int] = {}
        bucket_of = cache.get
        by_code: dict[str, dict[Any, list[Any]]] = {}
        table: dict[Any, list[Any]] = {}
        last: Currency | None = None
        record_type = InstallmentRecord
        iterator = iter(items)
        # Items are pulled outside crmcore's context (a caller's generator keeps its own);
        # the sums run inside it, where any rounding raises instead of losing a cent.
        while chunk := list(itertools.islice(iterator, _CHUNK)):
            if set(map(type, chunk)) != {record_type}:
                chunk = [record for item in chunk for record in _as_records(item, as_of)]
            with localcontext(EXACT):
                for record in chunk:
                    # The hot path: a cached bucket per day, the running sums of the row's
                    # currency kept at hand, one dict lookup, one addition.
                    amount, currency, day, group = fields(record)
                    idx = bucket_of(day)
                    if idx is None:
                        idx = cache[day] = index_of((as_of - day).days)
                    if currency is not last:
                        table = by_code.setdefault(currency.code, {})
                        last = currency
                    acc = table.get(group)
                    if acc is None:
                        acc = table[group] = [_ZERO] * size + [0]
                    acc[idx] += amount
                    acc[-1] += 1
        self.add_rows(
            (group if grouped else None, code, acc[:-1], acc[-1])
            for code, sums in by_code.items()
            for group, acc in sums.items()
        )

    def merge(self, other: AgingAggregate) -> AgingAggregate:
        """A new aggregate equal to one pass over both partitions."""
        if not isinstance(other, AgingAggregate):
            raise ValidationError(f"merge: expected AgingAggregate, got {type(other).__name__}")
        if self.settings != other.settings:
            raise ValidationError(
                "merge: both aging aggregates must use the same as_of, buckets, basis and "
                f"group_by (got {self.settings} and {other.settings})"
            )
        merged = AgingAggregate(*self.settings)
        for part in (self, other):
            merged.add_rows(
                (group, code, sums, count) for (group, code), (sums, count) in part.sums().items()
            )
        return merged

    def __add__(self, other: AgingAggregate) -> AgingAggregate:
        return self.merge(other)

    def __radd__(self, other: object) -> AgingAggregate:
        """``sum(parts)`` starts from 0: 0 + aggregate is the aggregate."""
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AgingAggregate):
            return NotImplemented
        return self.settings == other.settings and self.sums() == other.sums()

    def report(self) -> AgingReport:
        """The report: each bucket rounded once to the currency's minor units."""
        rows = []
        currencies: dict[str, Currency] = {}
        for key in sorted(self._totals, key=lambda k: ("" if k[0] is None else k[0], k[1])):
            group, code = key
            sums, count = self._totals[key]
            currency = currencies.get(code) or currencies.setdefault(code, get_currency(code))
            # each bucket rounded half up to whole minor units; the total is their exact sum
            amounts, _ = rounded_each(sums, currency)
            rows.append(_row(group, currency, amounts, count))
        return AgingReport(
            as_of=self.as_of,
            basis=self.basis,
            group_by=self.group_by,
            labels=self.buckets.labels,
            rows=tuple(rows),
        )


def aging(
    items: Iterable[Receivable | InstallmentRecord],
    as_of: date,
    *,
    buckets: AgingBuckets | None = None,
    basis: AgingBasis | str = AgingBasis.DUE_DATE,
    group_by: GroupBy | str = GroupBy.OWNER,
) -> AgingReport:
    """Age outstanding money on ``as_of`` in one pass over ``items`` (streaming).

    A receivable contributes each installment's outstanding amount on ``as_of``; a record
    contributes its ``outstanding``. Every amount lands in exactly one bucket, so the
    buckets of a row always sum to its total.
    """
    return AgingAggregate.of(
        items, as_of, buckets=buckets, basis=basis, group_by=group_by
    ).report()

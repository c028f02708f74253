"""Aging: outstanding money by how late it is, over any number of receivables or records.

:func:`aging` streams: it reads its input once, keeps one running total per group, currency
and bucket, and never builds a table, so its memory does not grow with the input. Feed it
receivables or plain :class:`InstallmentRecord` rows (from a database cursor, a CSV reader).
"""

from __future__ import annotations

import enum
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any

import attrs

from crmcore._decimal import context_class, in_context
from crmcore._validators import non_empty
from crmcore.errors import ValidationError
from crmcore.money import Money
from crmcore.receivables._receivable import Receivable
from crmcore.serialization import from_dict

__all__ = [
    "AgingBasis",
    "AgingBuckets",
    "AgingReport",
    "AgingRow",
    "GroupBy",
    "InstallmentRecord",
    "aging",
]

_ZERO = Decimal(0)


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
            raise ValidationError(f"edges[{i}]: must be an integer >= 1, got {edge!r}")
        if i and edge <= edges[i - 1]:
            raise ValidationError(
                f"edges[{i}]: must be greater than {edges[i - 1]}, got {edge} (edges ascend)"
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
        """Load from plain data such as ``{"edges": [15, 30, 60]}``."""
        return from_dict(cls, data, what="AgingBuckets")


def _outstanding(_: object, attribute: attrs.Attribute[Any], value: Money) -> None:
    if not isinstance(value, Money) or value.amount < 0:
        raise ValidationError(f"{attribute.name}: must be Money >= 0, got {value!r}")


@attrs.frozen(slots=True)
class InstallmentRecord:
    """One open installment as a plain row: what aging needs, nothing more."""

    owner: str
    customer: str
    department: str | None
    due_date: date
    issue_date: date
    outstanding: Money = attrs.field(validator=_outstanding)


@attrs.frozen
class AgingRow:
    """The outstanding money of one group in one currency, per bucket; ``total`` = Σ buckets."""

    group: str | None
    buckets: tuple[Money, ...]
    total: Money
    count: int


@context_class
@attrs.frozen
class AgingReport:
    """Aging on ``as_of``: one row per group and currency, in group order."""

    as_of: date
    basis: AgingBasis
    group_by: GroupBy
    labels: tuple[str, ...]
    rows: tuple[AgingRow, ...]

    def totals(self) -> dict[str, Money]:
        """The outstanding total per currency code."""
        result: dict[str, Money] = {}
        for row in self.rows:
            code = row.total.currency.code
            result[code] = result[code] + row.total if code in result else row.total
        return result

    def to_records(self) -> list[dict[str, object]]:
        """One plain dict per row (group, currency, one key per bucket label, total)."""
        return [
            {
                "group": row.group,
                "currency": row.total.currency.code,
                **{label: m.amount for label, m in zip(self.labels, row.buckets, strict=True)},
                "total": row.total.amount,
                "count": row.count,
            }
            for row in self.rows
        ]


def _records(receivable: Receivable, as_of: date) -> Iterator[InstallmentRecord]:
    for row in receivable.installment_view(as_of):
        if row.outstanding.amount > 0:
            yield InstallmentRecord(
                owner=receivable.owner,
                customer=receivable.customer,
                department=receivable.department,
                due_date=row.due_date,
                issue_date=receivable.issue_date,
                outstanding=row.outstanding,
            )


def _no_group(_: object) -> None:
    return None


@in_context
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
    edges = buckets if buckets is not None else AgingBuckets()
    basis = AgingBasis(basis)
    group_by = GroupBy(group_by)
    size = len(edges.edges) + 2
    by_due = basis is AgingBasis.DUE_DATE
    group_of = _no_group if group_by is GroupBy.NONE else attrgetter(group_by.value)
    index_of = edges.index
    cache: dict[date, int] = {}
    bucket_of = cache.get
    # (group, currency code) -> bucket sums, with the installment count in the last slot
    totals: dict[tuple[str | None, str], list[Any]] = {}
    total_of = totals.get
    record_type = InstallmentRecord

    def add(record: InstallmentRecord) -> None:
        """The path for installments expanded from receivables (same steps as below)."""
        when = record.due_date if by_due else record.issue_date
        idx = bucket_of(when)
        if idx is None:
            idx = cache[when] = index_of((as_of - when).days)
        money = record.outstanding
        key = (group_of(record), money.currency.code)
        acc = total_of(key)
        if acc is None:
            acc = totals[key] = [_ZERO] * size + [0]
        acc[idx] += money.amount
        acc[-1] += 1

    for item in items:
        if type(item) is record_type:
            # The hot path, inlined: a cached bucket per date, one dict lookup for the
            # running sums, one Decimal addition. Nothing is kept per record.
            when = item.due_date if by_due else item.issue_date
            idx = bucket_of(when)
            if idx is None:
                idx = cache[when] = index_of((as_of - when).days)
            money = item.outstanding
            key = (group_of(item), money.currency.code)
            acc = total_of(key)
            if acc is None:
                acc = totals[key] = [_ZERO] * size + [0]
            acc[idx] += money.amount
            acc[-1] += 1
        elif isinstance(item, Receivable):
            for record in _records(item, as_of):
                add(record)
        else:
            raise ValidationError(
                f"items: expected Receivable or InstallmentRecord, got {type(item).__name__}"
            )
    rows = []
    for key in sorted(totals, key=lambda k: ("" if k[0] is None else k[0], k[1])):
        group, code = key
        acc = totals[key]
        parts = tuple(Money(v, code).round() for v in acc[:-1])
        rows.append(
            AgingRow(
                group=group,
                buckets=parts,
                total=sum(parts, Money.zero(code)),
                count=acc[-1],
            )
        )
    return AgingReport(
        as_of=as_of, basis=basis, group_by=group_by, labels=edges.labels, rows=tuple(rows)
    )

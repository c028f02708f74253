"""Collections by month or quarter against targets, built on the receivables' own
``collections_report`` and ``target_attainment``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from crmcore._decimal import CONTEXT, in_context
from crmcore.errors import CurrencyMismatch, ValidationError
from crmcore.money import Currency, Money, Percent
from crmcore.receivables import (
    CollectionsBy,
    Receivable,
    TargetRow,
    collections_report,
    period_of,
    target_attainment,
)
from crmcore.reports._common import ReportCurrency, RowsWithTotal, html_table

__all__ = ["CollectionsReport", "PeriodCollections", "collections_by_period"]

_PERIODS = (CollectionsBy.MONTH, CollectionsBy.QUARTER)


@attrs.frozen
class PeriodCollections:
    """One period's collections: ``collected`` = received − refunded in the period, against
    the team's ``target`` (gap = target − collected; None without a target)."""

    period: str
    received: Money
    refunded: Money
    collected: Money
    invoiced: Money
    target: Money | None
    gap: Money | None
    attainment: Percent | None

    def to_record(self) -> dict[str, Any]:
        """A plain dict: amounts as Decimal strings (None where there is no target)."""

        def text(m: Money | None) -> str | None:
            return None if m is None else str(m.amount)

        return {
            "period": self.period,
            "currency": self.received.currency.code,
            "received": text(self.received),
            "refunded": text(self.refunded),
            "collected": text(self.collected),
            "invoiced": text(self.invoiced),
            "target": text(self.target),
            "gap": text(self.gap),
            "attainment": None if self.attainment is None else str(self.attainment.value),
        }


@attrs.frozen
class CollectionsReport(RowsWithTotal):
    """Rows per period (chronological), the total row, and — when owner targets were given —
    the receivables' per-owner ``TargetRow``s."""

    by: str
    as_of: date
    currency: Currency | None
    rows: tuple[PeriodCollections, ...]
    total: PeriodCollections | None
    owners: tuple[TargetRow, ...] = ()

    def row(self, period: str) -> PeriodCollections:
        """The row of ``period`` (``"2026-03"`` or ``"2026-Q1"``)."""
        found: PeriodCollections = self._find(
            "period", period, f"collections by {self.by}: no period {period!r}"
        )
        return found

    def _repr_html_(self) -> str:
        title = f"Collections by {self.by} as of {self.as_of.isoformat()}"
        return html_table(title, self.to_records())


def _attainment(collected: Decimal, target: Decimal) -> Percent | None:
    if target == 0:
        return None
    ratio = CONTEXT.multiply(CONTEXT.divide(collected, target), Decimal(100))
    return Percent(ratio.quantize(Decimal("0.1"), ROUND_HALF_UP, CONTEXT))


def _row(
    period: str, figures: list[Decimal], target: Decimal | None, money: ReportCurrency
) -> PeriodCollections:
    received, refunded, invoiced = figures
    collected = received - refunded
    return PeriodCollections(
        period,
        money.money(received),
        money.money(refunded),
        money.money(collected),
        money.money(invoiced),
        None if target is None else money.money(target),
        None if target is None else money.money(target - collected),
        None if target is None else _attainment(collected, target),
    )


@in_context
def collections_by_period(
    receivables: Iterable[Receivable],
    *,
    as_of: date,
    by: CollectionsBy | str = CollectionsBy.MONTH,
    targets: Mapping[str, Money] | None = None,
    owner_targets: Mapping[tuple[str, str], Money] | None = None,
    currency: str | Currency | None = None,
    rates: Mapping[str, object] | None = None,
) -> CollectionsReport:
    """Money received, refunded and invoiced per month or quarter on ``as_of`` (each figure in
    the period of its own fact, as ``collections_report`` counts it), against the team's
    ``targets`` per period and, with ``owner_targets`` per (owner, period), each owner's
    attainment from ``target_attainment``.

    The receivables are read into a list (the two receivables reports each pass over them).
    """
    kind = CollectionsBy(by)
    if kind not in _PERIODS:
        raise ValidationError(f"by: {kind.value!r} is not a period (month or quarter)")
    money = ReportCurrency(currency, rates)
    given = dict(targets or {})
    target_sums: dict[str, Decimal] = {}
    for period, target in given.items():
        _check_period_label(period, kind)
        target_sums[period] = money.amount(target, f"targets[{period!r}]")
    every = list(receivables)
    sums: dict[str, list[Decimal]] = {}
    for row in collections_report(every, as_of, by=kind):
        where = f"collections in {row.key}"
        figures = [money.amount(m, where) for m in (row.received, row.refunded, row.invoiced)]
        acc = sums.setdefault(row.key, [Decimal(0)] * 3)
        for i, value in enumerate(figures):
            acc[i] += value
    if money.currency is None:
        return CollectionsReport(kind.value, as_of, None, (), None)
    periods = sorted(set(sums) | set(target_sums))
    zero = [Decimal(0)] * 3
    rows = tuple(_row(p, sums.get(p, zero), target_sums.get(p), money) for p in periods)
    grand = [sum((s[i] for s in sums.values()), Decimal(0)) for i in range(3)]
    total = _row("total", grand, sum(target_sums.values(), Decimal(0)) if given else None, money)
    owners: tuple[TargetRow, ...] = ()
    if owner_targets:
        for (owner, period), target in owner_targets.items():
            _check_period_label(period, kind)
            if target.currency != money.currency:
                raise CurrencyMismatch(
                    f"owner_targets[{(owner, period)!r}]: {target} is not in the report "
                    f"currency {money.currency.code}"
                )
        mixed = sorted({r.currency.code for r in every} - {money.currency.code})
        if mixed:
            raise CurrencyMismatch(
                f"owner targets are attained in {money.currency.code} only; receivables in "
                f"{', '.join(mixed)} cannot count towards them"
            )
        owners = target_attainment(every, owner_targets, as_of, by=kind)
    return CollectionsReport(kind.value, as_of, money.currency, rows, total, owners)


def _check_period_label(label: str, kind: CollectionsBy) -> None:
    sample = period_of(date(2000, 1, 1), kind)
    ok = isinstance(label, str) and len(label) == len(sample) and label[4] == "-"
    if ok:
        tail = label[5:]
        ok = label[:4].isdigit() and (
            (kind is CollectionsBy.MONTH and tail.isdigit() and 1 <= int(tail) <= 12)
            or (kind is CollectionsBy.QUARTER and tail in ("Q1", "Q2", "Q3", "Q4"))
        )
    if not ok:
        raise ValidationError(f"period {label!r}: not a {kind.value} label like {sample!r}")

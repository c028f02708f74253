"""Lead reports: who holds what (owner × status), and how sources and campaigns convert."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from crmcore._decimal import CONTEXT, in_context
from crmcore.leads._lead import Lead, LeadStatus
from crmcore.money import Percent

__all__ = [
    "OwnerStatusReport",
    "SourceCampaignRow",
    "leads_by_owner_and_status",
    "leads_by_source_and_campaign",
]

UNASSIGNED = "(unassigned)"


@attrs.frozen
class OwnerStatusReport:
    """Counts of leads per owner and status; leads nobody holds are under ``(unassigned)``."""

    counts: dict[str, dict[LeadStatus, int]] = attrs.field(hash=False)

    def count(self, owner: str | None, status: LeadStatus) -> int:
        """The number of leads ``owner`` (None: unassigned) has in ``status``."""
        return self.counts.get(owner or UNASSIGNED, {}).get(status, 0)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per owner: ``owner``, one column per status, ``total`` (for pandas)."""
        rows = []
        for owner, by_status in self.counts.items():
            row: dict[str, Any] = {"owner": owner}
            row.update({s.value: by_status.get(s, 0) for s in LeadStatus})
            row["total"] = sum(by_status.values())
            rows.append(row)
        return rows


@attrs.frozen
class SourceCampaignRow:
    """Leads, conversions and the conversion rate (2 decimals) of one source and campaign."""

    source: str
    campaign_id: str | None
    leads: int
    converted: int
    conversion_rate: Percent


@in_context
def leads_by_owner_and_status(leads: Iterable[Lead]) -> OwnerStatusReport:
    """Owner × status counts; owners sorted by id, unassigned last."""
    counts: dict[str, Counter[LeadStatus]] = {}
    for lead in leads:
        counts.setdefault(lead.owner_id or UNASSIGNED, Counter())[lead.status] += 1
    order = sorted(counts, key=lambda o: (o == UNASSIGNED, o))
    return OwnerStatusReport(
        {o: dict(sorted(counts[o].items(), key=_status_order)) for o in order}
    )


def _status_order(item: tuple[LeadStatus, int]) -> int:
    return list(LeadStatus).index(item[0])


@in_context
def leads_by_source_and_campaign(leads: Iterable[Lead]) -> list[SourceCampaignRow]:
    """Per (source, campaign): leads, converted, conversion rate; sorted by source, campaign."""
    totals: Counter[tuple[str, str | None]] = Counter()
    converted: Counter[tuple[str, str | None]] = Counter()
    for lead in leads:
        key = (lead.source, lead.campaign_id)
        totals[key] += 1
        if lead.status is LeadStatus.CONVERTED:
            converted[key] += 1
    rows = []
    for key in sorted(totals, key=lambda k: (k[0], k[1] or "")):
        rate = CONTEXT.divide(Decimal(converted[key] * 100), Decimal(totals[key]))
        rows.append(
            SourceCampaignRow(
                key[0],
                key[1],
                totals[key],
                converted[key],
                Percent(rate.quantize(Decimal("0.01"), ROUND_HALF_UP)),
            )
        )
    return rows

"""Leads by owner × status: the leads package's own count, with totals and an HTML view."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from crmcore.leads import Lead, LeadStatus, OwnerStatusReport, leads_by_owner_and_status
from crmcore.reports._common import html_table

__all__ = ["LeadStatusReport", "lead_status_report"]


@attrs.frozen
class LeadStatusReport:
    """``crmcore.leads.leads_by_owner_and_status`` with per-status totals for the team."""

    counts: OwnerStatusReport

    def count(self, owner: str | None, status: LeadStatus) -> int:
        """The number of leads ``owner`` (None: unassigned) has in ``status``."""
        return self.counts.count(owner, status)

    def totals(self) -> dict[str, int]:
        """Per status (by value) the team's count, and ``total``."""
        sums = {s.value: 0 for s in LeadStatus}
        for by_status in self.counts.counts.values():
            for status, n in by_status.items():
                sums[status.value] += n
        sums["total"] = sum(sums.values())
        return sums

    def to_records(self, total: bool = True) -> list[dict[str, Any]]:
        """One dict per owner (and a ``total`` row last), a column per status, for pandas."""
        records = self.counts.to_records()
        if total:
            records.append({"owner": "total", **self.totals()})
        return records

    def _repr_html_(self) -> str:
        return html_table("Leads by owner and status", self.to_records())


def lead_status_report(leads: Iterable[Lead]) -> LeadStatusReport:
    """Owner × status counts of ``leads`` (owners by id, unassigned last) with totals."""
    return LeadStatusReport(leads_by_owner_and_status(leads))

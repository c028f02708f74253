"""Canonical column names and the header spellings of real CRM exports that mean them.

Salesforce (``Opportunity Owner``, ``Close Date``, ``Probability (%)``), HubSpot (``Deal
Owner``, ``Deal Stage``, ``Record ID``) and Chinese CRMs (负责人, 阶段, 金额) name the same
columns differently; a header is compared after `column_key` (case-insensitive,
spaces and hyphens as underscores). A caller's own mapping always wins over the aliases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from crmcore.errors import ValidationError

__all__ = [
    "HISTORY_COLUMNS",
    "INSTALLMENT_COLUMNS",
    "OPPORTUNITY_COLUMNS",
    "VISIT_COLUMNS",
    "column_key",
    "resolve_columns",
]

_SEPARATORS: Final = re.compile(r"[\s\-]+")

#: Canonical opportunity column → other header spellings accepted for it.
OPPORTUNITY_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "id": ("opportunity", "opportunity_id", "record_id", "deal_id", "商机编号", "编号"),
    "owner": ("opportunity_owner", "deal_owner", "负责人", "销售", "销售负责人"),
    "stage": ("deal_stage", "opportunity_stage", "阶段", "销售阶段"),
    "amount": ("deal_amount", "opportunity_amount", "金额", "商机金额"),
    "currency": ("opportunity_currency", "currency_code", "币种"),
    "expected_close": ("expected_close_date", "close_date", "预计成交日期", "成交日期"),
    "department": ("team", "部门"),
    "probability": (
        "probability_override",
        "win_probability",
        "probability_(%)",
        "deal_probability",
        "赢率",
    ),
    "category": ("forecast_category", "预测类别"),
    "status": ("deal_status", "状态"),
}

#: Canonical installment column → other header spellings accepted for it.
INSTALLMENT_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "customer": ("account_name", "account", "company", "客户", "客户名称"),
    "owner": ("account_owner", "负责人", "销售"),
    "department": ("team", "部门"),
    "due_date": ("due", "到期日", "应收日期"),
    "issue_date": ("issued", "invoice_date", "开票日期"),
    "outstanding": (
        "outstanding_amount",
        "open_amount",
        "amount_due",
        "balance",
        "未收金额",
        "应收余额",
    ),
    "currency": ("currency_code", "币种"),
}

#: Canonical stage-history column (one row per stage visit) → other spellings.
HISTORY_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "id": ("opportunity", "opportunity_id", "deal_id", "商机编号"),
    "owner": ("opportunity_owner", "deal_owner", "负责人"),
    "amount": ("deal_amount", "金额"),
    "currency": ("currency_code", "币种"),
    "created_at": ("created", "created_date", "创建时间"),
    "stage": ("to_stage", "deal_stage", "阶段"),
    "entered_at": ("entered", "from_date", "进入时间"),
    "entered_by": ("changed_by", "操作人"),
    "left_at": ("left", "to_date", "离开时间"),
    "status": ("deal_status", "状态"),
    "closed_at": ("close_date", "closed", "关闭时间"),
    "department": ("team", "部门"),
}


#: Canonical visit column (one row per visit, as `crmcore.visits.VisitFact`) → other spellings.
VISIT_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "visit_id": ("visit", "id", "visit_number", "拜访编号", "编号"),
    "owner_id": ("owner", "salesperson", "visit_owner", "assigned_to", "负责人", "拜访人", "销售"),
    "customer_id": ("customer", "account", "account_name", "customer_name", "客户", "客户名称"),
    "day": ("date", "visit_date", "planned_date", "拜访日期", "日期"),
    "planned": ("is_planned", "计划内"),
    "completed": ("is_completed", "done", "已完成"),
    "cancelled": ("canceled", "is_cancelled", "已取消"),
    "outside": ("outside_tolerance", "超出范围"),
    "duration_s": ("duration", "duration_seconds", "时长", "时长(秒)"),
}


def column_key(name: str) -> str:
    """A header compared loosely: stripped (and a BOM), lower case, spaces/hyphens as ``_``."""
    return _SEPARATORS.sub("_", name.strip().lstrip("\ufeff").strip().lower())


def resolve_columns(
    header: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    mapping: Mapping[str, str] | None = None,
    where: str = "columns",
) -> dict[str, str]:
    """Canonical name → the header as written, from ``mapping`` first, then the aliases.

    Raises ValidationError naming a mapped header that is absent, two headers for one
    column, or the required columns that are missing (with the header found).
    """
    found: dict[str, str] = {}
    written = {column_key(name): name for name in header}
    for canonical, name in (mapping or {}).items():
        if canonical not in aliases:
            raise ValidationError(
                f"{where}: unknown column {canonical!r} (use {', '.join(aliases)})"
            )
        if column_key(name) not in written:
            raise ValidationError(
                f"{where}[{canonical}]: the header has no column {name!r} "
                f"(it has: {', '.join(header)})"
            )
        found[canonical] = written[column_key(name)]
    mapped = set(found.values())
    spellings = {
        column_key(alias): canonical
        for canonical, names in aliases.items()
        for alias in (canonical, *names)
    }
    for name in header:
        known = spellings.get(column_key(name))
        if known is None or known in (mapping or {}) or name in mapped:
            continue
        if known in found:
            raise ValidationError(
                f"{where}: columns {found[known]!r} and {name!r} both give the {known}"
            )
        found[known] = name
    missing = [name for name in required if name not in found]
    if missing:
        raise ValidationError(
            f"{where}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the header has: {', '.join(header)}); map them with columns={{...}}"
        )
    return found

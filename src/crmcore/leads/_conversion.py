"""Converting a lead: what to create (customer, contact, opportunity), as data for the host.

crmcore stores nothing: the result names each record with the id the caller chose and the
fields mapped from the lead, and the host (or ``crmcore.services``) creates them. The
opportunity is plain data (name, amount, owner, expected close) so leads stay independent
of the forecast package.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import attrs

from crmcore._validators import non_empty
from crmcore.errors import ValidationError
from crmcore.money import Money
from crmcore.serialization import check_values

__all__ = [
    "ConversionRequest",
    "ConversionResult",
    "CreatedRecord",
    "FieldMapping",
    "OpportunityDraft",
]


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


#: Fields the conversion fills itself; a mapping may not overwrite them.
_SET_BY_CONVERSION = {
    "customer": frozenset[str](),
    "contact": frozenset({"customer_id"}),
    "opportunity": frozenset(
        {"name", "amount", "expected_close", "owner_id", "customer_id", "contact_id", "lead_id"}
    ),
}


@attrs.frozen
class FieldMapping:
    """Target field → lead field (an attribute, or ``custom.<key>`` for a custom field).

    A target may not be a field the conversion fills itself (the contact's ``customer_id``,
    the opportunity's draft fields and links): ValidationError names the clash.
    """

    customer: Mapping[str, str] = attrs.field(
        factory=lambda: {"name": "company", "industry": "industry", "region": "region"},
        converter=_frozen_map,
    )
    contact: Mapping[str, str] = attrs.field(
        factory=lambda: {"name": "name", "email": "email", "phone": "phone"},
        converter=_frozen_map,
    )
    opportunity: Mapping[str, str] = attrs.field(
        factory=lambda: {"source": "source", "campaign_id": "campaign_id"},
        converter=_frozen_map,
    )

    def __attrs_post_init__(self) -> None:
        for kind, reserved in _SET_BY_CONVERSION.items():
            mapping: Mapping[str, str] = getattr(self, kind)
            for target in mapping:
                if target in reserved:
                    raise ValidationError(
                        f"{kind}.{target}: collides with the {target!r} the conversion sets "
                        f"itself; map the lead field to another name"
                    )


@attrs.frozen
class OpportunityDraft:
    """The opportunity to open with the conversion; owner defaults to the lead's owner."""

    id: str = attrs.field(validator=non_empty)
    name: str = attrs.field(validator=non_empty)
    amount: Money
    expected_close: date
    owner_id: str | None = None
    #: The sales process to open it in (None: the one the application's process rules
    #: choose for its department, record type and product line, else the default one).
    process_id: str | None = None
    record_type: str | None = None
    product_line: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.amount.amount < 0:
            raise ValidationError(f"opportunity {self.id}: amount must be >= 0, got {self.amount}")


@attrs.frozen
class ConversionRequest:
    """Ids the caller chose and what to create: a new or existing customer, a contact,
    optionally an opportunity, with the field mapping."""

    customer_id: str = attrs.field(validator=non_empty)
    contact_id: str = attrs.field(validator=non_empty)
    existing_customer: bool = False
    opportunity: OpportunityDraft | None = None
    mapping: FieldMapping = attrs.field(factory=FieldMapping)


@attrs.frozen
class CreatedRecord:
    """One record the host must create (``new``) or link to (an existing customer).

    ``fields`` hold values that save and load back as they are (see ``Lead.custom``):
    JSON values, Decimal, Money, Percent, date and datetime; anything else is refused.
    """

    kind: str
    id: str
    new: bool
    fields: Mapping[str, Any] = attrs.field(converter=_frozen_map, hash=False)

    def __attrs_post_init__(self) -> None:
        check_values(self.fields, f"{self.kind} {self.id}: fields")


@attrs.frozen
class ConversionResult:
    """What a conversion produced; kept on the lead so converting twice is refused."""

    lead_id: str
    converted_by: str
    converted_at: datetime
    customer: CreatedRecord
    contact: CreatedRecord
    opportunity: CreatedRecord | None = None

    @property
    def records(self) -> list[CreatedRecord]:
        """Every record to create or link, in order: customer, contact, opportunity."""
        found = [self.customer, self.contact]
        if self.opportunity is not None:
            found.append(self.opportunity)
        return found


def read_field(lead: object, path: str) -> Any:
    """The lead's value at ``path`` (``company``, ``custom.budget``); ValidationError if none."""
    head, _, rest = path.partition(".")
    if head == "custom" and rest:
        custom: Mapping[str, Any] = getattr(lead, "custom", {})
        if rest not in custom:
            raise ValidationError(f"field mapping: lead has no custom field {rest!r}")
        return custom[rest]
    if rest or head.startswith("_") or not hasattr(lead, head):
        raise ValidationError(f"field mapping: lead has no field {path!r}")
    return getattr(lead, head)


def map_fields(lead: object, mapping: Mapping[str, str]) -> dict[str, Any]:
    """Apply one part of a field mapping to the lead."""
    return {target: read_field(lead, source) for target, source in mapping.items()}


def build_result(lead: Any, request: ConversionRequest, by: str, at: datetime) -> ConversionResult:
    """Every record of the conversion (raises ValidationError before anything changes)."""
    mapping = request.mapping
    customer = CreatedRecord(
        "customer",
        request.customer_id,
        not request.existing_customer,
        {} if request.existing_customer else map_fields(lead, mapping.customer),
    )
    contact_fields = map_fields(lead, mapping.contact)
    contact_fields["customer_id"] = request.customer_id
    contact = CreatedRecord("contact", request.contact_id, True, contact_fields)
    opportunity = None
    draft = request.opportunity
    if draft is not None:
        owner = draft.owner_id or lead.owner_id or by
        fields: dict[str, Any] = {
            "name": draft.name,
            "amount": draft.amount,
            "expected_close": draft.expected_close,
            "owner_id": owner,
            "customer_id": request.customer_id,
            "contact_id": request.contact_id,
            "lead_id": lead.id,
        }
        fields.update(map_fields(lead, mapping.opportunity))
        opportunity = CreatedRecord("opportunity", draft.id, True, fields)
    return ConversionResult(lead.id, by, at, customer, contact, opportunity)

"""The catalog as pricing sees it: products in a nested group tree, and customers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import attrs

from crmcore._validators import non_empty
from crmcore.errors import ValidationError
from crmcore.money import Money, Percent
from crmcore.pricing._fields import is_money, optional, percent_non_negative, to_optional_percent

__all__ = ["Catalog", "Customer", "Product", "ProductGroup"]

T = TypeVar("T")


def _frozen_strs(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@attrs.frozen
class ProductGroup:
    """A node of the product-group tree; ``parent`` is the id of the enclosing group."""

    id: str = attrs.field(validator=non_empty)
    parent: str | None = None
    name: str = ""


@attrs.frozen
class Product:
    """A sellable item. ``cost`` and ``minimum_price`` are per unit and tax-exclusive.

    ``tax_rate`` of ``None`` takes the policy's default rate; ``discountable=False`` keeps the
    line out of order-level discounts (shipping, deposits, regulated prices).
    """

    sku: str = attrs.field(validator=non_empty)
    name: str = ""
    group: str | None = None
    unit: str = "pcs"
    cost: Money | None = attrs.field(default=None, validator=optional(is_money))
    minimum_price: Money | None = attrs.field(default=None, validator=optional(is_money))
    discountable: bool = True
    tax_rate: Percent | None = attrs.field(
        default=None, converter=to_optional_percent, validator=optional(percent_non_negative)
    )


@attrs.frozen
class Customer:
    """A customer as pricing sees it: its id, group (tier), region and free-form tags."""

    id: str = attrs.field(validator=non_empty)
    group: str | None = None
    region: str | None = None
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=_frozen_strs)


def _products(value: Iterable[Product]) -> tuple[Product, ...]:
    return tuple(value)


def _groups(value: Iterable[ProductGroup]) -> tuple[ProductGroup, ...]:
    return tuple(value)


def _customers(value: Iterable[Customer]) -> tuple[Customer, ...]:
    return tuple(value)


@attrs.frozen
class Catalog:
    """Products, their group tree and the known customers, checked for consistency.

    Refuses duplicate SKUs, group or customer ids, a product in an unknown group, a group with an
    unknown parent, and cycles in the tree.
    """

    products: tuple[Product, ...] = attrs.field(converter=_products)
    groups: tuple[ProductGroup, ...] = attrs.field(default=(), converter=_groups)
    customers: tuple[Customer, ...] = attrs.field(default=(), converter=_customers)
    _by_sku: dict[str, Product] = attrs.field(init=False, repr=False, eq=False)
    _customers: dict[str, Customer] = attrs.field(init=False, repr=False, eq=False)
    #: group id → ((group id, depth), ...) from the group itself up to its root (depth 1).
    _lineage: dict[str, tuple[tuple[str, int], ...]] = attrs.field(
        init=False, repr=False, eq=False
    )

    def __attrs_post_init__(self) -> None:
        by_sku = _unique("products", "sku", ((p.sku, p) for p in self.products))
        parents = _unique("groups", "id", ((g.id, g.parent) for g in self.groups))
        customers = _unique("customers", "id", ((c.id, c) for c in self.customers))
        for i, group in enumerate(self.groups):
            if group.parent is not None and group.parent not in parents:
                raise ValidationError(
                    f"groups[{i}].parent: unknown product group {group.parent!r} "
                    f"(parent of {group.id!r})"
                )
        lineage = {gid: _lineage_of(gid, parents) for gid in parents}
        for i, product in enumerate(self.products):
            if product.group is not None and product.group not in parents:
                raise ValidationError(
                    f"products[{i}].group: unknown product group {product.group!r} "
                    f"(product {product.sku!r})"
                )
        object.__setattr__(self, "_by_sku", by_sku)
        object.__setattr__(self, "_customers", customers)
        object.__setattr__(self, "_lineage", lineage)

    def product(self, sku: str) -> Product | None:
        """The product with ``sku``, or None."""
        return self._by_sku.get(sku)

    def customer(self, customer_id: str) -> Customer | None:
        """The customer with ``customer_id``, or None."""
        return self._customers.get(customer_id)

    def lineage(self, group: str | None) -> tuple[tuple[str, int], ...]:
        """``((group, depth), (parent, depth - 1), ...)`` up to the root; empty for None."""
        if group is None:
            return ()
        return self._lineage[group]

    def is_within(self, group: str | None, ancestor: str) -> bool:
        """True when ``group`` is ``ancestor`` or one of its descendants."""
        return any(g == ancestor for g, _ in self.lineage(group))


def _unique(what: str, key: str, pairs: Iterable[tuple[str, T]]) -> dict[str, T]:
    result: dict[str, T] = {}
    for i, (name, value) in enumerate(pairs):
        if name in result:
            raise ValidationError(f"{what}[{i}].{key}: duplicate {key} {name!r}")
        result[name] = value
    return result


def _lineage_of(group: str, parents: dict[str, str | None]) -> tuple[tuple[str, int], ...]:
    chain: list[str] = []
    current: str | None = group
    while current is not None:
        if current in chain:
            raise ValidationError(
                f"groups: product group {group!r} is its own ancestor "
                f"({' → '.join([*chain, current])})"
            )
        chain.append(current)
        current = parents[current]
    depth = len(chain)
    return tuple((gid, depth - i) for i, gid in enumerate(chain))

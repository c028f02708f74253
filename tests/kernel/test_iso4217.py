"""Minor units are crmcore's own ISO 4217 data: stored amounts keep their meaning whatever
Babel (CLDR) is installed."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import get_currency_precision, is_currency

from crmcore.adapters.sqlite import SqliteDatabase
from crmcore.errors import ValidationError
from crmcore.money import Money, get_currency
from crmcore.money._currency import UNDEFINED_MINOR_UNITS
from crmcore.money._iso4217 import MINOR_UNITS, PUBLISHED
from crmcore.ports import Actor
from crmcore.receivables import PaymentTerms, Receivable
from crmcore.serialization import from_dict, to_dict
from crmcore.services import KINDS

ROOT = Path(__file__).resolve().parents[2]
MONEY_DOC = (ROOT / "docs" / "money.md").read_text(encoding="utf-8")


def _iso_minor(code: str) -> int:
    minor = MINOR_UNITS[code]
    return UNDEFINED_MINOR_UNITS if minor is None else minor


def test_the_table_is_list_one_with_the_figures_payment_systems_use() -> None:
    assert PUBLISHED == "2026-01-01"
    assert len(MINOR_UNITS) == 178
    assert {c: MINOR_UNITS[c] for c in ("HUF", "JPY", "BHD", "CLF", "CNY", "KRW", "UYW")} == {
        "HUF": 2,
        "JPY": 0,
        "BHD": 3,
        "CLF": 4,
        "CNY": 2,
        "KRW": 0,
        "UYW": 4,
    }
    assert MINOR_UNITS["XAU"] is None
    assert get_currency("XAU").minor_units == UNDEFINED_MINOR_UNITS == 2


def test_get_currency_follows_iso_for_every_code() -> None:
    for code in MINOR_UNITS:
        assert get_currency(code).minor_units == _iso_minor(code), code


def test_a_withdrawn_or_unknown_code_is_refused_naming_it() -> None:
    for code in ("DEM", "SLL", "ABC", "cny"):
        with pytest.raises(ValidationError, match=f"'{code}' is not a current ISO 4217"):
            get_currency(code)


def _cldr_disagreements() -> dict[str, tuple[int | None, int]]:
    """``{code: (CLDR's digits or None when CLDR does not know it, ISO's)}``."""
    found: dict[str, tuple[int | None, int]] = {}
    for code in MINOR_UNITS:
        iso = _iso_minor(code)
        cldr = int(get_currency_precision(code)) if is_currency(code) else None
        if cldr != iso:
            found[code] = (cldr, iso)
    return found


def test_every_code_where_the_installed_cldr_disagrees_is_documented() -> None:
    """CLDR gives some currencies 0 digits (HUF, IDR, COP, ...) because cash has no minor
    unit there; ISO 4217, which banks and payment systems use, gives 2. docs/money.md lists
    every such code (for every Babel version crmcore supports) and crmcore follows ISO."""
    table = re.search(r"<!-- cldr-vs-iso -->(.*?)<!-- /cldr-vs-iso -->", MONEY_DOC, re.S)
    assert table is not None, "docs/money.md lost its CLDR vs ISO table"
    documented = set(re.findall(r"^\| ([A-Z]{3}) \|", table.group(1), re.M))
    found = _cldr_disagreements()
    assert found, "the installed CLDR agrees everywhere: update docs/money.md"
    assert set(found) <= documented, sorted(set(found) - documented)
    for code, (_cldr, iso) in found.items():
        assert get_currency(code).minor_units == iso


@pytest.mark.parametrize("code", sorted(MINOR_UNITS))
def test_an_amount_at_full_precision_round_trips_in_every_currency(code: str) -> None:
    minor = _iso_minor(code)
    amount = Decimal("1000") + (Decimal(1).scaleb(-minor) if minor else Decimal(0))
    money = Money(amount, code)
    data = to_dict(money)
    assert data == {"amount": str(amount.quantize(Decimal(1).scaleb(-minor))), "currency": code}
    assert from_dict(Money, data) == money


def test_a_huf_receivable_round_trips_through_json_and_sqlite(tmp_path: Path) -> None:
    receivable = _huf_receivable()
    assert from_dict(Receivable, to_dict(receivable)) == receivable
    path = tmp_path / "huf.sqlite3"
    with SqliteDatabase(path, KINDS) as db, db.unit_of_work() as uow:
        uow.repository(Receivable).add(receivable)
        uow.commit()
    with SqliteDatabase(path, KINDS) as db, db.unit_of_work() as uow:
        loaded = uow.repository(Receivable).get("SO-HUF")
    assert loaded.amount == Money("1000.50", "HUF")
    assert str(loaded.amount.amount) == "1000.50"


def _huf_receivable() -> Receivable:
    receivable = Receivable.open(
        "SO-HUF",
        customer="pest-kft",
        owner_id="sally",
        department="east",
        amount=Money("1000.50", "HUF"),
        issue_date=date(2026, 1, 5),
        terms=PaymentTerms.net(30),
        actor=Actor("sally", frozenset({"sales"})),
        at=datetime(2026, 1, 5, 9),
    )
    receivable.pull_events()
    return receivable


def test_a_stored_amount_with_more_decimals_than_its_currency_is_a_clear_error() -> None:
    data = to_dict(_huf_receivable())
    data["amount"]["amount"] = "1000.505"
    with pytest.raises(
        ValidationError, match=r"amount: must be > 0 and rounded to the currency, got 1000.505 HUF"
    ):
        from_dict(Receivable, data)

"""What Chinese readers type and read: ￥ and 元, full-width digits, dates, the catalog."""

from __future__ import annotations

import gettext
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from crmcore import _catalogs
from crmcore.errors import ValidationError
from crmcore.l10n import format_day, parse_money, translation
from crmcore.money import Money

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "src" / "crmcore" / "locale" / "zh_CN" / "LC_MESSAGES" / "crmcore.po"
sys.path.insert(0, str(ROOT / "scripts"))
from update_catalog import extract  # noqa: E402


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("￥1,234.50", "1234.50"),
        ("¥1,234.50", "1234.50"),
        ("1234.5 元", "1234.5"),
        ("1,234.50元", "1234.50"),
        ("１２３４．５０元", "1234.50"),
        ("￥１，２３４", "1234"),
        ("人民币 100", "100"),
        ("RMB 3.20", "3.20"),
        ("CNY 7", "7"),
        ("-￥5.00", "-5.00"),
        ("（￥5.00）", "-5.00"),
    ],
)
def test_parse_money_reads_what_chinese_readers_write(text: str, expected: str) -> None:
    assert parse_money(text, "CNY", locale="zh_CN") == Money(expected, "CNY")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("￥1,234.505", "more decimals than CNY allows"),
        ("五元", "is not an amount in CNY"),
        ("1234 USD", "is not an amount in CNY"),
    ],
)
def test_parse_money_still_refuses_what_is_not_a_cny_amount(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_money(text, "CNY", locale="zh_CN")


def test_dates_are_written_the_locales_way() -> None:
    assert format_day(date(2026, 2, 15), locale="zh_CN") == "2026年2月15日"
    assert format_day(date(2026, 2, 15), locale="en_US") == "Feb 15, 2026"
    with pytest.raises(ValidationError, match="'xx_XX' is not a locale known to CLDR"):
        format_day(date(2026, 2, 15), locale="xx_XX")


def test_the_catalog_translates_chinese_and_leaves_english_alone() -> None:
    chinese = translation("zh_CN")
    assert chinese.gettext("total") == "合计"
    assert chinese.ngettext("{count} order completed.", "{count} orders completed.", 5) == (
        "已完成订单 {count} 张。"
    )
    assert translation("zh_Hans_CN").gettext("total") == "合计"
    assert translation("en_US").gettext("total") == "total"
    assert translation("fr_FR").gettext("total") == "total"
    with pytest.raises(ValidationError, match="'xx_XX' is not a locale known to CLDR"):
        translation("xx_XX")
    assert _catalogs.available_locales() == ("zh_CN",)


def test_a_compiled_catalog_is_preferred_to_the_source(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    compiled = _catalogs.compile_catalog(PO)
    (folder / "crmcore.mo").write_bytes(compiled.replace("合计".encode(), "总计".encode()))
    monkeypatch.setattr(_catalogs, "CATALOGS", tmp_path)
    _catalogs.translation.cache_clear()
    try:
        loaded = _catalogs.translation("zh_CN")
        assert isinstance(loaded, gettext.GNUTranslations)
        assert loaded.gettext("total") == "总计"
    finally:
        _catalogs.translation.cache_clear()


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_every_message_of_the_code_is_translated_with_the_same_placeholders() -> None:
    with PO.open("rb") as source:
        catalog = read_po(source)
    source_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    po_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert sorted(source_ids - po_ids) == [], "run scripts/update_catalog.py and translate"
    assert sorted(po_ids - source_ids) == [], "run scripts/update_catalog.py (obsolete entries)"
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"untranslated: {ids[0]!r}"
        assert not message.fuzzy, f"fuzzy: {ids[0]!r}"
        for string in strings:
            assert _placeholders(string) == _placeholders(ids[-1]), ids[0]

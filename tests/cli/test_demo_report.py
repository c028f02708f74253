"""The demo's report: docs/demo.md shows what it prints; in Chinese, every word translated.

A sales-ops reader of ``--locale zh_CN`` sees no English word except proper names: the
people's user ids, the record ids, the product codes, and the names crmcore and zh_CN.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from crmcore.adapters.memory import MemoryDatabase
from crmcore.cli import run_demo
from crmcore.cli._demo_company import PRODUCTS, USERS
from crmcore.services import KINDS

#: Proper names: the people (by user id), the product codes, the library and the locale.
PROPER_NAMES = {
    *(part for u in USERS for part in u.id.split(".")),
    *(part for sku in PRODUCTS for part in sku.split("-")),
    "crmcore",
    "zh_CN",
}
#: Record ids: SO1-0001 (order), AR-SO1-0001/P1 (payment), C1-0041 (customer)...
RECORD_ID = re.compile(r"\b(?:AR-)?[A-Z]{1,2}\d+-\d{4}(?:/[A-Z]\d+)?\b")
WORD = re.compile(r"[A-Za-z]+(?:[._][A-Za-z]+)*")


def english_words(text: str) -> set[str]:
    """The Latin-letter words of ``text`` that are neither a record id nor a proper name."""
    words = set()
    for word in WORD.findall(RECORD_ID.sub(" ", text)):
        parts = set(re.split(r"[._]", word)) | {word}
        if not parts & PROPER_NAMES:
            words.add(word)
    return words


def test_the_allow_list_lets_names_and_ids_through_and_catches_english() -> None:
    text = "li.wei：确认回款 AR-SO1-0013/P1（VALVE × 10、PUMP-S × 1）crmcore zh_CN total due"
    assert english_words(text) == {"total", "due"}


def test_two_months_in_chinese_have_no_english_word_outside_proper_names() -> None:
    storage = MemoryDatabase(KINDS)
    pages = []
    for _ in (1, 2):
        out = io.StringIO()
        run_demo(storage, seed=1, locale="zh_CN", out=out)
        pages.append(out.getvalue())
    for page in pages:
        assert english_words(page) == set(), page
        assert "== 应收账款汇总 ==" in page
        assert "阶段" in page
        assert "合计" in page
    assert "第 2 个月（2026年2月）" in pages[1]
    assert "截至 2026年3月15日" in pages[1]


def test_the_sample_output_of_docs_demo_md_is_what_the_demo_prints() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "demo.md").read_text(encoding="utf-8")
    sample = page.split("```text\n", 1)[1].split("```", 1)[0]
    out = io.StringIO()
    run_demo(MemoryDatabase(KINDS), seed=1, locale="en_US", out=out)
    printed = out.getvalue().splitlines()
    lines = [line for line in sample.splitlines() if line not in ("", "...")]
    assert len(lines) > 30
    assert [line for line in lines if line not in printed] == []

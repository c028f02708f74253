"""Extract crmcore's messages into ``crmcore.pot`` and merge them into every ``.po`` file.

    python scripts/update_catalog.py

Run it after adding or changing a message (``w._("...")``, ``w.ngettext(...)``, ``N_("...")``),
then translate the new entries of ``src/crmcore/locale/*/LC_MESSAGES/crmcore.po``;
tests/kernel/test_catalogs.py fails while a message is missing or untranslated.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

__all__ = ["extract", "main"]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "crmcore"
LOCALE = PACKAGE / "locale"
KEYWORDS = {"_": None, "ngettext": (1, 2), "N_": None}


def extract() -> Catalog:
    """Every message of the package's Python sources, with where it is used."""
    catalog = Catalog(
        project="crmcore",
        domain="crmcore",
        fuzzy=False,
        copyright_holder="crmcore developers",
        msgid_bugs_address="crmcore developers",
    )
    found = extract_from_dir(
        PACKAGE,
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(
            message,
            locations=[(f"crmcore/{filename}", lineno)],
            auto_comments=comments,
            context=context,
            flags=("python-brace-format",) if "{" in str(message) else (),
        )
    return catalog


def main() -> int:
    """Write the template and update every translation with it."""
    template = extract()
    with (LOCALE / "crmcore.pot").open("wb") as out:
        write_po(out, template, width=99, omit_header=False, sort_output=True)
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/crmcore.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name, domain="crmcore")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.last_translator = "crmcore developers"
        with po.open("wb") as out:
            write_po(out, catalog, width=99, ignore_obsolete=True, sort_output=True)
        missing = [m.id for m in catalog if m.id and not all(m.string or [""])]
        print(f"{po.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

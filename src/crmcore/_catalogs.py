"""crmcore's gettext message catalogs (domain ``crmcore``), shipped in ``crmcore/locale``.

A wheel carries the compiled ``.mo`` files (a hatch build hook compiles them from the
``.po`` sources); a source checkout has only the ``.po`` files, which are compiled in memory
the first time a locale is asked for. Either way the lookup is the same.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path
from typing import Final

from babel.core import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["CATALOGS", "DOMAIN", "available_locales", "compile_catalog", "translation"]

DOMAIN: Final = "crmcore"
CATALOGS: Final = Path(__file__).resolve().parent / "locale"


def compile_catalog(po_file: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` file (fuzzy entries left out, as msgfmt does)."""
    with po_file.open("rb") as source:
        catalog = read_po(source, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def available_locales() -> tuple[str, ...]:
    """The locales crmcore has a catalog for (``zh_CN``...)."""
    return tuple(sorted(p.parent.parent.name for p in CATALOGS.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


@functools.cache
def translation(locale: str) -> gettext.NullTranslations:
    """The translations for ``locale`` (its language's catalog when the territory has none);
    English — the source language — and locales without a catalog translate to themselves."""
    parsed = Locale.parse(locale)
    territory = f"{parsed.language}_{parsed.territory}" if parsed.territory else parsed.language
    for name in dict.fromkeys((locale, territory, str(parsed), parsed.language)):
        folder = CATALOGS / name / "LC_MESSAGES"
        compiled = folder / f"{DOMAIN}.mo"
        if compiled.is_file():
            with compiled.open("rb") as data:
                return gettext.GNUTranslations(data)
        source = folder / f"{DOMAIN}.po"
        if source.is_file():
            return gettext.GNUTranslations(io.BytesIO(compile_catalog(source)))
    return gettext.NullTranslations()

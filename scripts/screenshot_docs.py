"""Screenshot every page of the built docs in headless Chromium, and check each one rendered.

    python scripts/screenshot_docs.py SITE_DIR OUT_DIR

For each ``index.html`` under SITE_DIR: Chromium dumps the page's DOM after it ran, and takes
a PNG screenshot into OUT_DIR. A page fails when its DOM has no article body, shows a Sphinx
role literally (``:func:``, ``:class:``...) or the screenshot is missing or blank. Exit status
0 when every page passed, 1 otherwise, 3 when no Chromium is installed (CI installs one).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Final

__all__ = ["FLAGS", "check_page", "chromium", "main", "pages"]

FLAGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
ROLE: Final = re.compile(r":(func|class|meth|attr|mod|data|exc|obj):`?")
NO_CHROMIUM: Final = 3


def chromium() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pages(site: Path) -> list[Path]:
    """Every page of the built site (mkdocs writes one ``index.html`` per page)."""
    return sorted(p for p in site.rglob("index.html") if "assets" not in p.parts)


def _run(browser: str, *args: str) -> str:
    done = subprocess.run(
        [browser, *FLAGS, *args], capture_output=True, text=True, timeout=120, check=False
    )
    return done.stdout


def _png_is_blank(data: bytes) -> bool:
    """True when a PNG's pixel data is one repeated value (nothing drawn)."""
    chunks, i = [], 8
    while i < len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        if data[i + 4 : i + 8] == b"IDAT":
            chunks.append(data[i + 8 : i + 8 + length])
        i += 12 + length
    pixels = zlib.decompress(b"".join(chunks))
    return len(set(pixels[1:4096])) <= 2


def check_page(browser: str, page: Path, shot: Path) -> list[str]:
    """Render one page; the problems found (empty when it is fine)."""
    url = page.resolve().as_uri()
    dom = _run(browser, "--dump-dom", url)
    problems = []
    if '<article class="md-content__inner' not in dom:
        problems.append("no article body in the rendered page")
    role = ROLE.search(re.sub(r"<[^>]+>", "", dom))
    if role:
        problems.append(f"shows a Sphinx role literally: {role.group(0)!r}")
    shot.parent.mkdir(parents=True, exist_ok=True)
    _run(browser, f"--screenshot={shot}", "--window-size=1280,1600", url)
    if not shot.is_file() or shot.stat().st_size == 0:
        problems.append("no screenshot")
    elif _png_is_blank(shot.read_bytes()):
        problems.append("blank screenshot")
    return problems


def main(argv: list[str]) -> int:
    """Check every page; print one line per page."""
    site, out = Path(argv[0]), Path(argv[1])
    browser = chromium()
    if browser is None:
        print("no Chromium on PATH (apt-get install -y chromium)", file=sys.stderr)
        return NO_CHROMIUM
    failed = 0
    found = pages(site)
    for page in found:
        relative = page.parent.relative_to(site).as_posix()
        name = "home" if relative == "." else relative
        problems = check_page(browser, page, out / f"{name.replace('/', '-')}.png")
        failed += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {name}" + "".join(f"\n  {p}" for p in problems))
    print(f"{len(found) - failed} of {len(found)} pages rendered; screenshots in {out}")
    return 1 if failed or not found else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

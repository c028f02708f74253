"""scripts/screenshot_docs.py: pages found, roles and blank shots caught, no browser reported.

CI runs the script against the built site with a real Chromium (.ci/run); here a stand-in
browser (a small script answering ``--dump-dom`` and ``--screenshot``) checks its logic.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "screenshot_docs", ROOT / "scripts" / "screenshot_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shots = _load()


def _png(pixels: bytes, width: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = len(pixels) // (width * 3)
    raw = b"".join(b"\0" + pixels[r * width * 3 : (r + 1) * width * 3] for r in range(rows))
    header = struct.pack(">IIBBBBB", width, rows, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


DRAWN = _png(bytes(range(256)) * 30, 16)
BLANK = _png(b"\xff" * 256 * 30, 16)


def _site(tmp_path: Path, body: str) -> Path:
    site = tmp_path / "site"
    for name in ("", "money/", "assets/x/"):
        (site / name).mkdir(parents=True, exist_ok=True)
        (site / name / "index.html").write_text(body, encoding="utf-8")
    return site


def _browser(tmp_path: Path, dom: str, png: bytes) -> str:
    (tmp_path / "page.png").write_bytes(png)
    (tmp_path / "dom.html").write_text(dom, encoding="utf-8")
    script = tmp_path / "chromium"
    script.write_text(
        f"#!{sys.executable}\n"
        "import shutil, sys\n"
        "for arg in sys.argv[1:]:\n"
        "    if arg == '--dump-dom':\n"
        f"        print(open({str(tmp_path / 'dom.html')!r}, encoding='utf-8').read())\n"
        "    if arg.startswith('--screenshot='):\n"
        f"        shutil.copy({str(tmp_path / 'page.png')!r}, arg.split('=', 1)[1])\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return str(script)


GOOD = '<article class="md-content__inner md-typeset"><h1>Money</h1></article>'


def test_every_page_but_the_assets_is_checked(tmp_path: Path) -> None:
    site = _site(tmp_path, GOOD)
    assert [p.parent.name for p in shots.pages(site)] == ["site", "money"]


def test_a_rendered_page_with_a_drawn_screenshot_passes(tmp_path: Path) -> None:
    browser = _browser(tmp_path, GOOD, DRAWN)
    shot = tmp_path / "out" / "money.png"
    assert shots.check_page(browser, tmp_path / "page.html", shot) == []
    assert shot.read_bytes() == DRAWN


def test_a_literal_role_a_missing_body_and_a_blank_shot_fail(tmp_path: Path) -> None:
    dom = "<main><p>see :func:<code>get_currency</code></p></main>"
    browser = _browser(tmp_path, dom, BLANK)
    problems = shots.check_page(browser, tmp_path / "page.html", tmp_path / "out.png")
    assert problems == [
        "no article body in the rendered page",
        "shows a Sphinx role literally: ':func:'",
        "blank screenshot",
    ]


def test_main_reports_each_page_and_fails_on_one_bad_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path, GOOD)
    monkeypatch.setattr(shots, "chromium", lambda: _browser(tmp_path, GOOD, DRAWN))
    assert shots.main([str(site), str(tmp_path / "shots")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "ok   home",
        "ok   money",
        f"2 of 2 pages rendered; screenshots in {tmp_path / 'shots'}",
    ]
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == ["home.png", "money.png"]
    monkeypatch.setattr(shots, "chromium", lambda: _browser(tmp_path, "<p>", DRAWN))
    assert shots.main([str(site), str(tmp_path / "shots")]) == 1


def test_without_chromium_the_script_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shots.shutil, "which", lambda name: None)
    assert shots.main([str(tmp_path), str(tmp_path / "shots")]) == shots.NO_CHROMIUM
    assert "apt-get install -y chromium" in capsys.readouterr().err

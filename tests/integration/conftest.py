"""The integration stage: tests that need a real browser (Debian's chromium driven by
Playwright), run by `.ci/run` after the unit suite with `pytest -m integration`.

They are skipped, saying why, where chromium or Playwright is absent, and are left out of the
default run (`python3 tasks.py test`) by the `integration` marker."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless chromium, or a skip that says what is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()

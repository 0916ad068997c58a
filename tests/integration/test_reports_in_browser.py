"""The HTML reports as a person sees them: opened in a real chromium, offline, they load with
no script error and no request for anything outside the page, every chart is drawn with a
size, and the key figures are on the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app

pytestmark = pytest.mark.integration


def _run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


def _open(browser: Any, page_path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    def route(r: Any) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, outside


def _charts_drawn(page: Any) -> list[dict[str, float]]:
    boxes: list[dict[str, float]] = page.eval_on_selector_all(
        "svg",
        "els => els.map(e => { const r = e.getBoundingClientRect(); "
        "return {w: r.width, h: r.height}; })",
    )
    return boxes


def test_simulation_report_renders(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "sim"
    _run("simulate", "--horizon", "2025-07-01..2026-06-30", "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    page, errors, outside = _open(browser, out / "report.html")
    assert errors == []
    assert outside == [], "the report must work offline"
    assert "Stargate simulation report" in page.title()
    boxes = _charts_drawn(page)
    assert len(boxes) >= 3
    assert all(b["w"] > 100 and b["h"] > 50 for b in boxes), boxes
    text = page.inner_text("body")
    assert f"{summary['jobs']['submitted']:,}" in text
    page.screenshot(path=str(tmp_path / "sim.png"), full_page=True)
    assert (tmp_path / "sim.png").stat().st_size > 10_000


def test_plan_report_renders(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    _run("plan", "--horizon", "2025..2027", "--out", str(out))
    page, errors, outside = _open(browser, out / "report.html")
    assert errors == []
    assert outside == []
    boxes = _charts_drawn(page)
    assert boxes, boxes
    assert all(b["w"] > 100 and b["h"] > 50 for b in boxes), boxes
    assert "optimal" in page.inner_text("body").lower()

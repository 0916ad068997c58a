"""The dashboard in a real headless chromium against a real server (``stargate serve`` as a
subprocess on loopback): the lab submits a capacity request through the form, the holder
sees the offer with its countdown and declines, the request lands at coreweave, and the lab's
page shows the decision, its explanation and the ledger entry. Screenshots go to
/tmp/dash-*.png. The server is stopped at the end whatever happens."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path("/tmp")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-m", "stargate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    base: str
    tokens: dict[str, str]
    log: Path

    def api(self, path: str, who: str) -> Any:
        req = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = f"sqlite:///{tmp_path / 'service.db'}"
    tokens: dict[str, str] = {}
    for who, party, role in (("lab", "openai", "lab"), ("holder", "microsoft", "holder")):
        got = _cli("party", "add", party, "--role", role, "--db", db, "--json")
        assert got.returncode == 0, got.stderr
        tokens[who] = json.loads(got.stdout)["token"]
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stargate",
                "serve",
                "--db",
                db,
                "--start-at",
                "2025-01-21",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)  # polling for start-up, not a timing assertion
        yield Server(base, tokens, log)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _signin(context: Any, srv: Server, who: str) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(srv.base + "/dashboard")
    assert page.url == srv.base + "/"  # no session: back to sign-in
    page.screenshot(path=str(SHOTS / "dash-signin.png"))
    page.fill("input[name=token]", srv.tokens[who])
    page.click("button[type=submit]")
    page.wait_for_url(srv.base + "/dashboard")
    page.errors = errors
    return page


def _shot(page: Any, name: str) -> None:
    """A screenshot to /tmp/dash-NAME.png, after checking that nothing overflows sideways:
    neither the page nor any of its sections (which would scroll or clip a column)."""
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"{name}: the page is {wide}px too wide"
    clipped = page.evaluate(
        "[...document.querySelectorAll('section')]"
        ".filter(s => s.scrollWidth > s.clientWidth).map(s => s.id)"
    )
    assert clipped == [], f"{name}: sections wider than the page: {clipped}"
    page.screenshot(path=str(SHOTS / f"dash-{name}.png"), full_page=True)


def test_lab_submits_holder_declines_lab_sees_the_decision(browser: Any, server: Server) -> None:
    lab_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    holder_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        lab = _signin(lab_ctx, server, "lab")
        cookie = next(c for c in lab_ctx.cookies() if c["name"] == "stargate_session")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert lab.evaluate("document.cookie") == ""  # not readable by scripts
        _shot(lab, "lab-empty")

        # the lab submits a capacity request through the form
        lab.fill("#submit input[name=id]", "cap-browser")
        lab.select_option("#submit select[name=workload_class]", "frontier-training")
        lab.fill("#submit input[name=count]", "20000")
        lab.fill("#submit input[name=types]", "gb200")
        lab.fill("#submit input[name=term_years]", "4")
        lab.click("#submit button[type=submit]")
        lab.wait_for_selector(".msg.ok")
        assert "Request cap-browser submitted: offered." in lab.inner_text(".msg.ok")
        row = lab.locator('tr.request[data-id="cap-browser"]')
        assert "offered" in row.inner_text()
        _shot(lab, "lab-offered")

        # the holder sees the offer with a running countdown and declines
        holder = _signin(holder_ctx, server, "holder")
        offer = holder.locator('tr.offer[data-id="cap-browser"]')
        assert offer.count() == 1
        countdown = offer.locator(".countdown")
        first = countdown.inner_text()
        assert re.fullmatch(r"7[12] h \d\d min \d\d s", first), first
        holder.wait_for_function(
            "t => document.querySelector('.countdown').textContent !== t",
            arg=first,
            timeout=5000,
        )
        _shot(holder, "holder-offer")

        # another site's page posting the holder's decline: the strict cookie is not sent,
        # so the browser lands on sign-in and the offer is still open
        evil = holder_ctx.new_page()
        evil.route(
            "http://evil.test/**",
            lambda route: route.fulfill(
                content_type="text/html",
                body=(
                    f'<form id="f" method="post" action="{server.base}/dashboard/offers/'
                    'cap-browser/decline"><input name="csrf" value="guess"></form>'
                    "<script>document.getElementById('f').submit()</script>"
                ),
            ),
        )
        evil.goto("http://evil.test/")
        evil.wait_for_url(server.base + "/")
        evil.close()
        still = server.api("/v1/requests/cap-browser", "lab")
        assert still["state"] == "offered"
        offer.locator("button", has_text="Decline").click()
        holder.wait_for_selector(".msg.ok")
        assert "Offer cap-browser declined." in holder.inner_text(".msg.ok")
        assert holder.locator('tr.offer[data-id="cap-browser"]').count() == 0
        assert holder.url == server.base + "/dashboard"  # post/redirect/get
        assert "decline" in holder.locator("#offers tr", has_text="cap-browser").inner_text()
        _shot(holder, "holder-declined")

        # the lab's page: placed at coreweave, the explanation, the ledger entry
        lab.goto(server.base + "/dashboard")
        row = lab.locator('tr.request[data-id="cap-browser"]')
        text = row.inner_text()
        assert "placed" in text
        assert "coreweave-us (coreweave)" in row.locator(".decision").inner_text()
        assert "declined" in row.locator(".explanation").inner_text()
        entries = server.api("/v1/ledger/entries?request_id=cap-browser", "lab")["entries"]
        decision = next(e for e in entries if e["kind"] == "decision")
        assert decision["body"]["to"] == "placed"
        ledger = lab.inner_text("#ledger")
        assert decision["leaf_hash"] in ledger
        size = server.api("/v1/ledger/checkpoint", "lab")
        assert lab.inner_text("#tree-size") == str(size["tree_size"])
        assert lab.inner_text("#root-hash") == size["root_hash"]
        _shot(lab, "lab-placed")

        for page in (lab, holder):
            assert page.errors == []
    finally:
        lab_ctx.close()
        holder_ctx.close()
    log = server.log.read_text()
    assert all(t not in log for t in server.tokens.values()), "a token is in the server's log"

"""50 concurrent accepts and 50 concurrent declines of one offer, through a real uvicorn
server on 127.0.0.1 (httpx, 100 threads released together by a barrier), repeated, on SQLite
and PostgreSQL: exactly one answer wins (200), the ledger has one ``answer`` entry for the
offer, and the 99 losers get 409. ``STARGATE_CONCURRENCY_ROUNDS`` sets the rounds (5 by
default)."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.service.conftest import START, capacity_body, entry_kinds, live_server

ROUNDS = int(os.environ.get("STARGATE_CONCURRENCY_ROUNDS", "5"))
PER_ANSWER = 50


@dataclass
class Live:
    base: str
    tokens: dict[tuple[str, str], str]
    ledger: Any
    app: Any

    def h(self, party: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(party, role)]}"}


@pytest.fixture
def live(service_url: str) -> Iterator[Live]:
    from stargate.ledger import open_ledger
    from stargate.service import tokens
    from stargate.service.app import create_app
    from stargate.service.clock import ManualClock, wall_utc
    from stargate.service.settings import Settings

    led = open_ledger(service_url)
    try:
        app = create_app(Settings(db=service_url), clock=ManualClock(START), ledger=led)
        engine = led.store.engine
        issued = {
            (p, r): tokens.issue(engine, p, r, now=wall_utc()).token
            for p, r in (("openai", "lab"), ("microsoft", "holder"))
        }
        with live_server(app) as base:
            yield Live(base, issued, led, app)
    finally:
        led.close()


def test_one_answer_wins_of_a_hundred(live: Live) -> None:
    holder = live.h("microsoft", "holder")
    limits = httpx.Limits(max_connections=2 * PER_ANSWER, max_keepalive_connections=2 * PER_ANSWER)
    with (
        httpx.Client(base_url=live.base, timeout=60, limits=limits) as c,
        ThreadPoolExecutor(2 * PER_ANSWER) as pool,
    ):
        for i in range(ROUNDS):
            rid = f"race-{i}"
            r = c.post(
                "/v1/requests",
                json=capacity_body(rid, count=1000),
                headers={**live.h("openai", "lab"), "Idempotency-Key": rid},
            )
            assert r.status_code == 201, r.text
            assert r.json()["state"] == "offered", r.text
            barrier = threading.Barrier(2 * PER_ANSWER)

            def answer(what: str, rid: str = rid, barrier: threading.Barrier = barrier) -> Any:
                barrier.wait(30)
                return c.post(f"/v1/offers/{rid}/{what}", headers=holder)

            futures = [pool.submit(answer, w) for w in ["accept", "decline"] * PER_ANSWER]
            out = [f.result(120) for f in futures]
            statuses = Counter(x.status_code for x in out)
            assert statuses == {200: 1, 409: 2 * PER_ANSWER - 1}, (i, statuses)
            won = next(x for x in out if x.status_code == 200).json()["answer"]
            losers = [x.json() for x in out if x.status_code == 409]
            assert all(d["type"].endswith("/already-answered") for d in losers), losers[:2]
            assert all(d["state"] in ("accepted", "released", "placed") for d in losers)
            kinds = entry_kinds(live.ledger, rid)
            assert kinds.count("answer") == 1, (i, kinds)
            assert kinds.count("decision") == 1
            got = c.get(f"/v1/requests/{rid}", headers=live.h("openai", "lab")).json()
            assert got["state"] == "placed"
            assert got["answer"] == won
    assert live.ledger.verify().ok

"""The deadline boundary on the manual clock: an answer at respond_by − 1 µs wins; one at
exactly respond_by is 409 "expired" and the request is released and placed; the sweeper and a
request racing record the expiry once; a read of an expired, unswept offer shows it released
and placed (expiry is applied on read)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import Any

import pytest

from stargate.ledger.entry import parse_time
from tests.service.conftest import (
    Svc,
    capacity_body,
    entry_kinds,
    is_problem,
    workflow_of,
)

US = timedelta(microseconds=1)


def _offered(s: Svc, rid: str, count: int = 1000) -> Any:
    r = s.submit(capacity_body(rid, count=count))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "offered", r.text
    return parse_time(r.json()["offer"]["respond_by"])


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_answer_a_microsecond_before_respond_by_wins(svc: Svc, answer: str) -> None:
    s = svc
    respond_by = _offered(s, "cap-1")
    s.clock.set(respond_by - US)
    r = s.client.post(f"/v1/offers/cap-1/{answer}", headers=s.h("microsoft", "holder"))
    assert r.status_code == 200, r.text
    assert r.json()["answer"] == answer
    assert entry_kinds(s, "cap-1").count("answer") == 1
    assert "expiry" not in entry_kinds(s, "cap-1")
    d = s.client.get("/v1/decisions/cap-1", headers=s.h()).json()
    assert d["state"] == "placed"
    if answer == "accept":
        assert d["placed"]
        assert {c.get("provider") for c in d["decision"]["rows"] if c.get("placed")} == {"azure"}
    assert s.ledger.verify().ok


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_answer_at_respond_by_is_expired(svc: Svc, answer: str) -> None:
    s = svc
    respond_by = _offered(s, "cap-1")
    s.clock.set(respond_by)
    r = s.client.post(f"/v1/offers/cap-1/{answer}", headers=s.h("microsoft", "holder"))
    assert is_problem(r, 409), r.text
    assert r.json()["type"].endswith("/expired")
    assert entry_kinds(s, "cap-1") == ["request", "offer", "expiry", "release", "decision"]
    got = s.client.get("/v1/requests/cap-1", headers=s.h()).json()
    assert got["state"] == "placed"
    assert got["answer"] == "none"
    # a second try is still "expired", and records nothing more
    again = s.client.post(f"/v1/offers/cap-1/{answer}", headers=s.h("microsoft", "holder"))
    assert is_problem(again, 409)
    assert again.json()["type"].endswith("/expired")
    assert entry_kinds(s, "cap-1").count("expiry") == 1
    assert s.ledger.verify().ok


def test_an_unswept_expired_offer_reads_as_released_and_placed(svc: Svc) -> None:
    """No sweep has run (the sweeper's interval is a second of wall time; the manual clock
    jumps): the read itself applies the expiry."""
    s = svc
    respond_by = _offered(s, "cap-1")
    s.clock.set(respond_by + timedelta(hours=1))
    assert workflow_of(s).rows(state="offered")  # still offered in the database
    got = s.client.get("/v1/requests/cap-1", headers=s.h()).json()
    assert got["state"] == "placed", got
    assert entry_kinds(s, "cap-1") == ["request", "offer", "expiry", "release", "decision"]
    offers = s.client.get("/v1/offers", headers=s.h("microsoft", "holder")).json()["offers"]
    assert offers == []


def _race(fns: list[Callable[[], Any]]) -> list[Any]:
    """Run ``fns`` in threads released together by a barrier; their results (or errors)."""
    barrier = threading.Barrier(len(fns))

    def go(fn: Callable[[], Any]) -> Any:
        barrier.wait(10)
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - returned for the test to inspect
            return e

    with ThreadPoolExecutor(len(fns)) as pool:
        return [f.result(60) for f in [pool.submit(go, fn) for fn in fns]]


def test_sweeper_and_requests_racing_record_the_expiry_once(svc: Svc) -> None:
    """Each round: an offer, the clock at its respond_by, then two sweeps, an accept, a
    decline and two reads all at once (a barrier): one expiry (and one release, one decision)
    per offer, the answers 409 "expired"."""
    import os

    s = svc
    wf = workflow_of(s)
    holder = s.h("microsoft", "holder")
    rounds = int(os.environ.get("STARGATE_DEADLINE_ROUNDS", "8"))
    for i in range(rounds):
        rid = f"race-{i}"
        respond_by = _offered(s, rid, count=500)
        s.clock.set(respond_by)
        accept, decline = f"/v1/offers/{rid}/accept", f"/v1/offers/{rid}/decline"
        read = f"/v1/requests/{rid}"
        out = _race(
            [
                wf.expire_due,
                wf.expire_due,
                partial(s.client.post, accept, headers=holder),
                partial(s.client.post, decline, headers=holder),
                partial(s.client.get, read, headers=s.h()),
                partial(s.client.get, "/v1/offers", headers=holder),
            ]
        )
        assert not [x for x in out if isinstance(x, Exception)], out
        swept = out[0] + out[1]
        assert swept in (0, 1)
        for r in out[2:4]:
            assert is_problem(r, 409), r.text
            assert r.json()["type"].endswith("/expired"), r.text
        assert out[4].json()["state"] == "placed"
        kinds = entry_kinds(s, rid)
        assert kinds == ["request", "offer", "expiry", "release", "decision"], (i, kinds)
    assert s.ledger.verify().ok


def test_the_sweeper_thread_expires_offers(sqlite_url: str) -> None:
    """The lifespan's sweeper (a short interval) releases an offer nobody reads."""
    from tests.service.conftest import open_service

    with open_service(sqlite_url, sweep_interval_s=0.01) as s:
        respond_by = _offered(s, "cap-1")
        ctx = s.app.state.ctx
        s.clock.set(respond_by)
        seen = ctx.sweeps
        for _ in range(2000):  # bounded wait for two passes of the sweeper, not a timing test
            if ctx.sweeps >= seen + 2:
                break
            threading.Event().wait(0.01)
        assert ctx.sweeps >= seen + 2
        assert workflow_of(s).rows(state="placed")[0]["id"] == "cap-1"
        assert entry_kinds(s, "cap-1").count("expiry") == 1

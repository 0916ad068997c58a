"""POST /v1/requests under an Idempotency-Key: no key → 400; the same key and body → the
saved response (one request row, the ledger unchanged); the same key with another body →
422; a retry while the first is in flight → 409."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.service.conftest import (
    Svc,
    capacity_body,
    is_problem,
    job_body,
    request_rows,
    workflow_of,
)


def test_no_key_is_400_and_nothing_is_stored(svc: Svc) -> None:
    s = svc
    for headers in (s.h(), s.h(**{"Idempotency-Key": "  "})):
        r = s.client.post("/v1/requests", json=job_body(), headers=headers)
        assert is_problem(r, 400), r.text
        assert r.json()["field"] == "Idempotency-Key"
    assert request_rows(s) == 0
    assert s.ledger.size() == 0


def test_same_key_and_body_replays_the_saved_response(svc: Svc) -> None:
    s = svc
    first = s.submit(capacity_body(), key="k-1")
    assert first.status_code == 201
    size = s.ledger.size()
    # the same body with its keys in another order is the same request
    reordered = dict(reversed(list(capacity_body().items())))
    for body in (capacity_body(), reordered):
        again = s.submit(body, key="k-1")
        assert again.status_code == first.status_code
        assert again.json() == first.json()
    assert request_rows(s) == 1
    assert s.ledger.size() == size
    assert s.ledger.verify().ok


def test_same_key_other_body_is_422(svc: Svc) -> None:
    s = svc
    assert s.submit(job_body(), key="k-1").status_code == 201
    size = s.ledger.size()
    r = s.submit(job_body(duration_h=301), key="k-1")
    assert is_problem(r, 422), r.text
    assert r.json()["field"] == "Idempotency-Key"
    assert request_rows(s) == 1
    assert s.ledger.size() == size


def test_keys_are_per_party(svc: Svc) -> None:
    """xai's key k-1 is not openai's k-1."""
    s = svc
    assert s.submit(job_body("a"), key="k-1").status_code == 201
    r = s.submit(job_body("b", requester="xai"), key="k-1", party="xai")
    assert r.status_code == 201, r.text
    assert request_rows(s) == 2


def test_a_retry_while_the_first_is_in_flight_is_409(svc: Svc) -> None:
    """The writer is held by a job that waits on an event, so the first submit is in flight
    (queued behind it) for as long as the test wants; the retry then gets 409, and once the
    writer is let go the first completes, alone."""
    s = svc
    wf = workflow_of(s)
    ctx = s.app.state.ctx
    held = threading.Event()
    release = threading.Event()

    def hold(_conn: Any) -> None:
        held.set()
        release.wait(30)

    with ThreadPoolExecutor(2) as pool:
        blocker = pool.submit(wf.writer.call, hold)
        assert held.wait(10)
        first = pool.submit(s.submit, job_body(), "k-1")
        try:
            # the first is in flight once its slot is taken (a bounded wait for a state)
            for _ in range(1000):
                if ("openai", "k-1") in ctx.in_flight:
                    break
                threading.Event().wait(0.01)
            assert ("openai", "k-1") in ctx.in_flight
            retry = s.submit(job_body(), key="k-1")
            assert is_problem(retry, 409), retry.text
            assert retry.json()["type"].endswith("/in-flight")
            assert request_rows(s) == 0
        finally:
            release.set()
        assert first.result(30).status_code == 201
        blocker.result(30)
    after = s.submit(job_body(), key="k-1")
    assert after.status_code == 201
    assert after.json() == first.result().json()
    assert request_rows(s) == 1
    assert s.ledger.verify().ok

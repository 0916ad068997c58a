"""Across a restart (the app closed, a new one made on the same database): an offer whose
respond_by passed while the service was down is released (one expiry entry) and placed, and
the capacity book is rebuilt, so a placement made before the restart still holds its
capacity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from stargate.ledger.entry import parse_time
from tests.service.conftest import (
    capacity_body,
    entry_kinds,
    open_service,
    request_rows,
    workflow_of,
)


def _placed(d: dict[str, Any]) -> int:
    return sum(int(r["accelerators"] or 0) for r in d["decision"]["rows"] if r.get("placed"))


def test_an_offer_is_released_across_a_restart(service_url: str) -> None:
    with open_service(service_url) as s:
        r = s.submit(capacity_body())
        assert r.json()["state"] == "offered", r.text
        respond_by = parse_time(r.json()["offer"]["respond_by"])
        issued = s.tokens
        size = s.ledger.size()
    # the sweeper is kept out of the way (an hour's interval) so that the test does the sweep
    later = respond_by + timedelta(hours=5)
    with open_service(service_url, later, issued=issued, sweep_interval_s=3600) as s:
        assert s.ledger.size() == size  # nothing happens until the first read, write or sweep
        assert workflow_of(s).expire_due() == 1
        assert workflow_of(s).expire_due() == 0
        assert entry_kinds(s, "cap-1") == ["request", "offer", "expiry", "release", "decision"]
        got = s.client.get("/v1/requests/cap-1", headers=s.h()).json()
        assert got["state"] == "placed"
        assert got["answer"] == "none"
        expiry = [
            e
            for e in s.client.get("/v1/ledger/entries?kind=expiry", headers=s.h()).json()["entries"]
        ]
        assert len(expiry) == 1
        assert parse_time(expiry[0]["body"]["respond_by"]) == respond_by
        assert s.ledger.verify().ok
    # and once more: the placement survives a second restart, nothing is redone
    with open_service(service_url, respond_by + timedelta(hours=6), issued=issued) as s:
        assert workflow_of(s).expire_due() == 0
        assert entry_kinds(s, "cap-1").count("expiry") == 1
        assert request_rows(s) == 1


def _coreweave(rid: str, count: int) -> dict[str, Any]:
    return capacity_body(
        rid, count=count, requester="xai", providers=["coreweave"], sites=["coreweave-us"]
    )


def test_the_capacity_book_is_rebuilt_after_a_restart(service_url: str) -> None:
    """xai (no ROFR) asks coreweave for more than half of its free gb200, twice, with a restart
    between: the second gets only what the first left, as it would without the restart."""
    with open_service(service_url) as s:
        probe = s.client.post(
            "/v1/whatif",
            json={"request": _coreweave("p", 10**6), "without": ["azure-rofr"]},
            headers=s.h("xai", "lab"),
        ).json()
        free = sum(int(r["accelerators"]) for r in probe["with"]["rows"] if r["placed"])
        want = free // 2 + 1000
        assert want < free
        first = s.submit(_coreweave("x-1", want), party="xai").json()
        assert first["state"] == "placed", first
        assert _placed(first) == want, first
        issued = s.tokens
        fleet_before = s.client.get("/v1/fleet", headers=s.h("coreweave", "provider")).json()
    with open_service(service_url, issued=issued) as s:
        fleet = s.client.get("/v1/fleet", headers=s.h("coreweave", "provider")).json()
        assert fleet["reservations"] == fleet_before["reservations"]
        second = s.submit(_coreweave("x-2", want), party="xai").json()
        assert _placed(second) == free - want, second
        assert s.ledger.verify().ok

"""The workflow end to end through the API: offered, declined, released, placed."""

from __future__ import annotations

from datetime import timedelta

from tests.service.conftest import Svc, capacity_body


def test_capacity_request_is_offered_then_declined_and_placed_elsewhere(svc_any: Svc) -> None:
    s = svc_any
    r = s.submit(capacity_body())
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "offered"
    offers = s.client.get("/v1/offers", headers=s.h("microsoft", "holder")).json()["offers"]
    assert [o["id"] for o in offers] == ["cap-1"]
    assert "price_cap_usd_per_accelerator_hour" not in str(offers)
    s.clock.advance(timedelta(hours=1))
    r = s.client.post("/v1/offers/cap-1/decline", headers=s.h("microsoft", "holder"))
    assert r.status_code == 200, r.text
    d = s.client.get("/v1/decisions/cap-1", headers=s.h()).json()
    assert d["state"] == "placed"
    assert "declined" in d["explanation"]
    kinds = [e["kind"] for e in s.client.get("/v1/ledger/entries", headers=s.h()).json()["entries"]]
    assert kinds == ["request", "offer", "answer", "release", "decision"]

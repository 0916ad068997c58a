"""The dashboard's pages through the TestClient: sign-in and sessions, what each party sees,
the CSRF check on every state-changing form, messages instead of errors, escaping."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.service.conftest import Svc, capacity_body

CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def signin(s: Svc, party: str, role: str) -> Any:
    s.client.cookies.clear()
    return s.client.post("/signin", data={"token": s.tokens[(party, role)]}, follow_redirects=False)


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m is not None, "no CSRF field on the page"
    return m.group(1)


def state_of(s: Svc, rid: str = "cap-1") -> str:
    r = s.client.get(f"/v1/requests/{rid}", headers=s.h())
    assert r.status_code == 200, r.text
    state: str = r.json()["state"]
    return state


def tree_size(s: Svc) -> int:
    size: int = s.client.get("/v1/ledger/checkpoint", headers=s.h()).json()["tree_size"]
    return size


def test_signin_sets_a_strict_httponly_cookie_and_never_shows_the_token(svc: Svc) -> None:
    token = svc.tokens[("openai", "lab")]
    r = signin(svc, "openai", "lab")
    assert r.status_code == 303
    assert r.headers["location"] == "/dashboard"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("stargate_session=")
    assert "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    page = svc.client.get("/dashboard")
    assert page.status_code == 200
    assert "signed in as <strong>openai</strong> (lab)" in page.text
    assert token not in page.text
    assert token not in str(page.url)
    assert page.headers["cache-control"] == "no-store"
    # signed in, / goes to the dashboard; signing out forgets the session
    assert svc.client.get("/", follow_redirects=False).headers["location"] == "/dashboard"
    # signing out is a form like the others: a forged one (no CSRF token) is refused
    assert svc.client.post("/signout", follow_redirects=False).status_code == 403
    assert svc.client.get("/dashboard", follow_redirects=False).status_code == 200
    out = svc.client.post("/signout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert svc.client.get("/dashboard", follow_redirects=False).status_code == 303


def test_signin_with_a_bad_token_is_refused_without_a_cookie(svc: Svc) -> None:
    svc.client.cookies.clear()
    for bad in ("", "sgt_nosuchtoken", "x" * 500):
        r = svc.client.post("/signin", data={"token": bad}, follow_redirects=False)
        assert r.status_code == 401
        assert "set-cookie" not in r.headers
        assert "unknown, revoked or expired" in r.text
    # a revoked token no longer opens a session either
    from stargate.service import tokens
    from stargate.service.clock import wall_utc

    tokens.revoke(svc.ledger.store.engine, "xai", None, now=wall_utc())
    assert signin(svc, "xai", "lab").status_code == 401


def test_pages_and_forms_need_a_session(svc: Svc) -> None:
    assert svc.submit(capacity_body()).status_code == 201
    size = tree_size(svc)
    svc.client.cookies.clear()
    assert svc.client.get("/").status_code == 200
    for cookie in (None, "sgt_forged"):
        if cookie is not None:
            svc.client.cookies.set("stargate_session", cookie)
        r = svc.client.get("/dashboard", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/")
        for path in (
            "/dashboard/offers/cap-1/decline",
            "/dashboard/requests/cap-1/cancel",
            "/dashboard/requests",
        ):
            r = svc.client.post(path, data={"csrf": "0" * 64}, follow_redirects=False)
            assert (r.status_code, r.headers["location"]) == (303, "/")
    assert state_of(svc) == "offered"
    assert tree_size(svc) == size


def test_holder_sees_the_offer_with_its_deadline_and_buttons(svc: Svc) -> None:
    assert svc.submit(capacity_body()).status_code == 201
    offer = svc.client.get("/v1/offers", headers=svc.h("microsoft", "holder")).json()
    respond_by = offer["offers"][0]["respond_by"]
    signin(svc, "microsoft", "holder")
    page = svc.client.get("/dashboard").text
    assert 'data-id="cap-1"' in page
    assert f'data-respond-by="{respond_by}"' in page
    assert f'data-now="{offer["now"]}"' in page
    assert 'action="/dashboard/offers/cap-1/accept"' in page
    assert 'action="/dashboard/offers/cap-1/decline"' in page
    # the holder's view only: not the lab's price cap, not the lab's submit form
    assert "price_cap" not in page
    assert 'action="/dashboard/requests"' not in page
    # a lab has no offers section and no answer buttons
    signin(svc, "openai", "lab")
    lab = svc.client.get("/dashboard").text
    assert "/dashboard/offers/" not in lab
    assert 'action="/dashboard/requests/cap-1/cancel"' in lab


def test_a_lab_does_not_see_another_labs_requests(svc: Svc) -> None:
    assert svc.submit(capacity_body()).status_code == 201
    svc.clock.advance(timedelta(hours=1))
    declined = svc.client.post("/v1/offers/cap-1/decline", headers=svc.h("microsoft", "holder"))
    assert declined.status_code == 200
    signin(svc, "openai", "lab")
    mine = svc.client.get("/dashboard").text
    assert 'data-id="cap-1"' in mine
    assert "coreweave-us (coreweave)" in mine
    signin(svc, "xai", "lab")
    other = svc.client.get("/dashboard").text
    assert "cap-1" not in other
    assert "declined" not in other  # nor the explanation, nor the entries' bodies
    assert "not addressed to xai" in other
    # but the ledger's leaf hashes are there for xai to verify
    entries = svc.client.get("/v1/ledger/entries", headers=svc.h("xai", "lab")).json()
    assert all(e["leaf_hash"] in other for e in entries["entries"])


def test_answers_without_the_right_csrf_token_are_403_and_change_nothing(svc_any: Svc) -> None:
    svc = svc_any
    assert svc.submit(capacity_body()).status_code == 201
    size = tree_size(svc)
    signin(svc, "microsoft", "holder")
    good = csrf_of(svc.client.get("/dashboard").text)
    for action in ("accept", "decline"):
        for form in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": good[:-1]}):
            r = svc.client.post(f"/dashboard/offers/cap-1/{action}", data=form)
            assert r.status_code == 403, (action, form)
            assert "CSRF" in r.text
    # a lab's cancel and submit are checked the same way
    signin(svc, "openai", "lab")
    r = svc.client.post("/dashboard/requests/cap-1/cancel", data={"csrf": good})
    assert r.status_code == 403  # the holder's CSRF token is not the lab's
    r = svc.client.post(
        "/dashboard/requests",
        data={
            "id": "cap-2",
            "count": "10",
            "types": "gb200",
            "term_years": "1",
            "workload_class": "frontier-training",
        },
    )
    assert r.status_code == 403
    assert state_of(svc) == "offered"
    assert tree_size(svc) == size
    assert svc.client.get("/v1/requests/cap-2", headers=svc.h()).status_code == 404
    # with the right token the decline goes through: the check is not refusing everything
    signin(svc, "microsoft", "holder")
    svc.clock.advance(timedelta(hours=1))
    r = svc.client.post("/dashboard/offers/cap-1/decline", data={"csrf": good})
    assert r.status_code == 200
    assert "Offer cap-1 declined." in r.text
    assert state_of(svc) == "placed"
    assert tree_size(svc) == size + 3  # answer, release, decision


def test_an_expired_offer_is_a_message_not_an_error(svc: Svc) -> None:
    assert svc.submit(capacity_body()).status_code == 201
    signin(svc, "microsoft", "holder")
    csrf = csrf_of(svc.client.get("/dashboard").text)
    svc.clock.advance(timedelta(hours=73))
    r = svc.client.post("/dashboard/offers/cap-1/accept", data={"csrf": csrf})
    assert r.status_code == 409
    assert 'class="msg error"' in r.text
    assert "expired" in r.text
    assert 'data-id="cap-1"' not in r.text  # no longer pending
    r = svc.client.post("/dashboard/offers/cap-1/decline", data={"csrf": csrf})
    assert r.status_code == 409


def test_lab_submits_and_cancels_through_the_forms(svc: Svc) -> None:
    signin(svc, "openai", "lab")
    page = svc.client.get("/dashboard").text
    csrf = csrf_of(page)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page)
    assert key is not None
    form = {
        "csrf": csrf,
        "idempotency_key": key.group(1),
        "id": "cap-9",
        "workload_class": "frontier-training",
        "count": "20000",
        "types": "gb200",
        "term_years": "4",
    }
    r = svc.client.post("/dashboard/requests", data=form)
    # post/redirect/get: a reload of the result does not post again
    assert [h.status_code for h in r.history] == [303]
    assert r.status_code == 200, r.text
    assert "Request cap-9 submitted: offered." in r.text
    assert "submitted: offered" not in svc.client.get("/dashboard").text  # shown once
    # the same form again (a reload) is the same Idempotency-Key: the saved response is
    # replayed, no second request and no second ledger entry
    size = tree_size(svc)
    again = svc.client.post("/dashboard/requests", data=form)
    assert "Request cap-9 submitted: offered." in again.text
    assert tree_size(svc) == size
    assert len(svc.client.get("/v1/requests", headers=svc.h()).json()["requests"]) == 1
    r = svc.client.post("/dashboard/requests/cap-9/cancel", data={"csrf": csrf})
    assert r.status_code == 200
    assert "Request cap-9 cancelled." in r.text
    assert state_of(svc, "cap-9") == "cancelled"
    r = svc.client.post("/dashboard/requests/cap-9/cancel", data={"csrf": csrf})
    assert r.status_code == 409
    assert "can no longer be cancelled" in r.text


def test_invalid_requests_are_messages_naming_the_field_and_nothing_is_stored(svc: Svc) -> None:
    signin(svc, "openai", "lab")
    csrf = csrf_of(svc.client.get("/dashboard").text)
    size = tree_size(svc)
    base = {
        "csrf": csrf,
        "id": "cap-3",
        "workload_class": "frontier-training",
        "count": "100",
        "types": "gb200",
        "term_years": "2",
    }
    for change, field in (
        ({"count": "lots"}, "accelerators.count"),
        ({"term_years": "-1"}, "term_years"),
        ({"workload_class": "nosuch"}, "workload_classes"),
        ({"types": "tpu-v99"}, "accelerators.types"),
    ):
        r = svc.client.post(
            "/dashboard/requests", data={**base, **change, "idempotency_key": f"k-{field}"}
        )
        assert r.status_code == 422, (change, r.text)
        assert 'class="msg error"' in r.text
        assert field in r.text
    assert tree_size(svc) == size
    assert svc.client.get("/v1/requests", headers=svc.h()).json()["requests"] == []


def test_a_request_id_with_script_is_escaped(svc: Svc) -> None:
    signin(svc, "openai", "lab")
    csrf = csrf_of(svc.client.get("/dashboard").text)
    evil = "<script>alert(1)</script>"
    r = svc.client.post(
        "/dashboard/requests",
        data={
            "csrf": csrf,
            "idempotency_key": "k-evil",
            "id": evil,
            "workload_class": "frontier-training",
            "count": "10",
            "types": "gb200",
            "term_years": "1",
        },
    )
    assert r.status_code == 422
    assert evil not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text  # kept in the form, escaped
    assert r.text.count("<script") == 1  # the page's own countdown script only
    nonce = re.search(r'<script nonce="([^"]+)">', r.text)
    assert nonce is not None
    assert f"script-src 'nonce-{nonce.group(1)}'" in r.headers["content-security-policy"]


def test_providers_and_observers_see_only_what_concerns_them(svc: Svc) -> None:
    assert svc.submit(capacity_body()).status_code == 201
    svc.clock.advance(timedelta(hours=1))
    r = svc.client.post("/v1/offers/cap-1/decline", headers=svc.h("microsoft", "holder"))
    assert r.status_code == 200
    signin(svc, "coreweave", "provider")
    cw = svc.client.get("/dashboard").text
    assert 'id="placements"' in cw  # placed with coreweave: the placement, as the API shows
    assert "20,000 × gb200 at coreweave-us (coreweave)" in cw
    assert "azure-partner" not in cw  # neither the holder's offer nor other providers' rows
    assert "declined" not in cw  # nor the explanation, nor the answer (not its business)
    assert "No revenue share names coreweave." in cw
    signin(svc, "oracle", "provider")
    oracle = svc.client.get("/dashboard").text
    assert "cap-1" not in oracle
    assert 'id="placements"' not in oracle
    assert "coreweave-us" not in oracle  # the fleet of its own providers only
    signin(svc, "softbank", "observer")
    sb = svc.client.get("/dashboard").text
    assert "cap-1" not in sb
    assert "No revenue share names softbank." in sb
    assert "/dashboard/requests" not in sb
    assert "/dashboard/offers/" not in sb


def test_posts_from_another_site_and_oversized_forms_are_refused(svc: Svc) -> None:
    assert svc.submit(capacity_body()).status_code == 201
    size = tree_size(svc)
    # login CSRF: another site's form signing the browser in is refused, no cookie set
    svc.client.cookies.clear()
    r = svc.client.post(
        "/signin",
        data={"token": svc.tokens[("microsoft", "holder")]},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "set-cookie" not in r.headers
    signin(svc, "microsoft", "holder")
    csrf = csrf_of(svc.client.get("/dashboard").text)
    r = svc.client.post(
        "/dashboard/offers/cap-1/accept",
        data={"csrf": csrf},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403
    r = svc.client.post("/dashboard/offers/cap-1/accept", data={"csrf": csrf, "pad": "x" * 20000})
    assert r.status_code == 413
    assert state_of(svc) == "offered"
    assert tree_size(svc) == size
    # the service's own origin is accepted
    r = svc.client.post(
        "/dashboard/offers/cap-1/accept",
        data={"csrf": csrf},
        headers={"Origin": "http://testserver"},
    )
    assert r.status_code == 200
    assert "Offer cap-1 accepted." in r.text
    assert state_of(svc) == "placed"

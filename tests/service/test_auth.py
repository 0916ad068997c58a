"""The authorisation matrix: every endpoint of the API (enumerated from the app, so a new
one is not missed) × every token of the fixtures (and a missing, wrong, revoked and expired
one) × the objects of a state with requests of two labs. Bad tokens are 401 (a problem with
``WWW-Authenticate: Bearer``), a wrong role 403, an object that does not concern the caller
404, and no 2xx body carries what its caller must not see (0 leaks). Also the Cedar path of
``/v1/artifacts`` and that no token reaches the logs."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from stargate.service import tokens
from stargate.service.clock import wall_utc
from tests.service.conftest import (
    PARTIES,
    Svc,
    capacity_body,
    is_problem,
    job_body,
    open_service,
    workflow_of,
)

#: Distinctive price caps, so that a leak of one is found by a plain search of the text.
OPENAI_CAP = "11.9137"
XAI_CAP = "11.8731"
#: The objects: openai's capacity request offered to microsoft, one declined by microsoft
#: (placed at coreweave), a job placed; xai's job and capacity request (placed at azure).
OFFERED, DECLINED, JOB = "oa-cap-offered", "oa-cap-declined", "oa-job"
XAI_JOB, XAI_CAP_ID = "xai-job", "xai-cap"
OPENAI_IDS = (OFFERED, DECLINED, JOB)
XAI_IDS = (XAI_JOB, XAI_CAP_ID)
OBJECTS = (*OPENAI_IDS, *XAI_IDS, "no-such-request")
#: Tokens beyond the fixtures': a holder to whom nothing was offered, and an investor that is
#: neither lab nor holder.
EXTRA: tuple[tuple[str, str], ...] = (("oracle", "holder"), ("amazon", "observer"))
BAD = ("none", "wrong", "revoked", "expired", "malformed")


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    obj: str | None = None
    body: Any = None
    key: str | None = None


@dataclass(frozen=True)
class Endpoint:
    """Who may call an endpoint, and the calls that probe it for one caller."""

    roles: frozenset[str]
    calls: Callable[[str, str], list[Call]]  # (party, role) → calls
    per_object: bool = False  # the calls name an object: 404 where it does not concern


ALL = frozenset(tokens.ROLES)


def _objs(template: str, objs: tuple[str, ...] = OBJECTS) -> Callable[[str, str], list[Call]]:
    return lambda _p, _r: [Call("GET", template.format(o), o) for o in objs]


def _post_objs(template: str, objs: tuple[str, ...]) -> Callable[[str, str], list[Call]]:
    return lambda _p, _r: [Call("POST", template.format(o), o) for o in objs]


def _submit(party: str, role: str) -> list[Call]:
    body = job_body(f"{party}-{role}-probe", requester=party)
    body["accelerators"] = {"count": 8, "types": "any"}
    return [Call("POST", "/v1/requests", None, body, f"probe-{party}-{role}")]


def _whatif(party: str, _role: str) -> list[Call]:
    return [
        Call(
            "POST",
            "/v1/whatif",
            None,
            {"request": job_body("w", requester=party), "without": ["azure-rofr"]},
        )
    ]


#: method + path → its probe. Answers and cancels are probed only on objects where they change
#: nothing (answered, placed, another's, unknown): the matrix leaves the state as it was.
ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    ("POST", "/v1/requests"): Endpoint(frozenset({"lab"}), _submit),
    ("GET", "/v1/requests"): Endpoint(
        frozenset({"lab"}), lambda _p, _r: [Call("GET", "/v1/requests?limit=500")]
    ),
    ("GET", "/v1/requests/{request_id}"): Endpoint(ALL, _objs("/v1/requests/{}"), True),
    ("GET", "/v1/decisions/{request_id}"): Endpoint(ALL, _objs("/v1/decisions/{}"), True),
    ("POST", "/v1/requests/{request_id}/cancel"): Endpoint(
        frozenset({"lab"}),
        _post_objs("/v1/requests/{}/cancel", (DECLINED, JOB, XAI_JOB, "no-such-request")),
        True,
    ),
    ("GET", "/v1/offers"): Endpoint(
        frozenset({"holder"}),
        lambda _p, _r: [Call("GET", "/v1/offers"), Call("GET", "/v1/offers?state=all")],
    ),
    ("POST", "/v1/offers/{request_id}/accept"): Endpoint(
        frozenset({"holder"}),
        _post_objs("/v1/offers/{}/accept", (DECLINED, JOB, XAI_CAP_ID, "no-such-request")),
        True,
    ),
    ("POST", "/v1/offers/{request_id}/decline"): Endpoint(
        frozenset({"holder"}),
        _post_objs("/v1/offers/{}/decline", (DECLINED, JOB, XAI_CAP_ID, "no-such-request")),
        True,
    ),
    ("GET", "/v1/fleet"): Endpoint(ALL, lambda _p, _r: [Call("GET", "/v1/fleet")]),
    ("POST", "/v1/whatif"): Endpoint(frozenset({"lab"}), _whatif),
    ("GET", "/v1/artifacts/{artifact_id}"): Endpoint(
        ALL,
        lambda _p, _r: [
            Call("GET", f"/v1/artifacts/{a}", a)
            for a in ("openai-roadmap", "gpt-4o", "no-such-artifact")
        ],
    ),
    ("GET", "/v1/ledger/checkpoint"): Endpoint(
        ALL, lambda _p, _r: [Call("GET", "/v1/ledger/checkpoint")]
    ),
    ("GET", "/v1/ledger/proof/inclusion"): Endpoint(
        ALL,
        lambda _p, _r: [Call("GET", "/v1/ledger/proof/inclusion?entry_id=e-000000000001")],
    ),
    ("GET", "/v1/ledger/proof/consistency"): Endpoint(
        ALL, lambda _p, _r: [Call("GET", "/v1/ledger/proof/consistency?old_size=1")]
    ),
    ("GET", "/v1/ledger/entries"): Endpoint(
        ALL, lambda _p, _r: [Call("GET", "/v1/ledger/entries?limit=1000")]
    ),
}
#: Endpoints anyone may call without a token.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
#: The dashboard's pages and forms authenticate by session cookie, not bearer token, and their
#: matrix (no session, another party, a missing or wrong CSRF token) is
#: tests/service/test_dashboard.py's.
DASHBOARD = {
    ("GET", "/"),
    ("GET", "/dashboard"),
    ("POST", "/signin"),
    ("POST", "/signout"),
    ("POST", "/dashboard/requests"),
    ("POST", "/dashboard/requests/{request_id}/cancel"),
    ("POST", "/dashboard/offers/{request_id}/{answer}"),
}


def app_endpoints(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app serves (HEAD aside), from its routes."""
    out = set()
    for route in app.routes:
        for m in getattr(route, "methods", None) or ():
            if m != "HEAD":
                out.add((m, route.path))
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Svc]:
    """The state of the matrix (built once: the matrix changes nothing)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'ledger.sqlite3'}"
    # no sweeps (an hour's interval): a test moves the clock to 2026 for a moment
    with open_service(url, sweep_interval_s=3600) as s:
        engine = s.ledger.store.engine
        now = wall_utc()
        for p, r in EXTRA:
            s.tokens[(p, r)] = tokens.issue(engine, p, r, now=now).token
        s.tokens[("revoked", "lab")] = tokens.issue(engine, "openai", "lab", now=now).token
        tokens.revoke(engine, "openai", s.tokens[("revoked", "lab")][4:16], now=now)
        s.tokens[("expired", "lab")] = tokens.issue(
            engine, "openai", "lab", now=now - timedelta(days=2), days=1
        ).token
        for rid in (OFFERED, DECLINED):
            body = capacity_body(rid, price_cap_usd_per_accelerator_hour=float(OPENAI_CAP))
            assert s.submit(body).json()["state"] == "offered"
        r = s.client.post(f"/v1/offers/{DECLINED}/decline", headers=s.h("microsoft", "holder"))
        assert r.json()["state"] == "placed", r.text
        assert s.submit(job_body(JOB)).json()["state"] == "placed"
        assert s.submit(job_body(XAI_JOB, requester="xai"), party="xai").json()["state"] == (
            "placed"
        )
        xcap = capacity_body(
            XAI_CAP_ID,
            count=1000,
            requester="xai",
            price_cap_usd_per_accelerator_hour=float(XAI_CAP),
        )
        assert s.submit(xcap, party="xai").json()["state"] == "placed"
        yield s


def _headers(s: Svc, who: str, role: str) -> dict[str, str]:
    if who == "none":
        return {}
    if who == "wrong":
        return {"Authorization": "Bearer sgt_" + "A" * 43}
    if who == "malformed":
        return {"Authorization": "Token " + s.tokens[("openai", "lab")]}
    if who in ("revoked", "expired"):
        return {"Authorization": f"Bearer {s.tokens[(who, 'lab')]}"}
    return s.h(who, role)


def _send(s: Svc, call: Call, headers: dict[str, str]) -> Any:
    h = dict(headers)
    if call.key is not None:
        h["Idempotency-Key"] = call.key
    if call.method == "GET":
        return s.client.get(call.url, headers=h)
    return s.client.post(call.url, json=call.body, headers=h)


def concerns(s: Svc, party: str, role: str, obj: str, path: str) -> bool:
    """Independently of the service: whether request ``obj`` concerns (party, role) at
    ``path`` (an offer concerns only its holder; a cancel only the requester)."""
    wf = workflow_of(s)
    row = wf.get(obj)
    if row is None:
        return False
    if path.startswith("/v1/offers/"):
        return role == "holder" and row["holder"] == party
    if role == "lab":
        return bool(row["requester"] == party)
    if role not in ("holder", "provider"):
        return False
    if role == "holder" and row["holder"] == party:
        return True
    return any(wf.owner.get(p) == party for p in json.loads(row["placed_with"] or "[]"))


def forbidden(s: Svc, party: str, role: str) -> list[str]:
    """Strings no 2xx body for (party, role) may contain: the labs' price caps but to the
    lab itself (in any role); the ids of requests that concern neither the party (its role
    aside: the ledger shows a party the entries naming it) nor the role; for microsoft (the
    holder) and for the other providers the names of the other providers and the
    candidates."""
    out: list[str] = []
    if party != "openai":  # (openai's admin token reads openai's own entries)
        out.append(OPENAI_CAP)
    if party != "xai":
        out.append(XAI_CAP)
    if party not in ("openai", "xai"):
        out.append("price_cap_usd_per_accelerator_hour")
    wf = workflow_of(s)
    for rid in (*OPENAI_IDS, *XAI_IDS):
        row = wf.get(rid)
        named = {row["requester"], row["holder"]} | {
            wf.owner.get(p) for p in json.loads(row["placed_with"] or "[]")
        }
        if not concerns(s, party, role, rid, "/v1/requests/") and party not in named:
            out.append(rid)
    if party == "microsoft":
        out.extend(["coreweave", "oracle", "crusoe", "candidates"])
    if party in ("coreweave", "oracle"):  # a provider sees its placements, not the others'
        out.extend(["azure", "candidates", "microsoft"])
    return out


def _entry_leaks(party: str, data: dict[str, Any]) -> list[str]:
    leaks = []
    hidden_keys = {"seq", "id", "kind", "world_time", "appended_at", "leaf_hash", "visible"}
    for e in data["entries"]:
        if e["visible"]:
            if party != e["actor"] and party not in e["body"].get("parties", []):
                leaks.append(f"entry {e['id']} ({e['kind']}) shown to {party}")
        elif set(e) != hidden_keys:
            leaks.append(f"hidden entry {e['id']} shows {sorted(set(e) - hidden_keys)}")
    return leaks


def test_every_endpoint_is_in_the_matrix(world: Svc) -> None:
    served = app_endpoints(world.app)
    missing = served - set(ENDPOINTS) - PUBLIC - DASHBOARD
    assert not missing, f"endpoints without a row in the authorisation matrix: {missing}"
    assert not set(ENDPOINTS) - served, "rows for endpoints the app no longer serves"
    doc = world.client.get("/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented - set(ENDPOINTS) - PUBLIC == set()


def test_authorisation_matrix(world: Svc, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    s = world
    leaks: list[str] = []
    wrong: list[str] = []
    calls = 0
    callers = [*PARTIES, *EXTRA]
    for (method, path), ep in sorted(ENDPOINTS.items()):
        assert method
        for bad in BAD:
            for call in ep.calls("openai", "lab"):
                r = _send(s, call, _headers(s, bad, "lab"))
                calls += 1
                if not is_problem(r, 401) or r.headers.get("www-authenticate") != "Bearer":
                    wrong.append(f"{bad} token {call.method} {call.url}: {r.status_code}")
        for party, role in callers:
            for call in ep.calls(party, role):
                r = _send(s, call, s.h(party, role))
                calls += 1
                where = f"{party}/{role} {call.method} {call.url}: {r.status_code} {r.text[:160]}"
                if role not in ep.roles:
                    if not is_problem(r, 403):
                        wrong.append("want 403: " + where)
                    continue
                if (
                    ep.per_object
                    and call.obj is not None
                    and not concerns(s, party, role, call.obj, path)
                ):
                    if not is_problem(r, 404):
                        wrong.append("want 404: " + where)
                    continue
                if path.startswith("/v1/artifacts/") and r.status_code == 403:
                    if "policy_sha256" not in r.json():  # a denial by the Cedar policy
                        wrong.append("403 without the policy: " + where)
                    continue
                if (
                    r.status_code >= 500
                    or r.status_code in (401, 403)
                    or (r.status_code == 404 and call.obj not in ("no-such-artifact",))
                ):
                    wrong.append("unexpected: " + where)
                if 200 <= r.status_code < 300:
                    text = r.text
                    leaks.extend(
                        f"{x!r} in {where}" for x in forbidden(s, party, role) if x in text
                    )
                    if path == "/v1/ledger/entries":
                        leaks.extend(_entry_leaks(party, r.json()))
    assert wrong == []
    assert leaks == [], f"{len(leaks)} leaks:\n" + "\n".join(leaks)
    assert calls > 400
    secrets = [t for t in s.tokens.values()]
    logged = caplog.text + "".join(str(rec.args) for rec in caplog.records)
    assert not [t for t in secrets if t in logged or t[4:] in logged]


def test_concerned_parties_see_their_objects(world: Svc) -> None:
    """The matrix's 2xx side is not empty: each party reads what concerns it."""
    s = world
    assert (
        s.client.get(f"/v1/requests/{OFFERED}", headers=s.h()).json()["request"][
            "price_cap_usd_per_accelerator_hour"
        ]
        == OPENAI_CAP
    )
    held = s.client.get(f"/v1/requests/{OFFERED}", headers=s.h("microsoft", "holder")).json()
    assert held["state"] == "offered"
    assert held["count"] == 20000
    assert held["respond_by"]
    placed = s.client.get(f"/v1/requests/{DECLINED}", headers=s.h("coreweave", "provider"))
    assert [p["provider"] for p in placed.json()["placement"]] == ["coreweave"]
    mine = s.client.get("/v1/requests", headers=s.h("xai", "lab")).json()["requests"]
    ids = {r["id"] for r in mine}
    assert set(XAI_IDS) <= ids <= {*XAI_IDS, "xai-lab-probe"}  # (the matrix's probe)
    entries = s.client.get("/v1/ledger/entries?limit=1000", headers=s.h("oracle", "provider"))
    assert entries.status_code == 200
    assert all(not e["visible"] for e in entries.json()["entries"])
    assert s.ledger.verify().ok


def test_the_holder_cannot_answer_an_offer_to_another(world: Svc) -> None:
    s = world
    r = s.client.post(f"/v1/offers/{OFFERED}/accept", headers=s.h("oracle", "holder"))
    assert is_problem(r, 404)
    assert workflow_of(s).get(OFFERED)["state"] == "offered"


# --------------------------------------------------------------------------- Cedar


def _stake(investor: str, investee: str) -> Any:
    from stargate.domain.model import Contract
    from stargate.scenario.loader import load_scenario

    sc = load_scenario()
    stake = Contract.model_validate(
        {
            "id": f"{investor}-{investee}-stake",
            "name": "Stake",
            "parties": [investor, investee],
            "signed": "2025-01-01",
            "source": "assumption: a test",
            "clauses": [
                {
                    "id": f"{investor}-in-{investee}",
                    "kind": "investment",
                    "investor": investor,
                    "investee": investee,
                    "amount_usd": 1000000000,
                    "date": "2025-01-01",
                    "effective": {"start": "2025-01-01"},
                }
            ],
        }
    )
    return sc.model_copy(update={"contracts": [*sc.contracts, stake]})


def test_roadmap_follows_the_cedar_policy(world: Svc) -> None:
    """On the default scenario on 2025-01-21: microsoft (an investor in openai) may read the
    roadmap; xai (a competitor, no investment) and amazon (not an investor until 2026-02-27)
    may not; the 403 carries the policy's hash, the one ``access check`` computes."""
    from stargate.governance import check

    s = world
    day = s.clock.now().date()
    ok = s.client.get("/v1/artifacts/openai-roadmap", headers=s.h("microsoft", "holder"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["access"]["decision"] == "allow"
    for party, role in (("xai", "lab"), ("amazon", "observer")):
        r = s.client.get("/v1/artifacts/openai-roadmap", headers=s.h(party, role))
        assert is_problem(r, 403), r.text
        assert (
            r.json()["policy_sha256"]
            == check(s.app.state.ctx.scenario, party, "openai-roadmap", day=day).policy_sha256
        )
        assert re.fullmatch(r"[0-9a-f]{64}", r.json()["policy_sha256"])


def test_amazon_reads_the_roadmap_once_it_invests(world: Svc) -> None:
    s = world
    before = s.clock.now()
    s.clock.set(datetime(2026, 3, 2, 12, 0))
    try:
        r = s.client.get("/v1/artifacts/openai-roadmap", headers=s.h("amazon", "observer"))
        assert r.status_code == 200, r.text
    finally:
        s.clock.set(before)


def test_an_investor_in_a_competitor_is_denied_the_roadmap(sqlite_url: str) -> None:
    """With a stake of microsoft in xai (listed by ``roadmap-access``), microsoft is denied
    on 2025-01-21 by the contract's information_rights clause; its use of gpt-4o stands."""
    from stargate.governance import check

    sc = _stake("microsoft", "xai")
    with open_service(sqlite_url, scenario=sc) as s:
        r = s.client.get("/v1/artifacts/openai-roadmap", headers=s.h("microsoft", "holder"))
        assert is_problem(r, 403), r.text
        want = check(sc, "microsoft", "openai-roadmap", day=s.clock.now().date())
        assert r.json()["clause"] == "roadmap-access"
        assert r.json()["policy_sha256"] == want.policy_sha256
        assert (
            s.client.get("/v1/artifacts/gpt-4o", headers=s.h("microsoft", "holder")).status_code
            == 200
        )


def test_tokens_never_reach_the_logs(
    sqlite_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every logger at DEBUG, through a real server with uvicorn's access log on: good, bad
    and revoked tokens are sent; none appears in what was logged."""
    import httpx

    from tests.service.conftest import live_server

    caplog.set_level(logging.DEBUG)
    with open_service(sqlite_url) as s:
        good = s.tokens[("openai", "lab")]
        bad = "sgt_" + "B" * 43
        with live_server(s.app, lifespan="off") as base, httpx.Client(base_url=base) as c:
            for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
                lg = logging.getLogger(name)
                monkeypatch.setattr(lg, "level", logging.DEBUG)
                monkeypatch.setattr(lg, "disabled", False)
                # into caplog (uvicorn's config keeps its own handlers); undone after the test
                monkeypatch.setattr(lg, "propagate", True)
            for tok in (good, bad):
                h = {"Authorization": f"Bearer {tok}"}
                c.get("/v1/fleet", headers=h)
                c.get("/v1/requests/cap-1", headers=h)
                c.post(
                    "/v1/requests",
                    headers={**h, "Idempotency-Key": "k1"},
                    json=capacity_body("log-1"),
                )
        logged = caplog.text + "".join(str(rec.args) for rec in caplog.records)
        assert "/v1/fleet" in logged, "uvicorn's access log was not captured"
        for tok in (good, bad, *s.tokens.values()):
            assert tok not in logged
            assert tok[4:] not in logged

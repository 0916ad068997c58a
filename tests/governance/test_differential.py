"""A differential test: the compiled Cedar policy against a plain-Python oracle, on scenarios
and requests drawn by hypothesis (ip_rights with amendments and carve-outs, AGI clauses
declared, verified or not, investments with and without competitor stakes, information
rights), for every party (and one unknown), every artifact, both actions and several days.

The oracle reads the clauses as docs/governance.md states the rules, with nothing of
:mod:`stargate.governance` but the request's vocabulary; the days clauses are in force come
from the domain model (``version_at``, ``verified_at``), which every engine shares."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.domain.model import (
    AgiClause,
    ClauseBase,
    InformationRights,
    Investment,
    IpRights,
    PartyRole,
    Scenario,
)
from stargate.governance import ACTIONS, compile_policy, evaluate, validate
from tests.conftest import minimal

PARTIES = ["lab", "cloudco", "inv", "rival", "board"]
KINDS = ["models", "weights", "research", "infrastructure", "products", "roadmap"]
BASE = date(2024, 1, 1)


def day(n: int) -> str:
    return (BASE + timedelta(days=n)).isoformat()


# Days on a 30-day grid, so that a release falls on the day AGI is declared often enough to
# test the boundary (released on the trigger day: AGI technology).
days = st.integers(min_value=0, max_value=9 * 12).map(lambda m: 30 * m)
maybe_day = st.none() | days
# Releases and declarations also on a coarse grid, so that they fall on the same day often.
coarse = st.integers(min_value=0, max_value=12).map(lambda k: 270 * k)


@st.composite
def ip_clause(draw: st.DrawFn, i: int) -> dict[str, Any]:
    start = draw(days)
    cl: dict[str, Any] = {
        "id": f"ip-{i}",
        "kind": "ip_rights",
        "grantor": draw(st.sampled_from(["lab", "lab", "rival"])),
        "grantee": draw(st.sampled_from(["cloudco", "inv", "cloudco", "board"])),
        "artifact_kinds": draw(
            st.lists(st.sampled_from(KINDS[:5]), min_size=1, max_size=3, unique=True)
            | st.just(["models"])
        ),
        "until": day(start + draw(st.integers(0, 6 * 365))),
        "agi_carve_out": draw(st.booleans()),
        "effective": {"start": day(start)},
    }
    if draw(st.booleans()):
        cl["ends_on_agi"] = "agi-0"
    if draw(st.booleans()):
        a = start + draw(st.integers(0, 3 * 365))
        changes: dict[str, Any] = draw(
            st.sampled_from(
                [
                    {"agi_carve_out": not cl["agi_carve_out"]},
                    {"until": day(a + draw(st.integers(0, 5 * 365)))},
                    {
                        "artifact_kinds": draw(
                            st.lists(
                                st.sampled_from(KINDS[:5]), min_size=1, max_size=2, unique=True
                            )
                        )
                    },
                ]
            )
        )
        cl["amendments"] = [
            {
                "id": f"ip-{i}-am",
                "effective": {"start": day(a)},
                "action": draw(st.sampled_from(["modify", "modify", "terminate"])),
            }
        ]
        if cl["amendments"][0]["action"] == "modify":
            cl["amendments"][0]["changes"] = changes
    return cl


@st.composite
def agi_clause(draw: st.DrawFn, ip_ids: list[str]) -> dict[str, Any]:
    declared = draw(
        st.sampled_from([True, True, True, False]).flatmap(
            lambda yes: (days | coarse) if yes else st.none()
        )
    )
    panel = draw(st.booleans())
    cl: dict[str, Any] = {
        "id": "agi-0",
        "kind": "agi_clause",
        "declared_by": "board",
        "control_passes_to": "board",
        "ends_clauses": draw(st.lists(st.sampled_from(ip_ids), unique=True)) if ip_ids else [],
        "effective": {"start": day(draw(st.integers(0, 365)))},
    }
    if declared is not None:
        cl["declared_on"] = day(declared)
    if panel:
        cl["verified_by"] = "panel"
        if declared is not None and draw(st.sampled_from([True, True, False])):
            cl["verified_on"] = day(declared + draw(st.integers(0, 2 * 365)))
    return cl


@st.composite
def investment(draw: st.DrawFn, i: int) -> dict[str, Any]:
    start = draw(days)
    return {
        "id": f"inv-{i}",
        "kind": "investment",
        "investor": draw(st.sampled_from(["inv", "cloudco", "lab"])),
        "investee": draw(st.sampled_from(["lab", "rival"])),
        "amount_usd": 1000,
        "date": day(start),
        "stakes_in_competitors": draw(st.sampled_from([[], ["rival"]])),
        "effective": {"start": day(start)},
    }


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    data = minimal()
    data["parties"] = [
        {"id": "lab", "name": "Lab", "roles": ["operator", "ai_lab"]},
        {"id": "cloudco", "name": "CloudCo", "roles": ["cloud_provider"]},
        {"id": "inv", "name": "Investor", "roles": ["investor"]},
        {"id": "rival", "name": "Rival", "roles": ["ai_lab", "competitor"]},
        {"id": "board", "name": "Board", "roles": ["nonprofit_board"]},
    ]
    data["artifacts"] = [
        {
            "id": f"a{k}",
            "name": f"A{k}",
            "kind": draw(st.sampled_from(["models", "models", "roadmap", *KINDS])),
            "owner": draw(st.sampled_from(["lab", "lab", "rival"])),
            **({"released": day(r)} if (r := draw(maybe_day | coarse)) is not None else {}),
        }
        for k in range(draw(st.integers(0, 4)))
    ]
    # always one model in development and one roadmap, of the lab: what carve-outs and
    # roadmap rules are about
    data["artifacts"] += [
        {"id": "next-model", "name": "Next", "kind": "models", "owner": "lab"},
        {"id": "plans", "name": "Plans", "kind": "roadmap", "owner": "lab"},
    ]
    ips = [draw(ip_clause(i)) for i in range(draw(st.integers(0, 3)))]
    clauses = list(ips)
    if draw(st.sampled_from([True, True, False])):
        clauses.append(draw(agi_clause([c["id"] for c in ips])))
    else:
        for c in clauses:
            c.pop("ends_on_agi", None)
    clauses += [draw(investment(i)) for i in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        clauses.append(
            {
                "id": "roadmap-rule",
                "kind": "information_rights",
                "grantor": "lab",
                "denied_to_investors_in": ["rival"],
                "effective": {"start": day(draw(days))},
            }
        )
    data["contracts"] = [
        {
            "id": "deal",
            "name": "Deal",
            "parties": ["lab", "cloudco", "inv", "board"],
            "signed": "2024-01-01",
            "clauses": clauses,
        }
    ]
    return Scenario.model_validate(data)


# --------------------------------------------------------------------------- the oracle


def _live(s: Scenario, on: date) -> list[tuple[str, ClauseBase, ClauseBase]]:
    return [(c.id, cl, v) for c, cl in s.clauses() if (v := cl.version_at(on)) is not None]


def oracle(s: Scenario, party: str, artifact: str, action: str, on: date) -> bool:
    """May ``party`` do ``action`` on ``artifact`` on ``on``? The rules of docs/governance.md,
    read straight from the clauses."""
    art = s.artifact(artifact)
    if art.owner == party:
        return True
    live = _live(s, on)
    agis = [(c.id, cl) for c, cl in s.clauses() if isinstance(cl, AgiClause)]
    granted = denied = False
    if action == "use":
        for contract, _, v in live:
            if not isinstance(v, IpRights) or v.grantor != art.owner:
                continue
            if art.kind not in v.artifact_kinds:
                continue
            if v.grantee == party:
                granted = True
            if not v.agi_carve_out:
                continue
            named = [a for _, a in agis if v.id in a.ends_clauses or v.ends_on_agi == a.id]
            governing = named or [a for cid, a in agis if cid == contract]
            for a in governing:
                t = a.verified_at()
                if t is None or t > on:
                    continue
                if v.grantee == a.control_passes_to:
                    continue  # control passes to the grantee itself: nothing leaves it
                if art.released is None or art.released >= t:
                    if v.grantee == party:
                        denied = True
                    if a.control_passes_to == party:
                        granted = True
        return granted and not denied
    if art.kind != "roadmap":
        return False
    competitors = {p.id for p in s.parties if PartyRole.competitor in p.roles}
    mine = [v for _, _, v in live if isinstance(v, Investment) and v.investor == party]
    granted = any(v.investee == art.owner for v in mine)
    stakes = {c for v in mine for c in v.stakes_in_competitors}
    stakes |= {v.investee for v in mine if v.investee in competitors}
    if stakes and art.owner not in stakes:
        denied = True
    for _, _, v in live:
        if isinstance(v, InformationRights) and "roadmap" in v.denied and v.grantor == art.owner:
            listed = set(v.denied_to_investors_in)
            if any(
                inv.investee in listed or listed & set(inv.stakes_in_competitors) for inv in mine
            ):
                denied = True
    return granted and not denied


def days_to_ask(s: Scenario, picks: list[int]) -> list[date]:
    """The drawn days, and the days where answers change: clauses' starts and ends, and the
    days AGI is declared or verified (and the day after each)."""
    out = {BASE + timedelta(days=n) for n in picks}
    for _, cl in s.clauses():
        out.add(cl.effective.start)
        if (end := cl.end_date()) is not None:
            out |= {end, end + timedelta(days=1)}
        if isinstance(cl, AgiClause) and (t := cl.verified_at()) is not None:
            out |= {t, t + timedelta(days=400)}
    return sorted(out)


@settings(max_examples=150)
@given(s=scenarios(), picks=st.lists(days, min_size=1, max_size=3))
def test_cedar_agrees_with_the_oracle(s: Scenario, picks: list[int]) -> None:
    parties = [*PARTIES, "ghost"]
    for on in days_to_ask(s, picks):
        policy = compile_policy(s, on)
        assert validate(policy) == [], policy.text
        requests = [(p, a.id, act) for p in parties for a in s.artifacts for act in ACTIONS]
        answers = evaluate(policy, s, requests)
        for (p, a, act), (allowed, rules) in zip(requests, answers, strict=True):
            expected = oracle(s, p, a, act, on)
            assert allowed is expected, f"{p} {act} {a} on {on}: {rules}\n{policy.text}"


def test_the_generator_reaches_each_outcome() -> None:
    """The strategy draws carve-outs that bite and stakes that deny (else the differential
    test would compare two constant answers)."""
    seen: set[str] = set()

    @settings(max_examples=150, database=None)
    @given(s=scenarios(), picks=st.lists(days, min_size=1, max_size=3))
    def probe(s: Scenario, picks: list[int]) -> None:
        for on in days_to_ask(s, picks):
            policy = compile_policy(s, on)
            reqs = [(p, a.id, act) for p in PARTIES for a in s.artifacts for act in ACTIONS]
            answers = evaluate(policy, s, reqs)
            for (_, _, act), (allowed, rules) in zip(reqs, answers, strict=True):
                for r in rules:
                    seen.add(f"{r.effect}:{r.id.split('/')[0]}")
                if allowed:
                    seen.add(f"allow:{act}")

    probe()
    assert {
        "permit:ip_rights",
        "forbid:agi_clause",
        "permit:agi_clause",
        "permit:investment",
        "forbid:investment",
        "forbid:information_rights",
        "permit:owner",
        "allow:use",
        "allow:read-roadmap",
    } <= seen, seen

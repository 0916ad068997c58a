"""Clause state on a day, clause selectors, and one-line descriptions of every clause kind."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from stargate.contracts.state import (
    KIND_ALIASES,
    clause_state,
    clauses_in_force,
    describe,
    resolve_clause_selector,
)
from stargate.domain.model import CLAUSE_KINDS, ClauseBase, RightOfFirstRefusal, Scenario
from stargate.errors import InputError
from stargate.scenario.loader import validate_data
from tests.conftest import minimal

OPEN = {"start": "2025-01-01"}


def every_kind() -> dict[str, Any]:
    """The minimal scenario with one clause of every kind, and amendments on two of them."""
    data = minimal()
    data["parties"].append({"id": "rival", "name": "Rival", "roles": ["ai_lab", "competitor"]})
    data["parties"].append({"id": "board", "name": "Board", "roles": ["nonprofit_board"]})
    deal = data["contracts"][0]
    deal["parties"].append("board")
    rofr, excl = deal["clauses"]
    rofr["id"] = "cloud-rofr"
    rofr["amendments"] = [
        {
            "id": "longer-window",
            "effective": {"start": "2026-01-01", "end": "2026-06-30"},
            "action": "modify",
            "changes": {"response_window_h": 48},
        }
    ]
    excl["amendments"] = [
        {"id": "end-excl", "effective": {"start": "2029-01-01"}, "action": "terminate"}
    ]
    deal["clauses"] += [
        {
            "id": "ip",
            "kind": "ip_rights",
            "grantor": "lab",
            "grantee": "cloudco",
            "artifact_kinds": ["models", "weights"],
            "until": "2030-12-31",
            "effective": OPEN,
        },
        {
            "id": "share",
            "kind": "revenue_share",
            "payer": "lab",
            "payee": "cloudco",
            "revenue_stream": "api-revenue",
            "percent": 20,
            "effective": {"start": "2025-01-01", "end": "2030-12-31"},
        },
        {
            "id": "spend",
            "kind": "committed_spend",
            "buyer": "lab",
            "seller": "cloudco",
            "amount_usd": 250_000_000_000,
            "period": {"start": "2025-01-01", "end": "2030-12-31"},
            "effective": OPEN,
        },
        {
            "id": "stake",
            "kind": "investment",
            "investor": "cloudco",
            "investee": "lab",
            "amount_usd": 13_000_000_000,
            "date": "2025-01-01",
            "stake_percent": 49,
            "stakes_in_competitors": ["rival"],
            "effective": OPEN,
        },
        {
            "id": "agi",
            "kind": "agi_clause",
            "declared_by": "board",
            "control_passes_to": "board",
            "ends_clauses": ["ip"],
            "effective": OPEN,
        },
        {
            "id": "no-roadmap",
            "kind": "information_rights",
            "grantor": "lab",
            "denied_to_investors_in": ["rival"],
            "effective": OPEN,
        },
    ]
    return data


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    result = validate_data(every_kind())
    assert result.ok, [p.render() for p in result.problems]
    assert result.scenario is not None
    return result.scenario


def clause(s: Scenario, clause_id: str) -> ClauseBase:
    return next(cl for _, cl in s.clauses() if cl.id == clause_id)


def test_the_fixture_has_every_kind(scenario: Scenario) -> None:
    assert {cl.kind for _, cl in scenario.clauses()} == set(CLAUSE_KINDS)


# --------------------------------------------------------------------------- clause_state


def test_not_yet_in_force(scenario: Scenario) -> None:
    st = clause_state("deal", clause(scenario, "cloud-rofr"), date(2024, 12, 31))
    assert (st.status, st.in_force, st.version, st.amendment) == ("not_yet", False, None, None)
    assert st.reason == "in force from 2025-01-01"


def test_in_force_on_its_first_and_last_day(scenario: Scenario) -> None:
    rofr = clause(scenario, "cloud-rofr")
    for day in (date(2025, 1, 1), date(2027, 12, 31)):
        st = clause_state("deal", rofr, day)
        assert st.status == "in_force"
        assert st.in_force
        assert st.version is rofr
        assert st.amendment is None
        assert st.reason == "in force since 2025-01-01 until 2027-12-31"
        assert st.contract_id == "deal"
        assert st.day == day


def test_expired_after_its_end(scenario: Scenario) -> None:
    st = clause_state("deal", clause(scenario, "cloud-rofr"), date(2028, 1, 1))
    assert (st.status, st.in_force) == ("expired", False)
    assert st.reason == "expired after 2027-12-31"


def test_ip_rights_expire_with_until(scenario: Scenario) -> None:
    ip = clause(scenario, "ip")
    assert clause_state("deal", ip, date(2030, 12, 31)).status == "in_force"
    assert clause_state("deal", ip, date(2031, 1, 1)).status == "expired"


def test_amended_by_a_modify_amendment(scenario: Scenario) -> None:
    rofr = clause(scenario, "cloud-rofr")
    st = clause_state("deal", rofr, date(2026, 3, 1))
    assert st.status == "in_force"
    assert st.amendment == "longer-window"
    assert "as amended by 'longer-window'" in st.reason
    assert isinstance(st.version, RightOfFirstRefusal)
    assert st.version.response_window_h == 48
    assert isinstance(rofr, RightOfFirstRefusal)
    assert rofr.response_window_h == 24  # unchanged
    after = clause_state("deal", rofr, date(2026, 7, 1))  # the amendment's period is over
    assert after.amendment is None
    assert after.version is rofr


def test_terminated_by_an_amendment(scenario: Scenario) -> None:
    excl = clause(scenario, "excl")
    assert clause_state("deal", excl, date(2028, 12, 31)).status == "in_force"
    st = clause_state("deal", excl, date(2029, 1, 1))
    assert (st.status, st.in_force, st.amendment) == ("terminated", False, "end-excl")
    assert st.reason == "ended by amendment 'end-excl' on 2029-01-01"


def test_clauses_in_force_leaves_out_what_is_asked(scenario: Scenario) -> None:
    day = date(2026, 1, 1)
    all_ids = [st.clause.id for st in clauses_in_force(scenario, day)]
    assert all_ids == [cl.id for _, cl in scenario.clauses()]  # scenario order
    without = [st.clause.id for st in clauses_in_force(scenario, day, without=frozenset({"ip"}))]
    assert without == [i for i in all_ids if i != "ip"]
    later = {st.clause.id for st in clauses_in_force(scenario, date(2029, 6, 1))}
    assert "cloud-rofr" not in later
    assert "excl" not in later
    assert "ip" in later


# --------------------------------------------------------------------------- selectors


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("right_of_first_refusal", {"cloud-rofr"}),
        ("rofr", {"cloud-rofr"}),
        ("right-of-first-refusal", {"cloud-rofr"}),
        ("exclusive", {"excl"}),
        ("revenue-share", {"share"}),
        ("ip", {"ip"}),
        ("agi", {"agi"}),
        ("commitment", {"spend"}),
        (" no-roadmap ", {"no-roadmap"}),
        ("stake", {"stake"}),
    ],
)
def test_resolve_clause_selector(scenario: Scenario, selector: str, expected: set[str]) -> None:
    assert resolve_clause_selector(scenario, selector) == frozenset(expected)


def test_every_alias_names_a_kind() -> None:
    assert set(KIND_ALIASES.values()) <= set(CLAUSE_KINDS)


def test_selector_by_contract_id(scenario: Scenario) -> None:
    assert resolve_clause_selector(scenario, "deal") == frozenset(
        cl.id for _, cl in scenario.clauses()
    )


def test_unknown_selector_suggests(scenario: Scenario) -> None:
    with pytest.raises(InputError, match=r"--without: unknown clause 'rofx'") as info:
        resolve_clause_selector(scenario, "rofx")
    (problem,) = info.value.problems
    assert problem.hint == "did you mean 'rofr'?"
    assert problem.expected is not None
    assert "clause kind" in problem.expected
    with pytest.raises(InputError, match=r"did you mean 'cloud-rofr'\?"):
        resolve_clause_selector(scenario, "cloud-rof")


# --------------------------------------------------------------------------- describe

PARTIES_NAMED = {
    "cloud-rofr": ("lab", "cloudco"),
    "excl": ("lab", "cloud"),
    "ip": ("cloudco", "lab"),
    "share": ("lab", "cloudco"),
    "spend": ("lab", "cloudco"),
    "stake": ("cloudco", "lab", "rival"),
    "agi": ("board",),
    "no-roadmap": ("lab", "rival"),
}


@pytest.mark.parametrize("clause_id", sorted(PARTIES_NAMED))
def test_describe_names_the_parties(scenario: Scenario, clause_id: str) -> None:
    text = describe(clause(scenario, clause_id))
    assert text.strip()
    assert "\n" not in text
    for party in PARTIES_NAMED[clause_id]:
        assert party in text


def test_describe_details(scenario: Scenario) -> None:
    assert describe(clause(scenario, "cloud-rofr")) == (
        "lab must first offer new training capacity to cloudco; answer within 24 h; "
        "released when the holder cannot meet: capacity, accelerator_type, deadline, price"
    )
    assert describe(clause(scenario, "excl")) == "lab's inference runs only on cloud"
    assert describe(clause(scenario, "share")) == "lab pays cloudco 20% of api-revenue"
    assert "$250.0B" in describe(clause(scenario, "spend"))
    assert "$13.0B" in describe(clause(scenario, "stake"))
    assert "49%" in describe(clause(scenario, "stake"))
    assert "(AGI carved out)" in describe(clause(scenario, "ip"))
    assert "not declared" in describe(clause(scenario, "agi"))
    amended = clause_state("deal", clause(scenario, "cloud-rofr"), date(2026, 3, 1)).version
    assert amended is not None
    assert "answer within 48 h" in describe(amended)

"""Agreements as amendments in every engine: ``--without AGREEMENT_ID`` voids the whole
agreement, so the terms before it hold, in ``place``, ``simulate``, ``plan`` and ``scenario
show`` alike.

The fixture is the ``announced-2025`` test scenario (the default before issue #11, whose data
does not move) with one agreement added on the Microsoft-OpenAI contract, dated the day the
ROFR starts: it ends ``azure-rofr`` and adds ``api-rofr``, a ROFR on API inference only. With
the agreement, the Abilene requests (training and ChatGPT) are out of any ROFR's scope;
without it, Azure's ROFR holds for them as in the unamended scenario.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from stargate.broker.capacity import CapacityBook
from stargate.broker.engine import Broker
from stargate.broker.responders import make_responder
from stargate.contracts.state import resolve_without
from stargate.domain.model import CapacityRequest, RightOfFirstRefusal, Scenario
from stargate.errors import InputError
from stargate.scenario.loader import load_scenario, validate_data
from stargate.scenario.snapshot import snapshot
from tests.conftest import ANNOUNCED

AGREEMENT = "swap-2025"
REQUEST = "abilene-phase-2"


def _with_agreement() -> Scenario:
    base = load_scenario(ANNOUNCED)
    data = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    contract = next(c for c in data["contracts"] if c["id"] == "microsoft-openai-2025")
    rofr = next(cl for cl in contract["clauses"] if cl["id"] == "azure-rofr")
    added = {
        **rofr,
        "id": "api-rofr",
        "workload_classes": ["api-inference"],
        "amendments": [],
    }
    contract["agreements"] = [
        {
            "id": AGREEMENT,
            "date": "2025-01-21",
            "changes": [{"clause": "azure-rofr", "action": "terminate"}],
            "adds": [added],
            "source": "assumption: a test agreement",
        }
    ]
    result = validate_data(data)
    assert result.scenario is not None, [p.render() for p in result.problems]
    return result.scenario


@pytest.fixture(scope="module")
def swapped() -> Scenario:
    return _with_agreement()


def _verdicts(rows: Any, request_id: str = REQUEST) -> set[str]:
    return {r["rofr"] for r in rows if r["request"] == request_id}


def _broker_verdicts(
    sc: Scenario, without: list[str], request_id: str = REQUEST, responder: str | None = None
) -> set[str]:
    book = CapacityBook(sc)
    answer = make_responder(responder, 0) if responder is not None else None
    broker = Broker(sc, without=without, responder=answer)
    rows: list[dict[str, Any]] = []
    for dated in sorted(sc.capacity_requests, key=lambda r: r.date):
        decision = broker.decide_capacity(dated, dated.date, book=book, source="scheduled")
        rows.extend(r.to_dict() for r in decision.rows)
        if dated.id == request_id:
            assert AGREEMENT in decision.without or not without
            break
    return _verdicts(rows, request_id)


def test_the_agreement_ends_one_clause_and_adds_another(swapped: Scenario) -> None:
    ids = {cl.id for _, cl in swapped.clauses()}
    assert {"azure-rofr", "api-rofr"} <= ids
    rofr = next(cl for _, cl in swapped.clauses() if cl.id == "azure-rofr")
    assert not rofr.in_force(date(2025, 6, 1))
    derived = resolve_without(swapped, [AGREEMENT])
    assert derived.voided == (AGREEMENT,)
    assert derived.clause_ids == frozenset()
    assert derived.names == [AGREEMENT]
    back = {cl.id: cl for _, cl in derived.scenario.clauses()}
    assert "api-rofr" not in back
    assert back["azure-rofr"].in_force(date(2025, 6, 1))


def test_place_without_the_agreement(swapped: Scenario) -> None:
    announced = load_scenario(ANNOUNCED)
    with_it = _broker_verdicts(swapped, [])
    assert with_it == {"not_in_scope"}
    without_it = _broker_verdicts(swapped, [AGREEMENT])
    assert without_it == _broker_verdicts(announced, [])
    assert without_it != {"not_in_scope"}


def test_place_the_added_clause_binds_only_with_the_agreement(swapped: Scenario) -> None:
    """An API capacity request: the added ROFR covers it; without the agreement, no ROFR does."""
    req = CapacityRequest.model_validate(
        {
            "id": "api-1",
            "requester": "openai",
            "workload_classes": ["api-inference"],
            "accelerators": {"count": 1000, "types": "any"},
            "term": {"start": "2026-01-01", "end": "2026-12-31"},
        }
    )
    day = date(2025, 6, 1)
    with_it = Broker(swapped).decide_capacity(req, day, book=CapacityBook(swapped))
    assert with_it.rofr is not None
    assert with_it.rofr.clause == "api-rofr"
    without_it = Broker(swapped, without=[AGREEMENT]).decide_capacity(
        req, day, book=CapacityBook(swapped)
    )
    assert {r.rofr for r in without_it.rows} == {"not_in_scope"}
    assert without_it.without == [AGREEMENT]


def test_simulate_without_the_agreement(swapped: Scenario) -> None:
    from stargate.sim.api import simulate

    with_it: dict[str, Any] = dict(
        simulate(swapped, ["synthetic?jobs=50"], log_events=False).summary.to_dict()
    )
    without_it: dict[str, Any] = dict(
        simulate(
            swapped, ["synthetic?jobs=50"], without=[AGREEMENT], log_events=False
        ).summary.to_dict()
    )
    assert _verdicts(with_it["procurement"]) == {"not_in_scope"}
    assert _verdicts(without_it["procurement"]) != {"not_in_scope"}
    assert without_it["run"]["without"] == [AGREEMENT]
    assert with_it["run"]["without"] == []


def test_plan_without_the_agreement(swapped: Scenario) -> None:
    from stargate.plan import plan

    with_it = plan(swapped)
    without_it = plan(swapped, without=[AGREEMENT], baseline=True)
    assert _verdicts(with_it.to_dict()["procurement"]) == {"not_in_scope"}
    assert _verdicts(without_it.to_dict()["procurement"]) != {"not_in_scope"}
    assert without_it.clauses_off == [AGREEMENT]
    assert without_it.baseline is not None  # the comparison runs for an agreement too


def test_scenario_show_without_the_agreement(swapped: Scenario) -> None:
    day = date(2025, 6, 1)
    with_it = snapshot(swapped, day)
    without_it = snapshot(swapped, day, without=[AGREEMENT])
    assert {"api-rofr"} <= {c.id for c in with_it.clauses_in_force}
    assert "azure-rofr" not in {c.id for c in with_it.clauses_in_force}
    assert "azure-rofr" in {c.id for c in without_it.clauses_in_force}
    shown = {c.id for c in without_it.clauses_in_force + without_it.clauses_not_in_force}
    assert "api-rofr" not in shown
    off = snapshot(swapped, day, without=["api-exclusivity"])
    status = {c.id: c.status for c in off.clauses_not_in_force}
    assert status["api-exclusivity"] == "switched_off"


def test_an_amendment_id_voids_that_change_only(swapped: Scenario) -> None:
    derived = resolve_without(swapped, [f"{AGREEMENT}--azure-rofr"])
    ids = {cl.id: cl for _, cl in derived.scenario.clauses()}
    assert "api-rofr" in ids  # the agreement's added clause stays
    assert ids["azure-rofr"].in_force(date(2025, 6, 1))


def _engine(engine: str, sc: Scenario, without: list[str]) -> object:
    if engine == "broker":
        return Broker(sc, without=without)
    if engine == "snapshot":
        return snapshot(sc, without=without)
    return resolve_without(sc, without)


@pytest.mark.parametrize("engine", ["broker", "snapshot", "resolve"])
def test_unknown_names_exit_2_naming_without(swapped: Scenario, engine: str) -> None:
    with pytest.raises(InputError) as err:
        _engine(engine, swapped, ["swap-2052"])
    text = err.value.problems[0].render()
    assert "--without" in text
    assert AGREEMENT in text  # did you mean


# --------------------------------------------------------------------------- integrity


def _announced_data() -> dict[str, Any]:
    data: dict[str, Any] = load_scenario(ANNOUNCED).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return data


def _problems(agreements: list[dict[str, Any]], contract: int = 0) -> list[tuple[str, str]]:
    data = _announced_data()
    data["contracts"][contract]["agreements"] = agreements
    result = validate_data(data)
    return [(p.path or "", p.message) for p in result.problems]


def _ag(ag_id: str = "later", day: str = "2025-06-01", **kw: Any) -> dict[str, Any]:
    return {"id": ag_id, "date": day, "source": "assumption: a test agreement", **kw}


def _added(clause_id: str, start: str = "2025-06-01") -> dict[str, Any]:
    return {
        "id": clause_id,
        "kind": "exclusivity",
        "party": "openai",
        "workload_classes": ["batch-inference"],
        "provider": "azure",
        "effective": {"start": start},
        "source": "assumption: a test clause",
    }


def test_a_valid_agreement_passes() -> None:
    ok = _ag(
        changes=[
            {"clause": "azure-rofr", "action": "modify", "changes": {"response_window_h": 24}},
            {"clause": "api-exclusivity", "action": "terminate"},
        ],
        adds=[_added("batch-exclusivity")],
    )
    assert _problems([ok]) == []


def test_cumulative_modifies_read_on_top_of_each_other() -> None:
    first = _ag(
        "first",
        "2025-03-01",
        changes=[
            {"clause": "azure-rofr", "action": "modify", "changes": {"response_window_h": 24}}
        ],
    )
    second = _ag(
        "second",
        "2025-06-01",
        changes=[{"clause": "azure-rofr", "action": "modify", "changes": {"holder": "oracle"}}],
    )
    assert _problems([first, second]) == []
    data = _announced_data()
    data["contracts"][0]["agreements"] = [first, second]
    sc = validate_data(data).scenario
    assert sc is not None
    rofr = next(cl for _, cl in sc.clauses() if cl.id == "azure-rofr")
    v = rofr.version_at(date(2025, 7, 1))
    assert isinstance(v, RightOfFirstRefusal)
    assert (v.holder, v.response_window_h) == ("oracle", 24)
    early = rofr.version_at(date(2025, 4, 1))
    assert isinstance(early, RightOfFirstRefusal)
    assert (early.holder, early.response_window_h) == ("microsoft", 24)
    change = {**second["changes"][0], "changes": {"holder": "x"}}
    bad = _ag("second", "2025-06-01", changes=[change])
    problems = _problems([first, bad])
    assert [p for p, _ in problems] == ["contracts[0].agreements[1].changes[0].changes.holder"]


@pytest.mark.parametrize(
    ("agreements", "path", "words"),
    [
        (
            [_ag(changes=[{"clause": "azure-rofx", "action": "terminate"}])],
            "contracts[0].agreements[0].changes[0].clause",
            "unknown clause 'azure-rofx'",
        ),
        (
            [_ag(changes=[{"clause": "oracle-commitment", "action": "terminate"}])],
            "contracts[0].agreements[0].changes[0].clause",
            "another contract",
        ),
        (
            [
                _ag("early", "2025-03-01", changes=[{"clause": "late-x", "action": "terminate"}]),
                _ag("late", "2025-09-01", adds=[_added("late-x", "2025-09-01")]),
            ],
            "contracts[0].agreements[0].changes[0].clause",
            "added by a later agreement",
        ),
        (
            [_ag(changes=[{"clause": "azure-rofr", "action": "modify", "changes": {"id": "x"}}])],
            "contracts[0].agreements[0].changes[0].changes.id",
            "cannot change 'id'",
        ),
        (
            [_ag(changes=[{"clause": "azure-rofr", "action": "modify", "changes": {"window": 1}}])],
            "contracts[0].agreements[0].changes[0].changes.window",
            "no field 'window'",
        ),
        (
            [
                _ag(
                    changes=[
                        {
                            "clause": "azure-rofr",
                            "action": "modify",
                            "changes": {"response_window_h": -5},
                        }
                    ]
                )
            ],
            "contracts[0].agreements[0].changes[0].changes.response_window_h",
            "amended clause is invalid",
        ),
        (
            [_ag(adds=[_added("batch-exclusivity", "2025-01-01")])],
            "contracts[0].agreements[0].adds[0].effective.start",
            "takes effect before the agreement",
        ),
        (
            [_ag(adds=[_added("azure-rofr")])],
            "contracts[0].agreements[0].adds[0].id",
            "duplicate id 'azure-rofr'",
        ),
        (
            [_ag("azure-rofr")],
            "contracts[0].agreements[0].id",
            "duplicate id 'azure-rofr'",
        ),
        (
            [
                _ag(
                    changes=[
                        {"clause": "azure-rofr", "action": "terminate"},
                        {"clause": "azure-rofr", "action": "terminate"},
                    ]
                )
            ],
            "contracts[0].agreements[0].changes[1]",
            "duplicate id 'later--azure-rofr'",
        ),
        (
            [
                _ag("a1", "2025-03-01", changes=[{"clause": "azure-rofr", "action": "terminate"}]),
                _ag(
                    "a2",
                    "2025-06-01",
                    changes=[
                        {"clause": "azure-rofr", "action": "modify", "changes": {"holder": "x"}}
                    ],
                ),
            ],
            "contracts[0].agreements[1].changes[0].clause",
            "was ended by agreement 'a1'",
        ),
    ],
    ids=[
        "unknown-clause",
        "other-contract",
        "later-added",
        "unamendable",
        "unknown-field",
        "invalid-amended",
        "added-before-agreement",
        "added-id-clash",
        "agreement-id-clash",
        "change-id-clash",
        "after-terminate",
    ],
)
def test_bad_agreements_are_located(
    agreements: list[dict[str, Any]], path: str, words: str
) -> None:
    problems = _problems(agreements)
    assert any(p == path and words in m for p, m in problems), problems


def test_bad_agreement_exits_2_on_load(tmp_path: Any) -> None:
    import yaml

    from stargate.scenario.loader import load_scenario as load

    data = _announced_data()
    data["contracts"][0]["agreements"] = [
        _ag(changes=[{"clause": "azure-rofx", "action": "terminate"}])
    ]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        load(path)
    assert err.value.exit_code == 2
    assert "agreements[0].changes[0].clause" in err.value.problems[0].render()


# --------------------------------------------------------------------------- capacity requests


def _requests_edited(edit: dict[str, dict[str, Any]], agreements: bool = True) -> Scenario:
    data = _announced_data() if not agreements else _swapped_data()
    for req in data["capacity_requests"]:
        req.update(edit.get(req["id"], {}))
    result = validate_data(data)
    assert result.scenario is not None, [p.render() for p in result.problems]
    return result.scenario


def _swapped_data() -> dict[str, Any]:
    data: dict[str, Any] = _with_agreement().model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return data


def test_requests_tagged_with_an_agreement_or_contract_go_with_it() -> None:
    sc = _requests_edited(
        {
            "abilene-phase-2": {"agreement": AGREEMENT},
            "abilene-phase-1": {"contract": "oracle-openai-2025"},
        }
    )
    ids = {r.id for r in sc.capacity_requests}
    assert {"abilene-phase-1", "abilene-phase-2"} <= ids
    without_ag = resolve_without(sc, [AGREEMENT]).scenario
    assert {r.id for r in without_ag.capacity_requests} == ids - {"abilene-phase-2"}
    without_con = resolve_without(sc, ["oracle-openai-2025"])
    assert {r.id for r in without_con.scenario.capacity_requests} == ids - {"abilene-phase-1"}
    assert without_con.clause_ids == {"oracle-commitment"}
    # and the engines no longer place it
    from stargate.plan.procure import place_dated_requests

    placed = place_dated_requests(without_ag, date(2030, 12, 31), [])
    assert "abilene-phase-2" not in {r.request_id for r in placed.rows}
    assert "abilene-phase-2" in {
        r.request_id for r in place_dated_requests(sc, date(2030, 12, 31), []).rows
    }


def test_the_holder_answer_on_the_record_is_the_default_responder() -> None:
    sc = _requests_edited(
        {
            "abilene-phase-2": {
                "holder_answer": {"answer": "decline", "source": "assumption: a test answer"}
            }
        },
        agreements=False,
    )
    # the part the holder could meet is declined (the rest was released at once, as before)
    assert _broker_verdicts(sc, []) == {"declined", "released_unmet"}
    # an explicit responder overrides the record
    assert _broker_verdicts(sc, [], responder="capacity-limited") == {"accepted", "released_unmet"}
    # the record answers only for its own request
    assert _broker_verdicts(sc, [], "abilene-phase-1") == {"accepted", "released_unmet"}
    from stargate.plan.procure import place_dated_requests

    rows = place_dated_requests(sc, date(2030, 12, 31), []).rows
    assert {r.rofr for r in rows if r.request_id == REQUEST} == {"declined", "released_unmet"}


def test_a_late_answer_on_the_record_expires() -> None:
    sc = _requests_edited(
        {
            "abilene-phase-2": {
                "holder_answer": {
                    "answer": "accept",
                    "after_h": 500,
                    "source": "assumption: a test answer",
                }
            }
        },
        agreements=False,
    )
    assert _broker_verdicts(sc, []) == {"expired", "released_unmet"}


def test_simulate_uses_the_record_unless_a_responder_is_given() -> None:
    from stargate.sim.api import simulate

    sc = _requests_edited(
        {
            "abilene-phase-2": {
                "holder_answer": {"answer": "decline", "source": "assumption: a test answer"}
            }
        },
        agreements=False,
    )
    recorded = simulate(sc, ["synthetic?jobs=50"], log_events=False).summary.to_dict()
    given = simulate(
        sc, ["synthetic?jobs=50"], responder="capacity-limited", log_events=False
    ).summary.to_dict()
    assert _verdicts(recorded["procurement"]) == {"declined", "released_unmet"}
    assert _verdicts(given["procurement"]) == {"accepted", "released_unmet"}


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        ({"agreement": "swap-2052"}, "agreement", "unknown agreement 'swap-2052'"),
        ({"contract": "nope"}, "contract", "unknown contract 'nope'"),
        (
            {"agreement": AGREEMENT, "contract": "oracle-openai-2025"},
            "agreement",
            "belongs to contract 'microsoft-openai-2025'",
        ),
        ({"holder_answer": {"answer": "maybe", "source": "x"}}, "holder_answer.answer", ""),
    ],
    ids=["unknown-agreement", "unknown-contract", "wrong-contract", "bad-answer"],
)
def test_bad_request_tags_are_located(edit: dict[str, Any], path: str, words: str) -> None:
    data = _swapped_data()
    data["capacity_requests"][1].update(edit)
    problems = [(p.path or "", p.message) for p in validate_data(data).problems]
    assert any(p == f"capacity_requests[1].{path}" and words in m for p, m in problems), problems


# --------------------------------------------------------------------------- clause fields


def _with_clause_edits(edits: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data = _announced_data()
    for con in data["contracts"]:
        for cl in con["clauses"]:
            cl.update(edits.get(cl["id"], {}))
    return data


def _built(data: dict[str, Any]) -> Scenario:
    result = validate_data(data)
    assert result.scenario is not None, [p.render() for p in result.problems]
    return result.scenario


def _clause(sc: Scenario, clause_id: str) -> Any:
    return next(cl for _, cl in sc.clauses() if cl.id == clause_id)


def test_a_clause_ends_the_day_agi_is_declared() -> None:
    sc = _built(
        _with_clause_edits(
            {
                "api-exclusivity": {"ends_on_agi": "agi-clause"},
                "agi-clause": {"declared_on": "2027-03-01"},
            }
        )
    )
    excl = _clause(sc, "api-exclusivity")
    assert excl.in_force(date(2027, 2, 28))
    assert not excl.in_force(date(2027, 3, 1))
    from stargate.contracts.state import clause_state

    st = clause_state("microsoft-openai-2025", excl, date(2027, 3, 1))
    assert st.status == "terminated"
    assert "agi-clause" in st.reason
    assert "2027-03-01" in st.reason
    # and in an engine: API capacity is no longer bound to Azure after that day
    req = CapacityRequest.model_validate(
        {
            "id": "api-1",
            "requester": "openai",
            "workload_classes": ["api-inference"],
            "accelerators": {"count": 1000, "types": "any"},
            "term": {"start": "2027-06-01", "end": "2027-12-31"},
        }
    )
    before = Broker(sc).decide_capacity(req, date(2027, 2, 1), book=CapacityBook(sc))
    after = Broker(sc).decide_capacity(req, date(2027, 4, 1), book=CapacityBook(sc))
    assert before.exclusivity == ["api-exclusivity"]
    assert after.exclusivity == []


def test_with_a_verifier_only_verification_triggers() -> None:
    edits = {
        "api-exclusivity": {"ends_on_agi": "agi-clause"},
        "agi-clause": {"declared_on": "2027-03-01", "verified_by": "independent expert panel"},
    }
    sc = _built(_with_clause_edits(edits))
    assert _clause(sc, "api-exclusivity").in_force(date(2028, 1, 1))  # declared, not verified
    edits["agi-clause"]["verified_on"] = "2028-06-01"
    sc = _built(_with_clause_edits(edits))
    excl = _clause(sc, "api-exclusivity")
    assert excl.in_force(date(2028, 5, 31))
    assert not excl.in_force(date(2028, 6, 1))
    from stargate.contracts.state import describe

    assert "verified by independent expert panel on 2028-06-01" in describe(
        _clause(sc, "agi-clause")
    )


def test_an_agreement_that_adds_a_verifier_moves_the_trigger() -> None:
    """Declared in 2026; an agreement of 2025-10-28 requires verification (none yet)."""
    data = _with_clause_edits(
        {
            "api-exclusivity": {"ends_on_agi": "agi-clause"},
            "agi-clause": {"declared_on": "2026-03-01"},
        }
    )
    data["contracts"][0]["agreements"] = [
        _ag(
            "definitive",
            "2025-10-28",
            changes=[
                {"clause": "agi-clause", "action": "modify", "changes": {"verified_by": "panel"}}
            ],
        )
    ]
    sc = _built(data)
    assert _clause(sc, "api-exclusivity").in_force(date(2027, 1, 1))
    without = resolve_without(sc, ["definitive"]).scenario
    assert not _clause(without, "api-exclusivity").in_force(date(2027, 1, 1))


def test_ends_on_agi_must_name_an_agi_clause() -> None:
    data = _with_clause_edits({"api-exclusivity": {"ends_on_agi": "agi-clauze"}})
    problems = [(p.path, p.message, p.hint) for p in validate_data(data).problems]
    assert [(p, h) for p, _, h in problems if p and p.endswith("ends_on_agi")] == [
        ("contracts[0].clauses[1].ends_on_agi", "did you mean 'agi-clause'?")
    ]


def test_verified_on_needs_a_verifier() -> None:
    data = _with_clause_edits({"agi-clause": {"verified_on": "2028-01-01"}})
    paths = [p.path for p in validate_data(data).problems]
    assert "contracts[0].clauses[7].verified_on" in paths


def test_ip_rights_exclusive_and_revenue_share_cap() -> None:
    from stargate.contracts.state import describe

    sc = _built(
        _with_clause_edits(
            {
                "microsoft-ip-rights": {"exclusive": False},
                "revenue-share-to-microsoft": {"cap_usd": "38000000000"},
            }
        )
    )
    ip = _clause(sc, "microsoft-ip-rights")
    assert ip.exclusive is False
    assert "(not exclusive)" in describe(ip)
    rs = _clause(sc, "revenue-share-to-microsoft")
    assert str(rs.cap_usd) == "38000000000"
    assert "up to $38.0B in all" in describe(rs)
    announced = load_scenario(ANNOUNCED)
    assert _clause(announced, "microsoft-ip-rights").exclusive is True
    assert _clause(announced, "revenue-share-to-microsoft").cap_usd is None


# --------------------------------------------------------------------------- phases


def _with_phase_edits(edits: dict[str, dict[str, Any]]) -> Scenario:
    data = _announced_data()
    for site in data["sites"]:
        for ph in site.get("phases", []):
            ph.update(edits.get(ph["id"], {}))
    return _built(data)


CANCELLED = {
    "shackelford-1": {"announced": "2025-01-21", "cancelled": "2026-06-01"},  # before online
    "shackelford-2": {"cancelled": "2026-06-01"},  # a planned candidate
    "dona-ana-1": {"cancelled": "2028-01-01"},  # after it came online
}


def test_a_cancelled_phase_is_gone_from_scenario_show() -> None:
    sc = _with_phase_edits(CANCELLED)
    base = load_scenario(ANNOUNCED)
    day = date(2027, 6, 1)
    site = sc.site("shackelford")
    pool = next(p for p in site.pools if p.phase == "shackelford-1")
    assert base.site("shackelford").pool_online(pool, day)
    assert not site.pool_online(pool, day)
    shown = {s.id: s for s in snapshot(sc, day).sites}
    before = {s.id: s for s in snapshot(base, day).sites}
    assert before["shackelford"].online_power_mw == 700
    assert shown["shackelford"].online_power_mw == 0
    dona = sc.site("dona-ana")
    assert dona.online_power_mw(date(2027, 12, 31)) == 500
    assert dona.online_power_mw(date(2028, 1, 1)) == 0


def test_a_cancelled_phase_is_neither_stock_nor_a_candidate_for_the_planner() -> None:
    from stargate.plan.data import prepare

    def read(sc: Scenario) -> Any:
        return prepare(
            sc,
            horizon=(2025, 2030),
            period="year",
            without=[],
            budget_usd=None,
            supply_per_year=None,
        )

    base, cut = read(load_scenario(ANNOUNCED)), read(_with_phase_edits(CANCELLED))
    assert "shackelford-2" in {ph.phase for ph in base.phases}
    assert "shackelford-2" not in {ph.phase for ph in cut.phases}
    assert "shackelford-1" in {ph.phase for ph in base.fixed_phases}
    assert "shackelford-1" not in {ph.phase for ph in cut.fixed_phases}
    assert "shackelford-gb200-1" not in {p.pool for p in cut.fixed_pools}
    dona = next(p for p in cut.fixed_pools if p.pool == "dona-ana-gb200-1")
    assert dona.until == date(2027, 12, 31)


def test_a_cancelled_phase_is_not_held_by_the_simulator() -> None:
    from stargate.sim.held import own_capacity

    sc = _with_phase_edits(CANCELLED)
    held = {h.id: h for h in own_capacity(sc, sc.lab_id())}
    base = {h.id: h for h in own_capacity(load_scenario(ANNOUNCED), sc.lab_id())}
    assert "shackelford-gb200-1" in base
    assert "shackelford-gb200-1" not in held
    assert base["dona-ana-gb200-1"].end is None
    assert held["dona-ana-gb200-1"].end == date(2027, 12, 31)


def test_cancelled_before_announced_is_refused() -> None:
    data = _announced_data()
    data["sites"][0]["phases"][0].update({"announced": "2025-06-01", "cancelled": "2025-01-01"})
    problems = [p.path or "" for p in validate_data(data).problems]
    assert any(p.startswith("sites[0].phases[0]") for p in problems), problems

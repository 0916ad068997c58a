"""Agreements as amendments in every engine: ``--without AGREEMENT_ID`` voids the whole
agreement, so the terms before it hold, in ``place``, ``simulate``, ``plan`` and ``scenario
show`` alike.

The fixture is the default scenario with one agreement added on the Microsoft-OpenAI contract,
dated the day the ROFR starts: it ends ``azure-rofr`` and adds ``api-rofr``, a ROFR on API
inference only. With the agreement, the Abilene requests (training and ChatGPT) are out of any
ROFR's scope; without it, Azure's ROFR holds for them as in the default.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from stargate.broker.capacity import CapacityBook
from stargate.broker.engine import Broker
from stargate.contracts.state import resolve_without
from stargate.domain.model import CapacityRequest, Scenario
from stargate.errors import InputError
from stargate.scenario.loader import load_scenario, validate_data
from stargate.scenario.snapshot import snapshot

AGREEMENT = "swap-2025"
REQUEST = "abilene-phase-2"


def _with_agreement() -> Scenario:
    base = load_scenario(None)
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


def _broker_verdicts(sc: Scenario, without: list[str], request_id: str = REQUEST) -> set[str]:
    book = CapacityBook(sc)
    broker = Broker(sc, without=without)
    rows: list[dict[str, Any]] = []
    for dated in sorted(sc.capacity_requests, key=lambda r: r.date):
        req = CapacityRequest.model_validate(
            dated.model_dump(exclude={"date", "source"}, by_alias=False)
        )
        decision = broker.decide_capacity(req, dated.date, book=book, source="scheduled")
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
    default = load_scenario(None)
    with_it = _broker_verdicts(swapped, [])
    assert with_it == {"not_in_scope"}
    without_it = _broker_verdicts(swapped, [AGREEMENT])
    assert without_it == _broker_verdicts(default, [])
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

"""The right of first refusal, case by case (the truth table of the broker issue)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from stargate.broker import Broker, make_responder
from stargate.broker.responders import AcceptWithProbability, Offer
from stargate.domain.model import Scenario
from tests.broker.conftest import AT, req

MakeFleet = Callable[[Callable[[dict[str, Any]], None]], Scenario]


def decide(
    scenario: Scenario, responder: str = "accept-when-able", at: datetime = AT, **kw: Any
) -> Any:
    return Broker(scenario, responder=make_responder(responder)).decide(req(**kw), at)


def rofr_clause(data: dict[str, Any]) -> dict[str, Any]:
    clause: dict[str, Any] = data["contracts"][0]["clauses"][0]
    return clause


# -- scope --------------------------------------------------------------------------------


def test_out_of_scope_class_is_not_offered(fleet: Scenario) -> None:
    inference: dict[str, Any] = {
        "class": "inference",
        "kind": "inference",
        "duration_h": None,
        "period": {"start": "2026-01-01", "end": "2026-01-02"},
    }
    d = decide(fleet, **inference)
    assert d.rofr.applies is False
    assert d.rofr.offered is False


def test_other_requester_is_not_bound(make_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["parties"].append({"id": "other-lab", "name": "Other", "roles": ["ai_lab"]})

    d = decide(make_fleet(edit), requester="other-lab")
    assert d.rofr.applies is False
    assert d.provider == "campus"  # cheapest, free choice


# -- holder can meet: the answer decides ----------------------------------------------------


def test_holder_can_meet_and_accepts(fleet: Scenario) -> None:
    d = decide(fleet)
    assert d.rofr.applies
    assert d.rofr.holder_can_meet
    assert d.rofr.offered
    assert d.rofr.answer == "accept"
    assert d.placed
    assert d.provider == "holder"
    assert d.pool == "hold-h100"
    assert d.decided_by == "rofr"
    assert d.cost_usd == 100 * 10 * 10
    others = [c for c in d.candidates if c.provider != "holder"]
    assert others
    assert all(any(r.startswith("rofr_holder_first") for r in c.reasons) for c in others)


def test_holder_declines_releases_at_once(fleet: Scenario) -> None:
    d = decide(fleet, "decline-always")
    assert d.rofr.offered
    assert d.rofr.answer == "decline"
    assert not d.rofr.expired
    assert d.placed
    assert d.provider == "campus"
    assert d.start == AT
    assert d.decided_by.startswith("objective")
    hold = next(c for c in d.candidates if c.pool == "hold-h100")
    assert not hold.feasible
    assert any(r.startswith("rofr_declined") for r in hold.reasons)


def test_no_answer_expires_after_the_window(fleet: Scenario) -> None:
    d = decide(fleet, "no-answer")
    assert d.rofr.offered
    assert d.rofr.answer == "none"
    assert d.rofr.expired
    assert d.rofr.answered_at is None
    assert d.provider == "campus"
    assert d.start == AT + timedelta(hours=24)  # released only when the window closed


def test_late_answer_counts_as_no_answer(fleet: Scenario) -> None:
    d = decide(fleet, "accept-after:30")
    assert d.rofr.expired
    assert d.rofr.answer == "none"
    assert d.provider == "campus"


def test_answer_within_window_delays_the_start(fleet: Scenario) -> None:
    d = decide(fleet, "accept-after:5")
    assert d.rofr.answer == "accept"
    assert not d.rofr.expired
    assert d.rofr.answered_at == AT + timedelta(hours=5)
    assert d.provider == "holder"
    assert d.start == AT + timedelta(hours=5)


def test_release_delay_can_cost_the_deadline(fleet: Scenario) -> None:
    # 10 h of work, deadline in 30 h: fits at once, not after a 24 h wait + 10 h
    deadline = (AT + timedelta(hours=30)).isoformat()
    d = decide(
        fleet, "no-answer", deadline=deadline, accelerators={"count": 100, "types": ["h100"]}
    )
    assert d.rofr.offered
    assert d.rofr.expired
    assert not d.placed
    assert all(
        any(r.startswith(("deadline", "rofr_declined")) for r in c.reasons)
        for c in d.candidates
        if c.accelerator == "h100"
    )
    # a faster type still makes it after the wait
    fast = decide(fleet, "no-answer", deadline=deadline)
    assert fast.placed
    assert fast.accelerator == "b200"
    assert fast.start == AT + timedelta(hours=24)


def test_decline_above_price(fleet: Scenario) -> None:
    assert decide(fleet, "decline-above-price:5").rofr.answer == "decline"
    assert decide(fleet, "decline-above-price:10").rofr.answer == "accept"


def test_accept_with_probability_is_seeded() -> None:
    offer = Offer("r-7", "h", "c", __import__("decimal").Decimal(10), 1, 1.0, 24)
    answers = {AcceptWithProbability(0.5, seed=3).respond(offer).answer for _ in range(5)}
    assert len(answers) == 1  # the same offer and seed always get the same answer
    assert AcceptWithProbability(0.0).respond(offer).answer == "decline"
    assert AcceptWithProbability(1.0).respond(offer).answer == "accept"
    draws = [
        AcceptWithProbability(0.3, seed=1).respond(offer._replace(request_id=f"r{i}")).answer
        for i in range(2000)
    ]
    assert 0.25 < draws.count("accept") / len(draws) < 0.35


# -- holder cannot meet: released at once, naming the requirement ---------------------------


@pytest.mark.parametrize(
    ("overrides", "unmet"),
    [
        ({"accelerators": {"count": 2000, "types": "any"}}, ["capacity"]),
        ({"accelerators": {"count": 100, "types": ["b200"]}}, ["accelerator_type"]),
        ({"deadline": (AT + timedelta(hours=8)).isoformat()}, ["deadline"]),
        ({"max_price_usd_per_accelerator_hour": 9}, ["price"]),
    ],
    ids=["capacity", "accelerator_type", "deadline", "request-price-cap"],
)
def test_holder_cannot_meet(fleet: Scenario, overrides: dict[str, Any], unmet: list[str]) -> None:
    d = decide(fleet, **overrides)
    assert d.rofr.applies
    assert d.rofr.holder_can_meet is False
    assert d.rofr.unmet_requirements == unmet
    assert d.rofr.offered is False
    assert d.rofr.answer is None
    assert unmet[0] in d.explanation
    if d.placed:
        assert d.start == AT  # released at once: no waiting for an answer


def test_deadline_met_only_by_a_faster_rival(fleet: Scenario) -> None:
    # 10 h on h100 = 5 h on b200; a 6 h deadline only b200 meets
    d = decide(fleet, deadline=(AT + timedelta(hours=6)).isoformat())
    assert d.rofr.unmet_requirements == ["deadline"]
    assert d.placed
    assert d.accelerator == "b200"
    assert d.provider == "rival"


def test_clause_price_cap(make_fleet: MakeFleet) -> None:
    s = make_fleet(lambda data: rofr_clause(data).update(price_cap_usd_per_accelerator_hour=9))
    d = decide(s)
    assert d.rofr.unmet_requirements == ["price"]
    assert d.provider == "campus"


def test_requirements_not_listed_do_not_release(make_fleet: MakeFleet) -> None:
    # the clause counts only capacity: a price above the cap does not release the request
    def edit(data: dict[str, Any]) -> None:
        rofr_clause(data).update(requirements=["capacity"], price_cap_usd_per_accelerator_hour=5)

    d = decide(make_fleet(edit))
    assert d.rofr.holder_can_meet
    assert d.provider == "holder"


def test_holder_without_free_capacity(fleet: Scenario) -> None:
    broker = Broker(fleet, free={"hold-h100": 50})
    d = broker.decide(req(), AT)
    assert d.rofr.unmet_requirements == ["capacity"]
    hold = next(c for c in d.candidates if c.pool == "hold-h100")
    assert any(r.startswith("capacity: 50 free, 100 needed") for r in hold.reasons)


# -- when the clause is in force --------------------------------------------------------------


def test_not_yet_in_force(fleet: Scenario) -> None:
    d = decide(fleet, at=datetime(2024, 12, 31))
    assert d.rofr.applies is False


def test_expired_after_end_date(fleet: Scenario) -> None:
    assert decide(fleet, at=datetime(2027, 12, 31, 23)).rofr.applies is True
    d = decide(fleet, at=datetime(2028, 1, 1))
    assert d.rofr.applies is False
    assert d.provider == "campus"


def test_ended_by_amendment(make_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        rofr_clause(data)["amendments"] = [
            {"id": "end-rofr", "action": "terminate", "effective": {"start": "2026-04-27"}}
        ]

    s = make_fleet(edit)
    assert decide(s, at=datetime(2026, 4, 26)).rofr.applies is True
    d = decide(s, at=datetime(2026, 4, 27))
    assert d.rofr.applies is False
    assert d.provider == "campus"


def test_modified_by_amendment(make_fleet: MakeFleet) -> None:
    def edit(data: dict[str, Any]) -> None:
        rofr_clause(data)["amendments"] = [
            {
                "id": "cheaper-cap",
                "action": "modify",
                "effective": {"start": "2026-03-01", "end": "2026-06-30"},
                "changes": {"price_cap_usd_per_accelerator_hour": 9},
            }
        ]

    s = make_fleet(edit)
    assert decide(s, at=datetime(2026, 2, 1)).provider == "holder"
    during = decide(s, at=datetime(2026, 4, 1))
    assert during.rofr.unmet_requirements == ["price"]
    assert during.provider == "campus"
    assert decide(s, at=datetime(2026, 7, 1)).provider == "holder"


def test_without_switches_the_clause_off(fleet: Scenario) -> None:
    for sel in ("rofr", "right_of_first_refusal", "deal"):
        d = Broker(fleet, without=[sel]).decide(req(), AT)
        assert d.rofr.applies is False
        assert "rofr" in d.without
    assert Broker(fleet, without=["rofr"]).decide(req(), AT).provider == "campus"


def test_many_requests_consume_capacity_in_order(fleet: Scenario) -> None:
    first = req(id="first", accelerators={"count": 800, "types": ["h100"]})
    second = req(id="second", accelerators={"count": 800, "types": ["h100"]})
    a, b = Broker(fleet).decide_many([first, second], AT)
    assert a.pool == "hold-h100"  # the holder accepts the first
    assert b.rofr.unmet_requirements == ["capacity"]  # 200 left: it cannot meet the second
    assert b.pool == "campus-h100"
    hold = next(c for c in b.candidates if c.pool == "hold-h100")
    assert any(r.startswith("capacity: 200 free, 800 needed") for r in hold.reasons)

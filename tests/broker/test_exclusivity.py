"""Exclusivity is a hard constraint, and wins over everything, a released ROFR included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stargate.broker import Broker, make_responder
from stargate.domain.model import Scenario
from tests.broker.conftest import AT, req

MakeFleet = Callable[[Callable[[dict[str, Any]], None]], Scenario]

INFERENCE: dict[str, Any] = {
    "class": "inference",
    "kind": "inference",
    "duration_h": None,
    "period": {"start": "2026-01-01", "end": "2026-01-02"},
}


def test_exclusive_class_goes_only_to_its_provider(fleet: Scenario) -> None:
    d = Broker(fleet).decide(req(**INFERENCE), AT)
    assert d.exclusivity.applies
    assert d.exclusivity.provider == "rival"
    assert d.placed
    assert d.provider == "rival"  # although the campus is far cheaper
    assert d.decided_by == "excl"
    campus = next(c for c in d.candidates if c.provider == "campus")
    assert any(r.startswith("exclusivity") for r in campus.reasons)


def test_exclusive_provider_cannot_host_it_nowhere_else_either(fleet: Scenario) -> None:
    big = dict(INFERENCE, accelerators={"count": 9000, "types": "any"})
    d = Broker(fleet).decide(req(**big), AT)
    assert not d.placed
    assert d.decided_by == "excl"
    assert "exclusive to rival" in d.explanation
    assert all(not c.feasible for c in d.candidates)


def test_inference_count_scales_with_throughput(fleet: Scenario) -> None:
    d = Broker(fleet).decide(
        req(**dict(INFERENCE, accelerators={"count": 100, "types": ["b200"]})), AT
    )
    assert d.count == 40  # 100 reference accelerators / throughput 2.5


def test_exclusivity_wins_over_a_released_rofr(make_fleet: MakeFleet) -> None:
    # training is also exclusive to rival: the ROFR holder cannot take it
    def edit(data: dict[str, Any]) -> None:
        data["contracts"][0]["clauses"][1]["workload_classes"] = ["inference", "training"]

    s = make_fleet(edit)
    for responder in ("accept-when-able", "decline-always", "no-answer"):
        d = Broker(s, responder=make_responder(responder)).decide(req(), AT)
        assert d.rofr.applies
        assert d.rofr.holder_can_meet is False
        assert d.rofr.unmet_requirements == ["exclusivity"]
        assert d.provider == "rival", responder
    free = Broker(s, without=["excl"]).decide(req(), AT)
    assert free.provider == "holder"  # without exclusivity the holder takes it again

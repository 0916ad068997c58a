"""Invariants of the broker over random requests, capacities and answers (hypothesis)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from stargate.broker import Broker, Request, make_responder
from stargate.domain.model import Scenario
from tests.broker.conftest import AT, build, fleet_data

FLEET = build(fleet_data())
POOLS = ["hold-h100", "rival-h100", "rival-b200", "campus-h100"]
HOLDER_POOLS = {"hold-h100"}
RESPONDERS = [
    "accept-when-able",
    "decline-always",
    "no-answer",
    "accept-after:3",
    "accept-after:40",
    "accept-with-probability:0.5",
    "decline-above-price:10.5",
]


@st.composite
def requests(draw: st.DrawFn) -> Request:
    cls = draw(st.sampled_from(["training", "research", "inference"]))
    data: dict[str, Any] = {
        "id": f"r{draw(st.integers(0, 10**6))}",
        "requester": "lab",
        "class": cls,
        "kind": "inference" if cls == "inference" else "training",
        "accelerators": {
            "count": draw(st.integers(1, 6000)),
            "types": draw(st.sampled_from(["any", ["h100"], ["b200"], ["h100", "b200"]])),
        },
    }
    if cls == "inference":
        start = AT + timedelta(hours=draw(st.integers(0, 48)))
        data["period"] = {"start": start, "end": start + timedelta(hours=draw(st.integers(1, 200)))}
    else:
        data["duration_h"] = draw(st.floats(0.5, 500, allow_nan=False))
        if draw(st.booleans()):
            data["deadline"] = AT + timedelta(hours=draw(st.integers(1, 1000)))
    if draw(st.booleans()):
        data["max_price_usd_per_accelerator_hour"] = draw(st.sampled_from([0.5, 9, 10.5, 30]))
    return Request.model_validate(data)


frees = st.fixed_dictionaries({p: st.integers(0, 20000) for p in POOLS})


def broker(free: dict[str, int], responder: str, **kw: Any) -> Broker:
    return Broker(FLEET, free=free, responder=make_responder(responder, seed=7), **kw)


@settings(max_examples=300, deadline=None)
@given(requests(), frees, st.sampled_from(RESPONDERS))
def test_placement_respects_capacity_and_exclusivity(
    r: Request, free: dict[str, int], responder: str
) -> None:
    b = broker(free, responder)
    d = b.decide(r, AT)
    if d.placed:
        assert d.pool is not None
        assert d.count is not None
        assert d.count <= free[d.pool]  # never exceeds the free capacity
        assert b.free_capacity()[d.pool] == free[d.pool] - d.count  # and consumes it
        if d.exclusivity.applies:
            assert d.provider == d.exclusivity.provider
        if r.deadline is not None:
            assert d.finish is not None
            assert d.finish <= r.deadline
        if r.max_price_usd_per_accelerator_hour is not None:
            chosen = next(c for c in d.candidates if c.chosen)
            assert chosen.price_usd_per_accelerator_hour is not None
            assert chosen.price_usd_per_accelerator_hour <= r.max_price_usd_per_accelerator_hour
    else:
        assert b.free_capacity() == free
    if r.workload_class == "inference":
        assert d.exclusivity.applies
        assert not d.placed or d.provider == "rival"


@settings(max_examples=300, deadline=None)
@given(requests(), frees, st.sampled_from(RESPONDERS))
def test_holder_that_can_meet_and_accepts_is_never_bypassed(
    r: Request, free: dict[str, int], responder: str
) -> None:
    d = broker(free, responder).decide(r, AT)
    if d.rofr.applies and d.rofr.holder_can_meet and d.rofr.answer == "accept":
        assert d.placed
        assert d.pool in HOLDER_POOLS
        assert d.decided_by == d.rofr.clause
    if d.placed and d.pool not in HOLDER_POOLS and d.rofr.applies:
        assert (not d.rofr.holder_can_meet) or d.rofr.answer in ("decline", "none")


@settings(max_examples=200, deadline=None)
@given(requests(), frees, st.sampled_from(RESPONDERS))
def test_identical_inputs_give_identical_decisions(
    r: Request, free: dict[str, int], responder: str
) -> None:
    one = broker(free, responder).decide(r, AT).model_dump_json()
    two = broker(free, responder).decide(r, AT).model_dump_json()
    assert one == two


@settings(max_examples=300, deadline=None)
@given(requests(), frees, st.sampled_from(RESPONDERS))
def test_without_rofr_is_never_dearer(r: Request, free: dict[str, int], responder: str) -> None:
    with_rofr = broker(free, responder).decide(r, AT)
    without = broker(free, responder, without=["rofr"]).decide(r, AT)
    if with_rofr.placed:
        assert without.placed
        assert without.cost_usd is not None
        assert with_rofr.cost_usd is not None
        assert without.cost_usd <= with_rofr.cost_usd


def test_fast_path_agrees_with_the_explained_decision(fleet: Scenario) -> None:
    import random

    rng = random.Random(3)
    for k in range(200):
        r = Request.model_validate(
            {
                "id": f"q{k}",
                "requester": "lab",
                "class": rng.choice(["training", "research"]),
                "kind": "training",
                "accelerators": {"count": rng.randint(1, 3000), "types": "any"},
                "duration_h": rng.uniform(1, 100),
            }
        )
        a = Broker(fleet).choose(r, AT)
        b = Broker(fleet).decide(r, AT)
        pool = None if a.pool is None else Broker(fleet).index.pool_ids[a.pool]
        assert pool == b.pool

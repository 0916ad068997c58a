"""The procurement replay (stargate.sim.procure): dated requests on their day, top-ups for the
gap with headroom and lead time, reservations that end, own capacity, unmet demand reported,
groups for exclusivity, and the summary fields built from it."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from stargate.broker import capacity as broker_capacity
from stargate.broker.capacity import CapacityDecision
from stargate.domain.model import Scenario
from stargate.errors import InputError
from stargate.sim.api import simulate
from stargate.sim.procure import (
    Procurement,
    ProcurementOptions,
    allocate,
    groups_on,
    periods_between,
    replay,
)
from stargate.sim.workload import JobTable
from tests.sim.factory import HOURS, exclusive_serve, rofr, world

FIRST, LAST = date(2025, 1, 1), date(2027, 12, 31)


def run_replay(sc: Scenario, **kw: Any) -> Procurement:
    return replay(sc, FIRST, LAST, **kw)


def top_ups(proc: Procurement) -> list[tuple[str, date, int, str | None]]:
    """(request, decided on, accelerators, provider) of the top-ups' rows."""
    return [
        (r.request_id, r.decided_on, r.accelerators, r.provider)
        for r in proc.rows
        if r.source == "demand"
    ]


def held_on(proc: Procurement, day: str) -> dict[str, int]:
    return {
        h.provider: h.accelerators for h in proc.capacity_held if h.period_end.isoformat() == day
    }


def verdicts_by_request(verdicts: Sequence[str]) -> Callable[..., CapacityDecision]:
    """The broker's ``decide_capacity``, with the rows of the k-th request it decides given
    the verdict ``verdicts[k % len]``: the simulator's counting, tested apart from the
    broker's ROFR."""
    real = broker_capacity.decide_capacity
    seen: dict[str, int] = {}

    def fake(*args: Any, **kw: Any) -> CapacityDecision:
        dec = real(*args, **kw)
        k = seen.setdefault(dec.request.id, len(seen))
        verdict = verdicts[k % len(verdicts)]
        dec.rows = [dataclasses.replace(r, rofr=verdict) for r in dec.rows]  # type: ignore[arg-type]
        return dec

    return fake


# --------------------------------------------------------------------------- periods, groups


def test_periods_are_calendar_months_or_quarters_cut_to_the_span() -> None:
    months = periods_between(date(2025, 1, 15), date(2025, 3, 10), "month")
    assert months == [
        (date(2025, 1, 15), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 10)),
    ]
    quarters = periods_between(date(2025, 2, 1), date(2025, 12, 31), "quarter")
    assert [a for a, _ in quarters] == [date(2025, 2, 1), date(2025, 4, 1), date(2025, 7, 1),
                                        date(2025, 10, 1)]  # fmt: skip
    assert quarters[0][1] == date(2025, 3, 31)


def test_exclusive_groups_take_their_providers_capacity_first() -> None:
    sc = world(clauses=[exclusive_serve()])
    groups = groups_on(sc, date(2025, 1, 1), "lab", ["train", "serve"], frozenset())
    assert [(g.exclusive, g.classes) for g in groups] == [("other", ("serve",)), (None, ("train",))]
    need = {groups[0].key: 30.0, groups[1].key: 100.0}
    got = allocate(groups, need, {"other": 50.0, "cloud": 60.0})
    # serve takes 30 of other's 50; train gets other's other 20 and cloud's 60
    assert got == {groups[0].key: 30.0, groups[1].key: 80.0}
    # groups bound by nothing share what there is in proportion to their need
    free = groups_on(world(clauses=[rofr()]), date(2025, 1, 1), "lab", ["train", "serve"],
                     frozenset())  # fmt: skip
    assert [(g.rofr, g.classes) for g in free] == [(None, ("serve",)), ("cloud-rofr", ("train",))]
    shared = allocate(free, {free[0].key: 50.0, free[1].key: 150.0}, {"cloud": 100.0})
    assert shared == {free[0].key: 25.0, free[1].key: 75.0}
    # switched off, the clause groups nothing
    off = groups_on(sc, date(2025, 1, 1), "lab", ["train", "serve"], frozenset({"serve-on-other"}))
    assert [(g.exclusive, g.classes) for g in off] == [(None, ("train", "serve"))]


# --------------------------------------------------------------------------- the replay


def test_a_dated_request_is_placed_on_its_day_and_held_for_its_term() -> None:
    request = {
        "id": "deal-1", "date": "2025-03-15", "requester": "lab", "workload_classes": ["train"],
        "accelerators": {"count": 50, "types": ["a"]},
        "term": {"start": "2025-06-01", "end": "2026-05-31"}, "providers": ["other"],
        "source": "test",
    }  # fmt: skip
    sc = world(train={2025: 0.0, 2026: 0.0, 2027: 0.0}, other_pool=100, requests=[request])
    proc = run_replay(sc)
    (row,) = proc.rows
    assert (row.request_id, row.decided_on, row.source) == (
        "deal-1",
        date(2025, 3, 15),
        "scheduled",
    )
    assert (row.provider, row.accelerators, row.placed) == ("other", 50, True)
    assert (row.term_start, row.term_end) == (date(2025, 6, 1), date(2026, 5, 31))
    assert held_on(proc, "2025-05-31") == {}
    assert held_on(proc, "2025-06-30") == {"other": 50}
    assert held_on(proc, "2026-05-31") == {"other": 50}
    assert held_on(proc, "2026-06-30") == {}


def test_a_dated_request_after_the_run_is_not_placed() -> None:
    request = {
        "id": "late", "date": "2027-06-01", "requester": "lab", "workload_classes": ["train"],
        "accelerators": {"count": 5}, "term_years": 1, "source": "test",
    }  # fmt: skip
    sc = world(train={2025: 0.0}, other_pool=100, requests=[request])
    assert replay(sc, FIRST, date(2026, 12, 31)).rows == []
    assert [r.request_id for r in replay(sc, FIRST, LAST).rows] == ["late"]


def test_the_gap_is_topped_up_with_headroom_for_the_period_the_lead_time_reaches() -> None:
    sc = world(train={2025: 100, 2026: 100, 2027: 100}, cloud_pool=1000)
    proc = run_replay(sc)
    # the first period also covers those up to its lead time (three months): one request
    # for January, which covers February to April too; each later year, on 1 October
    assert top_ups(proc) == [
        ("demand-2025-01-01-1", date(2025, 1, 1), 110, "cloud"),
        ("demand-2026-01-01-1", date(2025, 10, 1), 110, "cloud"),
        ("demand-2027-01-01-1", date(2026, 10, 1), 110, "cloud"),
    ]
    request = proc.requests["demand-2026-01-01-1"]
    assert request.term is not None
    assert (request.term.start, request.term.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert request.accelerators is not None
    assert request.accelerators.unit == "reference"
    assert request.providers == ["cloud", "other"]  # every seller, never the lab's own
    assert proc.unmet == []
    assert held_on(proc, "2025-06-30") == {"cloud": 110}


def test_headroom_and_lead_time_can_be_changed_from_python() -> None:
    sc = world(train={2025: 100, 2026: 100, 2027: 100}, cloud_pool=1000)
    opts = ProcurementOptions(headroom=0.5, lead_time_months=2, term_months=24)
    proc = run_replay(sc, options=opts)
    assert top_ups(proc) == [
        ("demand-2025-01-01-1", date(2025, 1, 1), 150, "cloud"),
        ("demand-2027-01-01-1", date(2026, 11, 1), 150, "cloud"),
    ]
    with pytest.raises(InputError, match="headroom") as exc:
        run_replay(sc, options=ProcurementOptions(headroom=-1))
    assert exc.value.problems[0].path == "procurement.headroom"
    with pytest.raises(InputError, match="term_months"):
        run_replay(sc, options=ProcurementOptions(term_months=0))


def test_quarterly_procurement_decides_on_quarter_starts() -> None:
    sc = world(train={2025: 100, 2026: 200, 2027: 200}, cloud_pool=1000)
    proc = run_replay(sc, every="quarter")
    assert {d.month for _, d, _, _ in top_ups(proc)} <= {1, 4, 7, 10}
    assert [(r, d) for r, d, _, _ in top_ups(proc)][:2] == [
        ("demand-2025-01-01-1", date(2025, 1, 1)),
        ("demand-2026-01-01-1", date(2025, 10, 1)),
    ]
    assert {h.period_end.month for h in proc.capacity_held} <= {3, 6, 9, 12}


def test_a_reservation_that_ends_is_replaced_when_the_lead_time_reaches_its_end() -> None:
    start = {
        "id": "start-res", "holder": "lab", "provider": "cloud", "site": "cloud-east",
        "accelerator": "a", "accelerators": 200,
        "term": {"start": "2024-01-01", "end": "2025-06-30"}, "source": "test",
    }  # fmt: skip
    sc = world(cloud_pool=1000, reservations=[start])
    proc = run_replay(sc)
    assert top_ups(proc)[0] == ("demand-2025-07-01-1", date(2025, 4, 1), 110, "cloud")
    assert held_on(proc, "2025-06-30") == {"cloud": 200}
    assert held_on(proc, "2025-07-31") == {"cloud": 110}


def test_a_job_on_a_reservation_that_ends_moves_to_what_the_lab_still_holds() -> None:
    start = {
        "id": "start-res", "holder": "lab", "provider": "cloud", "site": "cloud-east",
        "accelerator": "a", "accelerators": 200,
        "term": {"start": "2024-01-01", "end": "2025-06-30"}, "source": "test",
    }  # fmt: skip
    sc = world(cloud_pool=1000, reservations=[start])
    day = 86400.0
    jobs = JobTable(
        arrival_s=np.array([178 * day]),  # 2025-06-28
        duration_s=np.array([5 * day]),
        gpus=np.array([50.0]),
        allowed=[None],
        workload_class=["train"],
        source="hand",
    )
    r = simulate(sc, [jobs], horizon="2025..2025")
    s = r.state
    assert s.restarts[0] == 1  # killed when the term ended, at midnight after 2025-06-30
    assert r.jobs["status"][0] == "completed"
    assert s.pools.ids[int(s.pool[0])].startswith("demand-2025-07-01-1")  # its reservation
    # resumed from its last checkpoint (hourly) at once: three days run, two left
    assert s.finish_s[0] == pytest.approx(181 * day + 2 * day)
    c = r.conservation()
    assert c["integrated_accelerator_hours"] == pytest.approx(c["per_job_accelerator_hours"])
    assert "ended" in set(r.events["event"].to_list())


def test_own_capacity_counts_from_the_day_it_is_online_and_planned_pools_do_not() -> None:
    own = [
        {"id": "own-a", "accelerator": "a", "count": 80, "available_from": "2025-01-01"},
        {"id": "own-b", "accelerator": "b", "count": 500, "available_from": "2026-01-01"},
        {"id": "own-plan", "accelerator": "a", "count": 1000, "available_from": "2025-01-01",
         "status": "planned"},
    ]  # fmt: skip
    sc = world(train={2025: 100, 2026: 100, 2027: 100}, cloud_pool=1000, own_pools=own)
    proc = run_replay(sc)
    # 2025: 110 needed, 80 own -> 30 bought; from 2026 own-b's 500 (1,000 reference) cover it
    assert top_ups(proc) == [("demand-2025-01-01-1", date(2025, 1, 1), 30, "cloud")]
    assert held_on(proc, "2025-12-31") == {"cloud": 30, "own": 80}
    assert held_on(proc, "2026-12-31") == {"own": 580}
    assert {h.id for h in proc.held if h.kind == "own"} == {"own-a", "own-b"}


def test_demand_nobody_can_offer_is_unmet_and_reported_never_dropped() -> None:
    model = [{"accelerator": "a", "start": "2025-01-01", "accelerators": 60, "per": "year"}]
    sc = world(train={2025: 100, 2026: 100, 2027: 100}, cloud_model=model)
    proc = run_replay(sc)
    placed = [r for r in proc.rows if r.placed]
    assert {r.accelerators for r in placed} == {60}  # each year's flow, sold out
    assert any(not r.placed for r in proc.rows)
    assert len(proc.unmet) == 36  # every month of the three years
    for u in proc.unmet:
        assert u.workload_class == "train"
        assert u.demand_reference_accelerators == pytest.approx(100)
        assert u.held_reference_accelerators == pytest.approx(60)
        assert u.unmet_reference_accelerators == pytest.approx(40)


def test_classes_bound_to_a_provider_are_procured_there_on_their_own() -> None:
    sc = world(
        train={2025: 100}, serve={2025: 20}, cloud_pool=1000, other_pool=1000,
        clauses=[exclusive_serve()],
    )  # fmt: skip
    proc = run_replay(sc, options=ProcurementOptions(headroom=0.0))
    by_request = {rid: req for rid, req in proc.requests.items()}
    serve = next(r for r in by_request.values() if r.workload_classes == ["serve"])
    train = next(r for r in by_request.values() if r.workload_classes == ["train"])
    assert serve.providers == ["other"]
    assert train.providers == ["cloud", "other"]
    rows = {r.request_id: r for r in proc.rows}
    assert (rows[serve.id].provider, rows[serve.id].accelerators) == ("other", 20)
    assert (rows[train.id].provider, rows[train.id].accelerators) == ("cloud", 100)


# --------------------------------------------------------------------------- through simulate


def _constant_jobs(gpus: float, days: float) -> JobTable:
    return JobTable(
        arrival_s=np.array([0.0]),
        duration_s=np.array([days * 86400.0]),
        gpus=np.array([gpus]),
        allowed=[None],
        workload_class=["train"],
        source="hand",
    )


def test_without_a_forecast_the_lab_procures_for_the_workload() -> None:
    sc = world(forecast=False, cloud_pool=1000)
    r = simulate(sc, [_constant_jobs(100, 365)], horizon="2025..2025")
    assert r.summary.run.procure_from == "workload"
    assert r.summary.run.procure_every == "month"
    first = r.summary.procurement[0] if r.summary.procurement else None
    assert first is not None
    assert first.request == "demand-2025-01-01-1"
    assert first.accelerators == 110  # 100 busy all year, and 10% headroom
    assert r.summary.jobs.completed == 1
    with pytest.raises(InputError, match="no demand forecast") as exc:
        simulate(sc, [_constant_jobs(100, 365)], horizon="2025..2025", procure_from="forecast")
    assert exc.value.problems[0].path == "procure_from"


def test_spend_is_committed_used_and_idle_by_year_and_provider() -> None:
    sc = world(train={2025: 100}, cloud_pool=1000)
    r = simulate(sc, [_constant_jobs(10, 100 / 24)], horizon="2025..2025")
    (spend,) = r.summary.spend_by_year or []
    assert (spend.year, spend.provider) == (2025, "cloud")
    assert Decimal(spend.committed_usd) == Decimal(110 * HOURS * 3)  # 110 a at $3, all year
    assert Decimal(spend.used_usd) == Decimal("3000.00")  # 10 a for 100 h at $3
    assert Decimal(spend.idle_usd) == Decimal(spend.committed_usd) - Decimal(spend.used_usd)
    assert spend.committed_usd.endswith(".00")


def test_rofr_counts_capacity_requests_with_volumes_and_years(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "stargate.sim.procure.decide_capacity",
        verdicts_by_request(["accepted", "declined", "released_unmet"]),
    )
    sc = world(train={2025: 100, 2026: 200, 2027: 300}, cloud_pool=1000)
    ro = simulate(sc, [_constant_jobs(1, 1)], horizon="2025..2027").summary.rofr
    # three top-ups (2025, 2026, 2027): accepted, declined, released at once
    assert (ro.offered, ro.accepted, ro.declined, ro.expired, ro.released_unmet) == (2, 1, 1, 0, 1)
    assert ro.reference_accelerators is not None
    assert ro.power_mw is not None
    assert ro.reference_accelerators.accepted == pytest.approx(110)
    # each year's reservation ends with it: the next top-up is for the whole year's demand
    assert ro.reference_accelerators.declined == pytest.approx(220)
    assert ro.reference_accelerators.offered == pytest.approx(330)
    assert ro.reference_accelerators.released == pytest.approx(330)
    assert ro.power_mw.accepted == pytest.approx(110 * 1000 / 1e6)
    # by the year of decision: the 2026 top-up is decided on 2025-10-01, 2027's in 2026
    assert [(y.year, y.offered, y.released_unmet) for y in ro.by_year or []] == [
        (2025, 2, 0),
        (2026, 0, 1),
    ]


def test_fleet_runs_have_no_procurement_and_scenario_runs_have_all_of_it() -> None:
    fleet = json.loads(simulate(None, ["synthetic?jobs=20&seed=1"], "pool:64").summary_json())
    for key in ("procurement", "capacity_held", "spend_by_year", "unmet_demand"):
        assert key not in fleet
    assert "by_year" not in fleet["rofr"]
    assert "procure_every" not in fleet["run"]
    sc = world(train={2025: 10}, cloud_pool=100)
    data = json.loads(simulate(sc, [_constant_jobs(1, 1)], horizon="2025..2025").summary_json())
    for key in ("procurement", "capacity_held", "spend_by_year", "unmet_demand"):
        assert isinstance(data[key], list)
    row = data["procurement"][0]
    for key in ("date", "provider", "site", "accelerator", "accelerators",
                "reference_accelerators", "power_mw", "term_end",
                "price_usd_per_accelerator_hour", "rofr", "decided_by", "source"):  # fmt: skip
        assert key in row, key
    assert set(data["capacity_held"][0]) == {
        "period_end", "provider", "accelerators", "reference_accelerators", "power_mw",
        "by_site",
    }  # fmt: skip
    assert set(data["spend_by_year"][0]) == {
        "year", "provider", "committed_usd", "used_usd", "idle_usd", "committed_by_site_usd",
    }  # fmt: skip
    # the parts by site add up to the provider's row
    for h in data["capacity_held"]:
        assert h["by_site"], h
        assert sum(v["accelerators"] for v in h["by_site"].values()) == h["accelerators"]
        assert sum(v["power_mw"] for v in h["by_site"].values()) == pytest.approx(h["power_mw"])
    for y in data["spend_by_year"]:
        parts = [Decimal(v) for v in y["committed_by_site_usd"].values()]
        assert sum(parts, Decimal(0)) == Decimal(y["committed_usd"]), y
    assert set(data["rofr"]) >= {"by_year", "reference_accelerators", "power_mw"}


def test_procurement_flags_are_refused_on_a_fleet_and_checked_on_a_scenario() -> None:
    with pytest.raises(InputError, match="scenario's own fleet") as exc:
        simulate(None, ["synthetic?jobs=5"], "pool:8", procure_every="month")
    assert exc.value.problems[0].path == "procure_every"
    with pytest.raises(InputError, match="unknown procurement period") as exc:
        simulate(world(), [_constant_jobs(1, 1)], procure_every="week")
    assert exc.value.problems[0].path == "procure_every"
    assert "quarter" in (exc.value.problems[0].expected or "")
    with pytest.raises(InputError, match="unknown procurement source") as exc:
        simulate(world(), [_constant_jobs(1, 1)], procure_from="crystal-ball")
    assert exc.value.problems[0].path == "procure_from"


def test_the_replay_is_the_same_for_the_same_inputs() -> None:
    sc = world(train={2025: 100, 2026: 250, 2027: 400}, cloud_pool=300, other_pool=400)
    a, b = run_replay(sc), run_replay(sc)
    assert [r.to_dict() for r in a.rows] == [r.to_dict() for r in b.rows]
    assert a.unmet == b.unmet
    assert math.isclose(sum(u.unmet_reference_accelerators for u in a.unmet),
                        sum(u.unmet_reference_accelerators for u in b.unmet))  # fmt: skip


def test_a_lab_that_holds_nothing_rejects_its_jobs_and_says_why() -> None:
    sc = world(train={2025: 0.0})  # no demand, no seller with capacity, nothing of its own
    r = simulate(sc, [_constant_jobs(4, 1)], horizon="2025..2025")
    s = r.summary
    assert s.run.pools == 0
    assert s.jobs.rejected == 1
    assert s.jobs.rejected_by_reason == {"no pool can ever host it": 1}
    assert s.cost_usd == 0.0
    assert s.spend_by_year == []
    assert s.procurement == []

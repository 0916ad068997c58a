"""The simulator against an independent brute-force reference, and its invariants."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stargate.sim.api import simulate
from stargate.sim.pools import GRANULARITIES, Granularity
from stargate.sim.result import SimResult
from stargate.sim.synthetic import generate
from stargate.sim.traces import load_alibaba_jobs, pool_fleet
from stargate.sim.workload import FleetPool, FleetSpec, JobTable
from tests.conftest import ANNOUNCED

#: The scenario of the mechanics tests that need a scenario's fleet, outages and clauses: the
#: fixture of the terms as announced in 2025, so these tests do not move with the default's data.
SCENARIO = str(ANNOUNCED)


def _data(r: SimResult) -> dict[str, Any]:
    """The summary as JSON data, indexed freely by key (each test knows the shape it reads)."""
    return r.to_dict()


def reference(jobs: JobTable, capacity: float, policy: str) -> tuple[np.ndarray, np.ndarray]:
    """A deliberately naive simulation of one pool: no heap, no buckets, O(n²).

    At each instant: every finish of that instant frees its accelerators, the queue is scanned
    once; then each arrival of that instant, in order, joins the queue and the queue is scanned.
    fifo starts jobs from the head while the head fits; greedy starts, in queue order, every job
    that fits.
    """
    n = len(jobs)
    start = np.full(n, np.nan)
    finish = np.full(n, np.nan)
    queue: list[int] = []
    running: list[tuple[float, int]] = []
    used = 0.0
    times = sorted(set(jobs.arrival_s.tolist()))
    arrivals_at: dict[float, list[int]] = {}
    for j in range(n):
        arrivals_at.setdefault(float(jobs.arrival_s[j]), []).append(j)

    def scan(now: float) -> None:
        nonlocal used
        if policy == "fifo":
            while queue and used + jobs.gpus[queue[0]] <= capacity + 1e-9:
                j = queue.pop(0)
                used += jobs.gpus[j]
                start[j] = now
                finish[j] = now + jobs.duration_s[j]
                running.append((finish[j], j))
        else:
            for j in list(queue):
                if used + jobs.gpus[j] <= capacity + 1e-9:
                    queue.remove(j)
                    used += jobs.gpus[j]
                    start[j] = now
                    finish[j] = now + jobs.duration_s[j]
                    running.append((finish[j], j))

    pending = list(times)
    while pending or running:
        t_arr = pending[0] if pending else math.inf
        t_fin = min(running)[0] if running else math.inf
        now = min(t_arr, t_fin)
        ended = [r for r in running if r[0] <= now]
        if ended:
            for r in ended:
                running.remove(r)
                used -= jobs.gpus[r[1]]
            scan(now)
        if pending and pending[0] == now:
            pending.pop(0)
            for j in arrivals_at[now]:
                queue.append(j)
                scan(now)
    return start, finish


def _one_pool(jobs: JobTable, capacity: int, policy: str) -> Any:
    fleet = FleetSpec(f"pool:{capacity}", [FleetPool("pool", "any", capacity, 1)], any_type=True)
    return simulate(None, [jobs], fleet, policy=policy).state


@pytest.mark.parametrize("policy", ["fifo", "greedy"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_reference_on_synthetic(policy: str, seed: int) -> None:
    jobs = generate(jobs=1500, seed=seed, fleet_accelerators=64, utilization=0.95)
    state = _one_pool(jobs, 64, policy)
    start, finish = reference(jobs, 64, policy)
    assert np.allclose(state.start_s, start, rtol=0, atol=1e-6)
    assert np.allclose(state.finish_s, finish, rtol=0, atol=1e-6)
    assert np.nanmax(state.start_s - jobs.arrival_s) > 0  # there was queueing to get right


@pytest.mark.parametrize("policy", ["fifo", "greedy"])
def test_matches_reference_on_alibaba(policy: str, shared_traces: Path) -> None:
    jobs = load_alibaba_jobs(
        shared_traces / "alibaba-gpu-2023" / "openb_pod_list_default.csv", limit=2500
    )
    state = _one_pool(jobs, 40, policy)
    start, finish = reference(jobs, 40, policy)
    assert np.allclose(state.start_s, start, rtol=0, atol=1e-6)
    assert np.allclose(state.finish_s, finish, rtol=0, atol=1e-6)


def test_policies_differ_and_keep_their_promises() -> None:
    jobs = generate(jobs=3000, seed=5, fleet_accelerators=32, utilization=0.9)
    waits = {}
    for policy in ("fifo", "greedy", "sjf", "easy"):
        s = _one_pool(jobs, 32, policy)
        assert (s.status == 3).all()  # everything completes
        waits[policy] = float(np.mean(s.start_s - jobs.arrival_s))
        if policy == "fifo":  # strict order: starts never overtake arrivals
            order = np.argsort(jobs.arrival_s, kind="stable")
            assert np.all(np.diff(s.start_s[order]) >= -1e-9)
    assert waits["greedy"] <= waits["fifo"]
    assert waits["sjf"] <= waits["greedy"]
    assert waits["easy"] <= waits["fifo"]


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_conservation_and_no_job_lost(granularity: Granularity) -> None:
    r = simulate(
        "stargate-2025",
        ["synthetic?jobs=3000&size_scale=64&seed=2"],
        horizon="2026-01-01..2026-03-31",
        granularity=granularity,
        seed=3,
    )
    s = _data(r)["jobs"]
    assert s["submitted"] == 3000
    assert (
        s["completed"] + s["rejected"] + s["running_at_end"] + s["queued_at_end"] == s["submitted"]
    )
    c = r.conservation()
    assert c["integrated_accelerator_hours"] == pytest.approx(
        c["per_job_accelerator_hours"], rel=1e-9
    )


def test_littles_law_on_a_long_run() -> None:
    """L = λW: the time-averaged number of jobs in the system (sampled at 2,000 instants from
    the per-job table) against the arrival rate times the mean time in system, over the middle
    of the run (away from the empty start and the drain at the end)."""
    rng = np.random.default_rng(11)
    n = 20000
    gpus = rng.choice([1.0, 2.0, 4.0], n)
    duration = rng.exponential(3600.0, n)
    rate = 0.8 * 64 / float(np.mean(gpus) * 3600.0)  # offered load: 80% of 64 accelerators
    jobs = JobTable(
        arrival_s=np.cumsum(rng.exponential(1 / rate, n)),
        duration_s=duration,
        gpus=gpus,
        allowed=[None] * n,
        workload_class=["research-training"] * n,
        source="poisson",
    )
    s = simulate(None, [jobs], "pool:64", policy="greedy").state
    arrival, finish = s.jobs.arrival_s, s.finish_s
    a, b = np.quantile(arrival, [0.1, 0.9])
    instants = np.linspace(a, b, 2000)
    in_system = [int(np.sum((arrival <= t) & (finish > t))) for t in instants]
    inside = (arrival >= a) & (arrival < b)
    lam = inside.sum() / (b - a)
    w = float(np.mean(finish[inside] - arrival[inside]))
    assert np.mean(in_system) == pytest.approx(lam * w, rel=0.1)


def test_same_seed_gives_byte_identical_summary(tmp_path: Path) -> None:
    kw: dict[str, Any] = {"horizon": "2026-01-01..2026-02-28", "seed": 7}
    a = simulate("stargate-2025", ["synthetic?jobs=2000&seed=4&size_scale=64"], **kw)
    b = simulate("stargate-2025", ["synthetic?jobs=2000&seed=4&size_scale=64"], **kw)
    assert a.summary_json() == b.summary_json()
    c = simulate("stargate-2025", ["synthetic?jobs=2000&seed=5&size_scale=64"], **kw)
    assert c.summary_json() != a.summary_json()
    json.loads(a.summary_json())


#: The lab's H100 at Azure in 2026: the starting reservation, held on azure-us, whose pool
#: azure-h100 is down 2026-03-02..03 in the fixture announced-2025.
AZURE_H100 = "azure-h100-2024"


def _on_azure_h100(r: SimResult, n: int) -> list[int]:
    return [j for j in range(n) if r.state.pools.ids[int(r.state.pool[j])] == AZURE_H100]


def test_outage_kills_and_restarts_jobs() -> None:
    jobs = JobTable(
        arrival_s=np.array([0.0, 0.0]),
        duration_s=np.array([10 * 86400.0] * 2),
        gpus=np.array([8.0, 8.0]),
        allowed=[("h100",), ("h100",)],
        workload_class=["research-training"] * 2,
        source="t",
    )
    # the H100 the lab holds at Azure are down 2026-03-02..03: start the jobs the day before
    sc = _with_checkpoints(876600.0)  # an interval longer than any job: no checkpoint is taken
    r = simulate(sc, [jobs], horizon="2026-03-01..2026-04-30")
    s = r.state
    on_h100 = _on_azure_h100(r, 2)
    assert on_h100 == [0, 1], "expected the H100 the lab holds at Azure"
    for j in on_h100:
        assert s.restarts[j] == 1
        assert s.wasted_acc_s[j] == pytest.approx(86400.0 * 8)
        assert s.start_s[j] == pytest.approx(3 * 86400.0)  # restarted when the pool came back
        # restarted from scratch: the whole ten days run again after the outage
        assert s.finish_s[j] == pytest.approx(13 * 86400.0)
    assert _data(r)["jobs"]["killed_runs"] == len(on_h100)
    lost = _data(r)["accelerator_hours"]["lost"]
    assert lost == pytest.approx(24.0 * 8 * len(on_h100))
    assert _data(r)["accelerator_hours"]["checkpointed"] == 0.0
    c = r.conservation()
    assert c["integrated_accelerator_hours"] == pytest.approx(c["per_job_accelerator_hours"])


def _with_checkpoints(interval_h: float | None) -> Any:
    from stargate.scenario.loader import load_scenario

    sc = load_scenario(ANNOUNCED)
    classes = [
        c.model_copy(update={"checkpoint_interval_h": interval_h}) for c in sc.workload_classes
    ]
    return sc.model_copy(update={"workload_classes": classes})


def _killed_jobs(sc: Any, start_h: float, horizon: str = "2026-03-01..2026-04-30") -> Any:
    """Two 8-GPU ten-day H100 jobs that start on the lab's Azure H100 ``start_h`` hours after
    2026-03-01 and are killed by the outage of 2026-03-02..03."""
    jobs = JobTable(
        arrival_s=np.array([start_h * 3600.0] * 2),
        duration_s=np.array([10 * 86400.0] * 2),
        gpus=np.array([8.0, 8.0]),
        allowed=[("h100",), ("h100",)],
        workload_class=["research-training"] * 2,
        source="t",
    )
    r = simulate(sc, [jobs], horizon=horizon)
    on_h100 = _on_azure_h100(r, 2)
    assert on_h100 == [0, 1], "expected the H100 the lab holds at Azure"
    return r, on_h100


@pytest.mark.parametrize("interval_h", [1.0, 4.0, 7.0])
def test_a_killed_job_with_checkpoints_loses_at_most_one_interval(interval_h: float) -> None:
    # started at 01:30: killed after 22.5 h of run time, at midnight
    r, on_h100 = _killed_jobs(_with_checkpoints(interval_h), 1.5)
    s = r.state
    ran_h = 22.5
    kept_h = math.floor(ran_h / interval_h) * interval_h
    for j in on_h100:
        assert s.restarts[j] == 1
        assert s.killed_run_s[j] == pytest.approx(ran_h * 3600.0)
        lost_h = s.wasted_acc_s[j] / 3600.0 / 8
        assert lost_h == pytest.approx(ran_h - kept_h)
        assert lost_h < interval_h
        # resumed when the pool came back (2026-03-04), with only the remaining work to do
        assert s.start_s[j] == pytest.approx(3 * 86400.0)
        assert s.finish_s[j] == pytest.approx(3 * 86400.0 + 10 * 86400.0 - kept_h * 3600.0)
    acc = _data(r)["accelerator_hours"]
    assert acc["lost"] == pytest.approx((ran_h - kept_h) * 8 * len(on_h100), abs=1e-3)
    assert acc["checkpointed"] == pytest.approx(kept_h * 8 * len(on_h100), abs=1e-3)
    assert acc["killed"] == pytest.approx(ran_h * 8 * len(on_h100), abs=1e-3)
    c = r.conservation()
    assert c["integrated_accelerator_hours"] == pytest.approx(c["per_job_accelerator_hours"])


def test_scenario_runs_checkpoint_by_default_and_fleet_runs_do_not() -> None:
    from stargate.sim.api import DEFAULT_CHECKPOINT_INTERVAL_H

    r, on_h100 = _killed_jobs(_with_checkpoints(None), 1.5)
    assert (r.state.checkpoint_s == DEFAULT_CHECKPOINT_INTERVAL_H * 3600.0).all()
    for j in on_h100:
        assert r.state.wasted_acc_s[j] / 3600.0 / 8 < DEFAULT_CHECKPOINT_INTERVAL_H
    fleet = simulate(None, [generate(jobs=50, seed=1)], "pool:64")
    assert (fleet.state.checkpoint_s == 0).all()


def test_wait_excludes_the_run_time_before_a_kill() -> None:
    r, on_h100 = _killed_jobs(_with_checkpoints(4.0), 1.5)
    jobs = r.jobs
    for j in on_h100:
        # arrived 01:30 on 03-01 and started at once; ran 22.5 h; waited out the outage (2 days)
        assert r.state.start_s[j] - r.state.jobs.arrival_s[j] == pytest.approx(70.5 * 3600.0)
        assert jobs["wait_s"][j] == pytest.approx(2 * 86400.0)
        assert jobs["killed_run_s"][j] == pytest.approx(22.5 * 3600.0)
    done = r.state.status == 3
    assert _data(r)["wait_s"]["mean"] == pytest.approx(
        float(np.mean(jobs["wait_s"].to_numpy()[done])), abs=1e-3
    )
    # the report's "Longest waits" ranks by waiting only: two days, not 2 days + 22.5 h
    from stargate.report.sim_html import render_report

    html = render_report(r)
    waits = html.split("Longest waits", 1)[1]
    assert "2.0 days" in waits
    assert "2.9 days" not in waits


def test_jobs_pass_no_rofr_in_a_scenario_run() -> None:
    """The ROFR acts when the lab procures capacity; jobs run on what it holds, so no job
    waits for an answer, whatever the responder."""
    r = simulate(
        "stargate-2025",
        ["synthetic?jobs=300&seed=1&size_scale=16"],
        horizon="2026-01-01..2026-03-31",
        responder="no-answer",
    )
    s = r.state
    assert (s.rofr == 0).all()
    assert np.allclose(s.ready_s, s.jobs.arrival_s)
    assert set(r.jobs["rofr"].unique()) == {""}


def test_without_rofr_the_procurement_never_names_the_clause() -> None:
    kw: dict[str, Any] = {"horizon": "2026-01-01..2026-03-31", "seed": 1}
    spec = ["synthetic?jobs=200&seed=1&size_scale=64"]
    free = _data(simulate(SCENARIO, spec, without=["rofr"], **kw))
    assert free["rofr"]["offered"] == 0
    assert free["rofr"]["released_unmet"] == 0
    rows = free["procurement"]
    assert rows
    assert {r["rofr"] for r in rows} == {"not_in_scope"}
    assert all(r["decided_by"] != "azure-rofr" for r in rows)
    assert free["run"]["without"] == ["azure-rofr"]


def test_jobs_run_only_on_the_capacity_the_lab_holds() -> None:
    r = simulate(
        SCENARIO,
        ["synthetic?jobs=500&seed=3&size_scale=256"],
        horizon="2025-09-01..2025-10-31",
    )
    s = r.state
    assert r.procurement is not None
    held = {h.id for h in r.procurement.held}
    # every pool of the job-level fleet is a reservation or an own pool the lab holds
    assert set(s.pools.ids) <= held
    # the OCI regions the lab holds nothing at never appear
    assert "oci-h100" not in s.pools.ids
    assert "oci-gb200" not in s.pools.ids


def test_pools_come_online_on_their_dates() -> None:
    r = simulate(
        SCENARIO,
        ["synthetic?jobs=2000&seed=3&size_scale=256"],
        horizon="2025-09-01..2025-10-31",
        without=["rofr"],
    )
    s = r.state
    abilene = [
        j
        for j in range(len(s.pool))
        if s.pool[j] >= 0 and s.pools.site[int(s.pool[j])] == "abilene"
    ]
    assert abilene
    online = (np.datetime64("2025-09-30") - np.datetime64("2025-09-01")).astype(int) * 86400
    assert all(s.start_s[j] >= online for j in abilene)


def test_oversized_jobs_are_rejected_with_a_reason() -> None:
    jobs = JobTable(
        arrival_s=np.array([0.0]),
        duration_s=np.array([60.0]),
        gpus=np.array([100.0]),
        allowed=[None],
        workload_class=["x"],
        source="t",
    )
    r = simulate(None, [jobs], pool_fleet(64))
    assert _data(r)["jobs"]["rejected"] == 1
    assert "larger than" in r.state.reject_reason[0]


def test_inference_attainment_and_sizing() -> None:
    from stargate.sim.synthetic import generate_inference

    demand = generate_inference(minutes=240, seed=2, scale=2000.0, workload_class="api-inference")
    r = simulate("stargate-2025", [demand], horizon="2026-01-01..2026-01-31")
    (cls,) = _data(r)["inference"]["classes"]
    assert cls["workload_class"] == "api-inference"
    assert cls["serving"]["provider"] == "azure"  # the API is exclusive to Azure
    assert 0.0 <= cls["slo_attainment"] <= 1.0
    # provisioned at 1.3 × the mean: most minutes covered, not all
    assert 0.5 < cls["slo_attainment"] <= 1.0
    per = cls["tokens_per_s_per_accelerator"]
    assert cls["accelerators_for_99pct"] * per >= cls["p99_tokens_per_s"]
    assert (cls["accelerators_for_99pct"] - 1) * per < cls["p99_tokens_per_s"]


def test_azure_trace_as_inference_demand(shared_traces: Path) -> None:
    r = simulate("stargate-2025", ["azure-llm-2023?scale=100"], horizon="2026-01-01..2026-01-31")
    (cls,) = _data(r)["inference"]["classes"]
    assert cls["minutes"] == 59  # one hour
    assert cls["workload_class"] == "chatgpt-inference"
    assert cls["provisioned_accelerators"] > 0


# --------------------------------------------------------------------------- the interface


SMALL = ["synthetic?jobs=60&size_scale=64&seed=4"]


def _summary(**kw: Any) -> str:
    return simulate(**kw).summary_json()


def test_a_scenario_by_name_path_or_object_gives_the_same_run() -> None:
    import stargate.scenario
    from stargate.scenario.loader import load_scenario

    kw: dict[str, Any] = {"workloads": SMALL, "horizon": "2026-01-01..2026-01-31"}
    path = Path(stargate.scenario.__file__).parent / "data" / "stargate-2025.yaml"
    by_name = _summary(scenario="stargate-2025", **kw)
    assert _summary(scenario=path, **kw) == by_name
    assert _summary(scenario=str(path), **kw) == by_name
    assert _summary(scenario=load_scenario("stargate-2025"), **kw) == by_name
    assert _summary(scenario=None, **kw) == by_name  # the default scenario


def test_a_scenario_of_another_type_is_refused_naming_the_parameter() -> None:
    from stargate.errors import InputError

    with pytest.raises(InputError) as e:
        simulate(42, SMALL)  # type: ignore[arg-type]
    assert e.value.problems[0].path == "scenario"
    assert "not a scenario: int" in str(e.value)


def test_a_horizon_in_years_dates_pairs_or_a_horizon_is_the_same_days() -> None:
    from datetime import date

    from stargate.domain.horizon import Horizon

    kw: dict[str, Any] = {"fleet": "pool:64", "workloads": ["synthetic?jobs=80&seed=3"]}
    by_dates = _summary(horizon="2026-01-01..2026-12-31", **kw)
    assert json.loads(by_dates)["run"]["end"].startswith("2027-01-01")
    for same in (
        "2026..2026",
        (2026, 2026),
        (date(2026, 1, 1), date(2026, 12, 31)),
        Horizon(date(2026, 1, 1), date(2026, 12, 31)),
    ):
        assert _summary(horizon=same, **kw) == by_dates, same
    # a scenario run in whole years, inside the scenario's own horizon
    r = simulate("stargate-2025", SMALL, horizon="2026..2026")
    assert _data(r)["run"]["start"].startswith("2026-01-01")


@pytest.mark.parametrize(
    ("kwargs", "parameter", "words"),
    [
        ({"policy": "nosuch"}, "policy", "unknown policy 'nosuch'"),
        ({"granularity": "rack"}, "granularity", "unknown granularity 'rack'"),
        ({"horizon": "2026-01-01"}, "horizon", "not a horizon"),
        ({"horizon": "2026..2025"}, "horizon", "ends before it starts"),
        ({"horizon": (1, 2, 3)}, "horizon", "not a horizon"),
        ({"horizon": "1800..1801"}, "horizon", "outside the range Stargate represents"),
        ({"price": "nan"}, "price", "not a price"),
        ({"workloads": ["synthtic"]}, "workloads", "did you mean 'synthetic'"),
        ({"workloads": []}, "workloads", "no workload given"),
        ({"workloads": [3]}, "workloads", "neither jobs nor inference demand"),
        ({"fleet": "alibaba-gpu-2032"}, "fleet", "did you mean"),
        ({"fleet": 3}, "fleet", "not a fleet"),
        ({"fleet": "pool:0"}, "fleet", "fleet size must be at least 1"),
    ],
)
def test_bad_arguments_name_the_parameter_not_a_flag(
    kwargs: dict[str, Any], parameter: str, words: str
) -> None:
    from stargate.errors import InputError

    kw: dict[str, Any] = {"fleet": "pool:8", "workloads": ["synthetic?jobs=5"], **kwargs}
    with pytest.raises(InputError) as e:
        simulate(**kw)
    assert words in str(e.value)
    assert [p.path for p in e.value.problems] == [parameter]


@pytest.mark.parametrize(
    ("kwargs", "parameter", "words"),
    [
        ({"responder": "nosuch"}, "responder", "unknown responder 'nosuch'"),
        ({"responder": "accept-after:-1"}, "responder", "accept-after"),
        ({"price": "2"}, "price", "a scenario's pools have their own"),
        ({"horizon": "2024-01-01..2026-03-31"}, "horizon", "lies outside the horizon"),
    ],
)
def test_bad_arguments_of_a_scenario_run_name_the_parameter(
    kwargs: dict[str, Any], parameter: str, words: str
) -> None:
    from stargate.errors import InputError

    with pytest.raises(InputError) as e:
        simulate(SCENARIO, ["synthetic?jobs=5"], **kwargs)
    assert words in str(e.value)
    assert [p.path for p in e.value.problems] == [parameter]
    assert "--" not in e.value.problems[0].message


def test_an_unknown_event_kind_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from stargate.errors import InternalError
    from stargate.sim import engine
    from stargate.sim.kernel import P_CAPACITY, Kernel

    class Haunted(Kernel):
        """A kernel holding an event of a kind the loop does not know."""

        def __init__(self, start_s: float = 0.0) -> None:
            super().__init__(start_s)
            self.schedule(1.0, P_CAPACITY, 99, None)

    monkeypatch.setattr(engine, "Kernel", Haunted)
    with pytest.raises(InternalError, match="unknown event kind 99"):
        simulate(None, ["synthetic?jobs=5"], "pool:8")

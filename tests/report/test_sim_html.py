"""The simulator's HTML report: one self-contained, escaped, deterministic page with a chart in
every chart section, the summary's key figures, and a comparison only when one is given."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import numpy as np
import pytest

from stargate.report import sim_html
from stargate.report.html import dur, num, pct, pp, usd
from stargate.report.sim_html import render_report
from stargate.sim import analysis
from stargate.sim.api import simulate
from stargate.sim.result import SimResult
from stargate.sim.workload import FleetPool, FleetSpec, InferenceDemand, JobTable

HORIZON = "2026-01-01..2026-03-31"
SCENARIO_JOBS = "synthetic?jobs=300&seed=1"
EVIL_JOB = "<script>alert('job')</script>"
EVIL_POOL = '<img src=x onerror="alert(1)">'
EVIL_FLEET = "<script>fleet</script>"
EVIL_CLASS = "<i>class</i>"
EVIL_REASON = "<b>bad & row</b>"


def hand_jobs(n: int = 40, seed: int = 0) -> JobTable:
    """Jobs on a 16-accelerator fleet that must queue, one too large ever to run, and names
    that are HTML."""
    rng = np.random.default_rng(seed)
    gpus = rng.choice([1.0, 2.0, 4.0, 8.0], n)
    gpus[-1] = 64.0  # larger than the fleet: rejected
    return JobTable(
        arrival_s=np.sort(rng.uniform(0, 20 * 86400.0, n)),
        duration_s=rng.uniform(600.0, 2 * 86400.0, n),
        gpus=gpus,
        allowed=[None] * n,
        workload_class=[EVIL_CLASS] * n,
        source="hand",
        name=[f"{EVIL_JOB}-{i}" for i in range(n)],
        skipped={EVIL_REASON: 3},
    )


def hand_fleet() -> FleetSpec:
    return FleetSpec(
        name=EVIL_FLEET,
        pools=[FleetPool(id=EVIL_POOL, accelerator="h100", nodes=2, per_node=8)],
        any_type=True,
    )


def hand_demand(minutes: int = 120) -> InferenceDemand:
    rng = np.random.default_rng(1)
    return InferenceDemand(
        prompt_tokens_per_s=rng.uniform(1000.0, 3000.0, minutes),
        output_tokens_per_s=rng.uniform(100.0, 500.0, minutes),
        requests_per_min=np.full(minutes, 10, dtype=np.int64),
        workload_class="chat",
        source="hand",
    )


@pytest.fixture(scope="module")
def fleet_run() -> SimResult:
    return simulate(None, [hand_jobs(), hand_demand()], hand_fleet(), price="1")


@pytest.fixture(scope="module")
def with_all() -> SimResult:
    return simulate("stargate-2025", [SCENARIO_JOBS], horizon=HORIZON)


@pytest.fixture(scope="module")
def without_rofr() -> SimResult:
    return simulate("stargate-2025", [SCENARIO_JOBS], horizon=HORIZON, without=["azure-rofr"])


def sections(html: str) -> dict[str, str]:
    """Section id → its HTML."""
    return dict(re.findall(r'<section id="([^"]+)".*?>(.*?)</section>', html, re.S))


# --------------------------------------------------------------------------- one document


@pytest.mark.parametrize("which", ["fleet_run", "with_all"])
def test_one_self_contained_document(which: str, request: pytest.FixtureRequest) -> None:
    result: SimResult = request.getfixturevalue(which)
    html = render_report(result)
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert html.rstrip().endswith("</html>")
    assert html.count("<html") == 1
    assert html.count("<body") == 1
    lowered = html.lower()
    # nothing to load: no scripts, stylesheets, images, frames, fonts or remote addresses
    for needle in ("<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url("):
        assert needle not in lowered, needle
    assert "http://" not in lowered
    assert "https://" not in lowered
    assert "<style>" in html  # the CSS is inline


def test_a_chart_in_every_chart_section(fleet_run: SimResult, with_all: SimResult) -> None:
    scenario = sections(render_report(with_all, None))
    for sid in ("capacity", "queueing", "cost", "rofr"):
        assert "<svg" in scenario[sid], sid
    assert "inference" not in scenario
    fleet = sections(render_report(fleet_run))
    for sid in ("capacity", "queueing", "cost", "inference"):
        assert "<svg" in fleet[sid], sid
    # an experimental fleet has no contracts: the ROFR section says so instead of charting zeros
    assert "No contract applies" in fleet["rofr"]
    assert "<svg" not in fleet["rofr"]


def test_an_unpriced_fleet_shows_no_cost() -> None:
    html = render_report(simulate(None, [hand_jobs()], hand_fleet()))
    cost = sections(html)["cost"]
    assert "Not priced" in cost
    assert "--price" in cost
    assert "<svg" not in cost
    assert "$" not in cost
    assert "not priced" in sections(html)["key-figures"]


def test_charts_are_accessible(with_all: SimResult) -> None:
    html = render_report(with_all)
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) >= 6
    for s in svgs:
        m = re.match(r'<svg[^>]*aria-labelledby="([^ "]+) ([^"]+)"', s)
        assert m is not None
        assert 'role="img"' in s
        assert f'<title id="{m.group(1)}">' in s
        assert f'<desc id="{m.group(2)}">' in s
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids must be unique"


# --------------------------------------------------------------------------- content


def test_header_and_key_figures_come_from_the_summary(without_rofr: SimResult) -> None:
    s = without_rofr.summary
    html = render_report(without_rofr)
    head = html[: html.index("<nav")]
    assert "Simulation report: stargate-2025" in head
    assert "azure-rofr" in head  # clauses switched off
    assert f"seed {s.run.seed}" in head
    assert s.run.policy in head
    key = sections(html)["key-figures"]
    j = s.jobs
    for value in (j.submitted, j.completed, j.rejected):
        assert f'<div class="value">{num(value)}</div>' in key
    for stat in (s.wait_s, s.jct_s):
        assert dur(stat.mean) in key
        assert f"p50 {dur(stat.p50)} · p99 {dur(stat.p99)}" in key
    assert usd(s.cost_usd) in key
    assert f"{s.energy_mwh:,.1f} MWh" in key
    assert dur(s.makespan_s) in key
    assert pct(s.utilization) in key or s.utilization == 0


def test_rofr_counts_and_conservation(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sim.test_procure import verdicts_by_request

    monkeypatch.setattr(
        "stargate.sim.procure.decide_capacity",
        verdicts_by_request(["accepted", "declined", "released_unmet"]),
    )
    offers = simulate("stargate-2025", ["synthetic?jobs=30&seed=1"], horizon=HORIZON)
    parts = sections(render_report(offers))
    ro = offers.summary.rofr
    assert ro.offered > 0
    assert f"offered: {num(ro.offered)}" in parts["rofr"]  # the bar's tooltip
    assert f"accepted: {num(ro.accepted)}" in parts["rofr"]
    assert "capacity requests" in parts["rofr"]
    assert ro.reference_accelerators is not None
    assert num(ro.reference_accelerators.offered) in parts["rofr"]  # the volumes table
    assert "exclusivity clause" in parts["rofr"]
    cons = offers.conservation()
    quality = parts["data-quality"]
    assert num(cons["integrated_accelerator_hours"], 3) in quality
    assert num(cons["per_job_accelerator_hours"], 3) in quality
    assert "they agree" in quality
    # float residue of the two sums is not shown as if it meant something (e.g. -4.95e-09)
    text = re.sub(r"<[^>]+>", " ", quality)
    assert not re.search(r"\de-\d", text), text
    assert "difference 0.000 (less than one part in a million)" in text


def test_skipped_and_rejected_rows_are_listed(fleet_run: SimResult) -> None:
    quality = sections(render_report(fleet_run))["data-quality"]
    assert "&lt;b&gt;bad &amp; row&lt;/b&gt;" in quality
    assert "capacity: larger than the whole fleet" in quality


def test_inference_section(fleet_run: SimResult) -> None:
    inf = sections(render_report(fleet_run))["inference"]
    assert fleet_run.summary.inference is not None
    c = fleet_run.summary.inference.classes[0]
    assert num(c.provisioned_accelerators) in inf
    assert num(c.accelerators_for_99pct) in inf
    assert pct(c.slo_attainment) in inf
    assert num(c.mean_tokens_per_s) in inf
    assert num(c.p99_tokens_per_s) in inf


def test_comparison_only_when_given(with_all: SimResult, without_rofr: SimResult) -> None:
    assert 'id="comparison"' not in render_report(with_all)
    html = render_report(with_all, without_rofr)
    cmp = sections(html)["comparison"]
    assert "With and without azure-rofr" in cmp
    assert "<svg" in cmp
    for label in ("all clauses in force", "without azure-rofr", "change with azure-rofr off"):
        assert label in cmp
    a, b = with_all.summary, without_rofr.summary
    assert usd(a.cost_usd) in cmp
    assert usd(b.cost_usd) in cmp
    assert '<a href="#comparison">' in html
    # what the lab paid for in each run, and the capacity requests it placed
    committed = sum(float(x.committed_usd) for x in a.spend_by_year or [])
    assert "committed spend" in cmp
    assert usd(committed) in cmp
    assert "capacity requests" in cmp
    # a comparison of fleets for experiments has nothing procured to compare
    fleet = simulate(None, [hand_jobs()], hand_fleet(), price="1")
    assert "committed spend" not in sections(render_report(fleet, fleet))["comparison"]


def test_comparison_reads_the_same_whichever_run_comes_first(
    with_all: SimResult, without_rofr: SimResult
) -> None:
    """The CLI passes the run without the clause first; Python users may pass it second."""
    forward = sections(render_report(with_all, without_rofr))["comparison"]
    backward = sections(render_report(without_rofr, with_all))["comparison"]
    assert forward == backward


# --------------------------------------------------------------------------- safety


def test_names_are_escaped(fleet_run: SimResult) -> None:
    html = render_report(fleet_run)
    for raw in (EVIL_JOB, EVIL_POOL, EVIL_FLEET, EVIL_CLASS, EVIL_REASON, "<i>", "<b>"):
        assert raw not in html, raw
    assert "&lt;script&gt;alert(&#x27;job&#x27;)&lt;/script&gt;-" in html  # longest waits
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html  # inference serving pool
    assert "&lt;script&gt;fleet&lt;/script&gt;" in html  # provider, in tables and legends
    assert "&lt;i&gt;class&lt;/i&gt;" in html


# --------------------------------------------------------------------------- determinism


def test_deterministic(with_all: SimResult, without_rofr: SimResult) -> None:
    first = render_report(with_all, without_rofr)
    assert render_report(with_all, without_rofr) == first
    # a second run with the same inputs and seed renders to the same bytes
    again = simulate("stargate-2025", [SCENARIO_JOBS], horizon=HORIZON)
    assert render_report(again, without_rofr) == first


def test_without_an_event_log_the_queue_comes_from_the_jobs() -> None:
    jobs = hand_jobs(seed=3)
    logged = simulate(None, [jobs], hand_fleet())
    quiet = simulate(None, [jobs], hand_fleet(), log_events=False)
    assert quiet.events.height == 0
    queue = sections(render_report(quiet))["queueing"]
    assert "Jobs queued and running over time" in queue
    # no kills on this fleet, so both ways give the same curves
    assert queue == sections(render_report(logged))["queueing"]


def test_long_runs_are_cut_to_few_points() -> None:
    """Six years of days become at most MAX_POINTS points, months become quarters."""
    result = simulate("stargate-2025", ["synthetic?jobs=50&seed=2"])
    html = render_report(result)
    busy = re.search(r'<svg class="chart".*?aria-labelledby="busy-title.*?</svg>', html, re.S)
    assert busy is not None
    hover = re.search(r'<g class="hover".*?</g>', busy.group(0), re.S)
    assert hover is not None
    assert 0 < hover.group(0).count("<rect") <= analysis.MAX_POINTS
    assert "per quarter" in sections(html)["capacity"]


def test_empty_workload_renders() -> None:
    """Inference only: no job, so charts say so instead of failing."""
    result = simulate(None, [hand_demand()], hand_fleet(), price="1")
    html = render_report(result)
    parts = sections(html)
    assert "no job completed" in parts["queueing"]
    assert "<svg" in parts["cost"]
    assert "<svg" in parts["inference"]


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("fmt", "value", "text"),
    [
        (dur, 0.0, "0 s"),
        (dur, 42.0, "42 s"),
        (dur, 210.0, "3.5 min"),
        (dur, 7560.0, "2.1 h"),
        (dur, 4.2 * 86400, "4.2 days"),
        (dur, None, "—"),
        (pct, 0.25, "25.0%"),
        (pct, 0.0123, "1.23%"),
        (pct, 4.4e-7, "0.000044%"),
        (pct, 0.0, "0%"),
        (usd, 586884.99, "$586,885"),
        (usd, 12.5, "$12.50"),
        (pp, -0.25, "−25.0 pp"),
    ],
)
def test_formats(fmt: Callable[[float | None], str], value: float | None, text: str) -> None:
    assert fmt(value) == text


def test_time_ticks_follow_the_calendar() -> None:
    from datetime import datetime

    t0 = datetime(2026, 1, 1)
    months = sim_html.time_ticks(t0, 0.0, 180.0)
    assert [label for _, label in months] == [f"2026-{m:02d}" for m in range(1, 7)]
    days = sim_html.time_ticks(t0, 0.0, 10.0)
    assert days[0] == (0.0, "2026-01-01")
    assert len(days) <= 8
    hours = sim_html.time_ticks(t0, 0.0, 0.5)
    assert hours[0] == (0.0, "01-01 00:00")
    assert len(hours) <= 8
    years = sim_html.time_ticks(t0, 0.0, 15 * 365.0)
    assert all(len(label) == 4 for _, label in years)
    assert len(years) <= 8


def test_header_prints_the_horizons_last_day_and_what_is_online(with_all: SimResult) -> None:
    header = render_report(with_all).split("</header>", 1)[0]
    # the run ends at 2026-04-01T00:00 (exclusive): the reader's last day is 03-31
    assert with_all.summary.run.end == "2026-04-01T00:00:00"
    assert "2026-01-01 → 2026-03-31" in header
    assert "2026-04-01" not in header
    # what the lab holds: its reservations and its own pools
    proc = with_all.procurement
    assert proc is not None
    on = [h for h in proc.held if h.on(date(2026, 1, 1))]
    assert f"{sum(h.accelerators for h in on):,} accelerators in {len(on)} pools online" in header
    # capacity it holds only from after the run is not part of the run's fleet
    assert [h for h in proc.held if h.start > date(2026, 3, 31)]
    assert "only after it" not in header


def test_cost_section_is_titled_by_the_period_its_chart_shows() -> None:
    short = sections(
        render_report(simulate("stargate-2025", ["synthetic?jobs=20"], horizon=HORIZON))
    )
    assert '<h2 id="cost-h">Cost per month</h2>' in short["cost"]
    long = simulate(
        "stargate-2025", ["synthetic?jobs=400&seed=2"], horizon="2025-01-21..2030-12-31"
    )
    cost = sections(render_report(long))["cost"]
    assert '<h2 id="cost-h">Cost per quarter</h2>' in cost
    assert "Committed spend per quarter, by provider" in cost
    assert "Cost of the work per quarter, by provider" in cost
    assert "Cost per month</h2>" not in cost

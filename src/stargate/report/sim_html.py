"""The simulator's HTML report: one self-contained page (``report.html``) for a
:class:`~stargate.sim.result.SimResult`, optionally against a second run (the same workload
with clauses switched off).

The page loads nothing: CSS is inline and charts are inline SVG drawn by
:mod:`stargate.report.svg`, so it opens offline, prints, and can be mailed as one file. Text
is escaped; output is a pure function of the results (no clock, sorted keys), so the same run
renders to the same bytes. Sections, in order (docs/report.md says what each one shows):

header and key figures · procurement (scenario runs: capacity held by provider over time, the
capacity requests with the ROFR's verdict, spend by year, unmet demand) · capacity and share by
provider · queueing · cost per month (or quarter, or year) · right of first refusal (on
capacity requests in a scenario run) · inference (when served) · with/without comparison (when
given) · data quality (skipped rows, rejections, conservation).

What is drawn is computed in :mod:`stargate.sim.analysis` (daily series, queues, wait
buckets, cost and ROFR outcomes per period: with polars and numpy, never a Python loop over
jobs or events, cut to at most :data:`~stargate.sim.analysis.MAX_POINTS` points), and the
page is assembled from the kit in :mod:`stargate.report.html`. This module only renders, so a
million-job result renders in about half a second once its tables are built.

Why one module of about 1,100 lines: it is one page, and what remains is that page's text —
the words, captions and chart descriptions of each section, read top to bottom in the order
the page shows them. Splitting the sections into files would scatter one document's prose
without separating any concept; the computations and the HTML kit have already left.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING

import numpy as np

from stargate.report import history, svg
from stargate.report.html import (
    RUN_COLORS,
    Col,
    card,
    dur,
    esc,
    figure,
    num,
    page,
    pct,
    plural,
    pp,
    section,
    table,
    usd,
    usd_compact,
)
from stargate.report.palette import provider_colors
from stargate.report.procurement import PROCUREMENT_VERDICTS, procurement_table
from stargate.report.story import Headline, headline, scenario_of
from stargate.report.svg import Series
from stargate.sim import analysis
from stargate.sim.analysis import BUCKETS, DAY_S, FArray, Window
from stargate.sim.result import capacity_phrase

if TYPE_CHECKING:
    from stargate.domain.model import Scenario
    from stargate.facts.check import Facts
    from stargate.sim.result import (
        InferenceClass,
        ProcurementEntry,
        RunInfo,
        SimResult,
        SimSummary,
    )

__all__ = ["dur", "num", "pct", "pp", "render_report", "time_ticks", "usd", "usd_compact"]

CAPACITY_COLOR = "#1A1A1A"
#: Used and idle spend: not providers' colours (a provider keeps its colour on the page)
USED_COLOR = "#2D2D2D"
IDLE_COLOR = "#B8B8B8"
#: Two series that are not providers (wait and completion time; provisioned and needed)
PAIR_COLORS = ("#3A3A3A", "#9A9A9A")
QUEUED_COLOR = "#A50F15"
#: The simulation report's own rules, after the shared style sheet: a wider page (its tables
#: of capacity requests and facts have many columns), numbers that do not wrap, the headline
#: and the key to the dated rules.
SIM_CSS = """
main{max-width:1280px}td.num{white-space:nowrap}
ol.key{list-style:none;padding:0;margin:.2rem 0 0;font-size:.88rem;color:var(--muted)}
ol.key b{display:inline-block;min-width:1.6em;color:var(--text)}
.headline{background:var(--band);border-left:4px solid var(--accent);padding:.4rem 1rem;
margin:.6rem 0 1rem}
.headline p,.headline li{max-width:95ch}.headline ul{margin:.3rem 0 .6rem;padding-left:1.2rem}
"""
#: Tables longer than this are folded away (<details>), their caption as the summary
FOLD_ROWS = 24


def _folded(tab: str, summary: str, rows: int) -> str:
    if rows <= FOLD_ROWS:
        return tab
    return f"<details><summary>{esc(summary)}</summary>{tab}</details>"


ROFR_LABELS = (
    ("offered", "offered"),
    ("accepted", "accepted"),
    ("declined", "declined"),
    ("expired", "expired"),
    ("released_unmet", "released"),
)


# --------------------------------------------------------------------------- formatting


def _signed(text: str, delta: float) -> str:
    """``text`` (a magnitude) with the sign of ``delta``."""
    return ("+" if delta > 0 else "−" if delta < 0 else "") + text


def _delta(kind: str, a: float | None, b: float | None) -> str:
    """``b − a`` in the unit of ``kind``, signed, with the relative change."""
    if a is None or b is None:
        return "—"
    d = b - a
    if kind == "share":
        return pp(d)
    if d == 0:
        return "±0"
    text = {
        "int": lambda: num(abs(d)),
        "dur": lambda: dur(abs(d)),
        "usd": lambda: usd(abs(d)),
        "mwh": lambda: f"{abs(d):,.1f} MWh",
        "acch": lambda: num(abs(d)),
    }[kind]()
    out = _signed(text, d)
    if a:
        out += f" ({_signed(f'{abs(d / a) * 100:.1f}%', d)})"
    return out


# --------------------------------------------------------------------------- time axes


def _parse_dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _dt_label(t: datetime) -> str:
    return (
        t.strftime("%Y-%m-%d") if t.time() == datetime.min.time() else t.strftime("%Y-%m-%d %H:%M")
    )


def _last_label(end: datetime) -> str:
    """The end of a run as a reader counts it: a run that ends at midnight ends with the day
    before (the horizon's last day, included); any other end is the instant itself."""
    if end.time() == datetime.min.time():
        return (end - timedelta(days=1)).strftime("%Y-%m-%d")
    return _dt_label(end)


def time_ticks(t0: datetime, x0_days: float, x1_days: float) -> list[tuple[float, str]]:
    """Tick positions (days from ``t0``) and labels on calendar boundaries: hours, days or
    months, whichever gives at most eight ticks over the span."""
    span = max(x1_days - x0_days, 1e-9)
    a = t0 + timedelta(days=x0_days)
    ticks: list[tuple[float, str]] = []

    def pos(t: datetime) -> float:
        return (t - t0).total_seconds() / DAY_S

    if span <= 3:
        step_h = next(h for h in (1, 2, 3, 6, 12, 24) if span * 24 / h <= 8)
        t = a.replace(minute=0, second=0, microsecond=0)
        t += timedelta(hours=(-t.hour) % step_h)
        while pos(t) <= x1_days + 1e-9:
            if pos(t) >= x0_days - 1e-9:
                ticks.append((pos(t), t.strftime("%m-%d %H:%M")))
            t += timedelta(hours=step_h)
        return ticks
    if span <= 75:
        step_d = next(d for d in (1, 2, 7, 14) if span / d <= 8)
        t = datetime(a.year, a.month, a.day)
        if t < a:
            t += timedelta(days=1)
        while pos(t) <= x1_days + 1e-9:
            ticks.append((pos(t), t.strftime("%Y-%m-%d")))
            t += timedelta(days=step_d)
        return ticks
    months = span / 30.44
    step_m = next((m for m in (1, 2, 3, 6, 12, 24, 60) if months / m <= 8), 120)
    m_index = a.year * 12 + a.month - 1
    if datetime(a.year, a.month, 1) < a:
        m_index += 1
    m_index += (-m_index) % step_m
    while True:
        t = datetime(m_index // 12, m_index % 12 + 1, 1)
        if pos(t) > x1_days + 1e-9:
            break
        ticks.append((pos(t), t.strftime("%Y") if step_m >= 12 else t.strftime("%Y-%m")))
        m_index += step_m
    return ticks


# --------------------------------------------------------------------------- the data


class _Run:
    """What the report needs from one result: the result, its typed summary and window."""

    def __init__(self, result: SimResult) -> None:
        self.result = result
        self.s: SimSummary = result.summary
        win: Window = analysis.window(result)
        self.t0 = win.t0
        self.end_days = win.end_days
        self.scenario: Scenario | None = scenario_of(result)
        self.headline: Headline = headline(self.s, self.scenario)
        self.facts: Facts | None = None
        if self.scenario is not None and self.s.capacity_held is not None:
            from stargate.facts.check import check_figures

            self.facts = check_figures(self.scenario, self.s, without=self.s.run.without)
        self._ref: tuple[dict[str, float], str] | None = None

    @property
    def lab(self) -> str:
        return self.scenario.lab_id() if self.scenario is not None else ""

    def ref_weights(self) -> tuple[dict[str, float], str]:
        """Each pool's weight in reference-accelerator-hours (its throughput for the
        scenario's reference class) and the unit's name; on a fleet for experiments every
        pool weighs 1 and the unit is accelerator-hours."""
        if self._ref is None:
            pools = self.result.state.pools
            thr = None
            if self.scenario is not None:
                thr = pools.thr.get(self.scenario.reference_class_id())
            if thr is None:
                self._ref = ({p: 1.0 for p in pools.ids}, "accelerator-hours")
            else:
                self._ref = (
                    {p: float(thr[i]) for i, p in enumerate(pools.ids)},
                    "reference-accelerator-hours",
                )
        return self._ref


def _label(run: RunInfo, other: RunInfo | None = None) -> str:
    """What distinguishes a run: the clauses switched off (and, when two runs share those,
    the other settings that differ)."""
    off = run.without
    base = "without " + ", ".join(off) if off else "all clauses in force"
    if run.fleet != "scenario" and not off:
        base = f"fleet {run.fleet}"
    if other is not None and other.without == off:
        diffs = [
            f"{k} {getattr(run, k)}"
            for k in ("policy", "granularity", "seed", "fleet", "scenario")
            if getattr(run, k) != getattr(other, k)
        ]
        if diffs:
            base += " (" + ", ".join(diffs) + ")"
    return base


def _bin_labels(run: _Run, x: FArray, width_days: float) -> list[str]:
    """Tooltip labels of time bins starting at ``x`` (days from the start): a day, a span of
    days, or a span of hours."""
    out = []
    for v in x:
        a = run.t0 + timedelta(days=float(v))
        if width_days >= 1 and a.time() == datetime.min.time():
            last = a + timedelta(days=width_days - 1)
            out.append(f"{a:%Y-%m-%d}" if width_days == 1 else f"{a:%Y-%m-%d} – {last:%Y-%m-%d}")
        else:
            out.append(f"{_dt_label(a)} – {_dt_label(a + timedelta(days=width_days))}")
    return out


# --------------------------------------------------------------------------- sections


def _header(run: _Run) -> str:
    s = run.s
    r = s.run
    j = s.jobs
    name = r.scenario or r.fleet or "simulation"
    fleet = "the scenario's own fleet" if r.fleet == "scenario" else f"{r.fleet} (no contracts)"
    off = r.without
    if r.fleet != "scenario":
        clauses = "none apply (experimental fleet)"
    else:
        clauses = ", ".join(off) if off else "none — every clause in force"
    start, end = _parse_dt(r.start), _parse_dt(r.end)
    horizon = "—"
    if start:
        horizon = f"{_dt_label(start)} → {_last_label(end) if end else 'open'}"
        if end:
            horizon += f" ({dur((end - start).total_seconds())})"
    items: list[tuple[str, object]] = [
        ("Scenario", r.scenario or "—"),
        ("Fleet", fleet),
        ("Policy", r.policy),
        ("Granularity", r.granularity),
        ("Seed", r.seed),
        ("Horizon", horizon),
        ("Capacity", capacity_phrase(r)),
        ("Clauses switched off", clauses),
        (
            "Run size",
            ", ".join(
                plural(n, word)
                for n, word in (
                    (j.submitted, "job"),
                    (r.pools, "pool"),
                    (r.accelerators, "accelerator"),
                    (s.events, "event"),
                )
            ),
        ),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return (
        f"<header><h1>Simulation report: {esc(name)}</h1>"
        f'<p class="sub">{esc(r.policy)} policy · {esc(r.granularity)} '
        f"granularity · seed {esc(r.seed)} · {esc(horizon)}</p>"
        f'<dl class="run">{dl}</dl></header>'
    )


def _key_figures(run: _Run) -> str:
    s = run.s
    j = s.jobs
    w, c = s.wait_s, s.jct_s
    acc = s.accelerator_hours
    cards = [
        card("Jobs submitted", num(j.submitted), f"{num(j.skipped)} rows skipped"),
        card(
            "Jobs completed",
            num(j.completed),
            f"{num(j.running_at_end)} running, {num(j.queued_at_end)} queued at end",
        ),
        card("Jobs rejected", num(j.rejected), f"{num(j.killed_runs)} runs killed"),
        card("Wait, mean", dur(w.mean), f"p50 {dur(w.p50)} · p99 {dur(w.p99)}"),
        card(
            "Job completion time, mean",
            dur(c.mean),
            f"p50 {dur(c.p50)} · p99 {dur(c.p99)}",
        ),
        card(
            "Utilization",
            pct(analysis.utilization(run.result)),
            "busy ÷ held reference-accelerator-hours"
            if s.procurement is not None
            else "busy ÷ available accelerator-hours",
        ),
        # compact in the card (a 12-digit figure overflows it); the exact amount beneath
        card("Cost", usd_compact(s.cost_usd), f"{usd(s.cost_usd)}: served and lost work")
        if s.cost_usd is not None
        else card("Cost", "not priced", "a fleet for experiments has no prices (--price)"),
        card(
            "Energy",
            f"{s.energy_mwh / 1e6:,.1f} TWh" if s.energy_mwh >= 1e6 else f"{s.energy_mwh:,.1f} MWh",
            (f"{s.energy_mwh:,.0f} MWh: " if s.energy_mwh >= 1e6 else "")
            + "facility energy of the work",
        ),
        card("Makespan", dur(s.makespan_s), "first arrival to last completion"),
        card(
            "Accelerator-hours served",
            # compact above a billion (an 11-digit figure overflows the card), exact beneath
            svg.compact(acc.served) if acc.served >= 1e9 else num(acc.served),
            (f"{num(acc.served)} in all; " if acc.served >= 1e9 else "")
            + f"{num(acc.lost)} lost to killed runs, {num(acc.checkpointed)} kept by checkpoints",
        ),
    ]
    if s.spend_by_year is not None:
        committed = sum(_dollars(x.committed_usd) for x in s.spend_by_year)
        idle = sum(_dollars(x.idle_usd) for x in s.spend_by_year)
        idle_share = pct(idle / committed) if committed else "—"
        cards.append(
            card(
                "Committed spend",
                usd_compact(committed),
                f"{usd(committed)}: all capacity held; {idle_share} idle",
            )
        )
        unmet = s.unmet_demand or []
        worst = max((u.unmet_reference_accelerators for u in unmet), default=0.0)
        cards.append(
            card(
                "Unmet demand",
                "none" if not unmet else num(worst),
                "every period covered"
                if not unmet
                else f"reference accelerators at most, in {plural(len(unmet), 'period-class row')}",
            )
        )
    return section("key-figures", "Key figures", [f'<div class="cards">{"".join(cards)}</div>'])


def _ref_share(
    run: _Run, providers: list[str], span: tuple[int, int] | None
) -> tuple[analysis.Periods | None, FArray, dict[str, float]]:
    """Each provider's share of busy reference-accelerator-hours (each pool's busy hours
    weighted by its throughput for the reference class) per period over ``span`` (months), and
    over the whole run. A period with no busy hours has shares of 0."""
    import polars as pl

    weights, _ = run.ref_weights()
    u = run.result.utilization
    pcode = {p: i for i, p in enumerate(providers)}
    if span is None:
        first = last = 0
    else:
        first, last = span
    busy = np.zeros((len(providers), last - first + 1))
    overall = np.zeros(len(providers))
    if u.height:
        g = (
            u.with_columns(
                pl.col("day").dt.strftime("%Y-%m").alias("month"),
                (
                    pl.col("busy_accelerator_hours")
                    * pl.col("pool").replace_strict(weights, default=1.0, return_dtype=pl.Float64)
                ).alias("ref"),
            )
            .group_by(["month", "provider"])
            .agg(pl.col("ref").sum())
            .filter(pl.col("provider").is_in(providers))
        )
        pi = g["provider"].replace_strict(pcode, return_dtype=pl.Int64).to_numpy()
        ref = g["ref"].to_numpy()
        np.add.at(overall, pi, ref)
        if span is not None:
            mi = np.asarray([analysis.month_index(m) for m in g["month"].to_list()], dtype=np.int64)
            keep = (mi >= first) & (mi <= last)
            np.add.at(busy, (pi[keep], mi[keep] - first), ref[keep])
    tot = overall.sum()
    shares = {p: float(overall[i] / tot) if tot else 0.0 for i, p in enumerate(providers)}
    if span is None:
        return None, busy, shares
    per = analysis.Periods.spanning(first, last)
    busy = per.sum(busy)
    total = busy.sum(axis=0)
    grid = np.divide(busy, total, out=np.zeros_like(busy), where=total > 0)
    return per, grid, shares


def _share_chart(
    run: _Run,
    providers: list[str],
    colors: dict[str, str],
    span: tuple[int, int],
    chart_id: str,
    label: str = "",
) -> tuple[str, str]:
    """100 % stacked bars of each provider's share of busy reference-accelerator-hours per
    month (or quarter or year) over ``span``; returns the chart and the period's name."""
    per, grid, overall = _ref_share(run, providers, span)
    assert per is not None
    _, unit = run.ref_weights()
    series = [Series(p, grid[i], colors[p]) for i, p in enumerate(providers) if grid[i].any()]
    suffix = f": {label}" if label else ""
    chart = svg.bar_chart(
        chart_id=chart_id,
        title=f"Share of busy {unit} by provider, per {per.unit}{suffix}",
        desc=(
            f"Stacked bars, one per {per.unit} from {per.labels[0]} to {per.labels[-1]}, "
            f"of each provider's share of the {per.unit}'s busy {unit} of jobs. "
            "Overall: " + ", ".join(f"{p} {pct(v)}" for p, v in overall.items() if v) + "."
        ),
        categories=per.labels,
        series=series,
        stacked=True,
        y_max=1.0,
        y_format=lambda v: f"{v * 100:.0f}%",
        value_format=pct,
        legend=True,
        y_label=f"share of busy {unit.replace('accelerator-', 'acc.-')}",
        empty_message="no accelerator was busy",
    )
    return chart, per.unit


def _capacity(run: _Run, providers: list[str], colors: dict[str, str]) -> str:

    body: list[str] = []
    daily = analysis.daily(run.result, providers)
    share_sum = run.s.share_by_provider
    if daily is None:
        body.append(
            svg.line_chart(
                chart_id="busy", title="Busy accelerator-hours per day", desc="No data.", x=[]
            )
        )
    else:
        busy_tot = daily.busy.sum(axis=0)
        cap_tot = daily.cap.sum(axis=0)
        busy_peak = float(busy_tot.max())
        cap_peak = float(cap_tot.max())
        per_day = "per day" if daily.width == 1 else f"per day (mean over {daily.width}-day bins)"
        ticks = time_ticks(run.t0, float(daily.x[0]), float(daily.x[-1]))
        hover = _bin_labels(run, daily.x, daily.width)
        present = [p for i, p in enumerate(providers) if daily.busy[i].any() or daily.cap[i].any()]
        areas = [
            Series(p, daily.busy[providers.index(p)], colors[p])
            for p in present
            if daily.busy[providers.index(p)].any()
        ]
        with_cap = cap_peak <= 5 * busy_peak and cap_peak > 0
        lines = [Series("available capacity", cap_tot, CAPACITY_COLOR, dashed=True)]
        peak_day = run.t0 + timedelta(days=float(daily.x[int(np.argmax(busy_tot))]))
        desc = (
            f"Stacked areas of busy accelerator-hours {per_day} by provider "
            f"({', '.join(p for p in present)}); peak {svg.compact(busy_peak)} "
            f"accelerator-hours on {peak_day:%Y-%m-%d}"
            + (
                f"; the dashed line is available capacity, peak {svg.compact(cap_peak)}."
                if with_cap
                else "."
            )
        )
        body.append(
            figure(
                svg.line_chart(
                    chart_id="busy",
                    title=f"Busy accelerator-hours {per_day}, by provider",
                    desc=desc,
                    x=daily.x,
                    areas=areas,
                    lines=lines if with_cap else [],
                    x_ticks=ticks,
                    x_hover=hover,
                    legend=True,
                    y_label="accelerator-hours per day",
                    empty_message="no accelerator was busy",
                ),
                (
                    "Busy accelerator-hours by provider, stacked; the dashed line is the "
                    "capacity online (outages and phases coming online show as steps)."
                    if with_cap
                    else f"Busy accelerator-hours by provider, stacked. Available capacity "
                    f"peaks at {svg.compact(cap_peak)} accelerator-hours per day — "
                    f"{cap_peak / busy_peak:,.0f}× the busiest day — and is drawn on its own "
                    "scale below."
                    if busy_peak > 0
                    else "No accelerator was busy during the run."
                ),
            )
        )
        if not with_cap:
            cap_areas = [
                Series(p, daily.cap[providers.index(p)], colors[p])
                for p in present
                if daily.cap[providers.index(p)].any()
            ]
            body.append(
                figure(
                    svg.line_chart(
                        chart_id="capacity",
                        title=f"Available capacity {per_day}, by provider",
                        desc=(
                            f"Stacked areas of available accelerator-hours {per_day} by provider; "
                            f"peak {svg.compact(cap_peak)}."
                        ),
                        x=daily.x,
                        areas=cap_areas,
                        x_ticks=ticks,
                        x_hover=hover,
                        legend=True,
                        y_label="accelerator-hours per day",
                        height=260,
                    ),
                    "Accelerator-hours online per day by provider (24 × accelerators online); "
                    "steps are phases coming online and outages.",
                )
            )
    # share by month (or quarter, or year), 100 % stacked
    span = analysis.month_span(run.result)
    if span is not None:
        chart, unit = _share_chart(run, providers, colors, span, "share-month")
        body.append(
            figure(chart, f"Each bar is one {unit}; a {unit} with no busy hours has no bar.")
        )
    # totals per provider
    if daily is not None:
        _, _, ref_share = _ref_share(run, providers, None)
        _, unit = run.ref_weights()
        busy_h = (daily.busy * daily.days).sum(axis=1)
        cap_h = (daily.cap * daily.days).sum(axis=1)
        both = unit != "accelerator-hours"
        rows = [
            (
                p,
                num(busy_h[i]),
                num(cap_h[i]),
                pct(busy_h[i] / cap_h[i]) if cap_h[i] else "—",
                pct(share_sum.get(p, 0.0)),
                *([pct(ref_share.get(p, 0.0))] if both else []),
            )
            for i, p in enumerate(providers)
        ]
        body.append(
            table(
                [
                    Col("provider"),
                    Col("busy accelerator-hours", True),
                    Col("available accelerator-hours", True),
                    Col("utilization", True),
                    Col("share of busy accelerator-hours", True),
                    *([Col(f"share of busy {unit}", True)] if both else []),
                ],
                rows,
                "Totals over the run, by provider (jobs; shares of the busy hours of all "
                "providers)",
            )
        )
    return section(
        "capacity",
        "Capacity and share by provider",
        body,
        "Where the work ran: accelerator-hours in use against capacity online, per provider.",
    )


def _class_table(run: _Run) -> str:
    """Per workload class: jobs, outcomes, waits and costs."""
    figures = analysis.by_class(run.result)
    if not figures:
        return ""
    rows = [
        (
            c.workload_class,
            num(c.jobs),
            num(c.completed),
            num(c.rejected),
            dur(c.wait_mean_s),
            dur(c.wait_p99_s),
            dur(c.jct_p50_s),
            dur(c.jct_p99_s),
            usd(c.cost_usd),
        )
        for c in figures
    ]
    return table(
        [
            Col("workload class"),
            Col("jobs", True),
            Col("completed", True),
            Col("rejected", True),
            Col("wait mean", True),
            Col("wait p99", True),
            Col("JCT p50", True),
            Col("JCT p99", True),
            Col("cost", True),
        ],
        rows,
        "By workload class (waits and completion times of completed jobs)",
    )


def _queueing(run: _Run) -> str:
    s = run.s
    waits = analysis.waits(run.result)
    wait = waits.wait_s
    labels = [b for _, b in BUCKETS]
    hw, hj = waits.wait_counts, waits.jct_counts
    nonzero = np.r_[hw, hj][np.r_[hw, hj] > 0]
    log = bool(nonzero.size) and float(nonzero.max() / nonzero.min()) >= 100
    body = [
        figure(
            svg.bar_chart(
                chart_id="wait-hist",
                title="Wait and job completion time of completed jobs",
                desc=(
                    f"Counts of {num(wait.size)} completed jobs by wait "
                    f"(mean {dur(s.wait_s.mean)}, p99 {dur(s.wait_s.p99)}) and by "
                    f"completion time (mean {dur(s.jct_s.mean)}, "
                    f"p99 {dur(s.jct_s.p99)}), in buckets about a decade wide. Wait: "
                    + ", ".join(f"{lab} {int(v)}" for lab, v in zip(labels, hw, strict=True))
                    + ". Completion time: "
                    + ", ".join(f"{lab} {int(v)}" for lab, v in zip(labels, hj, strict=True))
                    + "."
                    + (" The count axis is logarithmic." if log else "")
                ),
                categories=labels,
                series=[
                    Series("wait (arrival → start)", hw, PAIR_COLORS[0]),
                    Series("completion time (arrival → finish)", hj, PAIR_COLORS[1]),
                ]
                if wait.size
                else [],
                value_labels=True,
                value_format=lambda v: num(v),
                y_log=log,
                y_label="jobs (log scale)" if log else "jobs",
                empty_message="no job completed",
            ),
            "Completed jobs by how long they waited and how long they took from arrival to "
            "finish. Buckets grow about tenfold; “none” is a job that started on arrival. "
            + (
                "The count axis is logarithmic: each grid line is ten times the one below. "
                if log
                else ""
            )
            + "Jobs still queued or running at the end are not counted.",
        )
    ]
    qs = analysis.queue(run.result)
    if qs is None:
        body.append(
            svg.line_chart(chart_id="queue", title="Jobs queued and running", desc="No data.", x=[])
        )
    else:
        x, queued, running, width = qs.x, qs.queued, qs.running, qs.width_days
        hover = _bin_labels(run, x, width)
        w_text = dur(width * DAY_S)
        body.append(
            figure(
                svg.line_chart(
                    chart_id="queue",
                    title="Jobs queued and running over time",
                    desc=(
                        f"Lines of the largest number of jobs queued (peak "
                        f"{num(float(queued.max()))}) and running (peak "
                        f"{num(float(running.max()))}) per interval of {w_text}."
                    ),
                    x=x,
                    lines=[
                        Series("queued", queued, QUEUED_COLOR),
                        Series("running", running, PAIR_COLORS[0]),
                    ],
                    x_ticks=time_ticks(run.t0, float(x[0]), float(x[-1])),
                    x_hover=hover,
                    y_label="jobs",
                ),
                "The most jobs waiting in pool queues and running at any moment, per "
                f"interval of {w_text}. A job waiting for a right-of-first-refusal answer "
                "joins the queue when the answer comes.",
            )
        )
    body.append(
        table(
            [Col("measure"), Col("mean", True), Col("p50", True), Col("p99", True)],
            [
                ("wait", dur(s.wait_s.mean), dur(s.wait_s.p50), dur(s.wait_s.p99)),
                ("job completion time", dur(s.jct_s.mean), dur(s.jct_s.p50), dur(s.jct_s.p99)),
            ],
            "Completed jobs",
        )
    )
    body.append(_class_table(run))
    body.append(_longest_waits(run))
    return section("queueing", "Queueing", body)


def _longest_waits(run: _Run, k: int = 10) -> str:
    """The ``k`` started jobs that waited longest (ties: trace order)."""
    top = analysis.longest_waits(run.result, k)
    queued = run.s.jobs.queued_at_end
    still = (
        f" {plural(queued, 'job')} still queued at the end of the run "
        f"{'is' if queued == 1 else 'are'} not listed."
        if queued
        else ""
    )
    if top.height == 0:
        return f"<h3>Longest waits</h3><p>No job that started had to wait.{esc(still)}</p>"
    rows = [
        (
            job,
            cls,
            pool,
            num(gpus, 2).rstrip("0").rstrip("."),
            _dt_label((run.t0 + timedelta(seconds=arrival)).replace(microsecond=0)),
            dur(wait),
            dur(jct) if math.isfinite(jct) else "running",
            num(restarts),
        )
        for job, cls, pool, gpus, arrival, wait, jct, restarts in top.iter_rows()
    ]
    return "<h3>Longest waits</h3>" + table(
        [
            Col("job"),
            Col("workload class"),
            Col("pool"),
            Col("accelerators", True),
            Col("arrived", True),
            Col("wait", True),
            Col("completion time", True),
            Col("restarts", True),
        ],
        rows,
        f"The {plural(top.height, 'job')} that waited longest between arrival and start "
        "(a restarted job counts from its first arrival; the time it ran before an outage "
        f"killed it is not wait).{still}",
    )


def _cost(run: _Run, providers: list[str], colors: dict[str, str]) -> str:
    body: list[str] = []
    if not run.result.priced:
        body.append(
            "<p>Not priced: a fleet for experiments (<code>--fleet</code>) has no prices. "
            "Give one with <code>--price</code> (USD per accelerator-hour) to see costs.</p>"
        )
        return section("cost", "Cost", body)
    c = analysis.cost(run.result, providers)
    if c is None:
        body.append(
            svg.bar_chart(
                chart_id="cost-month",
                title="Cost",
                desc="No job was placed.",
                categories=[],
                series=[],
            )
        )
        return section("cost", "Cost", body)
    total = c.total_usd
    committed = history.spread_committed(run.s, providers)
    spread = _job_cost_spread(run, providers)
    # both charts over the same months, so that their bars (and periods) line up
    spans = [g for g in (committed, spread) if g is not None]
    if spans:
        lo = min(m for m, _ in spans)
        hi = max(m + g.shape[1] - 1 for m, g in spans)
        committed, spread = (
            None if g is None else (lo, _pad(g, lo, hi)) for g in (committed, spread)
        )
    if committed is not None:
        body.append(_cost_chart(run, providers, colors, committed, "committed"))
    if spread is not None:
        body.append(_cost_chart(run, providers, colors, spread, "work"))
    m0, grid = committed if committed is not None else spread or (0, np.zeros((0, 0)))
    months = [analysis.month_label(m0 + k) for k in range(grid.shape[1])]
    per = analysis.Periods.spanning(m0, m0 + max(grid.shape[1], 1) - 1)
    rows = [
        (p, k, num(n), usd(v), pct(v / total) if total else "—")
        for p, k, v, n in c.by_provider_and_class.iter_rows()
    ]
    body.append(
        table(
            [
                Col("provider"),
                Col("workload class"),
                Col("jobs", True),
                Col("cost", True),
                Col("share of cost", True),
            ],
            rows,
            f"Cost by provider and workload class (total {usd(total)})",
        )
    )
    month_rows = [
        (mm, *(usd(float(grid[i, k])) for i in range(len(providers))), usd(float(grid[:, k].sum())))
        for k, mm in enumerate(months)
    ]
    what = "Committed spend" if committed is not None else "Cost of the work"
    body.append(
        f"<details><summary>{what} per month, as a table</summary>"
        + table(
            [Col("month"), *(Col(p, True) for p in providers), Col("total", True)],
            month_rows,
        )
        + "</details>"
    )
    return section("cost", f"Cost per {per.unit}", body)


def _pad(spread: tuple[int, FArray], lo: int, hi: int) -> FArray:
    """A [provider, month] grid starting at month ``spread[0]``, widened to months lo..hi."""
    m0, grid = spread
    out = np.zeros((grid.shape[0], hi - lo + 1))
    out[:, m0 - lo : m0 - lo + grid.shape[1]] = grid
    return out


def _job_cost_spread(run: _Run, providers: list[str]) -> tuple[int, FArray] | None:
    """Each job's cost spread over the months it ran (start to finish, or to the end of the
    run for a job still running)."""
    import polars as pl

    jobs = run.result.jobs.filter(pl.col("pool") != "")
    if jobs.height == 0:
        return None
    pcode = {p: i for i, p in enumerate(providers)}
    jobs = jobs.filter(pl.col("provider").is_in(providers))
    start = jobs["start_s"].to_numpy().astype(np.float64)
    finish = jobs["finish_s"].to_numpy().astype(np.float64)
    end_s = run.end_days * DAY_S if run.end_days else float(np.nanmax(finish, initial=0.0))
    finish = np.where(np.isfinite(finish), finish, max(end_s, float(np.nanmax(start))))
    cost = jobs["cost_usd"].fill_null(0.0).to_numpy().astype(np.float64)
    prov = jobs["provider"].replace_strict(pcode, return_dtype=pl.Int64).to_numpy()
    return history.spread_jobs(start, finish, cost, prov, len(providers), run.t0)


def _cost_chart(
    run: _Run,
    providers: list[str],
    colors: dict[str, str],
    spread: tuple[int, FArray],
    what: str,
) -> str:
    m0, grid = spread
    per = analysis.Periods.spanning(m0, m0 + grid.shape[1] - 1)
    bars = per.sum(grid)
    series = [Series(p, bars[i], colors[p]) for i, p in enumerate(providers) if bars[i].any()]
    total = float(bars.sum())
    peak = int(np.argmax(bars.sum(axis=0)))
    if what == "committed":
        title = f"Committed spend per {per.unit}, by provider"
        cid = "cost-committed"
        caption = (
            "What the lab paid for the capacity it held (take-or-pay: used or not), each "
            "year's committed spend of a provider spread over the year's months in proportion "
            "to the reference-accelerator-days it held in each."
        )
    else:
        title = f"Cost of the work per {per.unit}, by provider"
        cid = "cost-month"
        caption = (
            "The cost of each job (accelerator-hours served and lost to killed runs × the "
            "pool's price) spread over the months it ran, in proportion to the time it ran in "
            "each; a job still running at the end counts to the end of the run."
        )
    if per.unit != "month":
        caption += f" Months are summed into {per.unit}s over a long run."
    return figure(
        svg.bar_chart(
            chart_id=cid,
            title=title,
            desc=(
                f"Stacked bars of US dollars per {per.unit} from {per.labels[0]} to "
                f"{per.labels[-1]}, by provider; total {usd(total)}, highest in "
                f"{per.labels[peak]} ({usd(float(bars[:, peak].sum()))})."
            ),
            categories=per.labels,
            series=series,
            stacked=True,
            y_format=usd_compact,
            value_format=usd,
            legend=True,
            y_label="USD",
        ),
        caption,
    )


def _rofr(run: _Run) -> str:
    s = run.s
    counts = [float(getattr(s.rofr, k)) for k, _ in ROFR_LABELS]
    off = s.run.without
    excl = s.exclusivity_bound
    what = "capacity requests" if s.procurement is not None else "jobs"
    intro = (
        (
            "The lab's capacity requests that went through a right of first refusal: the "
            "holder was offered what its capacity model could meet and accepted, declined or "
            "let the response window close; the part it could not meet was released at once. "
            "Jobs then ran on the capacity held, with no offer of their own."
        )
        if s.procurement is not None
        else (
            "Jobs whose placement went through a right of first refusal: the holder was "
            "offered the work and accepted it, declined it, or let the response window close; "
            "or the offer was released at once because the holder could not meet the request."
        )
    )
    if s.run.fleet != "scenario":
        return section(
            "rofr",
            "Right of first refusal and exclusivity",
            [
                f"<p>No contract applies on an experimental fleet ({esc(s.run.fleet)}): "
                "no offer was made and no job was bound by exclusivity.</p>"
            ],
        )
    body = [
        figure(
            svg.bar_chart(
                chart_id="rofr",
                title="Right of first refusal: outcomes",
                desc=f"Bar chart of {what} by outcome: "
                + ", ".join(
                    f"{lab} {int(v)}" for (_, lab), v in zip(ROFR_LABELS, counts, strict=True)
                )
                + ".",
                categories=[lab for _, lab in ROFR_LABELS],
                series=[Series(what, counts, PAIR_COLORS[0])],
                value_labels=True,
                value_format=lambda v: num(v),
                y_label=what,
                height=260,
            ),
            "Offered = accepted + declined + expired (the response window closed with no "
            "answer). Released: the holder could not meet the request"
            + (
                " (or that part of it), which went elsewhere without an offer"
                if s.procurement is not None
                else ", so the job went elsewhere without an offer"
            )
            + (f" (clauses switched off in this run: {', '.join(off)})." if off else "."),
        ),
        f"<p><strong>{esc(num(excl))}</strong> routing decision"
        f"{' was' if excl == 1 else 's were'} bound by an exclusivity clause (the job's class "
        "could go only to the exclusive provider).</p>",
    ]
    vol = s.rofr.reference_accelerators
    if vol is not None and s.rofr.power_mw is not None:
        mw = s.rofr.power_mw
        body.append(
            table(
                [Col("outcome"), Col("reference accelerators", True), Col("facility MW", True)],
                [
                    (label, num(getattr(vol, key)), f"{getattr(mw, key):,.1f}")
                    for key, label in (
                        ("offered", "offered"),
                        ("accepted", "accepted"),
                        ("declined", "declined"),
                        ("expired", "expired"),
                        ("released", "released at once"),
                    )
                ],
                "Capacity by the ROFR's outcome, over the capacity requests",
            )
        )
    month_chart = _rofr_by_month(run)
    if month_chart:
        body.append(month_chart)
    return section("rofr", "Right of first refusal and exclusivity", body, intro)


def _rofr_by_month(run: _Run) -> str:
    outcomes = analysis.rofr_per_period(run.result)
    if outcomes is None:
        return ""
    kinds, per, grid = outcomes.names, outcomes.periods, outcomes.values
    labels = per.labels
    what, when = (
        ("capacity requests", "decided")
        if run.s.procurement is not None
        else ("jobs", "each job arrived")
    )
    names = {"released": "released (holder could not meet)", "expired": "expired (no answer)"}
    colors = {k: c for k, _, c in history.OUTCOMES}
    colors["released"] = colors["released_unmet"]
    series = [
        Series(names.get(kd, kd), grid[i], colors[kd])
        for i, kd in enumerate(kinds)
        if grid[i].any()
    ]
    return figure(
        svg.bar_chart(
            chart_id="rofr-month",
            title=f"Right of first refusal outcomes per {per.unit} of "
            + ("decision" if run.s.procurement is not None else "arrival"),
            desc=(
                f"Stacked bars of {what} by ROFR outcome per {per.unit}, {labels[0]} to "
                f"{labels[-1]}."
            ),
            categories=labels,
            series=series,
            stacked=True,
            value_format=lambda v: num(v),
            legend=True,
            y_label=what,
            height=260,
        ),
        f"By the {per.unit} "
        + ("each capacity request was decided." if run.s.procurement is not None else f"{when}."),
    )


# --------------------------------------------------------------------------- procurement

VERDICT_NAMES = PROCUREMENT_VERDICTS


def _dollars(text: str) -> float:
    return float(text)


def _procurement(run: _Run, colors: dict[str, str]) -> str:
    """What the lab held and procured: capacity held by provider over time, the capacity
    requests (one row per part, with the ROFR's verdict), spend by year and unmet demand."""
    s = run.s
    rows = s.procurement
    if rows is None:
        return ""
    body: list[str] = []
    held = analysis.held_series(run.result)
    if held is not None:
        ticks = time_ticks(run.t0, float(held.x[0]), float(held.x[-1]))
        body += history.held_charts(s, run.scenario, run.t0, colors, ticks)
        last = held.days[-1]
        year_ends = [d for d in held.days if d.endswith("-12-31")]
        if last not in year_ends:
            year_ends.append(last)
        by_day = {(h.period_end, h.provider): h for h in s.capacity_held or []}
        hrows = [
            (d, p, num(h.accelerators), num(h.reference_accelerators), f"{h.power_mw:,.1f}")
            for d in year_ends
            for p in held.providers
            if (h := by_day.get((d, p))) is not None
        ]
        body.append(
            _folded(
                table(
                    [
                        Col("day"),
                        Col("provider"),
                        Col("accelerators", True),
                        Col("reference accelerators", True),
                        Col("facility MW", True),
                    ],
                    hrows,
                    "Capacity held at each year's end (and on the run's last period end)",
                ),
                f"Capacity held at each year's end, by provider ({len(hrows)} rows)",
                len(hrows),
            )
        )
    body.append(history.procured(s, colors))
    body.append(_procurement_table(rows))
    body.append(history.spend_vs_public(s, colors, run.facts, run.lab))
    body.append(_spend(s))
    body.append(_unmet(s))
    intro = (
        f"The lab ({run.result.procurement.lab if run.result.procurement else '—'}) procures "
        f"every {s.run.procure_every or 'month'}, sized for its demand from the "
        f"{s.run.procure_from or 'forecast'}: the capacity requests of the record on their "
        "dates, then top-ups for the gap its lead time lets it fill. The right of first "
        "refusal acts here, on capacity requests; jobs then run on what the lab holds."
    )
    return section("procurement", "Procurement", body, intro)


def _procurement_table(rows: list[ProcurementEntry]) -> str:
    out = procurement_table(rows, "The lab placed no capacity request.")
    head = "<h3>Capacity requests</h3>"
    if len(rows) > FOLD_ROWS and out.startswith(head) and "<details>" not in out:
        n = len({r.request for r in rows})
        out = (
            f"{head}<details><summary>All {plural(n, 'capacity request')} "
            f"({plural(len(rows), 'row')}), with the ROFR's verdict on each</summary>"
            f"{out.removeprefix(head)}</details>"
        )
    return out


def _spend(s: SimSummary) -> str:
    spend = s.spend_by_year or []
    if not spend:
        return "<h3>Spend by year</h3><p>Nothing the lab held has a price.</p>"
    years = sorted({x.year for x in spend})
    used = [sum(_dollars(x.used_usd) for x in spend if x.year == y) for y in years]
    idle = [sum(_dollars(x.idle_usd) for x in spend if x.year == y) for y in years]
    total = sum(_dollars(x.committed_usd) for x in spend)
    chart = svg.bar_chart(
        chart_id="spend",
        title="Spend by year: used and idle",
        desc="Stacked bars per year of what the lab committed, split into the part its jobs "
        "used and the idle part: "
        + "; ".join(
            f"{y} used {usd(u)}, idle {usd(i)}" for y, u, i in zip(years, used, idle, strict=True)
        )
        + ".",
        categories=[str(y) for y in years],
        series=[
            Series("used", used, USED_COLOR),
            Series("idle (paid, not used)", idle, IDLE_COLOR),
        ],
        stacked=True,
        y_format=usd_compact,
        value_format=usd,
        legend=True,
        y_label="USD",
        height=280,
    )
    trows = [
        (
            str(x.year),
            x.provider,
            usd(_dollars(x.committed_usd)),
            usd(_dollars(x.used_usd)),
            usd(_dollars(x.idle_usd)),
            pct(_dollars(x.idle_usd) / _dollars(x.committed_usd))
            if _dollars(x.committed_usd)
            else "—",
        )
        for x in spend
    ]
    return (
        "<h3>Spend by year</h3>"
        + figure(
            chart,
            "Committed: every accelerator-hour the lab held, used or not (reservations are "
            "take-or-pay; its own capacity at cost, capital charge included). Used: the "
            "accelerator-hours its jobs kept busy, at the same prices.",
        )
        + _folded(
            table(
                [
                    Col("year"),
                    Col("provider"),
                    Col("committed", True),
                    Col("used", True),
                    Col("idle", True),
                    Col("idle share", True),
                ],
                trows,
                f"Spend by year and provider (committed in all {usd(total)})",
            ),
            f"Spend by year and provider, as a table ({len(trows)} rows)",
            len(trows),
        )
    )


def _unmet(s: SimSummary) -> str:
    unmet = s.unmet_demand or []
    if not unmet:
        return (
            "<h3>Unmet demand</h3><p>None: in every period, what the lab held covered its "
            "demand.</p>"
        )
    rows = [
        (
            f"{u.period_start} → {u.period_end}",
            u.workload_class,
            num(u.demand_reference_accelerators),
            num(u.held_reference_accelerators),
            num(u.unmet_reference_accelerators),
        )
        for u in unmet
    ]
    tab = table(
        [
            Col("period"),
            Col("workload class"),
            Col("demand", True),
            Col("covered", True),
            Col("unmet", True),
        ],
        rows,
        "Reference accelerators of demand that what the lab held on the period's first day "
        "did not cover (no capacity was offered for it in time)",
    )
    worst = max(unmet, key=lambda u: u.unmet_reference_accelerators)
    lead = (
        f"<p>{plural(len({u.period_start for u in unmet}), 'period')} fell short; at most "
        f"{esc(num(worst.unmet_reference_accelerators))} reference accelerators of "
        f"{esc(worst.workload_class)} ({esc(worst.period_start)}).</p>"
    )
    if len(rows) > 40:
        return f"<h3>Unmet demand</h3>{lead}<details><summary>All rows</summary>{tab}</details>"
    return f"<h3>Unmet demand</h3>{lead}{tab}"


def _inference(run: _Run) -> str:
    from stargate.sim.inference import HEADROOM

    inf = run.s.inference
    if not inf:
        return ""
    classes = inf.classes
    names = [c.workload_class for c in classes]

    def where(c: InferenceClass) -> str:
        sv = c.serving
        if not sv.placed:
            return "not placed"
        return " / ".join(str(v) for v in (sv.provider, sv.pool, sv.accelerator))

    def violations(c: InferenceClass) -> str:
        tier = c.latency_tier_utilization
        return f"{num(c.latency_violation_minutes)} (above {pct(tier)} busy)"

    measures: list[tuple[str, Callable[[InferenceClass], str]]] = [
        ("source", lambda c: PurePath(c.source).name),
        ("minutes of demand", lambda c: num(c.minutes)),
        ("mean tokens/s", lambda c: num(c.mean_tokens_per_s)),
        ("p99 tokens/s", lambda c: num(c.p99_tokens_per_s)),
        ("tokens/s per accelerator", lambda c: num(c.tokens_per_s_per_accelerator)),
        ("served on (provider / pool / type)", where),
        ("provisioned accelerators", lambda c: num(c.provisioned_accelerators)),
        ("accelerators for 99% of minutes", lambda c: num(c.accelerators_for_99pct)),
        ("SLO attainment", lambda c: pct(c.slo_attainment)),
        ("latency violation minutes", violations),
    ]
    rows = [(label, *(f(c) for c in classes)) for label, f in measures]
    chart = svg.bar_chart(
        chart_id="inference",
        title="Inference: accelerators provisioned and needed for 99% of minutes",
        desc="Grouped bars per inference class: "
        + "; ".join(
            f"{c.workload_class} provisioned {c.provisioned_accelerators}, "
            f"needed for 99% {c.accelerators_for_99pct}"
            for c in classes
        )
        + ".",
        categories=names,
        series=[
            Series(
                "provisioned",
                [float(c.provisioned_accelerators or 0) for c in classes],
                PAIR_COLORS[0],
            ),
            Series(
                "needed for 99% of minutes",
                [float(c.accelerators_for_99pct or 0) for c in classes],
                PAIR_COLORS[1],
            ),
        ],
        value_labels=True,
        value_format=lambda v: num(v),
        y_label="accelerators",
        height=260,
    )
    body = [
        table([Col("class"), *(Col(n, True) for n in names)], rows),
        figure(
            chart,
            f"Provisioned: the broker's placement, sized at {HEADROOM:g} × mean demand. "
            "Attainment: the share of minutes in which capacity covered demand. A latency "
            "violation is a minute in which utilisation exceeded the class's latency tier.",
        ),
    ]
    return section(
        "inference",
        "Inference",
        body,
        "Per-minute token demand served on the capacity the broker placed for each class.",
    )


_FIGURES: tuple[tuple[str, str, Callable[[SimSummary], float | None]], ...] = (
    ("jobs submitted", "int", lambda s: s.jobs.submitted),
    ("jobs completed", "int", lambda s: s.jobs.completed),
    ("jobs rejected", "int", lambda s: s.jobs.rejected),
    ("jobs queued at end", "int", lambda s: s.jobs.queued_at_end),
    ("wait, mean", "dur", lambda s: s.wait_s.mean),
    ("wait, p50", "dur", lambda s: s.wait_s.p50),
    ("wait, p99", "dur", lambda s: s.wait_s.p99),
    ("job completion time, mean", "dur", lambda s: s.jct_s.mean),
    ("job completion time, p50", "dur", lambda s: s.jct_s.p50),
    ("job completion time, p99", "dur", lambda s: s.jct_s.p99),
    ("makespan", "dur", lambda s: s.makespan_s),
    ("utilization", "share", lambda s: s.utilization),
    ("cost", "usd", lambda s: s.cost_usd),
    ("energy", "mwh", lambda s: s.energy_mwh),
    ("accelerator-hours served", "acch", lambda s: s.accelerator_hours.served),
    ("ROFR offered", "int", lambda s: s.rofr.offered),
    ("ROFR accepted", "int", lambda s: s.rofr.accepted),
    ("ROFR declined", "int", lambda s: s.rofr.declined),
    ("ROFR expired", "int", lambda s: s.rofr.expired),
    ("ROFR released (holder could not meet)", "int", lambda s: s.rofr.released_unmet),
    ("bound by exclusivity", "int", lambda s: s.exclusivity_bound),
)


def _spend_total(s: SimSummary, key: str) -> float | None:
    if s.spend_by_year is None:
        return None
    return sum(_dollars(getattr(x, key)) for x in s.spend_by_year)


def _unmet_most(s: SimSummary) -> float | None:
    if s.unmet_demand is None:
        return None
    return max((u.unmet_reference_accelerators for u in s.unmet_demand), default=0.0)


#: What a comparison adds for scenario runs: what the lab paid for and what it went without.
_PROCUREMENT_FIGURES: tuple[tuple[str, str, Callable[[SimSummary], float | None]], ...] = (
    ("committed spend", "usd", lambda s: _spend_total(s, "committed_usd")),
    ("idle spend", "usd", lambda s: _spend_total(s, "idle_usd")),
    ("unmet demand, most (reference accelerators)", "int", _unmet_most),
    (
        "capacity requests",
        "int",
        lambda s: None if s.procurement is None else len({r.request for r in s.procurement}),
    ),
)


def _fmt(kind: str, v: float | None) -> str:
    if v is None:
        return "—"
    return {
        "int": lambda: num(v),
        "dur": lambda: dur(v),
        "share": lambda: pct(v),
        "usd": lambda: usd(v),
        "mwh": lambda: f"{v:,.1f} MWh",
        "acch": lambda: num(v),
    }[kind]()


def _comparison(run: _Run, other: _Run, providers: list[str], colors: dict[str, str]) -> str:
    """Side by side: the run with fewer clauses switched off first, so the difference reads
    as "what switching the clause off changes" whichever run was passed first."""
    wa = set(run.s.run.without)
    wb = set(other.s.run.without)
    if wa != wb and (wa < wb or wb < wa):
        base, alt = (run, other) if wa < wb else (other, run)
        off = ", ".join(sorted(wa ^ wb))
        title = f"With and without {off}"
        change = f"change with {off} off"
    else:
        base, alt = run, other
        title = f"Compared with {_label(other.s.run, run.s.run)}"
        change = "difference"
    a, b = base.s, alt.s
    la, lb = _label(a.run, b.run), _label(b.run, a.run)
    if la == lb:
        la, lb = f"{la} (this run)", f"{lb} (comparison)"
    figures = list(_FIGURES)
    if a.spend_by_year is not None or b.spend_by_year is not None:
        figures += _PROCUREMENT_FIGURES
    rows = [(name, _fmt(k, f(a)), _fmt(k, f(b)), _delta(k, f(a), f(b))) for name, k, f in figures]
    sa = _ref_share(base, providers, None)[2]
    sb = _ref_share(alt, providers, None)[2]
    _, unit = base.ref_weights()
    rows += [
        (
            f"share of busy {unit}: {p}",
            pct(sa.get(p, 0.0)),
            pct(sb.get(p, 0.0)),
            _delta("share", sa.get(p, 0.0), sb.get(p, 0.0)),
        )
        for p in providers
    ]
    chart = svg.bar_chart(
        chart_id="cmp-share",
        title=f"Share of busy {unit} by provider: {la} and {lb}",
        desc="Grouped bars per provider: "
        + "; ".join(
            f"{p} {pct(sa.get(p, 0.0))} {la}, {pct(sb.get(p, 0.0))} {lb}" for p in providers
        )
        + ".",
        categories=providers,
        series=[
            Series(la, [sa.get(p, 0.0) for p in providers], RUN_COLORS[0]),
            Series(lb, [sb.get(p, 0.0) for p in providers], RUN_COLORS[1]),
        ],
        y_max=1.0,
        y_format=lambda v: f"{v * 100:.0f}%",
        value_format=pct,
        value_labels=True,
        y_label="share of busy hours",
        height=280,
    )
    story: list[str] = []
    if a.capacity_held is not None and b.capacity_held is not None:
        story.append(history.capacity_comparison(a, b, colors, (la, lb)))
        story.append(history.spend_comparison(a, b, base.facts, base.lab, (la, lb)))
    body = [
        table(
            [Col("figure"), Col(la, True), Col(lb, True), Col(change, True)],
            rows,
            f"Key figures; {change} = {lb} − {la}",
        ),
        figure(chart, f"Each provider's share of all busy {unit} of jobs in each run."),
        *story,
    ]
    span = analysis.month_span(base.result, alt.result)
    if span is not None:
        for r, label, cid in ((base, la, "cmp-share-base"), (alt, lb, "cmp-share-alt")):
            chart, unit = _share_chart(r, providers, colors, span, cid, label)
            body.append(
                figure(chart, f"{label[:1].upper()}{label[1:]}: each provider's share per {unit}.")
            )
    body.append(_share_month_comparison(base, alt, la, lb))
    return section(
        "comparison",
        title,
        body,
        f"The same workload run twice: {la}, and {lb}. Differences are the second minus the first.",
    )


def _share_month_comparison(run: _Run, other: _Run, la: str, lb: str) -> str:
    """A table of each month's share by provider in both runs (the largest differences show
    which months the clause moved)."""
    joined = analysis.share_month_pairs(run.result, other.result)
    if joined.height == 0:
        return ""
    rows = [(m, p, pct(x), pct(y), _delta("share", x, y)) for m, p, x, y in joined.iter_rows()]
    return (
        "<details><summary>Share by provider and month, both runs</summary>"
        + table(
            [Col("month"), Col("provider"), Col(la, True), Col(lb, True), Col("difference", True)],
            rows,
        )
        + "</details>"
    )


def _data_quality(run: _Run) -> str:
    s = run.s
    skipped = s.jobs.skipped_by_reason
    rows: list[tuple[str, str, str]] = [
        ("jobs", reason, num(n)) for reason, n in sorted(skipped.items())
    ]
    for c in s.inference.classes if s.inference else []:
        for reason, n in sorted(c.skipped.items()):
            rows.append((f"inference: {c.workload_class}", reason, num(n)))
    body = [
        "<h3>Skipped rows</h3>",
        table([Col("source"), Col("reason"), Col("rows", True)], rows)
        if rows
        else "<p>No input row was skipped.</p>",
    ]
    reasons = Counter(run.result.state.reject_reason.values())
    body.append("<h3>Rejected jobs</h3>")
    if reasons:
        body.append(
            table(
                [Col("reason"), Col("jobs", True)],
                [(r, num(n)) for r, n in sorted(reasons.items())],
            )
        )
    else:
        body.append("<p>No job was rejected.</p>")
    cons = run.result.conservation()
    integ = cons["integrated_accelerator_hours"]
    per_job = cons["per_job_accelerator_hours"]
    diff = per_job - integ
    rel = abs(diff) / max(abs(integ), 1e-12)
    ok = abs(diff) <= 1e-6 or rel <= 1e-6
    verdict = (
        '<span class="ok">✓ they agree</span>'
        if ok
        else '<span class="bad">✗ they differ — please report this run</span>'
    )
    body += [
        "<h3>Conservation</h3>",
        f'<p class="conservation">Accelerator-hours integrated over pools between events: '
        f"<strong>{esc(num(integ, 3))}</strong>; summed over jobs (served by completed and "
        "running jobs, checkpointed work included, plus work lost by killed runs): "
        f"<strong>{esc(num(per_job, 3))}</strong>; "
        f"difference {esc(num(diff if abs(diff) >= 5e-4 else 0.0, 3))} "
        f"({esc('less than one part in a million' if rel <= 1e-6 else f'{rel:.2g} relative')})."
        f" {verdict}</p>",
    ]
    return section(
        "data-quality",
        "Data quality",
        body,
        "What was left out of the input, what the simulator could not place, and a check "
        "that no work was created or lost.",
    )


# --------------------------------------------------------------------------- the page


def render_report(result: SimResult, comparison: SimResult | None = None) -> str:
    """One self-contained HTML page for ``result`` and, if given, a comparison against
    ``comparison`` (the same workload with clauses switched off, or another setting)."""
    run = _Run(result)
    other = _Run(comparison) if comparison is not None else None
    runs = [run] if other is None else [run, other]
    shown = analysis.providers(result, *([comparison] if comparison is not None else []))
    for x in runs:
        shown += [h.provider for h in x.s.capacity_held or [] if h.provider not in shown]
        shown += [
            h.provider for h in x.s.procurement or [] if h.provider and h.provider not in shown
        ]
        shown += [h.provider for h in x.s.spend_by_year or [] if h.provider not in shown]
    scenario_ids = [p.id for p in run.scenario.providers] if run.scenario is not None else []
    colors = provider_colors(scenario_ids, sorted(set(shown)))
    # providers in the scenario's order (the order of their colours), then any other
    providers = [p for p in colors if p in set(shown)]
    r = run.s.run
    name = r.scenario or r.fleet or "simulation"
    sections: list[tuple[str, str, str]] = []
    brief = history.headline_section(
        run.headline,
        other.headline if other is not None else None,
        _label(other.s.run, r) if other is not None else "",
    )
    if brief:
        sections.append(("headline", "In brief", brief))
    sections.append(("key-figures", "Key figures", _key_figures(run)))
    procurement = _procurement(run, colors)
    if procurement:
        sections.append(("procurement", "Procurement", procurement))
    facts = history.facts_section(
        run.facts,
        other.facts if other is not None else None,
        ("", _label(other.s.run, r)) if other is not None else ("", ""),
    )
    if facts:
        sections.append(("facts", "Facts", facts))
    sections += [
        ("capacity", "Capacity and share", _capacity(run, providers, colors)),
        ("queueing", "Queueing", _queueing(run)),
        ("cost", "Cost", _cost(run, providers, colors)),
        ("rofr", "ROFR and exclusivity", _rofr(run)),
    ]
    inf = _inference(run)
    if inf:
        sections.append(("inference", "Inference", inf))
    if other is not None:
        sections.append(("comparison", "Comparison", _comparison(run, other, providers, colors)))
    sections.append(("data-quality", "Data quality", _data_quality(run)))
    return page(
        "simulation",
        name,
        _header(run),
        sections,
        "Generated by Stargate from the simulation result (summary.json and the job, event and "
        "utilization tables). The same run always renders the same page.",
        SIM_CSS,
    )

"""The planner's HTML report: one self-contained page for a
:class:`~stargate.plan.api.PlanResult`, optionally against a second plan (the same scenario
with a clause switched off, another budget, ...).

Like the simulation report (:mod:`stargate.report.sim_html`; both are built from the HTML kit
in :mod:`stargate.report.html`) the page loads nothing: inline CSS and inline SVG from
:mod:`stargate.report.svg`, no script. Text is escaped and the output is a pure function of
its inputs (sorted keys, no clock), so the same plan renders to the same bytes. Sections, in order:

header and key figures · path to independence (share of compute by provider) · annual compute
cost beside the scenario's public figures · procurement (the dated capacity requests, as the
broker placed them) · builds · installs · capacity held · rentals · cost by period · shadow
prices · conflicts (when infeasible) · with/without (when a comparison is given). Builds and
installs say which are fixed (what exists: a status other than planned) and which the plan
decided.

One module over 600 lines because it is one page: each section is a short function of the
result, and they share the page's colours, scales and wording; splitting them would scatter
one document across files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from stargate.broker.capacity import ProcurementRecord
from stargate.domain.figures import format_usd
from stargate.domain.model import ProviderKind, Scenario
from stargate.report import svg
from stargate.report.html import (
    RUN_COLORS,
    Col,
    card,
    esc,
    figure,
    num,
    page,
    pct,
    pp,
    section,
    table,
    usd_compact,
)
from stargate.report.palette import provider_colors
from stargate.report.procurement import procurement_table
from stargate.report.svg import Series

if TYPE_CHECKING:
    import polars as pl

    from stargate.plan.api import PlanResult

#: Cost components of ``cost_by_period`` that make up the compute cost, in stacking order.
COMPONENTS = (
    ("depreciation_usd", "depreciation"),
    ("energy_usd", "energy"),
    ("opex_usd", "opex"),
    ("rental_usd", "rentals"),
)
PUBLIC_COLOR = "#A50F15"


def _secs(v: float) -> str:
    return f"{v:.2f} s" if v < 100 else f"{v:,.0f} s"


def _mw(v: float) -> str:
    return f"{v:,.0f} MW" if abs(v) >= 10 else f"{v:,.1f} MW"


def _rows(df: pl.DataFrame) -> list[dict[str, Any]]:
    return list(df.to_dicts())


# --------------------------------------------------------------------------- the plan


class _Plan:
    """What the report needs from one result, computed once."""

    def __init__(self, result: PlanResult, scenario: Scenario, label: str) -> None:
        self.result = result
        self.label = label
        self.solved = result.objective_usd is not None
        kinds = {p.id: p.kind for p in scenario.providers}
        self.cloud = {pid for pid, k in kinds.items() if k == ProviderKind.cloud}
        self.share: dict[tuple[str, str], float] = {}
        #: share of each period's capacity (held, installed, rented), reference-accelerator-hours
        self.capacity_share: dict[tuple[str, str], float] = {}
        for r in _rows(result.share_by_provider):
            self.share[(r["period"], r["provider"])] = float(r["share"])
            self.capacity_share[(r["period"], r["provider"])] = float(
                r.get("capacity_share") or 0.0
            )
        self.cost = _rows(result.cost_by_period)
        self.annual: dict[tuple[int, str], float] = {}
        for r in self.cost:
            key = (int(r["period"][:4]), r["provider"])
            self.annual[key] = self.annual.get(key, 0.0) + float(r["compute_cost_usd"])
        self.annual_total = {
            int(r["year"]): float(r["compute_cost_usd"]) for r in _rows(result.annual_compute_cost)
        }
        #: year -> (fixed, decided) compute cost: what exists and the record, and the plan's
        self.annual_split = {
            int(r["year"]): (
                float(r.get("fixed_compute_cost_usd") or 0.0),
                float(r.get("decided_compute_cost_usd") or 0.0),
            )
            for r in _rows(result.annual_compute_cost)
        }
        self.demand = _rows(result.demand)
        self.checks: list[dict[str, Any]] = [dict(c) for c in result.public_figure_checks]

    def total(self, key: int) -> float:
        """Over the horizon: 0 the compute cost, 1 its fixed part, 2 its decided part."""
        if key == 0:
            return sum(self.annual_total.values())
        return sum(v[key - 1] for v in self.annual_split.values())

    def beyond_record(self, period: str | None = None) -> float:
        """Reference-accelerator-hours of demand the plan's decisions carry (the record leaves
        them unmet), in ``period`` or over the horizon."""
        return sum(
            float(r["decided_reference_hours"])
            for r in self.demand
            if period is None or r["period"] == period
        )

    def labels(self) -> set[str]:
        out: set[str] = set()
        for df in (
            self.result.builds,
            self.result.installs,
            self.result.rentals,
            self.result.cost_by_period,
            self.result.share_by_provider,
        ):
            out |= {str(v) for v in df["period"].to_list() if v is not None}
        out |= {c.period for c in self.result.conflicts if c.period}
        return out

    def providers(self) -> set[str]:
        return {p for _, p in self.share} | {str(r["provider"]) for r in self.cost}

    def own_share(self, period: str) -> float | None:
        """Share of the period's compute on providers that are not clouds."""
        parts = [(p, v) for (q, p), v in self.share.items() if q == period]
        if not parts:
            return None
        return sum(v for p, v in parts if p not in self.cloud)


def _periods(plans: Sequence[_Plan], horizon: Any, period: Any) -> list[str]:
    if horizon is not None and period is not None:
        from stargate.plan.data import periods_for

        return [p.label for p in periods_for((int(horizon[0]), int(horizon[1])), str(period))]
    labels: set[str] = set()
    for p in plans:
        labels |= p.labels()
    return sorted(labels)


def _public_compute_figures(scenario: Scenario) -> list[tuple[int, float, str, str]]:
    """(year, USD, figure id, source) of the scenario's public figures of annual compute cost,
    read as the terminal and ``--json`` read them (:mod:`stargate.domain.figures`)."""
    from stargate.domain.figures import public_compute_costs

    return [(f.year, f.usd, f.id, f.source) for f in public_compute_costs(scenario)]


# --------------------------------------------------------------------------- sections


def _header(
    plan: _Plan,
    scenario: Scenario,
    periods: list[str],
    horizon: Any,
    period: Any,
    without: Any,
) -> str:
    r = plan.result
    if horizon is not None:
        hz = f"{horizon[0]}–{horizon[1]}"
    elif periods:
        hz = f"{periods[0][:4]}–{periods[-1][:4]} (from the tables)"
    else:
        hz = "—"
    if period is None:
        period = ("quarter" if any("Q" in p for p in periods) else "year") if periods else "—"
    if without is None:
        off = "not recorded"
    else:
        off = ", ".join(str(w) for w in without) or "none — every clause in force"
    rate = scenario.settings.discount_rate
    objective = (
        f"{usd_compact(r.objective_usd)} present value (discounted at {rate:.0%} a year to the "
        "horizon's first day)"
        if r.objective_usd is not None
        else "— (no plan)"
    )
    items = [
        ("Scenario", f"{scenario.id} — {scenario.name}"),
        ("Horizon", hz),
        ("Period", f"{period} ({len(periods)} periods)" if periods else str(period)),
        ("Status", r.status.value),
        ("Objective", objective),
        ("MIP gap", pct(r.mip_gap) if r.mip_gap is not None else "—"),
        ("Time", f"build {_secs(r.build_s)}, solve {_secs(r.solve_s)}"),
        ("Model size", f"{num(r.variables)} variables, {num(r.constraints)} constraints"),
        ("Clauses switched off", off),
    ]
    if r.notes:
        items.append(("Notes", "; ".join(r.notes)))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    return (
        f"<header><h1>Plan report: {esc(scenario.name)}</h1>"
        f'<p class="sub">{esc(scenario.id)} · {esc(hz)} · by {esc(period)} · '
        f"{esc(r.status.value)}</p>"
        f'<dl class="run">{dl}</dl></header>'
    )


def _key_figures(plan: _Plan, periods: list[str]) -> str:
    r = plan.result
    capex = float(r.builds["capex_usd"].sum()) + float(r.installs["capex_usd"].sum())
    mw = float(r.builds["power_mw"].sum())
    installed = float(r.installs["count"].sum())
    rented = float(r.rentals["accelerator_hours"].sum())
    rent_usd = float(r.rentals["cost_usd"].sum())
    idle_usd = float(r.capacity_held["idle_usd"].sum())
    last = periods[-1] if periods else ""
    own = plan.own_share(last) if last else None
    cards = [
        card("Objective (present value)", usd_compact(r.objective_usd or 0.0), r.status.value),
        card("Capex over the horizon", usd_compact(capex), "phases and accelerators"),
        card("Power built", _mw(mw), f"{r.builds.height} phases"),
        card("Accelerators installed", num(installed)),
        card("Accelerator-hours rented", svg.compact(rented), usd_compact(rent_usd)),
        card("Held capacity unused", usd_compact(idle_usd), "take-or-pay, paid but idle"),
        card(f"Share off the clouds in {last}" if last else "Share off the clouds", pct(own)),
    ]
    return section("key-figures", "Key figures", [f'<div class="cards">{"".join(cards)}</div>'])


def _share_chart(plan: _Plan, periods: list[str], providers: list[str], colors: dict[str, str],
                 chart_id: str, title: str = "",
                 shares: dict[tuple[str, str], float] | None = None) -> str:  # fmt: skip
    share = plan.share if shares is None else shares
    series = [
        Series(p, [share.get((q, p), 0.0) for q in periods], colors[p])
        for p in providers
        if any(share.get((q, p), 0.0) > 0 for q in periods)
    ]
    last = periods[-1] if periods else ""
    own = plan.own_share(last) if last else None
    desc = (
        "Share of the work done (reference-accelerator-hours) by provider per period; in "
        f"{last}, {pct(own)} runs off the clouds."
        if last
        else "No periods."
    )
    return svg.bar_chart(
        chart_id=chart_id,
        title=title or "Share of compute by provider (reference-accelerator-hours)",
        desc=desc,
        categories=periods,
        series=series,
        stacked=True,
        y_max=1.0,
        y_format=lambda v: f"{v * 100:.0f}%",
        value_format=pct,
        empty_message="no compute in the plan",
    )


def _independence(
    plan: _Plan, periods: list[str], providers: list[str], colors: dict[str, str]
) -> str:
    cap_chart = _share_chart(
        plan, periods, providers, colors, "share-capacity",
        "Share of capacity by provider (reference-accelerator-hours)", plan.capacity_share,
    )  # fmt: skip
    chart = _share_chart(
        plan, periods, providers, colors, "share",
        "Share of the work done by provider (reference-accelerator-hours)",
    )  # fmt: skip

    def shares_table(share: dict[tuple[str, str], float], caption: str) -> str:
        shown = [p for p in providers if any(share.get((q, p), 0.0) > 0 for q in periods)]
        cols = [Col("period"), *(Col(p, True) for p in shown)]
        rows = [[q, *(pct(share.get((q, p), 0.0)) for p in shown)] for q in periods]
        return table(cols, rows, caption)

    own_rows = [[q, pct(plan.own_share(q))] for q in periods]
    return section(
        "independence",
        "Path to independence",
        [
            figure(
                cap_chart,
                "Each bar is one period: the share of the capacity the lab holds, installs or "
                "rents on each provider, in reference-accelerator-hours (hours × each type's "
                "throughput for the scenario's reference class; an inference-only type at its "
                "best throughput).",
            ),
            shares_table(
                plan.capacity_share,
                "Share of capacity by provider and period (reference-accelerator-hours)",
            ),
            figure(
                chart,
                "The share of the work done on each provider (reference-accelerator-hours: "
                "hours × each type's throughput for the class it runs). Where the capacity "
                "paid for exceeds the demand, how the work is split among it is one of many "
                "equal-cost answers; the share of capacity above is not.",
            ),
            "<details><summary>Share of the work done by provider and period</summary>"
            + shares_table(plan.share, "")
            + table([Col("period"), Col("off the clouds", True)], own_rows)
            + "</details>",
        ],
        "Where the plan runs the forecast work, period by period: on rented cloud capacity, or "
        "on sites the lab builds.",
    )


def _compute_cost(
    plan: _Plan, scenario: Scenario, providers: list[str], colors: dict[str, str]
) -> str:
    public = _public_compute_figures(scenario)
    years = sorted({y for y, _ in plan.annual} | set(plan.annual_total))
    series = [
        Series(p, [plan.annual.get((y, p), 0.0) for y in years], colors[p])
        for p in providers
        if any(plan.annual.get((y, p), 0.0) for y in years)
    ]
    pub_by_year: dict[int, float] = {}
    for y, v, _, _ in public:
        pub_by_year.setdefault(y, v)
    markers = []
    if any(y in pub_by_year for y in years):
        markers.append(
            Series(
                "public figure",
                [pub_by_year.get(y, math.nan) for y in years],
                PUBLIC_COLOR,
            )
        )
    said = "; ".join(
        f"{y}: plan {usd_compact(plan.annual_total.get(y, 0.0))}, public {format_usd(v)}"
        for y, v in sorted(pub_by_year.items())
        if y in years
    )
    chart = svg.bar_chart(
        chart_id="annual-cost",
        title="Annual compute cost by provider, beside the public figures",
        desc="Compute cost per year (depreciation, energy, opex and rentals) stacked by "
        f"provider. {said or 'No public figure falls within the horizon.'}",
        categories=[str(y) for y in years],
        series=series,
        stacked=True,
        y_format=usd_compact,
        value_labels=True,
        markers=markers,
        empty_message="no cost in the plan",
    )
    rows: list[list[object]] = []
    for y in years:
        total = plan.annual_total.get(y, 0.0)
        pub = pub_by_year.get(y)
        fixed, decided = plan.annual_split.get(y, (total, 0.0))
        rows.append(
            [
                str(y),
                *(usd_compact(plan.annual.get((y, p), 0.0)) for p in [s.name for s in series]),
                usd_compact(total),
                usd_compact(fixed),
                usd_compact(decided),
                format_usd(pub) if pub is not None else "—",
                f"{total / pub:.2f}×" if pub else "—",
            ]
        )
    cols = [
        Col("year"),
        *(Col(s.name, True) for s in series),
        Col("plan", True),
        Col("fixed: the record", True),
        Col("decided by the plan", True),
        Col("public figure", True),
        Col("plan ÷ public", True),
    ]
    pub_rows = [
        [fid, str(y), format_usd(v), src, "yes" if y in years else "no"]
        for y, v, fid, src in public
    ]
    body = [
        figure(
            chart,
            "Stacked bars: the plan's compute cost per year by provider (not discounted; capex "
            "counts as straight-line depreciation). Dashed red levels: the scenario's public "
            "figures for the same year.",
        ),
        table(cols, rows, "Annual compute cost, plan and public"),
        f'<p class="note">{esc(_split_sentence(plan))}</p>',
    ]
    if plan.checks:
        body.append(_checks_table(plan.checks))
    if pub_rows:
        body.append(
            table(
                [Col("figure"), Col("year"), Col("value", True), Col("source"), Col("in horizon")],
                pub_rows,
                "Public figures of annual compute cost in the scenario",
            )
        )
    else:
        body.append('<p class="note">The scenario has no public figure of compute cost.</p>')
    return section(
        "compute-cost",
        "Annual compute cost",
        body,
        "What compute costs each year under the plan, set beside what was announced.",
    )


def _split_sentence(plan: _Plan) -> str:
    """Which part of the compute cost the record fixed, and which the plan decided."""
    total, fixed, decided = plan.total(0), plan.total(1), plan.total(2)
    head = (
        f"Of the {usd_compact(total)} of compute cost over the horizon, {usd_compact(fixed)} is "
        "fixed — what exists and what the record placed (phases and pools that are not "
        "planned, the starting reservations and the dated capacity requests' reservations, "
        "take-or-pay) — and "
    )
    if decided <= 0.5:
        return head + "nothing is the plan's decision: the record carries the whole forecast."
    beyond = [y for y, (_, d) in sorted(plan.annual_split.items()) if d > 0.5]
    return head + (
        f"{usd_compact(decided)} is the plan's decisions (phases built, accelerators "
        f"installed, capacity rented or bought beyond the record, in {', '.join(map(str, beyond))}"
        "), for demand the record leaves unmet."
    )


def _checks_table(checks: Sequence[dict[str, Any]]) -> str:
    rows = []
    for c in checks:
        within = c["within"]
        verdict = "—" if within is None else ("within" if within else "outside")
        tol = c["tolerance"]
        rows.append(
            [
                c["id"],
                c["period"],
                (">= " if c["lower_bound"] else "") + format_usd(float(c["public_usd"])),
                usd_compact(float(c["plan_usd"])),
                usd_compact(float(c["fixed_usd"])),
                usd_compact(float(c["decided_usd"])),
                "—" if c["ratio"] is None else f"{float(c['ratio']):.2f}×",
                "—" if tol is None else f"±{float(tol):.0%}",
                verdict,
                f"{c['use']}, {c['confidence']}",
            ]
        )
    return table(
        [Col("figure"), Col("period"), Col("public", True), Col("plan", True),
         Col("fixed", True), Col("decided", True), Col("plan ÷ public", True),
         Col("tolerance", True), Col("verdict"), Col("use, confidence")],
        rows,
        "The plan's compute cost against the public figures of the lab's compute spend",
    )  # fmt: skip


def _demand(plan: _Plan, periods: list[str]) -> str:
    fixed = np.zeros(len(periods))
    decided = np.zeros(len(periods))
    demand = np.zeros(len(periods))
    unmet = np.zeros(len(periods))
    for r in plan.demand:
        if r["period"] in periods:
            i = periods.index(r["period"])
            fixed[i] += float(r["fixed_reference_hours"])
            decided[i] += float(r["decided_reference_hours"])
            demand[i] += float(r["demand_reference_hours"])
            unmet[i] += float(r.get("unmet_reference_hours") or 0.0)

    def shares(part: np.ndarray, which: list[str]) -> str:
        return ", ".join(
            f"{q} ({pct(part[periods.index(q)] / demand[periods.index(q)])})" for q in which
        )

    short = [q for i, q in enumerate(periods) if decided[i] > 0.5]
    left = [q for i, q in enumerate(periods) if unmet[i] > 0.5]
    if not short and not left:
        said = (
            "What exists and the record carry the whole forecast in every period; the plan "
            "adds nothing."
        )
    else:
        said = " ".join(
            part
            for part in (
                f"The record leaves demand unmet in {shares(decided, short)}; the plan's "
                "decisions carry it."
                if short
                else "",
                "Demand is left unmet — nothing the record holds or the plan may add can carry "
                f"it — in {shares(unmet, left)}."
                if left
                else "",
            )
            if part
        )
    series = [
        Series("fixed: what exists and the record", fixed, RUN_COLORS[0]),
        Series("decided by the plan", decided, PUBLIC_COLOR),
    ]
    if left:
        series.append(Series("unmet", unmet, "#BBBBBB"))
    chart = svg.bar_chart(
        chart_id="demand",
        title="Demand per period (reference-accelerator-hours): carried by the record, by the "
        "plan, unmet",
        desc=said,
        categories=periods,
        series=series,
        stacked=True,
        y_format=svg.compact,
        empty_message="no demand in the plan",
    )
    rows = [
        [r["period"], r["workload_class"], svg.compact(float(r["demand_reference_hours"])),
         svg.compact(float(r["fixed_reference_hours"])),
         svg.compact(float(r["decided_reference_hours"])), pct(float(r["decided_share"])),
         svg.compact(float(r.get("unmet_reference_hours") or 0.0))]
        for r in plan.demand
        if float(r["demand_reference_hours"]) > 0
    ]  # fmt: skip
    cols = [Col("period"), Col("class"), Col("demand", True), Col("fixed", True),
            Col("decided", True), Col("decided share", True), Col("unmet", True)]  # fmt: skip
    return section(
        "demand",
        "Demand and the record",
        [
            figure(chart, said),
            "<details><summary>Demand by period and workload class</summary>"
            + table(cols, rows)
            + "</details>",
        ],
        "The forecast's work in reference-accelerator-hours (hours × each type's throughput "
        "for the class), split into what the capacity that exists or that the record "
        "contracted carries (fixed), what the plan's own decisions carry — the demand the "
        "record leaves unmet, visible here rather than bought silently — and, in a history "
        "(settings.top_up false), what nothing can carry.",
    )


def _builds(plan: _Plan, periods: list[str]) -> str:
    rows = sorted(
        _rows(plan.result.builds),
        key=lambda r: (
            periods.index(r["period"]) if r["period"] in periods else 0,
            r["site"],
            r["phase"],
        ),
    )
    sites = sorted({r["site"] for r in rows})
    cum = {s: np.zeros(len(periods)) for s in sites}
    for r in rows:
        if r["period"] in periods:
            cum[r["site"]][periods.index(r["period"]) :] += float(r["power_mw"])
    series = [Series(s, cum[s], svg.color_for(i)) for i, s in enumerate(sites)]
    total = sum(float(r["power_mw"]) for r in rows)
    chart = svg.bar_chart(
        chart_id="builds",
        title="Power built, cumulative, by site",
        desc=f"{len(rows)} phases built, {_mw(total)} in all.",
        categories=periods,
        series=series,
        stacked=True,
        y_format=lambda v: f"{svg.compact(v)} MW",
        value_labels=True,
        empty_message="no phase is built",
    )
    table_rows = [
        [r["site"], r["phase"], r["period"], _mw(float(r["power_mw"])),
         usd_compact(float(r["capex_usd"])), _decided(r["status"])]
        for r in rows
    ]  # fmt: skip
    return section(
        "builds",
        "Builds",
        [
            figure(chart, "Facility power online by the end of each period, by site."),
            table(
                [
                    Col("site"),
                    Col("phase"),
                    Col("built in"),
                    Col("power", True),
                    Col("facility capex", True),
                    Col("status"),
                ],
                table_rows,
                "Site phases built, in order",
            ),
        ],
        "Which site phases are built, and when: those that exist or are on their way (fixed, "
        "with their status) on their online date, and those the plan decides to build (a phase "
        "serves from the period it is built in, pro rata from its online date in that period; "
        "it cannot be built before its online date).",
    )


def _installs(plan: _Plan, periods: list[str]) -> str:
    rows = _rows(plan.result.installs)
    types = sorted({r["accelerator"] for r in rows})
    by_type = {t: np.zeros(len(periods)) for t in types}
    for r in rows:
        if r["period"] in periods:
            by_type[r["accelerator"]][periods.index(r["period"])] += float(r["count"])
    series = [Series(t, by_type[t], svg.color_for(i)) for i, t in enumerate(types)]
    chart = svg.bar_chart(
        chart_id="installs",
        title="Accelerators installed per period, by type",
        desc=f"{num(sum(float(r['count']) for r in rows))} accelerators installed in all.",
        categories=periods,
        series=series,
        stacked=True,
        value_labels=True,
        empty_message="no accelerator is installed",
    )
    agg: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        a = agg.setdefault((r["site"], r["accelerator"]), [0.0, 0.0])
        a[0] += float(r["count"])
        a[1] += float(r["capex_usd"])
    summary = [[s, t, num(v[0]), usd_compact(v[1])] for (s, t), v in sorted(agg.items())]
    detail = [
        [r["site"], r["accelerator"], r["period"], num(float(r["count"])),
         usd_compact(float(r["capex_usd"])), _decided(r["status"])]
        for r in sorted(rows, key=lambda r: (r["site"], r["accelerator"], r["period"]))
    ]  # fmt: skip
    return section(
        "installs",
        "Installs",
        [
            figure(chart, "Accelerators installed in each period (installs, not the stock)."),
            table(
                [Col("site"), Col("accelerator"), Col("installed", True), Col("capex", True)],
                summary,
                "Installs by site and type over the horizon",
            ),
            "<details><summary>Installs by site, type and period</summary>"
            + table(
                [
                    Col("site"),
                    Col("accelerator"),
                    Col("period"),
                    Col("installed", True),
                    Col("capex", True),
                    Col("status"),
                ],
                detail,
            )
            + "</details>",
        ],
        "Accelerators installed at owned, joint-venture and colocation sites: listed pools "
        "(fixed, on the day they come online) and what the plan installs.",
    )


def _rentals(plan: _Plan, periods: list[str], providers: list[str], colors: dict[str, str]) -> str:
    rows = _rows(plan.result.rentals)
    rent_usd = sum(float(r["cost_usd"]) for r in rows)
    series = _by_provider(rows, "accelerator_hours", periods, providers, colors)
    chart = svg.bar_chart(
        chart_id="rentals",
        title="Accelerator-hours used per period on cloud capacity, by provider",
        desc=f"{svg.compact(sum(float(r['accelerator_hours']) for r in rows))} "
        f"accelerator-hours used, worth {usd_compact(rent_usd)} at their prices.",
        categories=periods,
        series=series,
        stacked=True,
        value_labels=True,
        empty_message="nothing is rented",
    )
    agg: dict[tuple[str, str, str, str], list[float]] = {}
    for r in rows:
        a = agg.setdefault((r["provider"], r["site"], r["source"], r["accelerator"]), [0.0, 0.0])
        a[0] += float(r["accelerator_hours"])
        a[1] += float(r["cost_usd"])
    summary = [
        [p, s, t, a, svg.compact(v[0]), usd_compact(v[1])]
        for (p, s, t, a), v in sorted(agg.items())
    ]
    detail = [
        [r["provider"], r["site"], r["source"], r["accelerator"], r["workload_class"], r["period"],
         svg.compact(float(r["accelerator_hours"])), usd_compact(float(r["cost_usd"])),
         r["basis"]]
        for r in sorted(rows, key=lambda r: (r["site"], r["source"], r["accelerator"],
                                             r["workload_class"], r["period"]))
    ]  # fmt: skip
    return section(
        "rentals",
        "Rentals",
        [
            figure(
                chart,
                "Accelerator-hours used in each period on cloud capacity, by provider (in "
                "the report's provider colours). The tables give each site and source: plan "
                "(rented by the plan: pools by the hour, or capacity bought from a capacity "
                "model), starting (a starting reservation) or scheduled (a reservation a dated "
                "capacity request placed).",
            ),
            table(
                [
                    Col("provider"),
                    Col("cloud site"),
                    Col("source"),
                    Col("accelerator"),
                    Col("accelerator-hours", True),
                    Col("at their price", True),
                ],
                summary,
                "Rentals by cloud, source and type over the horizon",
            ),
            "<details><summary>Rentals by workload class and period</summary>"
            + table(
                [
                    Col("provider"),
                    Col("cloud site"),
                    Col("source"),
                    Col("accelerator"),
                    Col("class"),
                    Col("period"),
                    Col("accelerator-hours", True),
                    Col("at their price", True),
                    Col("price basis"),
                ],
                detail,
            )
            + "</details>",
        ],
    )


def _decided(status: str) -> str:
    """'planned' rows are the plan's decisions; any other status is what exists."""
    return "decided by the plan" if status == "planned" else f"fixed ({status})"


def _procurement(plan: _Plan) -> str:
    rows = [ProcurementRecord.model_validate(r) for r in _rows(plan.result.procurement)]
    body = [procurement_table(rows, "The scenario has no dated capacity request in the horizon.")]
    return section(
        "procurement",
        "Procurement",
        body,
        "The capacity contracts of the record, each placed through the broker on its date with "
        "the clauses in force then; what they placed is held capacity in the plan.",
    )


def _by_provider(
    rows: list[dict[str, Any]], key: str, periods: list[str], providers: list[str],
    colors: dict[str, str],
) -> list[Series]:  # fmt: skip
    """One series per provider (in the report's order and colours) of ``key`` per period."""
    by = {p: np.zeros(len(periods)) for p in providers}
    for r in rows:
        if r["period"] in periods and r["provider"] in by:
            by[r["provider"]][periods.index(r["period"])] += float(r[key])
    return [Series(p, by[p], colors[p]) for p in providers if by[p].any()]


def _capacity_held(
    plan: _Plan, periods: list[str], providers: list[str], colors: dict[str, str]
) -> str:
    rows = _rows(plan.result.capacity_held)
    series = _by_provider(rows, "reference_accelerators", periods, providers, colors)
    committed = sum(float(r["committed_usd"]) for r in rows)
    idle = sum(float(r["idle_usd"]) for r in rows)
    chart = svg.bar_chart(
        chart_id="held",
        title="Capacity held per period, in reference accelerators, by provider",
        desc=f"Held capacity costs {usd_compact(committed)} over the horizon, "
        f"{usd_compact(idle)} of it unused.",
        categories=periods,
        series=series,
        stacked=True,
        y_format=svg.compact,
        empty_message="no capacity is held",
    )
    t_rows = [
        [r["period"], r["provider"], r["site"], r["accelerator"], r["source"],
         num(float(r["accelerators"])), num(float(r["reference_accelerators"])),
         _mw(float(r["power_mw"])), usd_compact(float(r["committed_usd"])),
         usd_compact(float(r["used_usd"])), usd_compact(float(r["idle_usd"]))]
        for r in rows
    ]  # fmt: skip
    return section(
        "capacity-held",
        "Capacity held",
        [
            figure(
                chart,
                "Reservations the lab holds (starting ones, and those the dated requests "
                "placed) and capacity the plan buys from capacity models, averaged over each "
                "period; reference accelerators count each type at its throughput for the "
                "scenario's reference class; the table gives each source.",
            ),
            table(
                [Col("period"), Col("provider"), Col("site"), Col("accelerator"),
                 Col("source"), Col("accelerators", True), Col("reference", True),
                 Col("power", True), Col("committed", True), Col("used", True),
                 Col("idle", True)],
                t_rows,
                "Capacity held, paid whether used or not",
            ),
        ],
        "What the lab holds at the clouds for a term, take-or-pay: what it costs, and how much "
        "of that the plan's work uses.",
    )  # fmt: skip


def _cost(plan: _Plan, periods: list[str]) -> str:
    by = {k: np.zeros(len(periods)) for k, _ in COMPONENTS}
    capex = np.zeros(len(periods))
    for r in plan.cost:
        if r["period"] not in periods:
            continue
        i = periods.index(r["period"])
        for k, _ in COMPONENTS:
            by[k][i] += float(r[k])
        capex[i] += float(r["capex_usd"])
    series = [Series(name, by[k], svg.color_for(i)) for i, (k, name) in enumerate(COMPONENTS)]
    total = sum(float(v.sum()) for v in by.values())
    chart = svg.bar_chart(
        chart_id="cost",
        title="Compute cost per period, by component",
        desc=f"Compute cost over the horizon: {usd_compact(total)}; "
        f"capex spent: {usd_compact(float(capex.sum()))}.",
        categories=periods,
        series=series,
        stacked=True,
        y_format=usd_compact,
        value_labels=True,
        empty_message="no cost in the plan",
    )
    rows = [
        [q, usd_compact(float(capex[i])), *(usd_compact(float(by[k][i])) for k, _ in COMPONENTS),
         usd_compact(float(sum(by[k][i] for k, _ in COMPONENTS)))]
        for i, q in enumerate(periods)
    ]  # fmt: skip
    detail = [
        [r["period"], r["provider"], usd_compact(float(r["capex_usd"])),
         *(usd_compact(float(r[k])) for k, _ in COMPONENTS),
         usd_compact(float(r["compute_cost_usd"]))]
        for r in plan.cost
    ]  # fmt: skip
    comp_cols = [Col(name, True) for _, name in COMPONENTS]
    return section(
        "cost",
        "Cost by period",
        [
            figure(
                chart,
                "Compute cost in each period (not discounted): depreciation of facilities and "
                "accelerators, energy, opex and rentals. Capex is the cash spent on builds and "
                "installs in the period; it enters the compute cost as depreciation.",
            ),
            table(
                [Col("period"), Col("capex", True), *comp_cols, Col("compute cost", True)],
                rows,
                "Cost by period",
            ),
            "<details><summary>Cost by period and provider</summary>"
            + table(
                [
                    Col("period"),
                    Col("provider"),
                    Col("capex", True),
                    *comp_cols,
                    Col("compute cost", True),
                ],
                detail,
            )
            + "</details>",
        ],
    )


def _shadow_prices(plan: _Plan, scenario: Scenario, periods: list[str]) -> str:
    rows = _rows(plan.result.shadow_prices)
    power = [r for r in rows if r["constraint"] == "power"]
    budget = [r for r in rows if r["constraint"] == "budget"]
    body: list[str] = []
    if power:
        sites = list(dict.fromkeys(r["name"] for r in power))
        val = {(r["name"], r["period"]): float(r["value_usd"]) for r in power}
        cols = [Col("site"), *(Col(q, True) for q in periods)]
        t_rows = [
            [s, *(usd_compact(val[(s, q)]) if (s, q) in val else "—" for q in periods)]
            for s in sites
        ]
        body.append(
            table(cols, t_rows, "Value of one more MW of facility power, by site and period")
        )
    if budget:
        by = {m.id: m for m in scenario.budget.milestones}
        b_rows = []
        for r in budget:
            m = by.get(r["name"])
            when = m.by.isoformat() if m else "end of horizon"
            cap = usd_compact(float(m.capex_usd)) if m else "—"
            b_rows.append([r["name"], when, cap, usd_compact(float(r["value_usd"]))])
        body.append(
            table(
                [
                    Col("milestone"),
                    Col("by"),
                    Col("capex cap", True),
                    Col("value of $1B more", True),
                ],
                b_rows,
                "Value of one more $1B of budget, by milestone",
            )
        )
    if not body:
        body.append('<p class="note">No shadow prices were computed for this plan.</p>')
    return section(
        "shadow-prices",
        "Shadow prices",
        body,
        "What one more unit of a binding limit would save, in present-value USD: the duals of "
        "the plan's LP with its build and ROFR decisions held fixed. Zero means the limit does "
        "not bind.",
    )


def _commitments(plan: _Plan) -> str:
    """Each committed_spend clause: due within the horizon, drawn, shortfall, shadow price."""
    rows = []
    notes: list[str] = []
    for c in plan.result.commitments:
        price = "—" if c.shadow_price is None else f"{c.shadow_price:.2f}"
        end = c.period_end.isoformat() if c.period_end else "open"
        rows.append(
            [
                c.clause,
                c.seller,
                f"{c.period_start.isoformat()}..{end}",
                f"${c.amount_usd:,.2f}",
                f"${c.due_usd:,.2f}",
                f"${c.drawn_usd:,.2f}",
                f"${c.shortfall_usd:,.2f}",
                price,
            ]
        )
        notes += [f"{c.clause}: {n}" for n in c.notes]
    cols = [
        Col("clause"),
        Col("seller"),
        Col("period"),
        Col("amount", True),
        Col("due within the horizon", True),
        Col("drawn", True),
        Col("shortfall", True),
        Col("shadow price", True),
    ]
    body = [table(cols, rows, "Committed spend (take-or-pay), by clause")]
    body += [f'<p class="note">{esc(n)}</p>' for n in notes]
    return section(
        "commitments",
        "Committed spend",
        body,
        "The lab's committed_spend clauses in force: the amount due within the horizon "
        "(pro-rated by drawable days where the period runs outside it), what the plan's spend "
        "with the seller's providers draws, the shortfall paid anyway at the period's end, "
        "and the shadow price: objective dollars per dollar more committed, in dollars paid "
        "at settlement (1: short, 0: covered with room).",
    )


def _conflicts(plan: _Plan) -> str:
    cs = plan.result.conflicts
    if not cs:
        body = [
            '<p class="note">The plan is infeasible, and relaxing demand, supply, rental caps, '
            "power and budget found no single constraint to blame.</p>"
        ]
    else:
        items = "".join(f"<li>{esc(c.message)}</li>" for c in cs)
        rows = [[c.kind, c.name, c.period or "—", f"{c.amount:,.1f}", c.unit] for c in cs]
        body = [
            f"<ul>{items}</ul>",
            table(
                [Col("constraint"), Col("name"), Col("period"), Col("short by", True), Col("unit")],
                rows,
                "Constraints that had to give way",
            ),
        ]
    return section(
        "conflicts",
        "Why there is no plan",
        body,
        "The inputs admit no plan. The planner solved again with penalised slack on each kind "
        "of limit; every slack it had to use is a limit that conflicts with the others.",
    )


def _ordered(plan: _Plan, other: _Plan) -> tuple[_Plan, _Plan, list[str]]:
    """The plan with fewer clauses switched off first (as the simulation report orders its
    runs), so differences read as "what switching them off changes" whichever was passed
    first; and the names switched off in one plan and not the other."""
    wa, wb = set(plan.result.clauses_off), set(other.result.clauses_off)
    if wb < wa:
        return other, plan, sorted(wa - wb)
    return plan, other, sorted(wb ^ wa)


def _comparison(
    plan: _Plan, other: _Plan, periods: list[str], providers: list[str], colors: dict[str, str]
) -> str:
    base, alt, names = _ordered(plan, other)
    la, lb = base.label, alt.label
    ra, rb = base.result, alt.result
    if names:
        title = f"With and without {', '.join(names)}"
        change = f"change with {', '.join(names)} off"
    else:
        title = f"{la} and {lb}"
        change = "difference"

    def diff(a: float | None, b: float | None) -> str:
        if a is None or b is None:
            return "—"
        d = b - a
        if abs(d) < 0.5:  # under a dollar: rounding, not a difference
            d = 0.0
        out = ("+" if d > 0 else "−" if d < 0 else "±") + usd_compact(abs(d))
        return out + (f" ({d / a * 100:+.1f}%)".replace("-", "−") if a else "")

    def hours_diff(a: float, b: float) -> str:
        d = b - a
        return "±0" if abs(d) < 0.5 else ("+" if d > 0 else "−") + svg.compact(abs(d))

    def off(r: PlanResult) -> str:
        return ", ".join(r.clauses_off) or "none — every clause in force"

    last = periods[-1] if periods else ""
    rows: list[list[object]] = [
        ["clauses switched off", off(ra), off(rb), ""],
        ["status", ra.status.value, rb.status.value, ""],
        ["objective (present value)",
         usd_compact(ra.objective_usd) if ra.objective_usd is not None else "—",
         usd_compact(rb.objective_usd) if rb.objective_usd is not None else "—",
         diff(ra.objective_usd, rb.objective_usd)],
    ]  # fmt: skip
    for key, name in ((0, "compute cost over the horizon"), (1, "of it fixed: the record"),
                      (2, "of it decided by the plan")):  # fmt: skip
        a, b = base.total(key), alt.total(key)
        rows.append([name, usd_compact(a), usd_compact(b), diff(a, b)])
    ba, bb = base.beyond_record(), alt.beyond_record()
    rows.append(
        ["demand beyond the record (reference-accelerator-hours)", svg.compact(ba),
         svg.compact(bb), hours_diff(ba, bb)]
    )  # fmt: skip
    if last:
        a_own, b_own = base.own_share(last), alt.own_share(last)
        rows.append(
            [f"share off the clouds in {last}", pct(a_own), pct(b_own),
             pp((b_own or 0.0) - (a_own or 0.0))]
        )  # fmt: skip
    checks_b = {str(c["id"]): c for c in alt.checks}
    for c in base.checks:
        cb = checks_b.get(str(c["id"]))

        def said(x: dict[str, Any] | None) -> str:
            if x is None:
                return "—"
            verdict = "" if x["within"] is None else (" within" if x["within"] else " outside")
            return f"{usd_compact(float(x['plan_usd']))}{verdict}"

        rows.append(
            [f"{c['id']} (public {format_usd(float(c['public_usd']))})", said(c), said(cb),
             diff(float(c["plan_usd"]), float(cb["plan_usd"])) if cb else "—"]
        )  # fmt: skip
    head = table(
        [Col(""), Col(la, True), Col(lb, True), Col(change, True)],
        rows,
        f"The two plans side by side; {change} = {lb} − {la}",
    )
    years = sorted(set(base.annual_total) | set(alt.annual_total))
    chart = svg.bar_chart(
        chart_id="cmp-cost",
        title=f"Annual compute cost: {la} and {lb}",
        desc="; ".join(
            f"{y}: {usd_compact(base.annual_total.get(y, 0.0))} and "
            f"{usd_compact(alt.annual_total.get(y, 0.0))}"
            for y in years
        )
        or "No cost in either plan.",
        categories=[str(y) for y in years],
        series=[
            Series(la, [base.annual_total.get(y, 0.0) for y in years], RUN_COLORS[0]),
            Series(lb, [alt.annual_total.get(y, 0.0) for y in years], RUN_COLORS[1]),
        ],
        y_format=usd_compact,
        empty_message="no cost in either plan",
    )
    cost_rows = []
    for y in years:
        a, b = base.annual_total.get(y, 0.0), alt.annual_total.get(y, 0.0)
        fa, da = base.annual_split.get(y, (a, 0.0))
        fb, db = alt.annual_split.get(y, (b, 0.0))
        cost_rows.append(
            [str(y), usd_compact(a), usd_compact(da), usd_compact(b), usd_compact(db),
             diff(a, b), diff(fa, fb)]
        )  # fmt: skip
    share_charts = [
        figure(
            _share_chart(
                r,
                periods,
                providers,
                colors,
                cid,
                f"Share of capacity by provider (reference-accelerator-hours): {r.label}",
                r.capacity_share,
            ),
            f"{r.label[:1].upper()}{r.label[1:]}: each provider's share of the capacity held, "
            "installed or rented per period, in reference-accelerator-hours.",
        )
        for r, cid in ((base, "cmp-share-base"), (alt, "cmp-share-alt"))
    ]
    share_rows = []
    for q in periods:
        for p in providers:
            a_s, b_s = base.capacity_share.get((q, p)), alt.capacity_share.get((q, p))
            if not a_s and not b_s:
                continue
            share_rows.append(
                [q, p, pct(a_s or 0.0), pct(b_s or 0.0), pp((b_s or 0.0) - (a_s or 0.0))]
            )
    demand_rows = [
        [q, svg.compact(base.beyond_record(q)), svg.compact(alt.beyond_record(q)),
         hours_diff(base.beyond_record(q), alt.beyond_record(q))]
        for q in periods
        if base.beyond_record(q) > 0.5 or alt.beyond_record(q) > 0.5
    ]  # fmt: skip
    body = [
        head,
        figure(chart, f"Compute cost per year in both plans ({la} dark, {lb} light)."),
        table(
            [
                Col("year"),
                Col(la, True),
                Col("decided", True),
                Col(lb, True),
                Col("decided", True),
                Col(change, True),
                Col("of it fixed", True),
            ],
            cost_rows,
            "Annual compute cost, and the part of it the plan decided",
        ),
        *share_charts,
        table(
            [Col("period"), Col("provider"), Col(la, True), Col(lb, True), Col(change, True)],
            share_rows,
            "Share of capacity by provider (reference-accelerator-hours)",
        ),
    ]
    if demand_rows:
        body.append(
            table(
                [Col("period"), Col(la, True), Col(lb, True), Col(change, True)],
                demand_rows,
                "Demand beyond the record (reference-accelerator-hours), carried by the plan's "
                "decisions",
            )
        )
    else:
        body.append(
            '<p class="note">In both plans the record carries the whole forecast: neither '
            "adds capacity.</p>"
        )
    switched = (
        f"Switched off in the second: {', '.join(names)} — an agreement switches off as a "
        "whole (the terms before it hold), a clause alone otherwise; the dated capacity "
        "requests are placed again under the terms that hold."
        if names
        else ""
    )
    return section(
        "comparison",
        title,
        body,
        f"The same scenario planned twice: {la}, and {lb}. Differences are the second minus the "
        f"first. {switched}".strip(),
    )


# --------------------------------------------------------------------------- the page


def render_plan_report(
    result: PlanResult,
    scenario: Scenario,
    comparison: PlanResult | None = None,
    comparison_label: str = "",
    *,
    horizon: tuple[int, int] | None = None,
    period: str | None = None,
    without: Sequence[str] | None = None,
    label: str = "",
) -> str:
    """One self-contained HTML page for ``result`` (a plan of ``scenario``) and, if given, a
    comparison against ``comparison`` labelled ``comparison_label``.

    ``horizon``, ``period`` and ``without`` (the clause selectors switched off) are shown in the
    header; when not given they are read from the result if it carries them, else the horizon
    and period are inferred from the tables. ``label`` names ``result`` in the comparison."""
    horizon = horizon if horizon is not None else getattr(result, "horizon", None)
    period = period if period is not None else getattr(result, "period", None)
    without = without if without is not None else getattr(result, "without", None)
    plan = _Plan(result, scenario, label or "this plan")
    other = (
        _Plan(comparison, scenario, comparison_label or "comparison")
        if comparison is not None
        else None
    )
    plans = [plan, *([other] if other else [])]
    periods = _periods(plans, horizon, period)
    kinds = {p.id: p.kind for p in scenario.providers}
    found: set[str] = set()
    for p in plans:
        found |= p.providers()
    providers = sorted(found, key=lambda p: (kinds.get(p) == ProviderKind.cloud, p))
    # one colour per provider, fixed by the scenario's provider order (as in the simulation
    # report), so a plan and its comparison, and the simulation of the same scenario, agree
    colors = provider_colors([p.id for p in scenario.providers], providers)
    sections: list[tuple[str, str, str]] = []
    if plan.solved:
        sections += [
            ("key-figures", "Key figures", _key_figures(plan, periods)),
            ("independence", "Path to independence",
             _independence(plan, periods, providers, colors)),
            ("compute-cost", "Annual compute cost",
             _compute_cost(plan, scenario, providers, colors)),
            ("demand", "Demand and the record", _demand(plan, periods)),
            ("procurement", "Procurement", _procurement(plan)),
            ("builds", "Builds", _builds(plan, periods)),
            ("installs", "Installs", _installs(plan, periods)),
            ("capacity-held", "Capacity held",
             _capacity_held(plan, periods, providers, colors)),
            ("rentals", "Rentals", _rentals(plan, periods, providers, colors)),
            ("cost", "Cost by period", _cost(plan, periods)),
            ("shadow-prices", "Shadow prices", _shadow_prices(plan, scenario, periods)),
        ]  # fmt: skip
        if getattr(result, "commitments", None):
            sections.append(("commitments", "Committed spend", _commitments(plan)))
    if result.status.value == "infeasible" or result.conflicts:
        sections.append(("conflicts", "Conflicts", _conflicts(plan)))
    elif not plan.solved:
        sections.append(
            (
                "no-plan",
                "No plan",
                section(
                    "no-plan",
                    "No plan",
                    [f'<p class="note">The solver returned {esc(result.status.value)}.</p>'],
                ),
            )
        )
    if other is not None:
        sections.append(
            ("comparison", "With and without", _comparison(plan, other, periods, providers, colors))
        )
    return page(
        "plan",
        scenario.name,
        _header(plan, scenario, periods, horizon, period, without),
        sections,
        "Generated by Stargate from the plan's tables (procurement, builds, installs, capacity "
        "held, rentals, cost by period, share by provider, shadow prices). The same plan always "
        "renders the same page.",
    )

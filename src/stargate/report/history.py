"""The sections of the simulation report that tell a scenario run's story: the headline, the
capacity held over time with the agreements and clause changes marked on the time axis, the
capacity procured per period by provider and by the ROFR's verdict, spend per year by provider
beside the public figures, and the facts table (fitted and checked figures apart).

Every number comes from the run's summary and its scenario (:mod:`stargate.report.story` for
the words, :func:`stargate.facts.check.check_figures` for the figures); the HTML is built with
:mod:`stargate.report.html` and :mod:`stargate.report.svg`. :func:`spread_committed` spreads
each year's committed spend over the months in which the capacity was held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from stargate.domain.model import Exclusivity, RightOfFirstRefusal, Scenario, figure_value
from stargate.report import svg
from stargate.report.html import RUN_COLORS, Col, esc, figure, num, pct, section, table
from stargate.report.story import Headline, Topic, gw_text, money
from stargate.report.svg import Band, Rule, Series

if TYPE_CHECKING:
    from stargate.facts.check import Fact, Facts
    from stargate.sim.result import SimSummary

DAY_S = 86_400.0

#: The ROFR's verdict on a procured row, in the order the chart stacks them, and its colour
#: (outcomes are not providers: these are fixed, and none is a provider's first colour).
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("accepted", "accepted by the holder", "#1B7837"),
    ("declined", "declined by the holder", "#A50F15"),
    ("expired", "offer expired", "#BC7A00"),
    ("released_unmet", "released at once (holder could not meet)", "#7F7F7F"),
    ("not_in_scope", "no ROFR (not in scope or not in force)", "#BDBDBD"),
)
NOBODY_COLOR = "#BDBDBD"
#: The public figures and their tolerance bands (neither a provider nor a run)
PUBLIC_COLOR = "#B2182B"


# ----------------------------------------------------------------------------- time markers


def _clause_end(cl: object) -> date | None:
    amendments = getattr(cl, "amendments", [])
    ends = [a.effective.start for a in amendments if a.action == "terminate"]
    effective = getattr(cl, "effective", None)
    if effective is not None and effective.end is not None:
        ends.append(effective.end + timedelta(days=1))
    agi = getattr(cl, "_agi_end", None)
    if isinstance(agi, date):
        ends.append(agi)
    return min(ends) if ends else None


def timeline_events(scenario: Scenario, first: date, last: date) -> list[tuple[date, str, str]]:
    """(day, short label, full description) of each day within [first, last] on which an
    agreement was made or a clause on capacity or routing (exclusivity, right of first
    refusal) started or ended; the events of one day are merged."""
    by_day: dict[date, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for c in scenario.contracts:
        for ag in c.agreements:
            if first <= ag.date <= last:
                by_day[ag.date][0].append(ag.id)
                by_day[ag.date][1].append(f"agreement {ag.id}: {ag.name or c.name}")
    for _, cl in scenario.clauses():
        if not isinstance(cl, Exclusivity | RightOfFirstRefusal):
            continue
        start, end = cl.effective.start, _clause_end(cl)
        if first < start <= last:
            by_day[start][1].append(f"{cl.id} starts")
        if end is not None and first < end <= last:
            by_day[end][1].append(f"{cl.id} ends")
    out = []
    for day in sorted(by_day):
        agreements, events = by_day[day]
        clause_events = [e for e in events if not e.startswith("agreement ")]
        label = " · ".join([*agreements, *clause_events]) if agreements else ", ".join(events)
        out.append((day, label, f"{day.isoformat()}: " + "; ".join(events)))
    return out


def _key(i: int) -> str:
    """A, B, …, Z, AA, AB, …: the visible label of the i-th rule."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def timeline_rules(scenario: Scenario | None, t0: datetime, first: date, last: date) -> list[Rule]:
    """The :func:`timeline_events` as rules on an axis of days from ``t0``, labelled A, B, …
    in date order (:func:`rules_key` says what each letter stands for)."""
    if scenario is None:
        return []
    return [
        Rule(
            (datetime(d.year, d.month, d.day) - t0).total_seconds() / DAY_S,
            _key(i),
            f"{_key(i)} · {tip}",
        )
        for i, (d, _, tip) in enumerate(timeline_events(scenario, first, last))
    ]


def rules_key(rules: Sequence[Rule]) -> str:
    """The key under a chart with rules: each letter and what changed that day."""
    if not rules:
        return ""
    items = "".join(
        f"<li><b>{esc(r.label)}</b> {esc(r.tip.partition(' · ')[2])}</li>" for r in rules
    )
    return f'<ol class="key" aria-label="What the dashed rules mark">{items}</ol>'


# ----------------------------------------------------------------------------- the headline


def _brief_html(h: Headline) -> str:
    """The capacity sentences as a list (one item per year end), the others as paragraphs."""
    cap = "".join(f"<li>{esc(t)}</li>" for t in h.of("capacity"))
    out = [f"<p><strong>Where the capacity came from.</strong></p><ul>{cap}</ul>"] if cap else []
    topics: tuple[tuple[Topic, str], ...] = (
        ("rofr", "The right of first refusal."),
        ("spend", "Spend."),
    )
    for topic, title in topics:
        text = " ".join(h.of(topic))
        if text:
            out.append(f"<p><strong>{esc(title)}</strong> {esc(text)}</p>")
    return "".join(out)


def headline_section(h: Headline, other: Headline | None = None, other_label: str = "") -> str:
    if not h:
        return ""
    body = [f'<div class="headline">{_brief_html(h)}</div>']
    if other is not None and other:
        body.append(
            f"<details><summary>The same, {esc(other_label)}</summary>{_brief_html(other)}"
            "</details>"
        )
    return section(
        "headline",
        "In brief",
        body,
        "Generated from this run's summary and its scenario: where the capacity came from, "
        "what the right of first refusal did, and what the lab spent against the public "
        "figures.",
    )


# ----------------------------------------------------------------------------- capacity held


def held_grid(s: SimSummary) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Days, providers (as first seen), and GW and reference accelerators per
    [provider, day] from ``capacity_held``."""
    held = s.capacity_held or []
    days = sorted({h.period_end for h in held})
    provs: list[str] = []
    for h in held:
        if h.provider not in provs:
            provs.append(h.provider)
    pd = {d: i for i, d in enumerate(days)}
    pp_ = {p: i for i, p in enumerate(provs)}
    gw = np.zeros((len(provs), len(days)))
    ref = np.zeros((len(provs), len(days)))
    for h in held:
        gw[pp_[h.provider], pd[h.period_end]] = h.power_mw / 1000
        ref[pp_[h.provider], pd[h.period_end]] = h.reference_accelerators
    return days, provs, gw, ref


def held_charts(
    s: SimSummary,
    scenario: Scenario | None,
    t0: datetime,
    colors: dict[str, str],
    ticks: Sequence[tuple[float, str]],
) -> list[str]:
    """Capacity held by provider over time, in GW and in reference accelerators, with the
    agreements and clause changes marked."""
    days, provs, gw, ref = held_grid(s)
    if not days:
        return []
    order = [p for p in colors if p in provs] + [p for p in provs if p not in colors]
    x = np.asarray(
        [(datetime.fromisoformat(d) - t0).total_seconds() / DAY_S for d in days], dtype=float
    )
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    rules = timeline_rules(scenario, t0, first, last)
    marked = "; ".join(r.tip for r in rules)
    out = []
    for cid, unit, grid, fmt, label in (
        ("held-gw", "GW", gw, lambda v: f"{v:,.2f}", "GW (facility power)"),
        ("held", "reference accelerators", ref, svg.compact, "reference accelerators"),
    ):
        peak = int(np.argmax(grid.sum(axis=0)))
        chart = svg.line_chart(
            chart_id=cid,
            title=f"Capacity the lab holds, by provider ({unit})",
            desc=(
                f"Stacked areas of the {unit} the lab holds on the last day of each procurement "
                f"period, by provider ({', '.join(order)}); most {fmt(float(grid[:, peak].sum()))}"
                f" on {days[peak]}." + (f" Vertical rules mark {marked}." if rules else "")
            ),
            x=x,
            areas=[Series(p, grid[provs.index(p)], colors.get(p, "#7F7F7F")) for p in order],
            x_ticks=ticks,
            x_hover=days,
            legend=True,
            y_label=label,
            y_format=(lambda v: f"{v:g}") if unit == "GW" else svg.compact,
            empty_message="the lab held nothing",
            rules=rules,
            height=340,
        )
        caption = (
            "Facility power of the reservations in force and the lab's own pools online, on "
            "each period's last day."
            if unit == "GW"
            else "A reference accelerator counts each type's throughput for the scenario's "
            "reference class, so types of different speed add up."
        )
        if rules:
            caption += (
                " Dashed rules: agreements, and the start or end of an exclusivity or a right "
                "of first refusal"
                + (" (the key below)." if unit == "GW" else " (lettered as above).")
            )
        fig = figure(chart, caption)
        if unit == "GW":
            fig = fig.removesuffix("</figure>") + rules_key(rules) + "</figure>"
        out.append(fig)
    return out


# ----------------------------------------------------------------------------- procured


def _period_of(day: str, unit: str) -> str:
    if unit == "quarter":
        return f"{day[:4]} Q{(int(day[5:7]) - 1) // 3 + 1}"
    return day[:4]


def _periods(first: str, last: str, unit: str) -> list[str]:
    out = []
    y, m = int(first[:4]), int(first[5:7])
    while f"{y:04d}-{m:02d}" <= last[:7]:
        p = _period_of(f"{y:04d}-{m:02d}-01", unit)
        if p not in out:
            out.append(p)
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


def procured(s: SimSummary, colors: dict[str, str]) -> str:
    """Capacity procured per period (quarter, or year over more than six years of requests):
    by provider, and by the ROFR's verdict, in reference accelerators; and as a table."""
    rows = s.procurement or []
    if not rows:
        return ""
    dates = sorted(r.date for r in rows)
    span_years = int(dates[-1][:4]) - int(dates[0][:4])
    unit = "quarter" if span_years <= 6 else "year"
    cats = _periods(dates[0], dates[-1], unit)
    ci = {c: i for i, c in enumerate(cats)}
    placed = {r.provider for r in rows if r.placed and r.provider}
    provs = [p for p in colors if p in placed]
    provs += sorted(placed - set(provs))
    by_p = np.zeros((len(provs) + 1, len(cats)))
    by_o = np.zeros((len(OUTCOMES), len(cats)))
    okey = {k: i for i, (k, _, _) in enumerate(OUTCOMES)}
    agg: dict[tuple[str, str, str], list[float]] = {}
    for r in rows:
        c = ci[_period_of(r.date, unit)]
        who = r.provider if r.placed and r.provider else "nobody"
        row = provs.index(who) if who in provs else len(provs)
        by_p[row, c] += r.reference_accelerators
        by_o[okey.get(r.rofr, okey["not_in_scope"]), c] += r.reference_accelerators
        a = agg.setdefault((_period_of(r.date, unit), who, r.rofr), [0, 0.0, 0.0])
        a[0] += 1
        a[1] += r.reference_accelerators
        a[2] += r.power_mw
    p_series = [Series(p, by_p[i], colors.get(p, "#7F7F7F")) for i, p in enumerate(provs)]
    if by_p[-1].any():
        p_series.append(Series("nobody (not placed)", by_p[-1], NOBODY_COLOR))
    o_series = [
        Series(name, by_o[i], color) for i, (_, name, color) in enumerate(OUTCOMES) if by_o[i].any()
    ]
    total = float(by_p.sum())
    charts = []
    for cid, what, series in (
        ("procured-provider", "by provider", p_series),
        ("procured-rofr", "by the ROFR's verdict", o_series),
    ):
        charts.append(
            figure(
                svg.bar_chart(
                    chart_id=cid,
                    title=f"Capacity procured per {unit}, {what} (reference accelerators)",
                    desc=(
                        f"Stacked bars per {unit} of the decision, {cats[0]} to {cats[-1]}, of "
                        f"the reference accelerators of the lab's capacity requests {what}: "
                        + "; ".join(
                            f"{se.name} {svg.compact(float(np.sum(se.values)))}" for se in series
                        )
                        + f" ({svg.compact(total)} in all)."
                    ),
                    categories=cats,
                    series=series,
                    stacked=True,
                    legend=True,
                    y_label="reference accelerators",
                    value_format=lambda v: num(v),
                    height=300,
                ),
                f"Each capacity request counts in the {unit} it was decided, by the part placed "
                "with each provider"
                + (
                    " (or with nobody)."
                    if what == "by provider"
                    else ": accepted or declined by the ROFR's holder, released at once "
                    "because the holder could not meet it, or placed with no ROFR."
                ),
            )
        )
    trows = [
        (period, who, verdict.replace("_", " "), num(v[0]), num(v[1]), f"{v[2]:,.1f}")
        for (period, who, verdict), v in sorted(agg.items())
    ]
    tab = table(
        [
            Col("period"),
            Col("placed with"),
            Col("ROFR"),
            Col("requests", True),
            Col("reference accelerators", True),
            Col("facility MW", True),
        ],
        trows,
        f"Capacity procured per {unit}, by provider and the ROFR's verdict",
    )
    if len(trows) > 40:
        tab = f"<details><summary>Per {unit}, as a table</summary>{tab}</details>"
    return "<h3>Capacity procured per " + esc(unit) + "</h3>" + "".join(charts) + tab


# ----------------------------------------------------------------------------- spend


def spend_grid(s: SimSummary) -> tuple[list[int], list[str], np.ndarray]:
    spend = s.spend_by_year or []
    years = sorted({x.year for x in spend})
    provs: list[str] = []
    for x in spend:
        if x.provider not in provs:
            provs.append(x.provider)
    grid = np.zeros((len(provs), len(years)))
    for x in spend:
        grid[provs.index(x.provider), years.index(x.year)] += float(x.committed_usd)
    return years, provs, grid


def public_spend_bands(
    facts: Facts | None, lab: str, years: Sequence[int]
) -> tuple[Band | None, list[Fact]]:
    """The lab's single-year spend figures as a band per year, and the other spend figures
    (another subject, or several years) for a table."""
    if facts is None:
        return None, []
    from stargate.domain.model import figure_period

    v = np.full(len(years), np.nan)
    lo, hi = v.copy(), v.copy()
    rest = []
    for fact in facts.facts:
        f = fact.figure
        if f.metric != "compute_spend_usd" or f.period is None:
            continue
        first, last = figure_period(f.period)
        kind, val = figure_value(f.value)
        if f.subject == lab and first.year == last.year and first.year in years and kind != "date":
            i = list(years).index(first.year)
            tol = float(f.tolerance or 0.0)
            v[i] = float(val)
            lo[i] = float(val) if kind == "at_least" else float(val) * (1 - tol)
            hi[i] = float(val) * (1 + tol)
        else:
            rest.append(fact)
    if not np.isfinite(v).any():
        return None, rest
    return Band("public figure ± tolerance", v, lo, hi, PUBLIC_COLOR), rest


def spend_vs_public(s: SimSummary, colors: dict[str, str], facts: Facts | None, lab: str) -> str:
    """Spend per year by provider (stacked) with the public figures as bands, and the other
    public spend figures as a table."""
    years, provs, grid = spend_grid(s)
    if not years:
        return ""
    order = [p for p in colors if p in provs] + [p for p in provs if p not in colors]
    band, rest = public_spend_bands(facts, lab, years)
    cats = [str(y) for y in years]
    totals = grid.sum(axis=0)
    desc = (
        "Stacked bars per year of the spend the lab committed, by provider: "
        + "; ".join(f"{y} {money(float(t))}" for y, t in zip(years, totals, strict=True))
        + "."
    )
    if band is not None:
        desc += " Public figures: " + "; ".join(
            f"{y} {money(float(v))} (band {money(float(a))} to {money(float(b))})"
            for y, v, a, b in zip(years, band.values, band.lo, band.hi, strict=True)
            if np.isfinite(v)
        )
        desc += "."
    body = [
        figure(
            svg.bar_chart(
                chart_id="spend-provider",
                title="Spend per year by provider, beside the public figures",
                desc=desc,
                categories=cats,
                series=[Series(p, grid[provs.index(p)], colors.get(p, "#7F7F7F")) for p in order],
                stacked=True,
                value_labels=True,
                y_format=lambda v: money(v),
                value_format=lambda v: money(v),
                legend=True,
                y_label="USD",
                height=320,
                bands=[band] if band is not None else [],
            ),
            "Committed spend (every accelerator-hour held, used or not) per year, stacked by "
            "provider. The red level and shaded band are the public figure for the lab's "
            "spend that year and its tolerance (value ± tolerance × value), where the scenario "
            "has one.",
        )
    ]
    if rest:
        body.append(
            table(
                [
                    Col("figure"),
                    Col("subject"),
                    Col("period"),
                    Col("public", True),
                    Col("model", True),
                    Col("within"),
                ],
                [
                    (
                        f.figure.id,
                        f.figure.subject or "",
                        f.figure.period or "",
                        _public_text(f),
                        _model_text(f),
                        _within_text(f),
                    )
                    for f in rest
                ],
                "Other public spend figures (another subject, or several years)",
            )
        )
    return "<h3>Spend per year against the public figures</h3>" + "".join(body)


def spend_comparison(
    a: SimSummary, b: SimSummary, facts: Facts | None, lab: str, labels: tuple[str, str]
) -> str:
    """Committed spend per year in two runs side by side, beside the public figures."""
    ya, _, ga = spend_grid(a)
    yb, _, gb = spend_grid(b)
    years = sorted(set(ya) | set(yb))
    if not years:
        return ""
    ta, tb = ga.sum(axis=0), gb.sum(axis=0)
    va = [float(ta[ya.index(y)]) if y in ya else 0.0 for y in years]
    vb = [float(tb[yb.index(y)]) if y in yb else 0.0 for y in years]
    band, _ = public_spend_bands(facts, lab, years)
    chart = svg.bar_chart(
        chart_id="cmp-spend",
        title=f"Spend per year: {labels[0]} and {labels[1]}",
        desc="Grouped bars per year of committed spend: "
        + "; ".join(
            f"{y} {money(x)} {labels[0]}, {money(z)} {labels[1]}"
            for y, x, z in zip(years, va, vb, strict=True)
        )
        + ".",
        categories=[str(y) for y in years],
        series=[Series(labels[0], va, RUN_COLORS[0]), Series(labels[1], vb, RUN_COLORS[1])],
        y_format=lambda v: money(v),
        value_format=lambda v: money(v),
        legend=True,
        y_label="USD",
        height=300,
        bands=[band] if band is not None else [],
    )
    return "<h3>Spend per year, both runs</h3>" + figure(
        chart,
        "Committed spend per year in each run; the red level and band are the public figure "
        "for the lab's spend that year ± its tolerance.",
    )


# ----------------------------------------------------------------------------- facts


def _fmt_value(v: float | date | Decimal | None, unit: str) -> str:
    if v is None:
        return "—"
    if isinstance(v, date):
        return v.isoformat()
    x = float(v)
    u = unit.lower()
    if u == "usd":
        return money(x)
    if u == "gw":
        return gw_text(x)
    if u == "share":
        return pct(x)
    if u == "mw":
        return f"{x:,.0f} MW"
    if abs(x) >= 1e5:
        return f"{svg.compact(x)} {unit}"
    return f"{x:,.4g} {unit}"


def _public_text(f: Fact) -> str:
    kind, v = figure_value(f.figure.value)
    text = _fmt_value(v, f.figure.unit)
    if kind == "at_least":
        text = "≥ " + text
    tol = f.figure.tolerance
    if tol:
        text += f" ± {tol:g} d" if kind == "date" else f" ± {tol * 100:g}%"
    return text


def _model_text(f: Fact) -> str:
    if f.model is None:
        return "—"
    return _fmt_value(f.model, f.figure.unit)


def _within_text(f: Fact) -> str:
    mark = "✓ within" if f.within else "✗ outside"
    if f.model is None:
        mark = f"✗ not computed: {f.reason}" if f.reason else "✗ not computed"
    return mark + (" · low confidence" if f.soft else "")


def facts_section(
    facts: Facts | None, other: Facts | None = None, labels: tuple[str, str] = ("", "")
) -> str:
    """The scenario's checkable figures beside the model's values, fitted and checked apart."""
    if facts is None or not facts.facts:
        return ""
    others = {f.figure.id: f for f in other.facts} if other is not None else {}
    body = []
    for use, title, what in (
        ("fitted", "Fitted figures", "an input of the scenario was calibrated to each of these"),
        ("checked", "Checked figures", "no input was calibrated to these: they test the model"),
    ):
        group = [f for f in facts.facts if f.figure.use == use]
        if not group:
            continue
        cols = [
            Col("figure"),
            Col("metric · subject · period"),
            Col("kind"),
            Col("public", True),
            Col("model", True),
            Col("ratio", True),
            Col("within"),
        ]
        if other is not None:
            cols += [Col(f"model, {labels[1]}", True), Col(f"within, {labels[1]}")]
        rows = []
        for f in group:
            row: list[object] = [
                f.figure.id,
                f"{f.figure.metric} · {f.figure.subject} · {f.figure.period}",
                f.kind,
                _public_text(f),
                _model_text(f),
                "—" if f.ratio is None else f"{f.ratio:.2f}",
                _within_text(f),
            ]
            if other is not None:
                o = others.get(f.figure.id)
                row += ["—", "—"] if o is None else [_model_text(o), _within_text(o)]
            rows.append(row)
        n_in = sum(1 for f in group if f.within)
        n_soft = sum(1 for f in group if f.soft)
        body.append(f'<h3 id="facts-{use}">{esc(title)}</h3>')
        body.append(
            table(
                cols,
                rows,
                f"{title}: {n_in} of {len(group)} within tolerance ({what}); "
                f"{n_soft} of low confidence (marked: reported, never failing the check)",
            )
        )
    intro = (
        f"Each checkable figure of the scenario beside the model's value (what stargate facts "
        f"prints): {facts.n_within} within, {facts.n_outside} outside, {facts.n_soft} of low "
        "confidence. Outcomes are read from this run; inputs from the scenario's data with its "
        "agreements applied. A number is within when |model − public| ≤ tolerance × |public|; "
        "a lower bound ≥ N when N ≤ model < N × (1 + tolerance); a date when at most tolerance "
        "days off."
    )
    return section("facts", "Facts: the model against the public record", body, intro)


# ----------------------------------------------------------------------------- comparison


def capacity_comparison(
    a: SimSummary, b: SimSummary, colors: dict[str, str], labels: tuple[str, str]
) -> str:
    """Capacity held at each year's end in both runs: total GW as grouped bars, and by
    provider as a table."""
    from stargate.report.story import year_ends

    ea = {y.day: y for y in year_ends(a)}
    eb = {y.day: y for y in year_ends(b)}
    days = sorted(set(ea) | set(eb))
    if not days:
        return ""
    ga = [ea[d].gw if d in ea else 0.0 for d in days]
    gb = [eb[d].gw if d in eb else 0.0 for d in days]
    cats = [d[:4] if d.endswith("-12-31") else d for d in days]
    chart = svg.bar_chart(
        chart_id="cmp-held",
        title=f"Capacity held at each year's end (GW): {labels[0]} and {labels[1]}",
        desc="Grouped bars per year end: "
        + "; ".join(
            f"{c} {x:.2f} GW {labels[0]}, {y:.2f} GW {labels[1]}"
            for c, x, y in zip(cats, ga, gb, strict=True)
        )
        + ".",
        categories=cats,
        series=[Series(labels[0], ga, RUN_COLORS[0]), Series(labels[1], gb, RUN_COLORS[1])],
        value_labels=True,
        y_format=lambda v: f"{v:g}",
        value_format=lambda v: f"{v:.2f}",
        legend=True,
        y_label="GW (facility)",
        height=280,
    )
    provs = [
        p
        for p in colors
        if any(h.provider == p for y in (*ea.values(), *eb.values()) for h in y.providers)
    ]
    rows = []
    for d in days:
        pa = {h.provider: h for h in ea[d].providers} if d in ea else {}
        pb = {h.provider: h for h in eb[d].providers} if d in eb else {}
        for p in provs:
            x = pa[p].gw if p in pa else 0.0
            y = pb[p].gw if p in pb else 0.0
            if x or y:
                diff = y - x
                rows.append(
                    (
                        d,
                        p,
                        f"{x:,.3f}",
                        f"{y:,.3f}",
                        "±0" if abs(diff) < 5e-4 else f"{diff:+,.3f}".replace("-", "−"),
                    )
                )
    tab = table(
        [
            Col("day"),
            Col("provider"),
            Col(f"GW, {labels[0]}", True),
            Col(f"GW, {labels[1]}", True),
            Col("difference", True),
        ],
        rows,
        "Capacity held by provider at each year's end, both runs",
    )
    return (
        "<h3>Capacity held, both runs</h3>"
        + figure(chart, "Facility GW the lab held at each year's end in each run.")
        + (f"<details><summary>By provider, as a table</summary>{tab}</details>")
    )


# ----------------------------------------------------------------------------- cost spread


def spread_committed(s: SimSummary, providers: Sequence[str]) -> tuple[int, np.ndarray] | None:
    """Each year's committed spend of each provider spread over that year's months in
    proportion to the reference-accelerator-days it held in each (from ``capacity_held``: a
    period's holding counts on each of its days); a year with spend but nothing held spreads
    evenly. Returns the first month (months since 1970-01) and a [provider, month] grid."""
    spend = s.spend_by_year or []
    held = s.capacity_held or []
    if not spend:
        return None
    days = sorted({h.period_end for h in held})
    start = date.fromisoformat(s.run.start[:10])
    weight: dict[tuple[str, int], float] = defaultdict(float)  # (provider, month) → ref-days
    by_day: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for h in held:
        by_day[h.period_end].append((h.provider, h.reference_accelerators))
    period_start = start
    for d in days:
        end = date.fromisoformat(d)
        for prov, ref in by_day[d]:
            day = period_start
            while day <= end:
                # the part of this period in one month
                nxt = date(day.year + day.month // 12, day.month % 12 + 1, 1)
                upto = min(end, nxt - timedelta(days=1))
                weight[(prov, (day.year - 1970) * 12 + day.month - 1)] += ref * (
                    (upto - day).days + 1
                )
                day = nxt
        period_start = end + timedelta(days=1)
    years = sorted({x.year for x in spend})
    m0 = (max(years[0], start.year) - 1970) * 12
    if start.year == years[0]:
        m0 = (start.year - 1970) * 12 + start.month - 1
    m1 = (years[-1] - 1970) * 12 + 11
    grid = np.zeros((len(providers), m1 - m0 + 1))
    for x in spend:
        if x.provider not in providers:
            continue
        i = list(providers).index(x.provider)
        months = [m for m in range((x.year - 1970) * 12, (x.year - 1970) * 12 + 12) if m >= m0]
        w = np.asarray([weight.get((x.provider, m), 0.0) for m in months])
        if w.sum() <= 0:
            w = np.ones(len(months))
        grid[i, np.asarray(months) - m0] += float(x.committed_usd) * w / w.sum()
    return m0, grid


def spread_jobs(
    start_s: np.ndarray,
    end_s: np.ndarray,
    cost: np.ndarray,
    provider_index: np.ndarray,
    n_providers: int,
    t0: datetime,
) -> tuple[int, np.ndarray] | None:
    """Each job's cost spread over the months it ran, in proportion to the time it ran in each
    (from its start to its finish; a job that took no time counts in its start month).
    Vectorised over jobs: per provider, the cost accrued by a time is a piecewise-linear sum
    read at each month boundary."""
    ok = np.isfinite(start_s) & np.isfinite(cost) & (cost != 0)
    if not ok.any():
        return None
    s, e, c, p = start_s[ok], np.maximum(end_s[ok], start_s[ok]), cost[ok], provider_index[ok]
    base = np.datetime64(t0, "s")
    first_m = int((base + np.timedelta64(int(s.min()), "s")).astype("datetime64[M]").astype(int))
    # the end is exclusive: a job that ends at midnight on the 1st ran nothing in that month
    last_s = max(float(e.max()) - 1.0, float(s.min()))
    last_m = int((base + np.timedelta64(int(last_s), "s")).astype("datetime64[M]").astype(int))
    bounds_m = np.arange(first_m, last_m + 2)
    bounds = (bounds_m.astype("datetime64[M]").astype("datetime64[s]") - base).astype(np.float64)
    grid = np.zeros((n_providers, last_m - first_m + 1))
    dur = e - s
    flat = dur <= 0
    if flat.any():
        m = (base + s[flat].astype("timedelta64[s]")).astype("datetime64[M]").astype(int)
        np.add.at(grid, (p[flat], m - first_m), c[flat])
    for k in range(n_providers):
        sel = (p == k) & ~flat
        if not sel.any():
            continue
        ss, ee = s[sel], e[sel]
        r = c[sel] / (ee - ss)
        o_s, o_e = np.argsort(ss), np.argsort(ee)
        ss_sorted, ee_sorted = ss[o_s], ee[o_e]
        cr_s = np.r_[0.0, np.cumsum(r[o_s])]
        crs_s = np.r_[0.0, np.cumsum((r * ss)[o_s])]
        cr_e = np.r_[0.0, np.cumsum(r[o_e])]
        cre_e = np.r_[0.0, np.cumsum((r * ee)[o_e])]
        i_s = np.searchsorted(ss_sorted, bounds, side="right")
        i_e = np.searchsorted(ee_sorted, bounds, side="right")
        accrued = (bounds * cr_s[i_s] - crs_s[i_s]) - (bounds * cr_e[i_e] - cre_e[i_e])
        grid[k] += np.diff(accrued)
    return first_m, grid

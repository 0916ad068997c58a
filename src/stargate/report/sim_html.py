"""The simulator's HTML report: one self-contained page (``report.html``) for a
:class:`~stargate.sim.result.SimResult`, optionally against a second run (the same workload
with clauses switched off).

The page loads nothing: CSS is inline and charts are inline SVG drawn by
:mod:`stargate.report.svg`, so it opens offline, prints, and can be mailed as one file. Text
is escaped; output is a pure function of the results (no clock, sorted keys), so the same run
renders to the same bytes. Sections, in order (docs/report.md says what each one shows):

header and key figures · capacity and share by provider · queueing · cost per month (or
quarter, or year) · right of first refusal · inference (when served) · with/without comparison
(when given) · data quality (skipped rows, rejections, conservation).

Tables are aggregated with polars and numpy — never a Python loop over jobs or events — and
time series are cut to at most :data:`MAX_POINTS` points, so a million-job result renders in
about half a second once its tables are built.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from stargate.report import svg
from stargate.report.svg import Series
from stargate.sim.result import capacity_phrase

if TYPE_CHECKING:
    import polars as pl

    from stargate.sim.result import SimResult

FArray = npt.NDArray[np.float64]

#: Time series are cut to at most this many points (days are averaged, queue lengths maxed).
MAX_POINTS = 400
DAY_S = 86400.0
CAPACITY_COLOR = "#1A1A1A"
#: The two runs of a comparison: greys, so they are never mistaken for providers' colours.
RUN_COLORS = ("#333333", "#8A8A8A")

# Wait and completion-time buckets: upper edges in seconds (a value equal to an edge falls in
# the bucket it closes), spaced about a decade apart in the units people think in.
BUCKETS: tuple[tuple[float, str], ...] = (
    (0.0, "none"),
    (1.0, "≤ 1 s"),
    (10.0, "1–10 s"),
    (60.0, "10 s–1 min"),
    (600.0, "1–10 min"),
    (3600.0, "10 min–1 h"),
    (6 * 3600.0, "1–6 h"),
    (DAY_S, "6–24 h"),
    (7 * DAY_S, "1–7 days"),
    (math.inf, "> 7 days"),
)

ROFR_LABELS = (
    ("offered", "offered"),
    ("accepted", "accepted"),
    ("declined", "declined"),
    ("expired", "expired"),
    ("released_unmet", "released"),
)


# --------------------------------------------------------------------------- formatting


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def dur(seconds: float | None) -> str:
    """Seconds in the unit a person would use: 42 s, 3.5 min, 2.1 h, 4.2 days."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    a = abs(seconds)
    sign = "−" if seconds < 0 else ""
    if a == 0:
        return "0 s"
    if a < 60:
        return f"{sign}{a:.3g} s"
    if a < 3600:
        return f"{sign}{a / 60:.3g} min"
    if a < DAY_S:
        return f"{sign}{a / 3600:.3g} h"
    return f"{sign}{a / DAY_S:,.1f} days"


def pct(share: float | None) -> str:
    """A share (0..1) as a percentage with as many digits as a small one needs."""
    if share is None or not math.isfinite(share):
        return "—"
    v = share * 100
    if v == 0:
        return "0%"
    if abs(v) >= 10:
        return f"{v:.1f}%"
    if abs(v) >= 0.01:
        return f"{v:.2f}%"
    if abs(v) >= 1e-6:
        return f"{v:.{1 - math.floor(math.log10(abs(v)))}f}%"  # two significant digits
    return "< 0.000001%"


def pp(delta: float) -> str:
    """A difference of two shares in percentage points, signed."""
    if delta == 0:
        return "±0"
    text = pct(abs(delta)).removesuffix("%") + " pp"
    return ("+" if delta > 0 else "−") + text


def plural(n: float | None, word: str) -> str:
    return f"{num(n)} {word}{'' if n == 1 else 's'}"


def usd(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    sign = "−" if v < 0 else ""
    return f"{sign}${abs(v):,.0f}" if abs(v) >= 100 else f"{sign}${abs(v):,.2f}"


def usd_compact(v: float) -> str:
    return ("−$" if v < 0 else "$") + svg.compact(abs(v))


def num(v: float | None, digits: int = 0) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    s = f"{v:,.{digits}f}"
    return s.replace("-", "−")


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


# --------------------------------------------------------------------------- HTML pieces


@dataclass(frozen=True)
class Col:
    """A table column: header, and whether it holds numbers (right-aligned)."""

    name: str
    numeric: bool = False


def table(cols: Sequence[Col], rows: Sequence[Sequence[object]], caption: str = "") -> str:
    num_cls = ' class="num"'
    head = "".join(f'<th scope="col"{num_cls if c.numeric else ""}>{_e(c.name)}</th>' for c in cols)
    body = []
    for row in rows:
        cells = []
        for i, (c, v) in enumerate(zip(cols, row, strict=True)):
            tag = 'th scope="row"' if i == 0 and not c.numeric else "td"
            cls = ' class="num"' if c.numeric else ""
            end = tag.split()[0]
            cells.append(f"<{tag}{cls}>{_e(v)}</{end}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def figure(chart: str, caption: str) -> str:
    return f"<figure>{chart}<figcaption>{_e(caption)}</figcaption></figure>"


def section(anchor: str, title: str, body: Sequence[str], intro: str = "") -> str:
    p = f"<p>{_e(intro)}</p>" if intro else ""
    return (
        f'<section id="{_e(anchor)}" aria-labelledby="{_e(anchor)}-h">'
        f'<h2 id="{_e(anchor)}-h">{_e(title)}</h2>{p}{"".join(body)}</section>'
    )


CSS = """
:root{--text:#1a1a1a;--muted:#555;--line:#d0d0d0;--band:#f4f6f8;--accent:#0072b2;
--bad:#a50f15;--good:#1b7837}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--text);background:#fff;font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.7rem;margin:0 0 .25rem}
h2{font-size:1.3rem;margin:2.2rem 0 .6rem;padding-top:.6rem;border-top:2px solid var(--line)}
h3{font-size:1.05rem;margin:1.4rem 0 .4rem}
p{margin:.4rem 0 .8rem;max-width:75ch}
.sub{color:var(--muted);margin:0 0 1rem}
a{color:var(--accent)}
nav ol{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:0;margin:.8rem 0;list-style:none}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0 1rem}
dl.run dt{color:var(--muted)}dl.run dd{margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(11.5rem,1fr));gap:.6rem;
margin:.8rem 0}
.card{background:var(--band);border:1px solid var(--line);border-radius:6px;padding:.55rem .75rem}
.card .label{color:var(--muted);font-size:.82rem}
.card .value{font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.card .more{color:var(--muted);font-size:.8rem}
figure{margin:1rem 0 1.4rem}
figcaption{color:var(--muted);font-size:.88rem;margin-top:.3rem;max-width:95ch}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
.table-wrap{overflow-x:auto;margin:.6rem 0 1rem}
table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);padding:0 0 .3rem}
th,td{padding:.3rem .7rem;border-bottom:1px solid var(--line);text-align:left;
vertical-align:top}
thead th{border-bottom:2px solid #999;background:var(--band)}
tbody th{font-weight:500}
.num{text-align:right}
.ok{color:var(--good);font-weight:600}.bad{color:var(--bad);font-weight:600}
.note{color:var(--muted);font-size:.9rem}
details summary{cursor:pointer;color:var(--accent)}
footer{margin-top:3rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);
padding-top:.6rem}
@media (max-width:600px){body{font-size:14px}dl.run{grid-template-columns:1fr}
dl.run dt{margin-top:.3rem}}
@media print{main{max-width:none;padding:0}nav{display:none}h2{break-after:avoid}
figure,table,.card{break-inside:avoid}a{color:inherit}}
"""


# --------------------------------------------------------------------------- the data


@dataclass
class _Run:
    """What the report needs from one result, computed once."""

    result: SimResult
    summary: dict[str, Any]
    t0: datetime
    end_days: float

    @classmethod
    def of(cls, result: SimResult) -> _Run:
        s = result.summary
        run = s["run"]
        t0 = _parse_dt(run.get("start")) or datetime(1970, 1, 1)
        end = _parse_dt(run.get("end"))
        end_days = (end - t0).total_seconds() / DAY_S if end else 0.0
        return cls(result, s, t0, end_days)

    @property
    def share_by_month(self) -> pl.DataFrame:
        """The result's table; empty (with its columns) when no pool was ever online, where
        the result cannot build it from an empty utilization table."""
        import polars as pl

        if self.result.utilization.height == 0:
            return pl.DataFrame(
                schema={
                    "month": pl.Utf8,
                    "provider": pl.Utf8,
                    "busy_accelerator_hours": pl.Float64,
                    "total": pl.Float64,
                    "share": pl.Float64,
                }
            )
        return self.result.share_by_month


def _label(run: dict[str, Any], other: dict[str, Any] | None = None) -> str:
    """What distinguishes a run: the clauses switched off (and, when two runs share those,
    the other settings that differ)."""
    off = run.get("without") or []
    base = "without " + ", ".join(off) if off else "all clauses in force"
    if run.get("fleet") not in (None, "scenario") and not off:
        base = f"fleet {run['fleet']}"
    if other is not None and (other.get("without") or []) == off:
        diffs = [
            f"{k} {run.get(k)}"
            for k in ("policy", "granularity", "seed", "fleet", "scenario")
            if run.get(k) != other.get(k)
        ]
        if diffs:
            base += " (" + ", ".join(diffs) + ")"
    return base


def _providers(*runs: _Run) -> list[str]:
    names: set[str] = set()
    for r in runs:
        names |= set(r.summary.get("share_by_provider", {}))
    return sorted(names)


def _bins(n_days: int) -> int:
    """Days per point so that a series has at most MAX_POINTS points."""
    return max(1, math.ceil(n_days / MAX_POINTS))


@dataclass
class _Daily:
    x: FArray  # bin start, days from t0
    width: int  # days per bin
    days: FArray  # days in each bin (the last may be short)
    providers: list[str]
    busy: FArray  # [provider, bin] accelerator-hours per day (bin mean)
    cap: FArray


def _daily(run: _Run, providers: list[str]) -> _Daily | None:
    import polars as pl

    u = run.result.utilization
    if u.height == 0:
        return None
    start = run.t0.date()
    d = (
        u.select((pl.col("day") - pl.lit(start)).dt.total_days().alias("d"))
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    d0 = int(d.min())
    d = d - d0
    n_days = int(d.max()) + 1
    k = _bins(n_days)
    nb = math.ceil(n_days / k)
    code = {p: i for i, p in enumerate(providers)}
    pcode = u["provider"].replace_strict(code, return_dtype=pl.Int64).to_numpy()
    flat = pcode * nb + d // k
    size = len(providers) * nb
    busy = np.bincount(flat, u["busy_accelerator_hours"].to_numpy(), minlength=size)
    cap = np.bincount(flat, u["capacity_accelerator_hours"].to_numpy(), minlength=size)
    # days each bin covers; the run's end may cut its last day short
    starts = np.arange(nb) * k + d0
    limit = float(d0 + n_days)
    if run.end_days > 0:
        limit = min(limit, run.end_days)
    days = np.clip(np.minimum(starts + k, limit) - starts, 1e-3, None).astype(np.float64)
    return _Daily(
        x=starts.astype(np.float64),
        width=k,
        days=days,
        providers=providers,
        busy=busy.reshape(len(providers), nb) / days,
        cap=cap.reshape(len(providers), nb) / days,
    )


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


def _step_max(t: FArray, v: FArray, t_end: float, nb: int) -> FArray:
    """The largest value of a step function (value ``v[i]`` from time ``t[i]``, ``t`` sorted)
    in each of ``nb`` equal bins of [0, t_end]; a bin with no change keeps the level before."""
    if t.size == 0:
        return np.zeros(nb)
    width = t_end / nb if t_end > 0 else 1.0
    b = np.clip((t // width).astype(np.int64), 0, nb - 1)
    starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
    ends = np.r_[starts[1:], b.size] - 1
    in_bin = np.full(nb, np.nan)
    in_bin[b[starts]] = np.maximum.reduceat(v, starts)
    last = np.full(nb, np.nan)
    last[b[starts]] = v[ends]
    idx = np.where(np.isnan(last), 0, np.arange(nb))
    idx = np.maximum.accumulate(idx)
    carried = np.where(np.isnan(last[idx]), 0.0, last[idx])
    enter = np.r_[0.0, carried[:-1]]
    peak: FArray = np.fmax(in_bin, enter)
    return peak


def month_index(label: str) -> int:
    """'YYYY-MM' → months since 1970-01 (numpy's datetime64[M] count)."""
    return (int(label[:4]) - 1970) * 12 + int(label[5:7]) - 1


@dataclass(frozen=True)
class Periods:
    """Calendar periods for bars over months: months up to five years, then quarters up to
    fifteen, then years — so a chart never has more than about sixty bars."""

    unit: str  # "month", "quarter" or "year"
    labels: list[str]
    of_month: npt.NDArray[np.int64]  # period of each month from the first

    @classmethod
    def spanning(cls, first: int, last: int) -> Periods:
        months = np.arange(first, last + 1)
        year, month = months // 12 + 1970, months % 12
        n = months.size
        if n <= 60:
            key, unit = months, "month"
        elif n <= 180:
            key, unit = year * 4 + month // 3, "quarter"
        else:
            key, unit = year, "year"
        uniq, of_month = np.unique(key, return_inverse=True)
        if unit == "month":
            labels = [f"{m // 12 + 1970:04d}-{m % 12 + 1:02d}" for m in uniq.tolist()]
        elif unit == "quarter":
            labels = [f"{q // 4} Q{q % 4 + 1}" for q in uniq.tolist()]
        else:
            labels = [str(y) for y in uniq.tolist()]
        return cls(unit, labels, of_month.astype(np.int64))

    def sum(self, grid: FArray) -> FArray:
        """Sum a [series, month] grid into [series, period]."""
        out = np.zeros((grid.shape[0], len(self.labels)))
        for i in range(grid.shape[0]):
            out[i] = np.bincount(self.of_month, grid[i], minlength=len(self.labels))
        return out


# --------------------------------------------------------------------------- sections


def _header(run: _Run) -> str:
    s = run.summary
    r = s["run"]
    j = s["jobs"]
    name = r.get("scenario") or r.get("fleet") or "simulation"
    fleet = (
        "the scenario's own fleet"
        if r.get("fleet") == "scenario"
        else f"{r.get('fleet')} (no contracts)"
    )
    off = r.get("without") or []
    if r.get("fleet") not in (None, "scenario"):
        clauses = "none apply (experimental fleet)"
    else:
        clauses = ", ".join(off) if off else "none — every clause in force"
    start, end = _parse_dt(r.get("start")), _parse_dt(r.get("end"))
    horizon = "—"
    if start:
        horizon = f"{_dt_label(start)} → {_last_label(end) if end else 'open'}"
        if end:
            horizon += f" ({dur((end - start).total_seconds())})"
    items = [
        ("Scenario", r.get("scenario") or "—"),
        ("Fleet", fleet),
        ("Policy", r.get("policy")),
        ("Granularity", r.get("granularity")),
        ("Seed", r.get("seed")),
        ("Horizon", horizon),
        ("Capacity", capacity_phrase(r)),
        ("Clauses switched off", clauses),
        (
            "Run size",
            ", ".join(
                plural(n, word)
                for n, word in (
                    (j["submitted"], "job"),
                    (r.get("pools"), "pool"),
                    (r.get("accelerators"), "accelerator"),
                    (s.get("events"), "event"),
                )
            ),
        ),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return (
        f"<header><h1>Simulation report: {_e(name)}</h1>"
        f'<p class="sub">{_e(r.get("policy"))} policy · {_e(r.get("granularity"))} '
        f"granularity · seed {_e(r.get('seed'))} · {_e(horizon)}</p>"
        f'<dl class="run">{dl}</dl></header>'
    )


def _card(label: str, value: str, more: str = "") -> str:
    m = f'<div class="more">{_e(more)}</div>' if more else ""
    return (
        f'<div class="card"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div>{m}</div>'
    )


def _utilization(run: _Run) -> float:
    """The summary's utilization, or — when it rounds to 0 but work was done — the exact
    ratio from the utilization table, so a tiny share does not read as none."""
    u = float(run.summary["utilization"])
    if u == 0 and run.summary.get("accelerator_hours", {}).get("served"):
        t = run.result.utilization
        cap = float(t["capacity_accelerator_hours"].sum())
        return float(t["busy_accelerator_hours"].sum()) / cap if cap else 0.0
    return u


def _key_figures(run: _Run) -> str:
    s = run.summary
    j = s["jobs"]
    w, c = s["wait_s"], s["jct_s"]
    acc = s.get("accelerator_hours", {})
    cards = [
        _card("Jobs submitted", num(j["submitted"]), f"{num(j['skipped'])} rows skipped"),
        _card(
            "Jobs completed",
            num(j["completed"]),
            f"{num(j['running_at_end'])} running, {num(j['queued_at_end'])} queued at end",
        ),
        _card("Jobs rejected", num(j["rejected"]), f"{num(j['killed_runs'])} runs killed"),
        _card("Wait, mean", dur(w["mean"]), f"p50 {dur(w['p50'])} · p99 {dur(w['p99'])}"),
        _card(
            "Job completion time, mean",
            dur(c["mean"]),
            f"p50 {dur(c['p50'])} · p99 {dur(c['p99'])}",
        ),
        _card("Utilization", pct(_utilization(run)), "busy ÷ available accelerator-hours"),
        _card("Cost", usd(s["cost_usd"]), "served and lost accelerator-hours")
        if s["cost_usd"] is not None
        else _card("Cost", "not priced", "a fleet for experiments has no prices (--price)"),
        _card("Energy", f"{s['energy_mwh']:,.1f} MWh", "facility energy of the work"),
        _card("Makespan", dur(s["makespan_s"]), "first arrival to last completion"),
        _card(
            "Accelerator-hours served",
            num(acc.get("served")),
            f"{num(acc.get('lost', acc.get('killed')))} lost to killed runs, "
            f"{num(acc.get('checkpointed', 0))} kept by checkpoints",
        ),
    ]
    return section("key-figures", "Key figures", [f'<div class="cards">{"".join(cards)}</div>'])


def _month_span(*runs: _Run) -> tuple[int, int] | None:
    """The first and last month (as month indices) of the runs' share-by-month tables."""
    idx = [month_index(m) for r in runs for m in r.share_by_month["month"].to_list()]
    return (min(idx), max(idx)) if idx else None


def _share_chart(
    run: _Run,
    providers: list[str],
    colors: dict[str, str],
    span: tuple[int, int],
    chart_id: str,
    label: str = "",
) -> tuple[str, str]:
    """100 % stacked bars of each provider's share of busy accelerator-hours per month (or
    quarter or year) over ``span``; returns the chart and the period's name."""
    import polars as pl

    first, last = span
    per = Periods.spanning(first, last)
    sbm = run.share_by_month
    busy = np.zeros((len(providers), last - first + 1))
    if sbm.height:
        mi = np.asarray([month_index(m) for m in sbm["month"].to_list()], dtype=np.int64)
        pcode = {p: i for i, p in enumerate(providers)}
        pi = sbm["provider"].replace_strict(pcode, return_dtype=pl.Int64).to_numpy()
        np.add.at(busy, (pi, mi - first), sbm["busy_accelerator_hours"].to_numpy())
    busy = per.sum(busy)
    total = busy.sum(axis=0)
    grid = np.divide(busy, total, out=np.zeros_like(busy), where=total > 0)
    series = [Series(p, grid[i], colors[p]) for i, p in enumerate(providers) if grid[i].any()]
    overall = sorted(run.summary.get("share_by_provider", {}).items())
    suffix = f": {label}" if label else ""
    chart = svg.bar_chart(
        chart_id=chart_id,
        title=f"Share of busy accelerator-hours by provider, per {per.unit}{suffix}",
        desc=(
            f"Stacked bars, one per {per.unit} from {per.labels[0]} to {per.labels[-1]}, "
            f"of each provider's share of the {per.unit}'s busy accelerator-hours. "
            "Overall: " + ", ".join(f"{p} {pct(v)}" for p, v in overall) + "."
        ),
        categories=per.labels,
        series=series,
        stacked=True,
        y_max=1.0,
        y_format=lambda v: f"{v * 100:.0f}%",
        value_format=pct,
        legend=True,
        y_label="share of busy hours",
        empty_message="no accelerator was busy",
    )
    return chart, per.unit


def _capacity(run: _Run, providers: list[str], colors: dict[str, str]) -> str:

    body: list[str] = []
    daily = _daily(run, providers)
    share_sum = run.summary.get("share_by_provider", {})
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
    span = _month_span(run)
    if span is not None:
        chart, unit = _share_chart(run, providers, colors, span, "share-month")
        body.append(
            figure(chart, f"Each bar is one {unit}; a {unit} with no busy hours has no bar.")
        )
    # totals per provider
    if daily is not None:
        busy_h = (daily.busy * daily.days).sum(axis=1)
        cap_h = (daily.cap * daily.days).sum(axis=1)
        rows = [
            (
                p,
                num(busy_h[i]),
                num(cap_h[i]),
                pct(busy_h[i] / cap_h[i]) if cap_h[i] else "—",
                pct(share_sum.get(p, 0.0)),
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
                    Col("share of busy hours", True),
                ],
                rows,
                "Totals over the run, by provider",
            )
        )
    return section(
        "capacity",
        "Capacity and share by provider",
        body,
        "Where the work ran: accelerator-hours in use against capacity online, per provider.",
    )


def _hist(values: FArray) -> FArray:
    edges = np.array([b for b, _ in BUCKETS])
    idx = np.searchsorted(edges, values, side="left")
    return np.bincount(np.minimum(idx, len(BUCKETS) - 1), minlength=len(BUCKETS)).astype(np.float64)


def _queue_series(run: _Run) -> tuple[FArray, FArray, FArray, float] | None:
    """(bin start in days, max queued, max running, bin width in days), from the event log
    or, when events were not logged, from the jobs' ready, start and finish times."""
    import polars as pl

    ev = run.result.events
    end_s = run.end_days * DAY_S
    if ev.height:
        e = pl.col("event")

        def flag(*kinds: str) -> pl.Expr:
            return e.is_in(kinds).cast(pl.Int64)

        # a job joins a queue on arrival, when its ROFR answer comes, or when it is killed;
        # it leaves on start; it runs from start until it finishes or is killed
        frame = ev.select(
            pl.col("time_s"),
            (flag("arrive", "ready", "killed") - flag("start")).alias("q"),
            (flag("start") - flag("finish", "killed")).alias("r"),
        )
        t = frame["time_s"].to_numpy()
        dq = frame["q"].to_numpy()
        dr = frame["r"].to_numpy()
    else:
        jobs = run.result.jobs
        ready = jobs["ready_s"].to_numpy()
        start = jobs["start_s"].to_numpy()
        finish = jobs["finish_s"].to_numpy()
        t_parts = [ready[np.isfinite(ready)], start[np.isfinite(start)]]
        t_parts += [start[np.isfinite(start)], finish[np.isfinite(finish)]]
        if not sum(p.size for p in t_parts):
            return None
        t = np.concatenate(t_parts)
        sizes = [p.size for p in t_parts]
        dq = np.concatenate([np.ones(sizes[0]), -np.ones(sizes[1]), np.zeros(sum(sizes[2:]))])
        dr = np.concatenate([np.zeros(sum(sizes[:2])), np.ones(sizes[2]), -np.ones(sizes[3])])
    if t.size == 0:
        return None
    if np.any(np.diff(t) < 0):
        order = np.argsort(t, kind="stable")
        t, dq, dr = t[order], dq[order], dr[order]
    if not math.isfinite(end_s) or end_s <= 0:
        end_s = float(t[-1]) or 1.0
    # bins of a round width: hours below a few days, else whole days
    width_s = end_s / MAX_POINTS
    for w in (60.0, 300.0, 600.0, 1800.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 12 * 3600.0):
        if w >= width_s:
            width_s = w
            break
    else:
        width_s = DAY_S * math.ceil(width_s / DAY_S)
    nb = max(1, math.ceil(end_s / width_s))
    # events at the same instant are simultaneous: a job that arrives and starts at once was
    # never in the queue, so only the level after the last of them counts
    last = np.r_[t[1:] != t[:-1], True]
    t, q, r = t[last], np.cumsum(dq)[last], np.cumsum(dr)[last]
    queued = _step_max(t, q.astype(np.float64), nb * width_s, nb)
    running = _step_max(t, r.astype(np.float64), nb * width_s, nb)
    x = np.arange(nb, dtype=np.float64) * (width_s / DAY_S)
    return x, queued, running, width_s / DAY_S


def _class_table(run: _Run) -> str:
    """Per workload class: jobs, outcomes, waits and costs (numpy over columns)."""
    import polars as pl

    jobs = run.result.jobs
    if jobs.height == 0:
        return ""
    classes = sorted(jobs["workload_class"].unique().to_list())
    code = (
        jobs["workload_class"]
        .replace_strict({c: i for i, c in enumerate(classes)}, return_dtype=pl.Int64)
        .to_numpy()
    )
    status = jobs["status"].to_numpy()
    done = status == "completed"
    wait = jobs["wait_s"].to_numpy()
    jct = jobs["jct_s"].to_numpy()
    cost = np.bincount(code, jobs["cost_usd"].to_numpy(), minlength=len(classes))
    count = np.bincount(code, minlength=len(classes))
    n_done = np.bincount(code[done], minlength=len(classes))
    n_rej = np.bincount(code[status == "rejected"], minlength=len(classes))
    rows = []
    for i, c in enumerate(classes):
        m = done & (code == i)
        w, t = wait[m], jct[m]
        rows.append(
            (
                c,
                num(count[i]),
                num(n_done[i]),
                num(n_rej[i]),
                dur(float(w.mean())) if w.size else "—",
                dur(float(np.percentile(w, 99))) if w.size else "—",
                dur(float(np.percentile(t, 50))) if t.size else "—",
                dur(float(np.percentile(t, 99))) if t.size else "—",
                usd(float(cost[i])),
            )
        )
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
    import polars as pl

    s = run.summary
    jobs = run.result.jobs
    done = jobs.filter(pl.col("status") == "completed")
    wait = done["wait_s"].to_numpy()
    jct = done["jct_s"].to_numpy()
    labels = [b for _, b in BUCKETS]
    hw, hj = _hist(wait), _hist(jct)
    nonzero = np.r_[hw, hj][np.r_[hw, hj] > 0]
    log = bool(nonzero.size) and float(nonzero.max() / nonzero.min()) >= 100
    body = [
        figure(
            svg.bar_chart(
                chart_id="wait-hist",
                title="Wait and job completion time of completed jobs",
                desc=(
                    f"Counts of {num(wait.size)} completed jobs by wait "
                    f"(mean {dur(s['wait_s']['mean'])}, p99 {dur(s['wait_s']['p99'])}) and by "
                    f"completion time (mean {dur(s['jct_s']['mean'])}, "
                    f"p99 {dur(s['jct_s']['p99'])}), in buckets about a decade wide. Wait: "
                    + ", ".join(f"{lab} {int(v)}" for lab, v in zip(labels, hw, strict=True))
                    + ". Completion time: "
                    + ", ".join(f"{lab} {int(v)}" for lab, v in zip(labels, hj, strict=True))
                    + "."
                    + (" The count axis is logarithmic." if log else "")
                ),
                categories=labels,
                series=[
                    Series("wait (arrival → start)", hw, svg.PALETTE[0]),
                    Series("completion time (arrival → finish)", hj, svg.PALETTE[1]),
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
    qs = _queue_series(run)
    if qs is None:
        body.append(
            svg.line_chart(chart_id="queue", title="Jobs queued and running", desc="No data.", x=[])
        )
    else:
        x, queued, running, width = qs
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
                        Series("queued", queued, svg.PALETTE[4]),
                        Series("running", running, svg.PALETTE[0]),
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
                (
                    "wait",
                    dur(s["wait_s"]["mean"]),
                    dur(s["wait_s"]["p50"]),
                    dur(s["wait_s"]["p99"]),
                ),
                (
                    "job completion time",
                    dur(s["jct_s"]["mean"]),
                    dur(s["jct_s"]["p50"]),
                    dur(s["jct_s"]["p99"]),
                ),
            ],
            "Completed jobs",
        )
    )
    body.append(_class_table(run))
    body.append(_longest_waits(run))
    return section("queueing", "Queueing", body)


def _longest_waits(run: _Run, k: int = 10) -> str:
    """The ``k`` started jobs that waited longest (ties: trace order)."""
    import polars as pl

    top = (
        run.result.jobs.with_row_index("i")
        .filter(pl.col("wait_s").is_not_nan() & (pl.col("wait_s") > 0))
        .sort(["wait_s", "i"], descending=[True, False])
        .head(k)
    )
    queued = int(run.summary["jobs"].get("queued_at_end", 0))
    still = (
        f" {plural(queued, 'job')} still queued at the end of the run "
        f"{'is' if queued == 1 else 'are'} not listed."
        if queued
        else ""
    )
    if top.height == 0:
        return f"<h3>Longest waits</h3><p>No job that started had to wait.{_e(still)}</p>"
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
        for job, cls, pool, gpus, arrival, wait, jct, restarts in top.select(
            "job", "workload_class", "pool", "gpus", "arrival_s", "wait_s", "jct_s", "restarts"
        ).iter_rows()
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
    import polars as pl

    cbm = run.result.cost_by_month
    body: list[str] = []
    if not run.result.priced:
        body.append(
            "<p>Not priced: a fleet for experiments (<code>--fleet</code>) has no prices. "
            "Give one with <code>--price</code> (USD per accelerator-hour) to see costs.</p>"
        )
        return section("cost", "Cost", body)
    if cbm.height == 0:
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
    mi = np.asarray([month_index(m) for m in cbm["month"].to_list()], dtype=np.int64)
    first = int(mi.min())
    n_months = int(mi.max()) - first + 1
    months = [f"{m // 12 + 1970:04d}-{m % 12 + 1:02d}" for m in range(first, first + n_months)]
    pcode = {p: i for i, p in enumerate(providers)}
    pi = cbm["provider"].replace_strict(pcode, return_dtype=pl.Int64).to_numpy()
    cost = cbm["cost_usd"].to_numpy()
    flat = np.bincount(pi * n_months + (mi - first), cost, minlength=len(providers) * n_months)
    grid: FArray = flat.reshape(len(providers), n_months).astype(np.float64)
    per = Periods.spanning(first, first + n_months - 1)
    bars = per.sum(grid)
    series = [Series(p, bars[i], colors[p]) for i, p in enumerate(providers) if bars[i].any()]
    total = float(cost.sum())
    peak = int(np.argmax(bars.sum(axis=0)))
    body.append(
        figure(
            svg.bar_chart(
                chart_id="cost-month",
                title=f"Cost per {per.unit}, by provider",
                desc=(
                    f"Stacked bars of cost in US dollars per {per.unit} from {per.labels[0]} "
                    f"to {per.labels[-1]}, by provider; total {usd(total)}, highest in "
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
            "The cost of each job counts in the month it started (or was routed, if it never "
            "started): accelerator-hours served and lost to killed runs × the pool's price."
            + (
                f" Months are summed into {per.unit}s over a long run."
                if per.unit != "month"
                else ""
            ),
        )
    )
    by_pc = (
        cbm.group_by(["provider", "workload_class"])
        .agg(pl.col("cost_usd").sum(), pl.col("jobs").sum())
        .sort(["provider", "workload_class"])
    )
    rows = [
        (p, c, num(n), usd(v), pct(v / total) if total else "—")
        for p, c, v, n in by_pc.select("provider", "workload_class", "cost_usd", "jobs").iter_rows()
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
    body.append(
        "<details><summary>Cost per month, as a table</summary>"
        + table(
            [Col("month"), *(Col(p, True) for p in providers), Col("total", True)],
            month_rows,
        )
        + "</details>"
    )
    return section("cost", f"Cost per {per.unit}", body)


def _rofr(run: _Run) -> str:
    s = run.summary
    ro = s.get("rofr", {})
    counts = [float(ro.get(k, 0)) for k, _ in ROFR_LABELS]
    off = run.summary["run"].get("without") or []
    excl = int(s.get("exclusivity_bound", 0))
    intro = (
        "Jobs whose placement went through a right of first refusal: the holder was offered "
        "the work and accepted it, declined it, or let the response window close; or the offer "
        "was released at once because the holder could not meet the request."
    )
    if s["run"].get("fleet") not in (None, "scenario"):
        return section(
            "rofr",
            "Right of first refusal and exclusivity",
            [
                f"<p>No contract applies on an experimental fleet ({_e(s['run']['fleet'])}): "
                "no offer was made and no job was bound by exclusivity.</p>"
            ],
        )
    body = [
        figure(
            svg.bar_chart(
                chart_id="rofr",
                title="Right of first refusal: outcomes",
                desc="Bar chart of jobs by outcome: "
                + ", ".join(
                    f"{lab} {int(v)}" for (_, lab), v in zip(ROFR_LABELS, counts, strict=True)
                )
                + ".",
                categories=[lab for _, lab in ROFR_LABELS],
                series=[Series("jobs", counts, svg.PALETTE[2])],
                value_labels=True,
                value_format=lambda v: num(v),
                y_label="jobs",
                height=260,
            ),
            "Offered = accepted + declined + expired (the response window closed with no "
            "answer). Released: the holder could not meet the request, so the job went "
            "elsewhere without an offer"
            + (f" (clauses switched off in this run: {', '.join(off)})." if off else "."),
        ),
        f"<p><strong>{_e(num(excl))}</strong> routing decision"
        f"{' was' if excl == 1 else 's were'} bound by an exclusivity clause (the job's class "
        "could go only to the exclusive provider).</p>",
    ]
    month_chart = _rofr_by_month(run)
    if month_chart:
        body.append(month_chart)
    return section("rofr", "Right of first refusal and exclusivity", body, intro)


def _rofr_by_month(run: _Run) -> str:
    import polars as pl

    kinds = ["accepted", "declined", "expired", "released"]
    offers = run.result.jobs.filter(pl.col("rofr").is_in(kinds))
    if offers.height == 0:
        return ""
    k = offers["rofr"].replace_strict({kd: i for i, kd in enumerate(kinds)}).to_numpy()
    arr = offers["arrival_s"].to_numpy()
    stamp = np.datetime64(run.t0, "us") + np.round(arr * 1e6).astype("timedelta64[us]")
    month = stamp.astype("datetime64[M]").astype(np.int64)
    m0 = int(month.min())
    nm = int(month.max()) - m0 + 1
    per = Periods.spanning(m0, m0 + nm - 1)
    grid = per.sum(
        np.bincount(k * nm + (month - m0), minlength=len(kinds) * nm)
        .reshape(len(kinds), nm)
        .astype(np.float64)
    )
    labels = per.labels
    names = {"released": "released (holder could not meet)", "expired": "expired (no answer)"}
    colors = {"accepted": svg.PALETTE[2], "declined": svg.PALETTE[4], "expired": svg.PALETTE[1]}
    colors["released"] = svg.PALETTE[6]
    series = [
        Series(names.get(kd, kd), grid[i], colors[kd])
        for i, kd in enumerate(kinds)
        if grid[i].any()
    ]
    return figure(
        svg.bar_chart(
            chart_id="rofr-month",
            title=f"Right of first refusal outcomes per {per.unit} of arrival",
            desc=(
                f"Stacked bars of jobs by ROFR outcome per {per.unit}, {labels[0]} to {labels[-1]}."
            ),
            categories=labels,
            series=series,
            stacked=True,
            value_format=lambda v: num(v),
            legend=True,
            y_label="jobs",
            height=260,
        ),
        f"By the {per.unit} each job arrived.",
    )


def _inference(run: _Run) -> str:
    from stargate.sim.inference import HEADROOM

    inf = run.summary.get("inference")
    if not inf:
        return ""
    classes = inf.get("classes", [])
    names = [str(c.get("workload_class")) for c in classes]

    def where(c: dict[str, Any]) -> str:
        sv = c.get("serving") or {}
        if not sv.get("placed"):
            return "not placed"
        return " / ".join(str(sv.get(k)) for k in ("provider", "pool", "accelerator"))

    def violations(c: dict[str, Any]) -> str:
        tier = c.get("latency_tier_utilization")
        return f"{num(c.get('latency_violation_minutes'))} (above {pct(tier)} busy)"

    measures: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("source", lambda c: PurePath(str(c.get("source", ""))).name),
        ("minutes of demand", lambda c: num(c.get("minutes"))),
        ("mean tokens/s", lambda c: num(c.get("mean_tokens_per_s"))),
        ("p99 tokens/s", lambda c: num(c.get("p99_tokens_per_s"))),
        ("tokens/s per accelerator", lambda c: num(c.get("tokens_per_s_per_accelerator"))),
        ("served on (provider / pool / type)", where),
        ("provisioned accelerators", lambda c: num(c.get("provisioned_accelerators"))),
        ("accelerators for 99% of minutes", lambda c: num(c.get("accelerators_for_99pct"))),
        ("SLO attainment", lambda c: pct(c.get("slo_attainment"))),
        ("latency violation minutes", violations),
    ]
    rows = [(label, *(f(c) for c in classes)) for label, f in measures]
    chart = svg.bar_chart(
        chart_id="inference",
        title="Inference: accelerators provisioned and needed for 99% of minutes",
        desc="Grouped bars per inference class: "
        + "; ".join(
            f"{c.get('workload_class')} provisioned {c.get('provisioned_accelerators')}, "
            f"needed for 99% {c.get('accelerators_for_99pct')}"
            for c in classes
        )
        + ".",
        categories=names,
        series=[
            Series(
                "provisioned",
                [float(c.get("provisioned_accelerators") or 0) for c in classes],
                svg.PALETTE[0],
            ),
            Series(
                "needed for 99% of minutes",
                [float(c.get("accelerators_for_99pct") or 0) for c in classes],
                svg.PALETTE[1],
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


_FIGURES: tuple[tuple[str, str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("jobs submitted", "int", lambda s: s["jobs"]["submitted"]),
    ("jobs completed", "int", lambda s: s["jobs"]["completed"]),
    ("jobs rejected", "int", lambda s: s["jobs"]["rejected"]),
    ("jobs queued at end", "int", lambda s: s["jobs"]["queued_at_end"]),
    ("wait, mean", "dur", lambda s: s["wait_s"]["mean"]),
    ("wait, p50", "dur", lambda s: s["wait_s"]["p50"]),
    ("wait, p99", "dur", lambda s: s["wait_s"]["p99"]),
    ("job completion time, mean", "dur", lambda s: s["jct_s"]["mean"]),
    ("job completion time, p50", "dur", lambda s: s["jct_s"]["p50"]),
    ("job completion time, p99", "dur", lambda s: s["jct_s"]["p99"]),
    ("makespan", "dur", lambda s: s["makespan_s"]),
    ("utilization", "share", lambda s: s["utilization"]),
    ("cost", "usd", lambda s: s["cost_usd"]),
    ("energy", "mwh", lambda s: s["energy_mwh"]),
    ("accelerator-hours served", "acch", lambda s: s.get("accelerator_hours", {}).get("served")),
    ("ROFR offered", "int", lambda s: s["rofr"]["offered"]),
    ("ROFR accepted", "int", lambda s: s["rofr"]["accepted"]),
    ("ROFR declined", "int", lambda s: s["rofr"]["declined"]),
    ("ROFR expired", "int", lambda s: s["rofr"]["expired"]),
    ("ROFR released (holder could not meet)", "int", lambda s: s["rofr"]["released_unmet"]),
    ("bound by exclusivity", "int", lambda s: s.get("exclusivity_bound")),
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
    wa = set(run.summary["run"].get("without") or [])
    wb = set(other.summary["run"].get("without") or [])
    if wa != wb and (wa < wb or wb < wa):
        base, alt = (run, other) if wa < wb else (other, run)
        off = ", ".join(sorted(wa ^ wb))
        title = f"With and without {off}"
        change = f"change with {off} off"
    else:
        base, alt = run, other
        title = f"Compared with {_label(other.summary['run'], run.summary['run'])}"
        change = "difference"
    a, b = base.summary, alt.summary
    la, lb = _label(a["run"], b["run"]), _label(b["run"], a["run"])
    if la == lb:
        la, lb = f"{la} (this run)", f"{lb} (comparison)"
    rows = [(name, _fmt(k, f(a)), _fmt(k, f(b)), _delta(k, f(a), f(b))) for name, k, f in _FIGURES]
    sa, sb = a.get("share_by_provider", {}), b.get("share_by_provider", {})
    rows += [
        (
            f"share of busy hours: {p}",
            pct(sa.get(p, 0.0)),
            pct(sb.get(p, 0.0)),
            _delta("share", sa.get(p, 0.0), sb.get(p, 0.0)),
        )
        for p in providers
    ]
    chart = svg.bar_chart(
        chart_id="cmp-share",
        title=f"Share of busy accelerator-hours by provider: {la} and {lb}",
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
    body = [
        table(
            [Col("figure"), Col(la, True), Col(lb, True), Col(change, True)],
            rows,
            f"Key figures; {change} = {lb} − {la}",
        ),
        figure(chart, "Each provider's share of all busy accelerator-hours in each run."),
    ]
    span = _month_span(base, alt)
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
    import polars as pl

    frames = []
    for tag, r in (("a", run), ("b", other)):
        sbm = r.share_by_month
        frames.append(
            sbm.select(
                "month",
                "provider",
                pl.col("share").fill_nan(0.0).alias(tag),
                pl.col("busy_accelerator_hours").alias(f"h_{tag}"),
            )
        )
    joined = (
        frames[0]
        .join(frames[1], on=["month", "provider"], how="full", coalesce=True)
        .fill_null(0.0)
        .filter((pl.col("h_a") > 0) | (pl.col("h_b") > 0))
        .sort(["month", "provider"])
    )
    if joined.height == 0:
        return ""
    rows = [
        (m, p, pct(x), pct(y), _delta("share", x, y))
        for m, p, x, y in joined.select("month", "provider", "a", "b").iter_rows()
    ]
    return (
        "<details><summary>Share by provider and month, both runs</summary>"
        + table(
            [Col("month"), Col("provider"), Col(la, True), Col(lb, True), Col("difference", True)],
            rows,
        )
        + "</details>"
    )


def _data_quality(run: _Run) -> str:
    s = run.summary
    skipped = s["jobs"].get("skipped_by_reason", {})
    rows: list[tuple[str, str, str]] = [
        ("jobs", reason, num(n)) for reason, n in sorted(skipped.items())
    ]
    for c in (s.get("inference") or {}).get("classes", []):
        for reason, n in sorted((c.get("skipped") or {}).items()):
            rows.append((f"inference: {c.get('workload_class')}", reason, num(n)))
    body = [
        "<h3>Skipped rows</h3>",
        table([Col("source"), Col("reason"), Col("rows", True)], rows)
        if rows
        else "<p>No input row was skipped.</p>",
    ]
    reasons = Counter(getattr(run.result.state, "reject_reason", {}).values())
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
        f"<strong>{_e(num(integ, 3))}</strong>; summed over jobs (served by completed and "
        "running jobs, checkpointed work included, plus work lost by killed runs): "
        f"<strong>{_e(num(per_job, 3))}</strong>; "
        f"difference {_e(num(diff if abs(diff) >= 5e-4 else 0.0, 3))} "
        f"({_e('less than one part in a million' if rel <= 1e-6 else f'{rel:.2g} relative')})."
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
    run = _Run.of(result)
    other = _Run.of(comparison) if comparison is not None else None
    providers = _providers(run, *([other] if other else []))
    colors = {p: svg.color_for(i) for i, p in enumerate(providers)}
    s = run.summary
    name = s["run"].get("scenario") or s["run"].get("fleet") or "simulation"
    sections: list[tuple[str, str, str]] = [
        ("key-figures", "Key figures", _key_figures(run)),
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
    nav = "".join(f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t, _ in sections)
    return "".join(
        [
            "<!DOCTYPE html>\n",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Stargate simulation report: {_e(name)}</title>",
            f"<style>{CSS}</style></head><body><main>",
            _header(run),
            f'<nav aria-label="Sections"><ol>{nav}</ol></nav>',
            *(html for _, _, html in sections),
            "<footer>Generated by Stargate from the simulation result (summary.json and the "
            "job, event and utilization tables). The same run always renders the same page."
            "</footer>",
            "</main></body></html>\n",
        ]
    )

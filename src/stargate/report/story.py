"""The headline of a scenario run: a few sentences, generated from the run's summary and its
scenario, that say where the lab's capacity came from each year, what the right of first
refusal did while it held and what its end changed, and what the lab spent each year against
the public figures.

Nothing here is canned: every sentence is assembled from ``capacity_held``, ``procurement``,
``rofr`` and ``spend_by_year`` of :class:`~stargate.sim.result.SimSummary`, from the
scenario's clauses (with its agreements applied) and from its checkable figures of metric
``compute_spend_usd`` (through :func:`stargate.facts.check.check_figures`, so the model's
numbers are the ones ``stargate facts`` prints). A run that procured nothing (a fleet for
experiments) has an empty headline.

:func:`headline` returns a :class:`Headline`: the sentences by topic (for the HTML report)
and the same words as plain text (for ``stargate simulate``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from stargate.domain.model import RightOfFirstRefusal, Scenario, figure_period, figure_value
from stargate.report.svg import compact

if TYPE_CHECKING:
    from stargate.sim.result import ProcurementEntry, SimResult, SimSummary

Topic = Literal["capacity", "rofr", "spend"]

#: ROFR verdicts of a request that went through one (``not_in_scope`` did not).
ROFR_VERDICTS = ("accepted", "declined", "expired", "released_unmet")


@dataclass(frozen=True)
class Sentence:
    """One sentence of the headline, with the topic it belongs to."""

    topic: Topic
    text: str


@dataclass(frozen=True)
class ProviderHeld:
    provider: str
    gw: float
    share: float  # of the GW held that day
    reference_accelerators: float


@dataclass(frozen=True)
class YearEnd:
    """What the lab held on a year's last procurement day (or the run's last)."""

    day: str
    gw: float
    reference_accelerators: float
    providers: tuple[ProviderHeld, ...]


@dataclass(frozen=True)
class RofrWindow:
    """A right of first refusal on capacity, over the days it was in force in the run."""

    clause: str
    holders: tuple[str, ...]
    start: date
    end: date | None  # the day it stopped (terminated or expired), None: in force at the end
    requests: dict[str, list[str]]  # verdict → request ids decided in the window
    reference_accelerators: dict[str, float]  # verdict → reference accelerators
    after: dict[str, tuple[int, float]]  # provider → (requests, GW) placed after the end


@dataclass(frozen=True)
class SpendCheck:
    """A public spend figure beside the model's."""

    figure_id: str
    subject: str
    period: str
    first_year: int
    last_year: int
    public: float
    tolerance: float
    model: float | None
    within: bool
    confidence: str
    use: str


@dataclass(frozen=True)
class Headline:
    sentences: tuple[Sentence, ...] = ()
    year_ends: tuple[YearEnd, ...] = ()
    rofr: tuple[RofrWindow, ...] = ()
    spend_by_year: dict[int, float] = field(default_factory=dict)
    spend_checks: tuple[SpendCheck, ...] = ()

    def of(self, topic: Topic) -> list[str]:
        return [s.text for s in self.sentences if s.topic == topic]

    @property
    def paragraphs(self) -> list[str]:
        """One paragraph per topic that has sentences, in the order capacity, ROFR, spend."""
        topics: tuple[Topic, ...] = ("capacity", "rofr", "spend")
        return [" ".join(self.of(t)) for t in topics if self.of(t)]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def __bool__(self) -> bool:
        return bool(self.sentences)

    def terminal_lines(self) -> list[str]:
        """The headline for a terminal: capacity as one line per year end (the same figures
        as the capacity sentences), then the ROFR and spend sentences."""
        if not self:
            return []
        lines = ["capacity held at each year end (facility GW, share of the GW held):"]
        for ye in self.year_ends:
            parts = ", ".join(f"{p.provider} {p.gw:,.2f} ({_pct(p.share)})" for p in ye.providers)
            head = f"  {_year_label(ye.day)}: {gw_text(ye.gw)}"
            lines.append(head + (f" = {parts}" if parts else ""))
        return [*lines, *self.of("rofr"), *self.of("spend")]


# ----------------------------------------------------------------------------- formats


def gw_text(gw: float) -> str:
    if gw == 0:
        return "0 GW"
    return f"{gw:,.2f} GW" if gw < 10 else f"{gw:,.1f} GW"


def money(v: float) -> str:
    return ("−$" if v < 0 else "$") + compact(abs(v))


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%" if share >= 0.01 or share == 0 else "<1%"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _year_label(day: str) -> str:
    return f"end-{day[:4]}" if day.endswith("-12-31") else day


# ----------------------------------------------------------------------------- the parts


def scenario_of(result: SimResult) -> Scenario | None:
    """The scenario a run simulated (agreements and amendments of ``--without`` voided), or
    None for a run on a fleet for experiments."""
    sc = result.scenario
    return sc if isinstance(sc, Scenario) else None


def year_ends(summary: SimSummary) -> list[YearEnd]:
    """Capacity held by provider on each year's last day, and on the run's last period end."""
    held = summary.capacity_held or []
    days = sorted({h.period_end for h in held})
    if not days:
        return []
    chosen = [d for d in days if d.endswith("-12-31")]
    if days[-1] not in chosen:
        chosen.append(days[-1])
    out = []
    for d in chosen:
        rows = [h for h in held if h.period_end == d and (h.power_mw > 0 or h.accelerators > 0)]
        mw = sum(h.power_mw for h in rows)
        ref = sum(h.reference_accelerators for h in rows)
        provs = sorted(rows, key=lambda h: (-h.power_mw, h.provider))
        out.append(
            YearEnd(
                d,
                mw / 1000,
                ref,
                tuple(
                    ProviderHeld(
                        h.provider,
                        h.power_mw / 1000,
                        h.power_mw / mw if mw else 0.0,
                        h.reference_accelerators,
                    )
                    for h in provs
                ),
            )
        )
    return out


def _capacity_sentences(ends: list[YearEnd], lab: str) -> list[Sentence]:
    out: list[Sentence] = []
    prev: YearEnd | None = None
    for i, ye in enumerate(ends):
        when = _year_label(ye.day)
        subject = f"{lab} held" if i == 0 else "it held"
        if not ye.providers:
            out.append(Sentence("capacity", f"At {when} {subject} no capacity."))
            prev = ye
            continue
        ref = f"{compact(ye.reference_accelerators)} reference accelerators"
        if len(ye.providers) == 1:
            where = f"all of it with {ye.providers[0].provider}"
        else:
            where = ", ".join(
                f"{p.provider} {gw_text(p.gw)} ({_pct(p.share)})" for p in ye.providers
            )
        text = f"At {when} {subject} {gw_text(ye.gw)} ({ref}): {where}"
        if prev is not None and prev.providers:
            before = {p.provider for p in prev.providers}
            new = [p.provider for p in ye.providers if p.provider not in before]
            gone = sorted(before - {p.provider for p in ye.providers})
            if new:
                text += f"; new since {_year_label(prev.day)}: {_and(new)}"
            if gone:
                text += f"; no longer held: {_and(gone)}"
        out.append(Sentence("capacity", text + "."))
        prev = ye
    return out


def _rofr_end(clause: RightOfFirstRefusal) -> date | None:
    ends = [a.effective.start for a in clause.amendments if a.action == "terminate"]
    if clause.effective.end is not None:
        ends.append(clause.effective.end)
    return min(ends) if ends else None


def rofr_windows(summary: SimSummary, scenario: Scenario) -> list[RofrWindow]:
    """Each right of first refusal on capacity that was in force during the run, with the
    capacity requests decided under it and those placed after it ended."""
    rows = summary.procurement or []
    start = date.fromisoformat(summary.run.start[:10])
    out = []
    for _, cl in scenario.clauses():
        if not isinstance(cl, RightOfFirstRefusal) or not cl.holder_providers:
            continue
        a, b = cl.effective.start, _rofr_end(cl)
        if b is not None and b <= start:
            continue
        if b is not None and b > _last_day(summary):
            b = None  # still in force when the run ended
        inside = [r for r in rows if r.rofr in ROFR_VERDICTS and _within(r, a, b)]
        requests: dict[str, list[str]] = {}
        ref: dict[str, float] = defaultdict(float)
        for r in inside:
            ids = requests.setdefault(r.rofr, [])
            if r.request not in ids:
                ids.append(r.request)
            ref[r.rofr] += r.reference_accelerators
        after: dict[str, tuple[int, float]] = {}
        if b is not None:
            seen: dict[str, set[str]] = defaultdict(set)
            gw: dict[str, float] = defaultdict(float)
            for r in rows:
                placed_with = r.provider if r.placed else None
                if placed_with and date.fromisoformat(r.date) >= b and r.rofr not in ROFR_VERDICTS:
                    seen[placed_with].add(r.request)
                    gw[placed_with] += r.power_mw / 1000
            after = {p: (len(seen[p]), gw[p]) for p in sorted(seen, key=lambda p: -gw[p])}
        if not inside and a > _last_day(summary):
            continue
        out.append(RofrWindow(cl.id, tuple(cl.holder_providers), a, b, requests, dict(ref), after))
    return out


def _last_day(summary: SimSummary) -> date:
    days = [h.period_end for h in summary.capacity_held or []]
    return date.fromisoformat(max(days)) if days else date.max


def _within(r: ProcurementEntry, a: date, b: date | None) -> bool:
    d = date.fromisoformat(r.date)
    return a <= d and (b is None or d < b)


def _rofr_sentences(windows: list[RofrWindow], summary: SimSummary) -> list[Sentence]:
    if not windows:
        return [
            Sentence("rofr", "No right of first refusal on capacity was in force during the run.")
        ]
    out: list[Sentence] = []
    for w in windows:
        holder = _and(list(w.holders))
        span = (
            f"{w.start.isoformat()} to {w.end.isoformat()}"
            if w.end
            else (f"from {w.start.isoformat()} to the end of the run")
        )
        n = {k: len(v) for k, v in w.requests.items()}
        offered = n.get("accepted", 0) + n.get("declined", 0) + n.get("expired", 0)
        total = offered + n.get("released_unmet", 0)
        if total == 0:
            out.append(
                Sentence(
                    "rofr",
                    f"{w.clause} (in force {span}) acted on no capacity request.",
                )
            )
            continue
        parts = []
        for key, word in (
            ("accepted", "accepted"),
            ("declined", "declined"),
            ("expired", "let expire"),
        ):
            if n.get(key):
                ids = w.requests[key]
                named = f"{_and(ids)}; " if len(ids) <= 2 else ""
                parts.append(
                    f"{n[key]:,} {word} ({named}"
                    f"{compact(w.reference_accelerators.get(key, 0.0))} reference accelerators)"
                )
        text = (
            f"While {w.clause} held ({span}), {_count(total, 'capacity request')} went "
            f"through it: {_count(offered, 'offer')} to {holder}"
            + (f" — {', '.join(parts)}" if parts else "")
        )
        rel = n.get("released_unmet", 0)
        if rel:
            text += (
                f"{';' if parts else ','} and {rel:,} released at once because {holder} "
                f"could not meet {'it' if rel == 1 else 'them'} "
                f"({compact(w.reference_accelerators.get('released_unmet', 0.0))} "
                "reference accelerators, placed elsewhere)"
            )
        out.append(Sentence("rofr", text + "."))
        years = [y for y in summary.rofr.by_year or [] if y.offered or y.released_unmet]
        if len(years) == 1:
            out[-1] = Sentence("rofr", out[-1].text[:-1] + f", all decided in {years[0].year}.")
        elif len(years) > 1:
            out.append(
                Sentence(
                    "rofr",
                    "By year of decision: "
                    + "; ".join(
                        f"{y.year} {y.offered} offered ({y.accepted} accepted, {y.declined} "
                        f"declined, {y.expired} expired), {y.released_unmet} released"
                        for y in years
                    )
                    + ".",
                )
            )
        if w.end is not None:
            if w.after:
                placed = _and(
                    [f"{p} {_count(k, 'request')} ({gw_text(g)})" for p, (k, g) in w.after.items()]
                )
                k_all = sum(k for k, _ in w.after.values())
                out.append(
                    Sentence(
                        "rofr",
                        f"After it ended on {w.end.isoformat()}, "
                        f"{_count(k_all, 'capacity request')} "
                        f"{'was' if k_all == 1 else 'were'} placed without {holder} having "
                        f"the first refusal: {placed}.",
                    )
                )
            else:
                out.append(
                    Sentence(
                        "rofr",
                        f"It ended on {w.end.isoformat()}; no capacity request was placed "
                        "after that.",
                    )
                )
        else:
            out.append(Sentence("rofr", f"{w.clause} was still in force at the end of the run."))
    return out


def spend_checks(summary: SimSummary, scenario: Scenario) -> list[SpendCheck]:
    """The scenario's ``compute_spend_usd`` figures beside the model's committed spend."""
    from stargate.facts.check import check_figures

    checks = []
    for fact in check_figures(scenario, summary).facts:
        f = fact.figure
        if f.metric != "compute_spend_usd" or f.period is None:
            continue
        kind, v = figure_value(f.value)
        if kind == "date":
            continue
        first, last = figure_period(f.period)
        model = fact.model if isinstance(fact.model, float | int) else None
        checks.append(
            SpendCheck(
                f.id,
                f.subject or "",
                f.period,
                first.year,
                last.year,
                float(v),
                float(f.tolerance or 0.0),
                None if model is None else float(model),
                fact.within,
                f.confidence,
                f.use,
            )
        )
    return checks


def _spend_sentences(
    by_year: dict[int, float], checks: list[SpendCheck], lab: str, first: date, last: date
) -> list[Sentence]:
    if not by_year:
        return []

    def year(y: int) -> str:
        """The year, with the days the run covers when it covers part of it."""
        a = max(first, date(y, 1, 1))
        b = min(last, date(y, 12, 31))
        if (a, b) == (date(y, 1, 1), date(y, 12, 31)):
            return str(y)
        return f"{y} ({a.isoformat()[5:]} to {b.isoformat()[5:]})"

    out = [
        Sentence(
            "spend",
            "Committed spend by year: "
            + ", ".join(f"{year(y)} {money(v)}" for y, v in sorted(by_year.items()))
            + f" ({money(sum(by_year.values()))} in all).",
        )
    ]
    if checks:
        items = []
        for c in checks:
            years = (
                str(c.first_year)
                if c.first_year == c.last_year
                else (f"{c.first_year}–{c.last_year}")
            )
            who = "" if c.subject == lab else f" at {c.subject}"
            verdict = "within" if c.within else "outside"
            if c.confidence == "low":
                verdict += ", low confidence"
            public = f"{money(c.public)} ± {c.tolerance * 100:.0f}%"
            if c.model is None:
                items.append(f"{years}{who} {public}: not computed in this run")
            else:
                items.append(f"{years}{who} {money(c.model)} against {public} ({verdict})")
        n_in = sum(1 for c in checks if c.within)
        n_model = sum(1 for c in checks if c.model is not None)
        out.append(
            Sentence(
                "spend",
                f"Against the public figures ({n_in} of {n_model} within tolerance): "
                + "; ".join(items)
                + ".",
            )
        )
    return out


def spend_per_year(summary: SimSummary) -> dict[int, float]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for x in summary.spend_by_year or []:
        totals[x.year] += Decimal(x.committed_usd)
    return {y: float(v) for y, v in sorted(totals.items())}


def headline(summary: SimSummary, scenario: Scenario | None) -> Headline:
    """The headline of a scenario run; empty for a run that procured nothing."""
    if summary.capacity_held is None or scenario is None:
        return Headline()
    lab = scenario.lab_id()
    name = scenario.party(lab).name or lab
    ends = year_ends(summary)
    windows = rofr_windows(summary, scenario)
    by_year = spend_per_year(summary)
    checks = spend_checks(summary, scenario)
    sentences = [
        *_capacity_sentences(ends, name),
        *_rofr_sentences(windows, summary),
        *_spend_sentences(
            by_year,
            checks,
            lab,
            date.fromisoformat(summary.run.start[:10]),
            min(_last_day(summary), date.max),
        ),
    ]
    return Headline(tuple(sentences), tuple(ends), tuple(windows), by_year, tuple(checks))


__all__ = [
    "Headline",
    "RofrWindow",
    "Sentence",
    "SpendCheck",
    "YearEnd",
    "headline",
    "rofr_windows",
    "scenario_of",
    "spend_checks",
    "spend_per_year",
    "year_ends",
]

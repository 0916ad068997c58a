"""The procurement replay: what capacity the lab holds, procurement period by procurement period.

A scenario run replays procurement first, then operations. Procurement (docs/simulator.md
#procurement) goes like this, from the scenario's horizon start to the run's last day:

1. The lab (:meth:`~stargate.domain.model.Scenario.lab_id`) starts with the scenario's starting
   ``reservations`` and its **own capacity**: the pools (not ``status: planned``) of sites of
   providers of kind owned, joint venture or colocation whose owner or operator is the lab,
   each from the day it is online. Own capacity is built, not bought: it is never procured.
2. Each **procurement period** (calendar months, or quarters: ``procure_every``), first the
   scenario's dated capacity requests whose date falls in the period (or before it, when the
   replay starts later) are placed through the broker
   (:func:`~stargate.broker.capacity.decide_capacity`, ``source="scheduled"``) on their own
   dates, so the clauses in force that day apply.
3. Then, unless ``settings.top_up`` is false (a history: the lab holds what the record says
   and no more), the lab **tops up**: for the period that its lead time reaches (on the first
   period, every period up to it), it compares its demand there, plus the headroom, with what
   it will hold on that period's first day, and places one capacity request per *group* of
   classes for the gap (``source="demand"``), for :data:`TERM_MONTHS` from that day.
4. What nothing could take (a row the broker did not place) stays short: the shortfall is
   reported per period and class as ``unmet_demand``, never dropped.

**Groups.** A capacity request is judged as a whole by exclusivity and the ROFR (it is in a
ROFR's scope when one of its classes is), so classes are grouped by the exclusivity clause
that binds them (its provider) and the ROFR whose scope they are in, on the day of the
decision: a request never mixes classes bound differently. A group bound by exclusivity is
sized against what the lab holds at that provider and asks only that provider; the other
groups share everything else the lab holds in proportion to their need, and ask every seller
(the cloud providers, and any other provider that is not the lab's own but has a capacity
model).

**Units.** Demand and holdings are counted in reference accelerators: an accelerator of a type
counts its throughput for the scenario's reference class (``settings.reference_class``), so a
type's advantage on one class over another is not counted. Forecast rows give training in
reference-accelerator-hours per year (÷ the hours of that year) and inference in tokens/s
(÷ ``settings.reference_tokens_per_s``); a replayed workload gives, per class, its jobs'
accelerators × their run time on the reference accelerator, averaged over the period
(inference demand: its mean tokens/s in the period ÷ ``reference_tokens_per_s``).

Capacity held is pooled at job level: a reservation's ``workload_classes`` say what it was
procured for, and jobs of any class may run on any capacity the lab holds, except where
exclusivity binds a class to a provider (docs/simulator.md#jobs-on-held-capacity).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np
import numpy.typing as npt

from stargate.broker.capacity import CapacityBook, ProcurementRow, decide_capacity
from stargate.contracts.state import resolve_without
from stargate.domain.model import (
    CapacityAccelerators,
    CapacityRequest,
    Exclusivity,
    RightOfFirstRefusal,
    Scenario,
    Term,
    WorkloadSourceKind,
)
from stargate.domain.units import SECONDS_PER_DAY, SECONDS_PER_MINUTE
from stargate.errors import InputError, Problem, did_you_mean
from stargate.sim.held import (
    CapacityHeldRow,
    Held,
    capacity_held_rows,
    held_reservation,
    hours_between,
    own_capacity,
    own_providers,
    sellers,
)

if TYPE_CHECKING:
    from stargate.broker.responders import Responder
    from stargate.sim.workload import InferenceDemand, JobTable

FArray = npt.NDArray[np.float64]

#: How often the lab procures: calendar months or quarters (``--procure-every``).
ProcureEvery = Literal["month", "quarter"]
PROCURE_EVERY: tuple[ProcureEvery, ...] = get_args(ProcureEvery)
#: What the lab sizes its capacity for (``--procure-from``): the scenario's demand forecast,
#: or the workload being replayed (as if it were foreseen exactly).
ProcureFrom = Literal["forecast", "workload"]
PROCURE_FROM: tuple[ProcureFrom, ...] = get_args(ProcureFrom)

#: The lab holds this share above its demand (0.10: 10% more), for jobs that do not pack
#: perfectly and demand above the period's mean. *Assumption.*
HEADROOM = 0.10
#: Months between a top-up and the start of the capacity it buys (rounded up to whole
#: procurement periods): the time to sign, deliver and bring up. *Assumption.*
LEAD_TIME_MONTHS = 3
#: The term of a top-up, months from its start: a one-year reservation. *Assumption.*
TERM_MONTHS = 12
#: A gap below this many reference accelerators is not worth a request.
MIN_TOP_UP = 1.0

_MONTHS_PER: dict[ProcureEvery, int] = {"month": 1, "quarter": 3}


@dataclass(frozen=True, slots=True)
class ProcurementOptions:
    """The lab's procurement habits (the module constants by default; overridable from
    Python: ``simulate(..., procurement=ProcurementOptions(headroom=0.2))``)."""

    headroom: float = HEADROOM
    lead_time_months: int = LEAD_TIME_MONTHS
    term_months: int = TERM_MONTHS
    #: whether the lab tops up for demand beyond what it holds; None: the scenario's
    #: ``settings.top_up``
    top_up: bool | None = None

    def checked(self) -> ProcurementOptions:
        """These options, or an InputError naming the ``procurement`` parameter."""
        bad: list[Problem] = []
        h = self.headroom
        if isinstance(h, bool) or not isinstance(h, int | float) or not 0 <= h <= 10:
            bad.append(
                Problem(
                    f"headroom {h!r} is not a share from 0 to 10",
                    path="procurement.headroom",
                    expected="a number from 0 (none) to 10 (ten times the demand), e.g. 0.1",
                )
            )
        for name, value, lo, hi in (
            ("lead_time_months", self.lead_time_months, 0, 120),
            ("term_months", self.term_months, 1, 1200),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                bad.append(
                    Problem(
                        f"{name} {value!r} is not a whole number of months from {lo} to {hi}",
                        path=f"procurement.{name}",
                        expected=f"a whole number from {lo} to {hi}",
                    )
                )
        if bad:
            raise InputError(bad)
        return self


def procure_every_of(value: str | None) -> ProcureEvery:
    """``value`` as a procurement period (None: month), or an InputError naming
    ``procure_every``."""
    if value is None:
        return "month"
    for every in PROCURE_EVERY:
        if value == every:
            return every
    raise InputError(
        Problem(
            f"unknown procurement period '{value}'",
            path="procure_every",
            expected=" | ".join(PROCURE_EVERY),
            hint=did_you_mean(str(value), PROCURE_EVERY, list_valid=False),
        )
    )


def procure_from_of(value: str | None, scenario: Scenario) -> ProcureFrom:
    """What to size procurement for: ``value``, or (None) the forecast where the scenario has
    one, else the workload; an InputError naming ``procure_from`` for an unknown value or a
    forecast the scenario does not have."""
    if value is None:
        return "forecast" if forecast_source(scenario) is not None else "workload"
    for source in PROCURE_FROM:
        if value == source:
            if source == "forecast" and forecast_source(scenario) is None:
                raise InputError(
                    Problem(
                        f"scenario '{scenario.id}' has no demand forecast to procure from",
                        path="procure_from",
                        expected="workload, or a scenario with a workload source of kind "
                        "'forecast'",
                    )
                )
            return source
    raise InputError(
        Problem(
            f"unknown procurement source '{value}'",
            path="procure_from",
            expected=" | ".join(PROCURE_FROM),
            hint=did_you_mean(str(value), PROCURE_FROM, list_valid=False),
        )
    )


def forecast_source(scenario: Scenario) -> str | None:
    """The id of the scenario's first workload source of kind ``forecast`` (None: none)."""
    return next(
        (w.id for w in scenario.workload_sources if w.kind == WorkloadSourceKind.forecast), None
    )


# --------------------------------------------------------------------------- periods


def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    return date(day.year + y, m + 1, 1)


def periods_between(first: date, last: date, every: ProcureEvery) -> list[tuple[date, date]]:
    """Calendar periods (first day, last day) from ``first`` to ``last``, both included; the
    first and the last are cut to them."""
    step = _MONTHS_PER[every]
    start_month = ((first.month - 1) // step) * step + 1
    cursor = date(first.year, start_month, 1)
    out: list[tuple[date, date]] = []
    while cursor <= last:
        nxt = _add_months(cursor, step)
        out.append((max(cursor, first), min(nxt - timedelta(days=1), last)))
        cursor = nxt
    return out


# --------------------------------------------------------------------------- demand


def forecast_demand(
    scenario: Scenario, periods: Sequence[tuple[date, date]]
) -> dict[str, list[float]]:
    """Reference accelerators per class and period from the scenario's forecast: a training
    row's reference-accelerator-hours ÷ the hours of its year, an inference row's tokens/s ÷
    ``reference_tokens_per_s``; a year without a row needs none."""
    sid = forecast_source(scenario)
    assert sid is not None
    source = next(w for w in scenario.workload_sources if w.id == sid)
    per_year: dict[tuple[str, int], float] = {}
    tps = scenario.settings.reference_tokens_per_s
    for row in source.forecast:
        if row.accelerator_hours is not None:
            year_h = hours_between(date(row.year, 1, 1), date(row.year, 12, 31))
            value = row.accelerator_hours / year_h
        else:
            assert row.tokens_per_s is not None
            value = row.tokens_per_s / tps
        key = (row.workload_class, row.year)
        per_year[key] = per_year.get(key, 0.0) + value
    classes = sorted({c for c, _ in per_year})
    return {c: [per_year.get((c, a.year), 0.0) for a, _ in periods] for c in classes}


def _step_integral(
    starts: FArray, ends: FArray, weights: FArray, at: FArray
) -> npt.NDArray[np.float64]:
    """∫₀ᵗ Σ wᵢ·1[sᵢ ≤ τ < eᵢ] dτ at each t of ``at``: from sorted starts and ends and their
    cumulative weights, without a loop over the intervals."""
    out = np.zeros(at.size)
    for edge, sign in ((starts, 1.0), (ends, -1.0)):
        order = np.argsort(edge, kind="stable")
        e, w = edge[order], weights[order]
        cw = np.r_[0.0, np.cumsum(w)]
        cwe = np.r_[0.0, np.cumsum(w * e)]
        k = np.searchsorted(e, at, side="right")
        out += sign * (at * cw[k] - cwe[k])
    return out


def workload_demand(
    scenario: Scenario,
    jobs: JobTable,
    demands: Sequence[InferenceDemand],
    t0: date,
    periods: Sequence[tuple[date, date]],
) -> dict[str, list[float]]:
    """Reference accelerators per class and period from the replayed workload: each job's
    accelerators over its run on the reference accelerator (arrival to arrival + duration),
    averaged over the period; inference demand's tokens/s ÷ ``reference_tokens_per_s``,
    averaged likewise (its minutes count from the run's start, as the simulator serves it)."""
    base = np.datetime64(t0, "D")
    edges_days = [(np.datetime64(a, "D") - base).astype(np.int64) for a, _ in periods]
    if periods:
        edges_days.append((np.datetime64(periods[-1][1], "D") - base).astype(np.int64) + 1)
    at = np.asarray(edges_days, dtype=np.float64) * SECONDS_PER_DAY
    span = np.diff(at)
    out: dict[str, list[float]] = {}
    if len(jobs):
        cls = np.asarray(jobs.workload_class, dtype=object)
        for c in sorted(set(jobs.workload_class)):
            m = cls == c
            a = np.asarray(jobs.arrival_s, dtype=np.float64)[m]
            e = a + np.asarray(jobs.duration_s, dtype=np.float64)[m]
            w = np.asarray(jobs.gpus, dtype=np.float64)[m]
            integral = _step_integral(a, e, w, at)
            out[c] = (np.diff(integral) / span).tolist() if span.size else []
    tps = scenario.settings.reference_tokens_per_s
    for d in demands:
        n = len(d)
        if not n:
            continue
        a = np.arange(n, dtype=np.float64) * SECONDS_PER_MINUTE
        w = np.asarray(d.tokens_per_s, dtype=np.float64) / tps
        integral = _step_integral(a, a + SECONDS_PER_MINUTE, w, at)
        add = (np.diff(integral) / span).tolist() if span.size else []
        prev = out.get(d.workload_class, [0.0] * len(add))
        out[d.workload_class] = [x + y for x, y in zip(prev, add, strict=True)]
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- groups of classes


@dataclass(frozen=True, slots=True)
class Group:
    """Classes bound alike on a day: by the same exclusivity (``exclusive``: its provider) and
    in the same ROFR's scope (``rofr``: its clause id)."""

    exclusive: str | None
    rofr: str | None
    classes: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.exclusive or "", self.rofr or "")


def _clauses_on(
    scenario: Scenario, day: date, lab: str, without: frozenset[str]
) -> tuple[list[Exclusivity], list[RightOfFirstRefusal]]:
    ex: list[Exclusivity] = []
    ro: list[RightOfFirstRefusal] = []
    for _, clause in scenario.clauses():
        if clause.id in without:
            continue
        v = clause.version_at(day)
        if isinstance(v, Exclusivity) and v.party == lab:
            ex.append(v)
        elif isinstance(v, RightOfFirstRefusal) and v.beneficiary == lab:
            ro.append(v)
    return ex, ro


def groups_on(
    scenario: Scenario, day: date, lab: str, classes: Iterable[str], without: frozenset[str]
) -> list[Group]:
    """The classes grouped by the exclusivity and the ROFR that bind them on ``day``
    (exclusive groups first, then by key; the reference class first in its group, the others
    in id order)."""
    ex, ro = _clauses_on(scenario, day, lab, without)
    by_key: dict[tuple[str | None, str | None], list[str]] = {}
    for c in sorted(set(classes)):
        excl = next((x.provider for x in ex if c in x.workload_classes), None)
        rofr = next((r.id for r in ro if c in r.workload_classes), None)
        by_key.setdefault((excl, rofr), []).append(c)
    ref = scenario.reference_class_id()
    out = [
        Group(e, r, tuple(sorted(cs, key=lambda c: (c != ref, c)))) for (e, r), cs in by_key.items()
    ]
    return sorted(out, key=lambda g: (g.exclusive is None, g.key))


def allocate(
    groups: Sequence[Group], need: dict[tuple[str, str], float], supply: dict[str, float]
) -> dict[tuple[str, str], float]:
    """How much of what the lab holds (reference accelerators per provider) each group gets:
    exclusive groups first, from their provider only; then the other groups share what is
    left anywhere in proportion to their need (none is served before another). Returns
    reference accelerators per group key."""
    left = dict(supply)
    got: dict[tuple[str, str], float] = {}
    for g in groups:
        if g.exclusive is not None:
            take = min(need.get(g.key, 0.0), left.get(g.exclusive, 0.0))
            left[g.exclusive] = left.get(g.exclusive, 0.0) - take
            got[g.key] = take
    free = [g for g in groups if g.exclusive is None]
    wanted = sum(need.get(g.key, 0.0) for g in free)
    pool = sum(left.values())
    share = min(1.0, pool / wanted) if wanted > 0 else 0.0
    for g in free:
        got[g.key] = need.get(g.key, 0.0) * share
    return got


# --------------------------------------------------------------------------- the replay


@dataclass(frozen=True, slots=True)
class UnmetRow:
    """Demand of a class that what the lab held on a period's first day did not cover."""

    period_start: date
    period_end: date
    workload_class: str
    demand_reference_accelerators: float
    held_reference_accelerators: float
    unmet_reference_accelerators: float


@dataclass
class Procurement:
    """What the replay did: the decisions' rows (``procurement`` of summary.json), the
    capacity the lab held (reservations and its own pools), per period what it held by provider
    and what demand it could not cover."""

    lab: str
    every: ProcureEvery
    source: ProcureFrom
    options: ProcurementOptions
    periods: list[tuple[date, date]]
    demand: dict[str, list[float]]
    rows: list[ProcurementRow] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    capacity_held: list[CapacityHeldRow] = field(default_factory=list)
    unmet: list[UnmetRow] = field(default_factory=list)
    #: every capacity request placed, by id (the record's and the top-ups)
    requests: dict[str, CapacityRequest] = field(default_factory=dict)
    #: per top-up request id: the index of the period it was for
    targets: dict[str, int] = field(default_factory=dict)

    def held_on(self, day: date) -> list[Held]:
        return [h for h in self.held if h.on(day)]


def _supply(held: Iterable[Held], day: date) -> dict[str, float]:
    out: dict[str, float] = {}
    for h in held:
        if h.on(day):
            out[h.provider] = (
                out.get(h.provider, 0.0) + h.accelerators * h.reference_per_accelerator
            )
    return out


def replay(
    scenario: Scenario,
    first: date,
    last: date,
    demand: dict[str, list[float]] | None = None,
    *,
    every: ProcureEvery = "month",
    source: ProcureFrom = "forecast",
    options: ProcurementOptions | None = None,
    without: Iterable[str] = (),
    voided: Iterable[str] = (),
    responder: Responder | None = None,
    report_from: date | None = None,
) -> Procurement:
    """Replay procurement over ``first``..``last`` (the module docstring says how).

    ``demand``: reference accelerators per class and period of :func:`periods_between`
    (``first``, ``last``, ``every``); None: the scenario's forecast. ``without``: clause ids
    switched off, or agreement and amendment ids to void (resolved through
    :func:`~stargate.contracts.state.resolve_without`: the replay runs on the derived
    scenario); ``voided``: names already voided in ``scenario``, listed in each decision's
    ``without``. ``report_from``: the first day whose periods the per-period
    tables (``capacity_held``, ``unmet``) cover (default ``first``)."""
    opts = (options or ProcurementOptions()).checked()
    resolved = resolve_without(scenario, without)
    scenario = resolved.scenario
    lab = scenario.lab_id()
    off = resolved.clause_ids
    gone = sorted({*voided, *(n for n in resolved.names if n not in off)})
    periods = periods_between(first, last, every)
    if demand is None:
        demand = forecast_demand(scenario, periods)
    book = CapacityBook(scenario, starting=True)
    own = own_capacity(scenario, lab)
    out = Procurement(lab, every, source, opts, periods, demand)
    held_res: dict[str, Held] = {}

    def sync_held() -> list[Held]:
        for r in book.reservations:
            if r.holder == lab and r.id not in held_res:
                h = held_reservation(scenario, r)
                if h is not None:
                    held_res[r.id] = h
        return [*held_res.values(), *own]

    classes = sorted(demand)
    sellers_ = sellers(scenario, lab)
    own_ids = own_providers(scenario, lab)
    lead = math.ceil(opts.lead_time_months / _MONTHS_PER[every])
    top_up = scenario.settings.top_up if opts.top_up is None else opts.top_up
    dated = sorted(scenario.capacity_requests, key=lambda r: (r.date, r.id))
    next_dated = 0
    for i, (p_start, p_end) in enumerate(periods):
        # (1) the record's capacity requests dated in this period (or before the replay)
        while next_dated < len(dated) and dated[next_dated].date <= p_end:
            req = dated[next_dated]
            next_dated += 1
            out.requests[req.id] = req
            dec = decide_capacity(
                scenario,
                req,
                req.date,
                book,
                without=off,
                voided=gone,
                source="scheduled",
                responder=responder,
            )
            out.rows.extend(dec.rows)
        # (2) top-ups for the period the lead time reaches
        targets = range(0, min(lead, len(periods) - 1) + 1) if i == 0 else [i + lead]
        for j in targets if top_up else ():
            if j >= len(periods):
                continue
            s = periods[j][0]
            groups = groups_on(scenario, p_start, lab, classes, off)
            need = {
                g.key: sum(demand[c][j] for c in g.classes) * (1 + opts.headroom) for g in groups
            }
            got = allocate(groups, need, _supply(sync_held(), s))
            for k, g in enumerate(groups):
                gap = need[g.key] - got[g.key]
                if gap < MIN_TOP_UP:
                    continue
                if g.exclusive is not None and g.exclusive in own_ids:
                    continue  # the lab's own capacity is built, not bought
                wanted = [c for c in g.classes if demand[c][j] > 0]
                request = CapacityRequest(
                    id=f"demand-{s.isoformat()}-{k + 1}",
                    requester=lab,
                    workload_classes=wanted,
                    accelerators=CapacityAccelerators(
                        count=math.ceil(gap - 1e-9), types="any", unit="reference"
                    ),
                    term=Term(start=s, end=_add_months(s, opts.term_months) - timedelta(days=1)),
                    providers=[g.exclusive] if g.exclusive is not None else sellers_,
                )
                out.requests[request.id] = request
                out.targets[request.id] = j
                dec = decide_capacity(
                    scenario,
                    request,
                    p_start,
                    book,
                    without=off,
                    voided=gone,
                    source="demand",
                    responder=responder,
                )
                out.rows.extend(dec.rows)
    out.held = sync_held()
    shown = [(a, b) for a, b in periods if b >= (report_from or first)]
    out.capacity_held = capacity_held_rows(out.held, [b for _, b in shown])
    out.unmet = unmet_rows(scenario, out, shown, off)
    return out


def unmet_rows(
    scenario: Scenario,
    proc: Procurement,
    shown: Sequence[tuple[date, date]],
    without: frozenset[str],
) -> list[UnmetRow]:
    """Per period and class, the demand (without headroom) that what the lab held on the
    period's first day did not cover: each group's shortfall is shared among its classes in
    proportion to their demand."""
    index = {p: k for k, p in enumerate(proc.periods)}
    classes = sorted(proc.demand)
    out: list[UnmetRow] = []
    for a, b in shown:
        j = index[(a, b)]
        groups = groups_on(scenario, a, proc.lab, classes, without)
        need = {g.key: sum(proc.demand[c][j] for c in g.classes) for g in groups}
        got = allocate(groups, need, _supply(proc.held, a))
        for g in groups:
            total = need[g.key]
            short = total - got[g.key]
            if short <= 1e-6 or total <= 0:
                continue
            for c in g.classes:
                d = proc.demand[c][j]
                if d <= 0:
                    continue
                miss = short * d / total
                out.append(UnmetRow(a, b, c, d, d - miss, miss))
    return out


__all__ = [
    "HEADROOM",
    "LEAD_TIME_MONTHS",
    "MIN_TOP_UP",
    "PROCURE_EVERY",
    "PROCURE_FROM",
    "TERM_MONTHS",
    "Group",
    "ProcureEvery",
    "ProcureFrom",
    "Procurement",
    "ProcurementOptions",
    "UnmetRow",
    "allocate",
    "forecast_demand",
    "groups_on",
    "held_by",
    "periods_between",
    "place_view",
    "procure_every_of",
    "procure_from_of",
    "replay",
    "workload_demand",
]


def held_by(scenario: Scenario, day: date, *, without: Iterable[str] = ()) -> list[Held]:
    """What the lab holds by ``day`` (its reservations and own pools, those starting later
    included): the procurement replay from the horizon's start through ``day``'s procurement
    period, with the holder's answers on the record (``stargate place`` places job requests on
    it, :func:`~stargate.sim.held.with_held_at_poolless_sites`)."""
    first = scenario.horizon.start
    if day < first:
        return own_capacity(scenario, scenario.lab_id())
    # the record's requests dated after ``day`` are not yet made (the replay places a
    # period's requests together)
    known = [r for r in scenario.capacity_requests if r.date <= day]
    return replay(
        scenario.model_copy(update={"capacity_requests": known}), first, day, without=without
    ).held


def place_view(
    scenario: Scenario, at: datetime | date | None = None, without: Iterable[str] = ()
) -> Scenario:
    """The scenario as ``stargate place`` decides job requests on it: its listed pools, plus
    the capacity its lab holds by ``at`` (default: ``as_of``) at sites that list no pools (a
    cloud known only by its capacity model and the lab's reservations there, as Azure in the
    default history), each reservation a pool of its own (:func:`~stargate.sim.held.
    with_held_at_poolless_sites`). A scenario without starting reservations or dated capacity
    requests is returned as it is. In Python: ``Broker(place_view(sc, at), recorded_as=sc)``
    decides as ``stargate place`` does."""
    if not scenario.reservations and not scenario.capacity_requests:
        return scenario
    from stargate.sim.held import with_held_at_poolless_sites

    if at is None:
        day = scenario.as_of
    elif isinstance(at, datetime):
        day = at.date()
    else:
        day = at
    resolved = resolve_without(scenario, without)
    held = held_by(resolved.scenario, day, without=resolved.clause_ids)
    return with_held_at_poolless_sites(scenario, held, day)[0]

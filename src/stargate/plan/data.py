"""The planner's input, in numbers: periods, what exists, candidates, demand, clauses and
cost coefficients.

Everything here is plain Python and NumPy; :mod:`stargate.plan.model` turns it into a linopy
model. Units inside the model keep the numbers near 1 for the solver:

* installs in **thousands of accelerators**, accelerator-hours in **millions**;
* money in **millions of US dollars** (``$M``), power in MW.

What exists (:mod:`stargate.plan.stock`): phases and pools whose ``status`` is not
``planned`` are fixed — built and installed on their dates, their costs counted, not
decisions; the lab's reservations (starting ones, and what the dated capacity requests
placed, :mod:`stargate.plan.procure`) are held capacity, take-or-pay. ``planned`` phases and
new installs are the plan's decisions, and so is new capacity from the clouds: a provider's
capacity model rows (each period's flow) or, without one, its pools.

Date rule: anything dated ``d`` — a phase's ``online``, a pool's or an accelerator type's
first day, a reservation's term — counts **pro rata**: in the period containing ``d``, for
the share of the period's days from ``d`` on (a phase online on 2025-09-30 serves 93/365
of 2025 in yearly periods; in quarterly ones, 1/92 of 2025Q3 and all of 2025Q4). A decision
taken in a period (a phase built, accelerators installed, capacity bought) serves from the
period's start, except a phase built in the period of its ``online`` date,
which serves from that date. Clauses are read at each period's midpoint
(``clauses_in_force``), as the broker and the simulator read them on a day.

Cost basis (every figure is discounted to the horizon's first day at
``settings.discount_rate``, flows at the start of their period, capex on its day):

* facility capex of a phase = ``facility_capex_usd_per_mw × power_mw / PUE`` (capex is per MW of
  IT load; phases state facility power), committed ``construction_lead_years`` before the
  phase serves;
* accelerator capex = unit price (a site's override, else the list price) × count, paid when
  installed; accelerators retire after ``accelerator_life_years``;
* salvage: straight-line book value left at the end of the horizon, credited then (so late
  investment is not penalised for the years after the horizon) — with capex paid when built,
  this is the capital charge of owned capacity, counted as cash rather than as the price
  rule's level charge (CRF), which gives the same present value over an asset's life;
* energy = ``energy_price_usd_per_mwh`` × installed count × TDP × server overhead × PUE × hours
  (installed accelerators are assumed to draw their full power all period);
* opex = ``opex_usd_per_mw_year`` × IT MW of installed accelerators × years;
* rentals and held capacity at the price rule's price (:func:`stargate.domain.costs.
  hourly_cost`, ``reserved`` tier, for the lab: a contract price, else a capacity model row's
  price, else the list price): pools by the hours used, held and bought capacity by the hours
  held (take-or-pay);
* what was spent before the horizon's first day (a phase or pool in service before it) is
  sunk: not counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np
import numpy.typing as npt

from stargate.contracts.state import resolve_without
from stargate.domain.model import (
    ProviderKind,
    Scenario,
    Site,
    WorkloadKind,
    WorkloadSourceKind,
)
from stargate.errors import InputError, Problem, did_you_mean
from stargate.plan.clauses import Rofr, read_clauses
from stargate.plan.commit import PlanCommitment, read_commitments
from stargate.plan.horizon import check_horizon, default_horizon
from stargate.plan.overrides import check_overrides
from stargate.plan.procure import place_dated_requests
from stargate.plan.stock import (
    FixedPhase,
    FixedPool,
    Held,
    Offer,
    PhaseCandidate,
    fraction,
    held_share,
    read_cloud_pools,
    read_offers,
    read_owned,
    reservations_held,
)
from stargate.plan.units import (
    days_from_years,
    hours_from_days,
    hours_in_year,
    k_from_accelerators,
    mh_from_hours,
    mh_from_k_hours,
    musd_from_usd,
    musd_per_k_from_usd_each,
    mw_per_k_from_w_each,
    usd_from_musd,
    years_from_days,
    years_from_hours,
)

if TYPE_CHECKING:
    from stargate.broker.capacity import ProcurementRow

__all__ = [
    "DEFAULT_SUPPLY_PER_YEAR",
    "PERIODS",
    "TIERS",
    "PhaseCandidate",
    "PlanData",
    "PlanPeriod",
    "Rofr",
    "check_horizon",  # re-exported from stargate.plan.horizon, where it lives now
    "check_period",
    "default_horizon",  # likewise
    "periods_for",
    "prepare",
]

#: Accelerators of one type that the plan may install per year (all sites together) unless
#: ``supply_per_year`` overrides it: about half of NVIDIA's reported 2024 H100 shipments, an
#: assumption meant as a loose, scenario-independent cap.
DEFAULT_SUPPLY_PER_YEAR = 1_000_000.0
#: The price tiers of a cloud price (a closed set). The planner rents capacity for a term, so
#: every rental is on the ``reserved`` tier (priced by the price rule, which falls back to the
#: on-demand list price where a price row has no reserved price).
Tier = Literal["on_demand", "reserved"]
TIERS: tuple[Tier, ...] = get_args(Tier)
#: The lengths of period a plan may have (a closed set).
Period = Literal["year", "quarter"]
PERIODS: tuple[Period, ...] = get_args(Period)

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PlanPeriod:
    label: str
    start: date
    end: date  # inclusive
    year: int

    @property
    def hours(self) -> float:
        return hours_from_days((self.end - self.start).days + 1)

    @property
    def mid(self) -> date:
        return self.start + timedelta(days=(self.end - self.start).days // 2)


@dataclass
class PlanData:
    """Every set and coefficient of one planning problem."""

    periods: list[PlanPeriod]
    types: list[str]
    classes: list[str]
    owned: list[str]  # owned / joint-venture / colocation sites with a cost basis
    clouds: list[str]  # sites of cloud providers without a capacity model: pools by the hour
    provider_of: dict[str, str]  # every site's provider
    phases: list[PhaseCandidate]  # planned phases: decisions
    discount_rate: float
    horizon_years: float
    start_years: Array  # [P] years from the horizon start to each period's start
    period_hours: Array  # [P] hours in each period
    demand_mh: Array  # [C, P] million reference-accelerator-hours
    throughput: Array  # [T, C]
    type_frac: Array  # [T, P] share of each period from the type's available_from
    phase_frac: Array  # [F, P] share of each period from a planned phase's online date
    unit_price_musd_per_k: Array  # [S, T] $M per thousand accelerators
    accelerator_life_years: Array  # [S]
    facility_life_years: Array  # [S]
    facility_mw_per_k: Array  # [S, T] facility MW per thousand installed
    it_mw_per_k: Array  # [T] IT MW per thousand installed
    energy_usd_per_mwh: Array  # [S]
    opex_usd_per_mw_year: Array  # [S] $ per IT MW-year
    supply_k: Array  # [T, P] thousands of accelerators
    install_ok: npt.NDArray[np.bool_]  # [S, T] the site may install the type
    rent_usd_per_hour: Array  # [K, T] $/accelerator-hour (nan: not offered)
    rent_basis: list[list[str]]  # [K][T] the price rule's basis
    rent_cap_mh: Array  # [K, T, P] million accelerator-hours (inf: no pools listed at the site)
    excl_allowed_owned: npt.NDArray[np.bool_]  # [C, S, P]
    excl_allowed_cloud: npt.NDArray[np.bool_]  # [C, K, P]
    exclusivity_by: dict[tuple[str, int], str]  # (class, period) -> clause id
    rofrs: list[Rofr]
    milestones: list[tuple[str, date, float]]  # (id, by, capex cap in $M)
    # what exists ----------------------------------------------------------------------------
    fixed_phases: list[FixedPhase] = field(default_factory=list)
    fixed_pools: list[FixedPool] = field(default_factory=list)
    fixed_mw: Array = field(default_factory=lambda: np.zeros((0, 0)))  # [S, P] pro rata
    fixed_k: Array = field(default_factory=lambda: np.zeros((0, 0, 0)))  # [S, T, P] pro rata
    held: list[Held] = field(default_factory=list)
    held_k: Array = field(default_factory=lambda: np.zeros((0, 0)))  # [H, P] pro rata
    held_allowed: npt.NDArray[np.bool_] = field(
        default_factory=lambda: np.zeros((0, 0, 0), dtype=bool)
    )  # [C, H, P]
    # what can be bought from capacity models ---------------------------------------------
    offers: list[Offer] = field(default_factory=list)
    offer_flow_k: Array = field(default_factory=lambda: np.zeros((0, 0)))  # [O, P]
    offer_cum_k: Array = field(default_factory=lambda: np.zeros((0, 0)))  # [O, P]
    offer_allowed: npt.NDArray[np.bool_] = field(
        default_factory=lambda: np.zeros((0, 0, 0), dtype=bool)
    )  # [C, O, P]
    held_mw_per_k: Array = field(default_factory=lambda: np.zeros(0))  # [H] facility MW
    offer_mw_per_k: Array = field(default_factory=lambda: np.zeros(0))  # [O] facility MW
    reference_class: int | None = None  # index of settings.reference_class in classes
    procurement: list[ProcurementRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    clauses_off: frozenset[str] = frozenset()  # ids of the clauses switched off
    #: committed_spend clauses in force: minimum purchases from a seller (take-or-pay,
    #: :mod:`stargate.plan.commit`)
    commitments: list[PlanCommitment] = field(default_factory=list)
    #: ``settings.top_up: false`` (a history): demand nothing can carry is left unmet and
    #: reported rather than making the plan infeasible
    unmet_allowed: bool = False

    # -- cost helpers (shared by the model and the reporting) --------------------------------
    @property
    def first_day(self) -> date:
        return self.periods[0].start

    @property
    def last_day(self) -> date:
        return self.periods[-1].end

    def in_horizon(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def years_at(self, day: date) -> float:
        """Years from the horizon's first day to ``day``."""
        return years_from_days((day - self.first_day).days)

    def period_of_day(self, day: date) -> int | None:
        """The index of the period containing ``day`` (None outside the horizon)."""
        for p, per in enumerate(self.periods):
            if per.start <= day <= per.end:
                return p
        return None

    def discount(self, p: int) -> float:
        return float((1.0 + self.discount_rate) ** -self.start_years[p])

    def salvage_fraction_at(self, years: float, life_years: float) -> float:
        """Book value left at the horizon's end of an asset in service from ``years``."""
        return max(0.0, 1.0 - (self.horizon_years - years) / life_years)

    def salvage_fraction(self, p: int, life_years: float) -> float:
        """Book value left at the horizon's end of an asset bought at the start of ``p``."""
        return self.salvage_fraction_at(float(self.start_years[p]), life_years)

    def capex_factor_at(self, years: float, life_years: float, lead_years: float = 0.0) -> float:
        """Present value of $1 of capex for an asset in service from ``years`` (after the
        horizon's start), net of salvage; with ``lead_years``, the dollar is spent that long
        before (construction), so it is discounted from then (before the horizon's start, it
        weighs more than $1)."""
        end = (1.0 + self.discount_rate) ** -self.horizon_years
        spent = float((1.0 + self.discount_rate) ** -(years - lead_years))
        return float(spent - end * self.salvage_fraction_at(years, life_years))

    def capex_factor(self, p: int, life_years: float, lead_years: float = 0.0) -> float:
        """:meth:`capex_factor_at` for an asset in service from the start of ``p``."""
        return self.capex_factor_at(float(self.start_years[p]), life_years, lead_years)

    def committed(self, p: int, lead_years: float) -> date:
        """The day capex for an asset in service from the start of ``p`` is committed."""
        return self.committed_at(self.periods[p].start, lead_years)

    @staticmethod
    def committed_at(day: date, lead_years: float) -> date:
        """The day capex for an asset in service from ``day`` is committed."""
        return day - timedelta(days=days_from_years(lead_years))

    def phase_in_service(self, f: int, v: int) -> date:
        """The day planned phase ``f`` serves from when built in period ``v``: its online date
        in the period containing it, else the period's start."""
        return max(self.periods[v].start, self.phases[f].online)

    def alive(self, s: int) -> npt.NDArray[np.bool_]:
        """[P, V]: an install of vintage V at owned site ``s`` still serves in period P."""
        t = self.start_years
        age = t[:, None] - t[None, :]
        out: npt.NDArray[np.bool_] = (age >= 0) & (age < self.accelerator_life_years[s] - 1e-9)
        return out

    @property
    def type_usable(self) -> npt.NDArray[np.bool_]:
        """[T, P]: the type can serve some of the period."""
        out: npt.NDArray[np.bool_] = self.type_frac > 0
        return out

    @property
    def held_mh(self) -> Array:
        """[H, P] million accelerator-hours held in each period (the term's days in it)."""
        out: Array = self.held_k * mh_from_k_hours(self.period_hours)[None, :]
        return out

    def held_cost_usd(self) -> Array:
        """[H, P] what held capacity costs in each period, used or not (take-or-pay), USD."""
        price = np.array([h.price_usd for h in self.held])
        # million hours x USD an hour = $M
        out: Array = usd_from_musd(self.held_mh * price[:, None])
        return out

    def fixed_capex(self) -> list[tuple[str, str, str, date, date, float]]:
        """(kind, site, id, in service from, committed on, capex $M) of every fixed phase and
        pool that comes into service within the horizon (earlier ones are sunk, later ones
        outside the plan)."""
        out: list[tuple[str, str, str, date, date, float]] = []
        for ph in self.fixed_phases:
            if self.in_horizon(ph.online):
                when = self.committed_at(ph.online, ph.lead_years)
                out.append(("phase", ph.site, ph.phase, ph.online, when, ph.capex_musd))
        for pool in self.fixed_pools:
            if self.in_horizon(pool.online):
                musd = musd_from_usd(pool.unit_price_usd * pool.count)
                out.append(("pool", pool.site, pool.pool, pool.online, pool.online, musd))
        return out

    def fixed_capex_pv_musd(self) -> float:
        """Present value of the fixed phases' and pools' capex, net of salvage, $M."""
        total = 0.0
        for ph in self.fixed_phases:
            if self.in_horizon(ph.online):
                s = self.owned.index(ph.site)
                life = float(self.facility_life_years[s])
                total += ph.capex_musd * self.capex_factor_at(
                    self.years_at(ph.online), life, ph.lead_years
                )
        for pool in self.fixed_pools:
            if self.in_horizon(pool.online):
                s = self.owned.index(pool.site)
                life = float(self.accelerator_life_years[s])
                total += musd_from_usd(pool.unit_price_usd * pool.count) * self.capex_factor_at(
                    self.years_at(pool.online), life
                )
        return total


def check_period(period: str) -> Period:
    """``period`` when it is one the planner knows (year, quarter); InputError naming
    ``period`` otherwise."""
    if period not in PERIODS:
        raise InputError(
            Problem(
                f"unknown period '{period}'",
                path="period",
                expected="year or quarter",
                hint=did_you_mean(period, list(PERIODS)),
            )
        )
    return period


def periods_for(horizon: tuple[int, int], period: str) -> list[PlanPeriod]:
    check_period(period)
    y0, y1 = check_horizon(horizon)
    out: list[PlanPeriod] = []
    for y in range(y0, y1 + 1):
        if period == "year":
            out.append(PlanPeriod(str(y), date(y, 1, 1), date(y, 12, 31), y))
        else:
            for q in range(4):
                start = date(y, 3 * q + 1, 1)
                end = date(y, 12, 31) if q == 3 else date(y, 3 * q + 4, 1) - timedelta(days=1)
                out.append(PlanPeriod(f"{y}Q{q + 1}", start, end, y))
    return out


def prepare(
    scenario: Scenario,
    *,
    horizon: tuple[int, int],
    period: str,
    without: Sequence[str],
    budget_usd: float | None,
    supply_per_year: Mapping[str, float] | None,
) -> PlanData:
    """Read the scenario into arrays, placing its dated capacity requests on the way; raise
    InputError on inputs the planner cannot use."""
    check_horizon(horizon)
    sc_start, sc_end = scenario.horizon.start, scenario.horizon.end
    if horizon[0] < sc_start.year or (sc_end is not None and horizon[1] > sc_end.year):
        end = sc_end.year if sc_end is not None else "open"
        raise InputError(
            Problem(
                f"horizon {horizon[0]}..{horizon[1]} lies outside the scenario's horizon",
                path="horizon",
                expected=f"years within {sc_start.year}..{end}",
            )
        )
    periods = periods_for(horizon, period)
    resolved = resolve_without(scenario, without)
    scenario = resolved.scenario  # agreements and amendments named in ``without`` voided
    without_ids = resolved.clause_ids

    classes = [w.id for w in scenario.workload_classes]
    types = [a.id for a in scenario.accelerators]
    accs = {a.id: a for a in scenario.accelerators}
    providers = {p.id: p for p in scenario.providers}
    notes: list[str] = []
    lab = scenario.lab_id()

    owned_sites: list[Site] = []
    cloud_sites: list[Site] = []
    for site in scenario.sites:
        prov = providers[site.provider]
        if prov.kind == ProviderKind.cloud:
            if not prov.capacity_model:  # with one, new capacity comes from its rows
                cloud_sites.append(site)
        elif site.costs is not None:
            owned_sites.append(site)
        else:
            n_listed = sum(p.count for p in site.pools if p.status != "planned")
            what = f"; its {n_listed:,} listed accelerators are not counted" if n_listed else ""
            notes.append(
                f"site '{site.id}' has no cost basis ('costs'); it is not a candidate{what}"
            )
    provider_of = {s.id: s.provider for s in scenario.sites}

    given: dict[str, object] = {}
    if supply_per_year is not None:
        given["supply_per_year"] = supply_per_year
    if budget_usd is not None:
        given["budget_usd"] = budget_usd
    checked, problems = check_overrides(given, scenario)
    if checked is None:
        raise InputError(problems)
    supply_per_year = checked.supply_per_year
    budget_usd = checked.budget_usd

    n_t = len(types)
    h0 = periods[0].start
    start_years = np.array([years_from_days((p.start - h0).days) for p in periods])
    hours = np.array([p.hours for p in periods])
    horizon_years = years_from_days((periods[-1].end - h0).days + 1)

    demand_mh = _demand(scenario, periods, classes, notes)
    throughput = np.array([[accs[t].throughput_for(c) for c in classes] for t in types])
    type_frac = np.array([[fraction(p, accs[t].available_from) for p in periods] for t in types])

    # owned sites: fixed phases and pools, planned phases -----------------------------------
    n_s = len(owned_sites)
    owned = read_owned(scenario, owned_sites, periods, types, notes)

    overhead = scenario.settings.server_overhead
    unit_price_musd_per_k = np.zeros((n_s, n_t))
    facility_mw_per_k = np.zeros((n_s, n_t))
    for s, site in enumerate(owned_sites):
        assert site.costs is not None
        for t, tid in enumerate(types):
            price = site.costs.accelerator_unit_price_usd.get(tid, accs[tid].unit_price_usd)
            unit_price_musd_per_k[s, t] = musd_per_k_from_usd_each(float(price))
            facility_mw_per_k[s, t] = mw_per_k_from_w_each(accs[tid].tdp_w * overhead * site.pue)
    it_mw_per_k = np.array([mw_per_k_from_w_each(accs[t].tdp_w * overhead) for t in types])
    accelerator_life_years = np.array(
        [float(s.costs.accelerator_life_years) for s in owned_sites if s.costs]
    )
    facility_life_years = np.array(
        [float(s.costs.facility_life_years) for s in owned_sites if s.costs]
    )
    energy_usd_per_mwh = np.array([float(s.energy_price_usd_per_mwh or 0) for s in owned_sites])
    opex_usd_per_mw_year = np.array(
        [float(s.costs.opex_usd_per_mw_year) for s in owned_sites if s.costs]
    )

    per_year = np.array([(supply_per_year or {}).get(t, DEFAULT_SUPPLY_PER_YEAR) for t in types])
    supply_k = k_from_accelerators(per_year[:, None] * years_from_hours(hours[None, :]))

    # held capacity: starting reservations, and what the dated requests place ----------------
    placed = place_dated_requests(scenario, periods[-1].end, sorted(without_ids))
    held = reservations_held(scenario, placed.reservations, placed.placed_ids, lab, notes)
    held_k = held_share(held, periods)
    # clouds without a capacity model: their pools, less what reservations hold there; with
    # one: each row's flow, less what the dated requests took
    pools = read_cloud_pools(scenario, cloud_sites, periods, types, placed.reservations, lab)
    pools.cap_mh[:, type_frac <= 0] = 0.0
    offers = read_offers(scenario, lab, types, periods, placed, notes)

    # clauses ---------------------------------------------------------------------------------
    cl = read_clauses(
        scenario,
        [p.mid for p in periods],
        without_ids,
        classes,
        {
            "owned": [s.provider for s in owned_sites],
            "cloud": [s.provider for s in cloud_sites],
            "held": [h.provider for h in held],
            "offer": [o.provider for o in offers.offers],
        },
    )
    held_allowed = cl.allowed["held"]
    for i, h in enumerate(held):
        if h.classes:
            held_allowed[:, i, :] &= np.array([c in h.classes for c in classes])[:, None]

    milestones = [
        (m.id, m.by, musd_from_usd(float(m.capex_usd)))
        for m in scenario.budget.milestones
        if m.by >= periods[0].start
    ]
    if budget_usd is not None:
        milestones.append(("budget-usd", periods[-1].end, musd_from_usd(budget_usd)))
    ref = scenario.reference_class_id()

    def mw_per_k(site_id: str, acc: str) -> float:
        """Facility MW per thousand accelerators of a type at a site (TDP x overhead x PUE)."""
        return mw_per_k_from_w_each(accs[acc].tdp_w * overhead * scenario.site(site_id).pue)

    return PlanData(
        periods=periods,
        types=types,
        classes=classes,
        owned=[s.id for s in owned_sites],
        clouds=[s.id for s in cloud_sites],
        provider_of=provider_of,
        phases=owned.phases,
        discount_rate=scenario.settings.discount_rate,
        horizon_years=horizon_years,
        start_years=start_years,
        period_hours=hours,
        demand_mh=demand_mh,
        throughput=throughput,
        type_frac=type_frac,
        phase_frac=owned.phase_frac,
        unit_price_musd_per_k=unit_price_musd_per_k,
        accelerator_life_years=accelerator_life_years,
        facility_life_years=facility_life_years,
        facility_mw_per_k=facility_mw_per_k,
        it_mw_per_k=it_mw_per_k,
        energy_usd_per_mwh=energy_usd_per_mwh,
        opex_usd_per_mw_year=opex_usd_per_mw_year,
        supply_k=supply_k,
        install_ok=owned.install_ok,
        rent_usd_per_hour=pools.usd_per_hour,
        rent_basis=pools.basis,
        rent_cap_mh=pools.cap_mh,
        excl_allowed_owned=cl.allowed["owned"],
        excl_allowed_cloud=cl.allowed["cloud"],
        exclusivity_by=cl.exclusivity_by,
        rofrs=cl.rofrs,
        milestones=milestones,
        fixed_phases=owned.fixed_phases,
        fixed_pools=owned.fixed_pools,
        fixed_mw=owned.fixed_mw,
        fixed_k=owned.fixed_k,
        held=held,
        held_k=held_k,
        held_allowed=held_allowed,
        offers=offers.offers,
        offer_flow_k=offers.flow_k,
        offer_cum_k=offers.cum_k,
        offer_allowed=cl.allowed["offer"],
        held_mw_per_k=np.array([mw_per_k(h.site, h.accelerator) for h in held]),
        offer_mw_per_k=np.array([mw_per_k(o.site, o.accelerator) for o in offers.offers]),
        reference_class=classes.index(ref) if ref in classes else None,
        procurement=placed.rows,
        notes=notes,
        clauses_off=without_ids,
        unmet_allowed=not scenario.settings.top_up,
        commitments=read_commitments(scenario, periods, without_ids),
    )


def _demand(
    scenario: Scenario, periods: list[PlanPeriod], classes: list[str], notes: list[str]
) -> Array:
    """[C, P] million reference-accelerator-hours of the demand forecast."""
    kinds = {w.id: w.kind for w in scenario.workload_classes}
    rows = [
        r
        for src in scenario.workload_sources
        if src.kind == WorkloadSourceKind.forecast
        for r in src.forecast
    ]
    if not rows:
        raise InputError(
            Problem(
                "the scenario has no demand forecast",
                path="workload_sources",
                expected="a workload source of kind 'forecast' with rows",
            )
        )
    ref_tps = scenario.settings.reference_tokens_per_s
    demand_mh = np.zeros((len(classes), len(periods)))
    years_with_rows: set[int] = set()
    for r in rows:
        if r.workload_class not in classes:
            continue
        c = classes.index(r.workload_class)
        for p, per in enumerate(periods):
            if per.year != r.year:
                continue
            years_with_rows.add(r.year)
            year_hours = hours_in_year(r.year)
            if r.accelerator_hours is not None:
                ref_h = r.accelerator_hours * per.hours / year_hours
            else:
                assert r.tokens_per_s is not None
                ref_h = r.tokens_per_s / ref_tps * per.hours
            demand_mh[c, p] += mh_from_hours(ref_h)
        if kinds[r.workload_class] == WorkloadKind.training and r.accelerator_hours is None:
            notes.append(f"training class '{r.workload_class}' {r.year} is given in tokens/s")
    missing = sorted({per.year for per in periods} - years_with_rows)
    if missing:
        notes.append(f"no forecast rows for {', '.join(map(str, missing))}: demand taken as 0")
    return demand_mh

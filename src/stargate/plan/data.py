"""The planner's input, in numbers: periods, candidates, demand, clauses and cost coefficients.

Everything here is plain Python and NumPy; :mod:`stargate.plan.model` turns it into a linopy
model. Units inside the model keep the numbers near 1 for the solver:

* installs in **thousands of accelerators**, accelerator-hours in **millions**;
* money in **millions of US dollars** (``$M``), power in MW.

Date rule: anything dated ``d`` (a phase's ``online``, an accelerator's ``available_from``, a
cloud pool's ``available_from``, a clause in force) counts in a period when ``d`` is on or before
the period's midpoint, so a phase online on 2025-09-30 serves from 2026 in yearly periods and
from 2025Q4 in quarterly ones.

Cost basis (every figure is discounted to the horizon's first day at
``settings.discount_rate``, flows at the start of their period):

* facility capex of a phase = ``facility_capex_usd_per_mw × power_mw / PUE`` (capex is per MW of
  IT load; phases state facility power), paid when the phase is built;
* accelerator capex = unit price (a site's override, else the list price) × count, paid when
  installed; accelerators retire after ``accelerator_life_years``;
* salvage: straight-line book value left at the end of the horizon, credited then (so late
  investment is not penalised for the years after the horizon);
* energy = ``energy_price_usd_per_mwh`` × installed count × TDP × server overhead × PUE × hours
  (installed accelerators are assumed to draw their full power all period);
* opex = ``opex_usd_per_mw_year`` × IT MW of installed accelerators × years;
* rentals = price × accelerator-hours (on-demand, or reserved where a price is given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from stargate.contracts.state import clauses_in_force, resolve_clause_selector
from stargate.domain.model import (
    Exclusivity,
    ProviderKind,
    RightOfFirstRefusal,
    Scenario,
    WorkloadKind,
    WorkloadSourceKind,
)
from stargate.errors import InputError, Problem, did_you_mean
from stargate.plan.horizon import check_horizon, default_horizon
from stargate.plan.overrides import check_overrides
from stargate.plan.units import (
    days_from_years,
    hours_from_days,
    hours_in_year,
    k_from_accelerators,
    mh_from_hours,
    musd_from_usd,
    musd_per_k_from_usd_each,
    mw_per_k_from_w_each,
    years_from_days,
    years_from_hours,
)

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
#: The rental tiers of a cloud price (a closed set).
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


@dataclass(frozen=True, slots=True)
class PhaseCandidate:
    site: str
    phase: str
    power_mw: float
    online: date
    capex_musd: float  # facility capex, $M
    order: int  # position within its site: phase k+1 needs phase k
    lead_years: float = 0.0  # capex is committed this long before the phase comes online


@dataclass(frozen=True, slots=True)
class Rofr:
    """One ROFR in force in some periods: scope, the holder's providers and its price cap."""

    clause_id: str
    classes: tuple[str, ...]
    holder_providers: frozenset[str]
    price_cap_usd: float | None
    periods: tuple[int, ...]


@dataclass
class PlanData:
    """Every set and coefficient of one planning problem."""

    periods: list[PlanPeriod]
    types: list[str]
    classes: list[str]
    owned: list[str]  # buildable sites (owned / joint venture / colocation with a cost basis)
    clouds: list[str]  # cloud sites (rentals)
    provider_of: dict[str, str]
    phases: list[PhaseCandidate]
    discount_rate: float
    horizon_years: float
    start_years: Array  # [P] years from the horizon start to each period's start
    period_hours: Array  # [P] hours in each period
    demand_mh: Array  # [C, P] million reference-accelerator-hours
    throughput: Array  # [T, C]
    type_usable: npt.NDArray[np.bool_]  # [T, P]
    phase_usable: npt.NDArray[np.bool_]  # [F, P]
    unit_price_musd_per_k: Array  # [S, T] $M per thousand accelerators
    accelerator_life_years: Array  # [S]
    facility_life_years: Array  # [S]
    facility_mw_per_k: Array  # [S, T] facility MW per thousand installed
    it_mw_per_k: Array  # [T] IT MW per thousand installed
    energy_usd_per_mwh: Array  # [S]
    opex_usd_per_mw_year: Array  # [S] $ per IT MW-year
    supply_k: Array  # [T, P] thousands of accelerators
    rent_usd_per_hour: Array  # [K, T, tier] $/accelerator-hour (nan: not offered)
    rent_cap_mh: Array  # [K, T, P] million accelerator-hours (inf: no pools listed at the site)
    excl_allowed_owned: npt.NDArray[np.bool_]  # [C, S, P]
    excl_allowed_cloud: npt.NDArray[np.bool_]  # [C, K, P]
    exclusivity_by: dict[tuple[str, int], str]  # (class, period) -> clause id
    rofrs: list[Rofr]
    milestones: list[tuple[str, date, float]]  # (id, by, capex cap in $M)
    notes: list[str] = field(default_factory=list)
    clauses_off: frozenset[str] = frozenset()  # ids of the clauses switched off

    # -- cost helpers (shared by the model and the reporting) --------------------------------
    def discount(self, p: int) -> float:
        return float((1.0 + self.discount_rate) ** -self.start_years[p])

    def salvage_fraction(self, p: int, life_years: float) -> float:
        """Book value left at the horizon's end of an asset bought at the start of ``p``."""
        return max(0.0, 1.0 - (self.horizon_years - float(self.start_years[p])) / life_years)

    def capex_factor(self, p: int, life_years: float, lead_years: float = 0.0) -> float:
        """Present value of $1 of capex for an asset in service from the start of ``p``, net
        of salvage; with ``lead_years``, the dollar is spent that long before (construction),
        so it is discounted from then (before the horizon's start, it weighs more than $1)."""
        end = (1.0 + self.discount_rate) ** -self.horizon_years
        spent = float((1.0 + self.discount_rate) ** -(self.start_years[p] - lead_years))
        return float(spent - end * self.salvage_fraction(p, life_years))

    def committed(self, p: int, lead_years: float) -> date:
        """The day capex for an asset in service from the start of ``p`` is committed."""
        return self.periods[p].start - timedelta(days=days_from_years(lead_years))

    def alive(self, s: int) -> npt.NDArray[np.bool_]:
        """[P, V]: an install of vintage V at owned site ``s`` still serves in period P."""
        t = self.start_years
        age = t[:, None] - t[None, :]
        out: npt.NDArray[np.bool_] = (age >= 0) & (age < self.accelerator_life_years[s] - 1e-9)
        return out


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
    """Read the scenario into arrays; raise InputError on inputs the planner cannot use."""
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
    excluded: set[str] = set()
    for sel in without:
        excluded |= resolve_clause_selector(scenario, sel)
    without_ids = frozenset(excluded)

    classes = [w.id for w in scenario.workload_classes]
    kinds = {w.id: w.kind for w in scenario.workload_classes}
    types = [a.id for a in scenario.accelerators]
    accs = {a.id: a for a in scenario.accelerators}
    providers = {p.id: p for p in scenario.providers}
    notes: list[str] = []

    owned_sites = []
    cloud_sites = []
    for site in scenario.sites:
        kind = providers[site.provider].kind
        if kind == ProviderKind.cloud:
            cloud_sites.append(site)
        elif site.costs is not None:
            owned_sites.append(site)
        else:
            notes.append(f"site '{site.id}' has no cost basis ('costs'); it is not a candidate")
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

    n_p, n_t, n_c = len(periods), len(types), len(classes)
    h0 = periods[0].start
    start_years = np.array([years_from_days((p.start - h0).days) for p in periods])
    hours = np.array([p.hours for p in periods])
    horizon_years = years_from_days((periods[-1].end - h0).days + 1)
    mids = [p.mid for p in periods]

    # demand ---------------------------------------------------------------------------
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
    demand_mh = np.zeros((n_c, n_p))
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

    throughput = np.array([[accs[t].throughput_for(c) for c in classes] for t in types])
    type_usable = np.array([[accs[t].available_from <= m for m in mids] for t in types])

    # owned sites ---------------------------------------------------------------------------
    phases: list[PhaseCandidate] = []
    for site in owned_sites:
        assert site.costs is not None
        site_phases = list(site.phases)
        if not site_phases and site.power_capacity_mw is not None:
            online = site.announced or sc_start
            phases.append(
                PhaseCandidate(
                    site.id,
                    f"{site.id}-all",
                    site.power_capacity_mw,
                    online,
                    musd_from_usd(
                        float(site.costs.facility_capex_usd_per_mw)
                        * site.power_capacity_mw
                        / site.pue
                    ),
                    0,
                    site.costs.construction_lead_years,
                )
            )
        for k, ph in enumerate(sorted(site_phases, key=lambda x: (x.online, x.id))):
            capex_musd = musd_from_usd(
                float(site.costs.facility_capex_usd_per_mw) * ph.power_mw / site.pue
            )
            phases.append(
                PhaseCandidate(
                    site.id,
                    ph.id,
                    ph.power_mw,
                    ph.online,
                    capex_musd,
                    k,
                    site.costs.construction_lead_years,
                )
            )
        if not site_phases and site.power_capacity_mw is None:
            notes.append(f"site '{site.id}' has neither phases nor power: nothing to build")
    phase_usable = np.array([[ph.online <= m for m in mids] for ph in phases], dtype=bool)
    if not phases:
        phase_usable = np.zeros((0, n_p), dtype=bool)

    n_s = len(owned_sites)
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

    # clouds --------------------------------------------------------------------------------
    n_k = len(cloud_sites)
    rent_usd_per_hour = np.full((n_k, n_t, len(TIERS)), np.nan)
    rent_cap_mh = np.full((n_k, n_t, n_p), np.inf)
    for k, site in enumerate(cloud_sites):
        prov = providers[site.provider]
        for t, tid in enumerate(types):
            cp = next((x for x in site.prices if x.accelerator == tid), None) or prov.price_for(tid)
            if cp is not None:
                rent_usd_per_hour[k, t, 0] = float(cp.on_demand_usd_per_accelerator_hour)
                if cp.reserved_usd_per_accelerator_hour is not None:
                    rent_usd_per_hour[k, t, 1] = float(cp.reserved_usd_per_accelerator_hour)
            for p, m in enumerate(mids):
                if site.pools:
                    count = sum(
                        pool.count
                        for pool in site.pools
                        if pool.accelerator == tid and site.pool_online(pool, m)
                    )
                    rent_cap_mh[k, t, p] = mh_from_hours(count * hours[p])
                if not type_usable[t, p]:
                    rent_cap_mh[k, t, p] = 0.0

    # clauses ---------------------------------------------------------------------------------
    excl_owned = np.ones((n_c, n_s, n_p), dtype=bool)
    excl_cloud = np.ones((n_c, n_k, n_p), dtype=bool)
    exclusivity_by: dict[tuple[str, int], str] = {}
    rofr_periods: dict[str, list[int]] = {}
    rofr_text: dict[str, RightOfFirstRefusal] = {}
    for p, m in enumerate(mids):
        for st in clauses_in_force(scenario, m, without=without_ids):
            v = st.version
            if isinstance(v, Exclusivity):
                for cid in v.workload_classes:
                    if cid not in classes:
                        continue
                    c = classes.index(cid)
                    exclusivity_by[(cid, p)] = v.id
                    for s, site in enumerate(owned_sites):
                        if site.provider != v.provider:
                            excl_owned[c, s, p] = False
                    for k, site in enumerate(cloud_sites):
                        if site.provider != v.provider:
                            excl_cloud[c, k, p] = False
            elif isinstance(v, RightOfFirstRefusal):
                rofr_periods.setdefault(v.id, []).append(p)
                rofr_text.setdefault(v.id, v)
    rofrs = []
    for cid, ps in rofr_periods.items():
        v = rofr_text[cid]
        holders = frozenset(v.holder_providers) or frozenset(
            pr.id for pr in scenario.providers if pr.owner == v.holder
        )
        cap = v.price_cap_usd_per_accelerator_hour
        rofrs.append(
            Rofr(
                cid,
                tuple(c for c in v.workload_classes if c in classes),
                holders,
                float(cap) if cap is not None else None,
                tuple(ps),
            )
        )

    milestones = [
        (m.id, m.by, musd_from_usd(float(m.capex_usd)))
        for m in scenario.budget.milestones
        if m.by >= periods[0].start
    ]
    if budget_usd is not None:
        milestones.append(("budget-usd", periods[-1].end, musd_from_usd(budget_usd)))

    return PlanData(
        periods=periods,
        types=types,
        classes=classes,
        owned=[s.id for s in owned_sites],
        clouds=[s.id for s in cloud_sites],
        provider_of=provider_of,
        phases=phases,
        discount_rate=scenario.settings.discount_rate,
        horizon_years=horizon_years,
        start_years=start_years,
        period_hours=hours,
        demand_mh=demand_mh,
        throughput=throughput,
        type_usable=type_usable,
        phase_usable=phase_usable,
        unit_price_musd_per_k=unit_price_musd_per_k,
        accelerator_life_years=accelerator_life_years,
        facility_life_years=facility_life_years,
        facility_mw_per_k=facility_mw_per_k,
        it_mw_per_k=it_mw_per_k,
        energy_usd_per_mwh=energy_usd_per_mwh,
        opex_usd_per_mw_year=opex_usd_per_mw_year,
        supply_k=supply_k,
        rent_usd_per_hour=rent_usd_per_hour,
        rent_cap_mh=rent_cap_mh,
        excl_allowed_owned=excl_owned,
        excl_allowed_cloud=excl_cloud,
        exclusivity_by=exclusivity_by,
        rofrs=rofrs,
        milestones=milestones,
        notes=notes,
        clauses_off=without_ids,
    )

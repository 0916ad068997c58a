"""The plan's tables, from the model's solution and what exists.

Rows are plain dicts in plain units (accelerators, accelerator-hours, USD, MW), one list per
table of :data:`stargate.plan.result.TABLES`; :mod:`stargate.plan.api` makes them Polars
frames and cleans them of solver noise. Costs are undiscounted, per period:

* ``capex`` — cash on builds and installs in the period: planned phases built, new installs,
  and the fixed phases and pools that come into service in it;
* ``depreciation`` — straight line over each asset's life, from the day it serves (fixed
  assets in service before the horizon included: their capex is sunk, their depreciation is
  still the cost of the compute they give);
* ``energy``, ``opex`` — on every accelerator installed (new and fixed), at full draw;
* ``rental`` — hours rented by the hour, and held capacity (reservations, capacity bought
  from capacity models) in full, used or not: take-or-pay.

Each period's compute cost is also split by who chose it: **fixed** — what exists and what
the record placed (fixed phases and pools, starting reservations, the dated requests'
reservations), a cost the plan cannot avoid — and **decided** — the plan's own decisions
(planned phases built, new installs, hours rented, capacity bought from capacity models).
The ``demand`` table splits the work the same way, per class and period: the demand, the part
of it the fixed capacity carries, and the part carried by the plan's decisions — the demand
the record leaves unmet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stargate.plan.data import PlanData
from stargate.plan.model import held_types, new_stock_k, offer_types, site_use
from stargate.plan.stock import fraction, in_service_until
from stargate.plan.units import (
    accelerators_from_k,
    hours_from_mh,
    mh_from_k_hours,
    usd_from_musd,
    years_from_hours,
)

__all__ = ["Tables"]

#: Below this a solution value is solver noise (thousands of accelerators, million hours).
EPS = 1e-7
COST_KEYS = ("capex", "depreciation", "energy", "opex", "rental")
#: Who chose a cost or a unit of work: what exists and the record (fixed) or the plan.
BASES = ("fixed", "decided")


class Tables:
    """Builds every table of one solved plan (:meth:`rows`)."""

    def __init__(self, d: PlanData, sol: dict[str, np.ndarray | None]) -> None:
        self.d = d
        self.sol = sol
        self.per = [p.label for p in d.periods]
        self.years = years_from_hours(d.period_hours)
        self.cost: dict[tuple[str, str], dict[str, float]] = {}
        #: compute cost (depreciation, energy, opex, rentals) by period, provider and basis
        self.split: dict[tuple[str, str], dict[str, float]] = {}
        self.work: dict[tuple[str, str], float] = {}
        #: reference-accelerator-hours of capacity each provider gives in each period
        self.capacity: dict[tuple[str, str], float] = {}
        self.cap_ref = self._capacity_throughput()

    # -- accumulators -----------------------------------------------------------------------
    def _acc(self, p: int, prov: str, key: str, usd: float, basis: str) -> None:
        row = self.cost.setdefault((self.per[p], prov), dict.fromkeys(COST_KEYS, 0.0))
        row[key] += usd
        if key != "capex":  # capex enters the compute cost as depreciation
            part = self.split.setdefault((self.per[p], prov), dict.fromkeys(BASES, 0.0))
            part[basis] += usd

    def _work(self, p: int, prov: str, ref_hours: float) -> None:
        key = (self.per[p], prov)
        self.work[key] = self.work.get(key, 0.0) + ref_hours

    def _capacity_hours(self, p: int, prov: str, t: int, accelerators: float) -> None:
        """``accelerators`` of type ``t`` held or installed all of period ``p`` at ``prov``."""
        ref_h = accelerators * float(self.d.period_hours[p]) * float(self.cap_ref[t])
        if ref_h > 0:
            key = (self.per[p], prov)
            self.capacity[key] = self.capacity.get(key, 0.0) + ref_h

    def _years_in_service(self, p: int, start: Any, until: Any = None) -> float:
        """Years of period ``p`` an asset serves from ``start`` (to ``until``)."""
        return float(self.years[p] * fraction(self.d.periods[p], start, until))

    # -- tables -----------------------------------------------------------------------------
    def rows(self) -> dict[str, list[dict[str, Any]]]:
        builds = self._builds()
        installs = self._installs()
        rentals, held = self._rentals()
        cost_rows: list[dict[str, Any]] = []
        for (p_label, prov), part in sorted(self.cost.items()):
            compute = part["depreciation"] + part["energy"] + part["opex"] + part["rental"]
            split = self.split.get((p_label, prov), dict.fromkeys(BASES, 0.0))
            cost_rows.append(
                {"period": p_label, "provider": prov, "capex_usd": part["capex"],
                 "depreciation_usd": part["depreciation"], "energy_usd": part["energy"],
                 "opex_usd": part["opex"], "rental_usd": part["rental"],
                 "compute_cost_usd": compute,
                 "fixed_compute_cost_usd": compute - split["decided"],
                 "decided_compute_cost_usd": split["decided"]}
            )  # fmt: skip
        totals: dict[str, float] = {}
        for (p_label, _), w in self.work.items():
            totals[p_label] = totals.get(p_label, 0.0) + w
        cap_totals: dict[str, float] = {}
        for (p_label, _), c in self.capacity.items():
            cap_totals[p_label] = cap_totals.get(p_label, 0.0) + c
        share_rows = []
        for key in sorted(set(self.work) | set(self.capacity)):
            p_label, prov = key
            w, c = self.work.get(key, 0.0), self.capacity.get(key, 0.0)
            if w <= 0 and c <= 0:
                continue
            share_rows.append(
                {"period": p_label, "provider": prov, "reference_hours": w,
                 "share": w / totals[p_label] if totals.get(p_label, 0.0) > 0 else 0.0,
                 "capacity_reference_hours": c,
                 "capacity_share": c / cap_totals[p_label] if cap_totals.get(p_label, 0.0) > 0
                 else 0.0}
            )  # fmt: skip
        year_of = {p.label: p.year for p in self.d.periods}
        annual: dict[int, list[float]] = {}
        for row in cost_rows:
            a = annual.setdefault(year_of[row["period"]], [0.0, 0.0, 0.0])
            a[0] += row["compute_cost_usd"]
            a[1] += row["fixed_compute_cost_usd"]
            a[2] += row["decided_compute_cost_usd"]
        annual_rows = [
            {"year": y, "compute_cost_usd": c, "fixed_compute_cost_usd": f,
             "decided_compute_cost_usd": dc}
            for y, (c, f, dc) in sorted(annual.items())
        ]  # fmt: skip
        return {
            "builds": builds,
            "installs": installs,
            "rentals": rentals,
            "cost_by_period": cost_rows,
            "share_by_provider": share_rows,
            "annual_compute_cost": annual_rows,
            "capacity_held": held,
            "demand": self._demand(),
        }

    def _demand(self) -> list[dict[str, Any]]:
        """Per period and class: the demand, the part of it done on what exists and the
        record's reservations (fixed), and the part done on the plan's decisions (decided:
        what the record leaves unmet), in reference-accelerator-hours."""
        d, sol = self.d, self.sol
        n_c, n_p = len(d.classes), len(self.per)
        work = {b: np.zeros((n_c, n_p)) for b in BASES}
        thr = d.throughput  # [T, C]
        for name, basis in (("uf", "fixed"), ("u", "decided")):
            v = sol.get(name)
            if v is not None:  # [class, group, type, period]
                work[basis] += np.einsum("cgtp,tc->cp", np.clip(v, 0.0, None), thr)
        r = sol.get("r")
        if r is not None:  # [class, cloud, type, period]
            work["decided"] += np.einsum("cktp,tc->cp", np.clip(r, 0.0, None), thr)
        o = sol.get("o")
        if o is not None and d.offers:  # [class, offer, period]
            work["decided"] += np.einsum("cop,oc->cp", np.clip(o, 0.0, None),
                                         thr[offer_types(d)])  # fmt: skip
        g = sol.get("g")
        if g is not None and d.held:  # [class, held, period]
            work["fixed"] += np.einsum("chp,hc->cp", np.clip(g, 0.0, None), thr[held_types(d)])
        su = sol.get("unmet")
        out: list[dict[str, Any]] = []
        for p, label in enumerate(self.per):
            for c, cls in enumerate(d.classes):
                demand = hours_from_mh(float(d.demand_mh[c, p]))
                unmet = 0.0 if su is None else min(hours_from_mh(max(float(su[c, p]), 0.0)), demand)
                fixed = min(hours_from_mh(float(work["fixed"][c, p])), demand - unmet)
                decided = min(hours_from_mh(float(work["decided"][c, p])), demand - unmet - fixed)
                out.append(
                    {"period": label, "workload_class": cls,
                     "demand_reference_hours": demand, "fixed_reference_hours": fixed,
                     "decided_reference_hours": decided,
                     "decided_share": decided / demand if demand > 0 else 0.0,
                     "unmet_reference_hours": unmet}
                )  # fmt: skip
        return out

    def _builds(self) -> list[dict[str, Any]]:
        d = self.d
        out: list[dict[str, Any]] = []
        b = self.sol.get("b")
        if b is not None:
            for f, ph in enumerate(d.phases):
                s = d.owned.index(ph.site)
                for v in range(len(self.per)):
                    if b[f, v] <= 0.5:
                        continue
                    day = d.phase_in_service(f, v)
                    capex_usd = usd_from_musd(ph.capex_musd)
                    out.append(
                        {"site": ph.site, "phase": ph.phase, "period": self.per[v],
                         "power_mw": ph.power_mw, "capex_usd": capex_usd,
                         "capex_committed": d.committed_at(day, ph.lead_years).isoformat(),
                         "status": "planned"}
                    )  # fmt: skip
                    self._facility_costs(s, v, day, capex_usd, "decided")
        for fx in d.fixed_phases:
            s = d.owned.index(fx.site)
            capex_usd = usd_from_musd(fx.capex_musd)
            v_in = d.period_of_day(fx.online)
            if v_in is not None:
                out.append(
                    {"site": fx.site, "phase": fx.phase, "period": self.per[v_in],
                     "power_mw": fx.power_mw, "capex_usd": capex_usd,
                     "capex_committed": d.committed_at(fx.online, fx.lead_years).isoformat(),
                     "status": fx.status}
                )  # fmt: skip
            if fx.online <= d.last_day:
                self._facility_costs(s, v_in, fx.online, capex_usd, "fixed")
        order = {p: i for i, p in enumerate(self.per)}
        out.sort(key=lambda r: (order[r["period"]], r["site"], r["phase"]))
        return out

    def _facility_costs(
        self, s: int, v: int | None, day: Any, capex_usd: float, basis: str
    ) -> None:
        """A phase's capex in its period (None: before the horizon, sunk) and depreciation
        from ``day``."""
        d = self.d
        prov = d.provider_of[d.owned[s]]
        if v is not None:
            self._acc(v, prov, "capex", capex_usd, basis)
        life = float(d.facility_life_years[s])
        until = in_service_until(day, life)
        for p in range(len(self.per)):
            yrs = self._years_in_service(p, day, until)
            if yrs > 0:
                self._acc(p, prov, "depreciation", capex_usd / life * yrs, basis)

    def _installs(self) -> list[dict[str, Any]]:
        d = self.d
        out: list[dict[str, Any]] = []
        x = self.sol.get("x")
        if not d.owned:
            return out
        run_k = np.zeros((len(d.owned), len(d.types), len(self.per)))
        dep_musd = np.zeros_like(run_k)
        if x is not None:
            stock = new_stock_k(d, x)
            run_k += stock
            for s, site in enumerate(d.owned):
                prov = d.provider_of[site]
                for t, tid in enumerate(d.types):
                    for v in range(len(self.per)):
                        if x[s, t, v] <= EPS:
                            continue
                        usd = usd_from_musd(x[s, t, v] * d.unit_price_musd_per_k[s, t])
                        out.append(
                            {"site": site, "provider": prov, "accelerator": tid,
                             "period": self.per[v], "count": accelerators_from_k(x[s, t, v]),
                             "capex_usd": usd, "status": "planned"}
                        )  # fmt: skip
                        self._acc(v, prov, "capex", usd, "decided")
            lives = d.accelerator_life_years[:, None, None]
            dep_musd += stock * d.unit_price_musd_per_k[:, :, None] / lives * self.years
        for pool in d.fixed_pools:
            s, t = d.owned.index(pool.site), d.types.index(pool.accelerator)
            prov = d.provider_of[pool.site]
            capex_usd = pool.unit_price_usd * pool.count
            v_in = d.period_of_day(pool.online)
            if v_in is not None:
                out.append(
                    {"site": pool.site, "provider": prov, "accelerator": pool.accelerator,
                     "period": self.per[v_in], "count": float(pool.count),
                     "capex_usd": capex_usd, "status": pool.status}
                )  # fmt: skip
                self._acc(v_in, prov, "capex", capex_usd, "fixed")
            life = float(d.accelerator_life_years[s])
            for p in range(len(self.per)):
                yrs = self._years_in_service(p, pool.online, pool.until)
                if yrs > 0:
                    self._acc(p, prov, "depreciation", capex_usd / life * yrs, "fixed")
        for s, site in enumerate(d.owned):
            prov = d.provider_of[site]
            for p in range(len(self.per)):
                for t in range(len(d.types)):
                    k_all = float(run_k[s, t, p] + d.fixed_k[s, t, p])
                    if k_all > EPS:
                        self._capacity_hours(p, prov, t, accelerators_from_k(k_all))
                # new installs (the plan's) and fixed stock (what exists), each at full draw
                for k, basis in ((run_k[s, :, p], "decided"), (d.fixed_k[s, :, p], "fixed")):
                    if (k <= EPS).all():
                        continue
                    energy = float(
                        (k * d.facility_mw_per_k[s]).sum()
                        * d.period_hours[p]
                        * float(d.energy_usd_per_mwh[s])
                    )
                    opex = float((k * d.it_mw_per_k).sum() * float(d.opex_usd_per_mw_year[s]))
                    self._acc(p, prov, "energy", energy, basis)
                    self._acc(p, prov, "opex", opex * self.years[p], basis)
                dep = float(dep_musd[s, :, p].sum())
                if dep > 0:
                    self._acc(p, prov, "depreciation", usd_from_musd(dep), "decided")
        for name in ("u", "uf"):
            u = self.sol.get(name)
            if u is None:
                continue
            stock_k = new_stock_k(d, x) if name == "u" and x is not None else d.fixed_k
            per_site = site_use(d, u, stock_k)
            for s, site in enumerate(d.owned):
                prov = d.provider_of[site]
                for p in range(len(self.per)):
                    w: float = hours_from_mh(float((per_site[:, s, :, p] * d.throughput.T).sum()))
                    self._work(p, prov, w)
        out.sort(key=lambda r: (r["site"], r["accelerator"], r["period"], r["status"]))
        return out

    def _rentals(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        d = self.d
        rentals: list[dict[str, Any]] = []
        held_rows: list[dict[str, Any]] = []

        def rent(
            prov: str, site: str, t: int, c: int, p: int, mh: float, price: float,
            source: str, basis: str,
        ) -> float:  # fmt: skip
            hours = hours_from_mh(mh)
            usd = hours * price
            rentals.append(
                {"provider": prov, "site": site, "accelerator": d.types[t], "tier": "reserved",
                 "workload_class": d.classes[c], "period": self.per[p],
                 "accelerator_hours": hours, "cost_usd": usd, "source": source,
                 "basis": basis}
            )  # fmt: skip
            self._work(p, prov, hours * d.throughput[t, c])
            return usd

        r = self.sol.get("r")
        if r is not None:
            for k, site in enumerate(d.clouds):
                prov = d.provider_of[site]
                for c in range(len(d.classes)):
                    for t in range(len(d.types)):
                        for p in range(len(self.per)):
                            if r[c, k, t, p] <= EPS:
                                continue
                            price = float(d.rent_usd_per_hour[k, t])
                            usd = rent(prov, site, t, c, p, float(r[c, k, t, p]), price,
                                       "plan", d.rent_basis[k][t])  # fmt: skip
                            hours = hours_from_mh(float(r[c, k, t, p]))
                            self._capacity_hours(p, prov, t, hours / float(d.period_hours[p]))
                            self._acc(p, prov, "rental", usd, "decided")
        ref = self._reference_throughput()
        hold, o = self.sol.get("hold"), self.sol.get("o")
        if hold is not None and o is not None:
            ot = offer_types(d)
            for j, off in enumerate(d.offers):
                t = int(ot[j])
                for p in range(len(self.per)):
                    used: float = 0.0
                    for c in range(len(d.classes)):
                        if o[c, j, p] > EPS:
                            used += rent(off.provider, off.site, t, c, p, float(o[c, j, p]),
                                         off.price_usd, "plan", off.basis)  # fmt: skip
                    kept = float(hold[j, p])
                    if kept <= EPS:
                        continue
                    committed = (
                        hours_from_mh(kept * mh_from_k_hours(d.period_hours[p])) * off.price_usd
                    )
                    self._acc(p, off.provider, "rental", committed, "decided")
                    self._capacity_hours(p, off.provider, t, accelerators_from_k(kept))
                    held_rows.append(
                        self._held_row(p, off.provider, off.site, t, "plan", kept, ref,
                                       float(d.offer_mw_per_k[j]), committed, used)
                    )  # fmt: skip
        g = self.sol.get("g")
        if d.held:
            ht = held_types(d)
            cost = d.held_cost_usd()
            for i, h in enumerate(d.held):
                t = int(ht[i])
                for p in range(len(self.per)):
                    used_h: float = 0.0
                    if g is not None:
                        for c in range(len(d.classes)):
                            if g[c, i, p] > EPS:
                                used_h += rent(h.provider, h.site, t, c, p, float(g[c, i, p]),
                                             h.price_usd, h.source, h.basis)  # fmt: skip
                    kept = float(d.held_k[i, p])
                    if kept <= EPS:
                        continue
                    committed = float(cost[i, p])
                    self._acc(p, h.provider, "rental", committed, "fixed")
                    self._capacity_hours(p, h.provider, t, accelerators_from_k(kept))
                    held_rows.append(
                        self._held_row(p, h.provider, h.site, t, h.source, kept, ref,
                                       float(d.held_mw_per_k[i]), committed, used_h)
                    )  # fmt: skip
        return rentals, _merge_held(held_rows)

    def _capacity_throughput(self) -> np.ndarray:
        """[T] what an hour of each type counts in reference-accelerator-hours of capacity:
        its throughput for the reference class, or for a type that cannot run it (an
        inference-only chip) its best throughput on any class."""
        ref = self._reference_throughput()
        best = self.d.throughput.max(axis=1) if self.d.throughput.size else ref
        out: np.ndarray = np.where(ref > 0, ref, best)
        return out

    def _reference_throughput(self) -> np.ndarray:
        d = self.d
        if d.reference_class is None:
            return np.ones(len(d.types))
        out: np.ndarray = d.throughput[:, d.reference_class]
        return out

    def _held_row(
        self, p: int, prov: str, site: str, t: int, source: str, k: float, ref: np.ndarray,
        mw_per_k: float, committed: float, used: float,
    ) -> dict[str, Any]:  # fmt: skip
        return {
            "period": self.per[p], "provider": prov, "site": site,
            "accelerator": self.d.types[t], "source": source,
            "accelerators": accelerators_from_k(k),
            "reference_accelerators": accelerators_from_k(k) * float(ref[t]),
            "power_mw": k * mw_per_k, "committed_usd": committed, "used_usd": used,
            "idle_usd": max(0.0, committed - used),
        }  # fmt: skip


def _merge_held(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per period, provider, site, type and source (reservations of the same kind
    added up), in that order."""
    merged: dict[tuple[str, ...], dict[str, Any]] = {}
    for r in rows:
        key = (r["period"], r["provider"], r["site"], r["accelerator"], r["source"])
        if key not in merged:
            merged[key] = dict(r)
            continue
        m = merged[key]
        for f in ("accelerators", "reference_accelerators", "power_mw", "committed_usd",
                  "used_usd", "idle_usd"):  # fmt: skip
            m[f] += r[f]
    return [merged[k] for k in sorted(merged)]

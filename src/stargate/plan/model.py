"""The planning model: :class:`~stargate.plan.data.PlanData` → a linopy model.

Decisions (units as in :mod:`stargate.plan.data`):

=========  ==============================  =================================================
``b``      phase, vintage                  build the phase in that period (binary)
``x``      site, type, vintage             thousands of accelerators installed (continuous,
                                           or integer with ``integer_installs``)
``u``      class, site, type, period       million owned accelerator-hours given to a class
``r``      class, cloud, type, tier, per.  million rented accelerator-hours
``z``      rofr, period                    1: the ROFR holder's offer is used up (binary)
=========  ==============================  =================================================

Constraints: ``demand`` (work per class and period ≥ forecast), ``owned_hours`` (hours used ≤
installed stock × hours), ``power`` (stock × TDP × overhead × PUE ≤ MW of phases built by
then), ``supply`` (installs per type and period ≤ the supply cap), ``rental_cap`` (rented hours
≤ the cloud's listed pools × hours), ``budget`` (cumulative capex ≤ each milestone), ``phase_once``
and ``phase_order``, and the ROFR pair ``rofr_elsewhere`` / ``rofr_holder_first``:

    work of in-scope classes not on the holder's providers ≤ M·z
    hours rented from the holder at each in-cap type       ≥ offer·z

so capacity goes elsewhere only once the holder's offer within the price cap is used up. A
holder site without listed pools offers unlimited capacity, so there z is held at 0.

This module imports linopy; callers import it only once the solver stack is known to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from stargate.errors import InputError, Problem
from stargate.plan.data import HOURS_PER_YEAR, TIERS, PlanData

#: Penalties of the slack variables of the explaining re-solve, in $M per unit. Demand is the
#: dearest so that a shortfall is reported only when nothing else can be relaxed.
PENALTY = {
    "demand": 1000.0,  # per million reference-accelerator-hours ($1,000/hour)
    "supply": 500.0,  # per thousand accelerators
    "rental_cap": 100.0,  # per million rented hours ($100/hour)
    "power": 100.0,  # per MW
    "budget": 10.0,  # per $M over
}


@dataclass
class Built:
    model: Any  # linopy.Model
    data: PlanData
    slack: bool


def _da(values: Any, dims: list[str], coords: dict[str, list[str]]) -> xr.DataArray:
    return xr.DataArray(np.asarray(values), dims=dims, coords={d: coords[d] for d in dims})


def build(
    d: PlanData,
    *,
    integer_installs: bool = False,
    slack: bool = False,
    fixed: dict[str, np.ndarray] | None = None,
) -> Built:
    """Build the model. ``slack``: add penalised slack to demand, supply, rental caps, power
    and budget (the explaining re-solve). ``fixed``: values of ``b``, ``z`` (and ``x`` when
    integer) to hold, turning the MILP into the LP whose duals are the shadow prices."""
    import linopy

    periods = [p.label for p in d.periods]
    co: dict[str, list[str]] = {
        "period": periods,
        "vintage": periods,
        "type": d.types,
        "class": d.classes,
        "site": d.owned,
        "cloud": d.clouds,
        "tier": list(TIERS),
        "phase": [ph.phase for ph in d.phases],
        "rofr": [r.clause_id for r in d.rofrs],
    }
    n_p = len(periods)
    m = linopy.Model(force_dim_names=True)
    disc = np.array([d.discount(p) for p in range(n_p)])
    hours = d.hours
    cum = np.tril(np.ones((n_p, n_p)))  # [period, vintage]: vintage <= period
    cum_da = _da(cum, ["period", "vintage"], co)
    thr = _da(d.throughput, ["type", "class"], co)
    obj: list[Any] = []

    # ---------------------------------------------------------------- variables
    has_owned = bool(d.owned)
    has_cloud = bool(d.clouds)
    has_phases = bool(d.phases)
    if has_owned:
        usable_x = d.type_usable[None, :, :] & (d.throughput.sum(axis=1) > 0)[None, :, None]
        x_up = np.where(np.broadcast_to(usable_x, (len(d.owned), *d.type_usable.shape)), np.inf, 0)
        if fixed is not None and "x" in fixed:
            x = m.add_variables(
                lower=_da(fixed["x"], ["site", "type", "vintage"], co),
                upper=_da(fixed["x"], ["site", "type", "vintage"], co),
                name="x",
            )
        else:
            x = m.add_variables(
                lower=0,
                upper=_da(x_up, ["site", "type", "vintage"], co),
                integer=integer_installs,
                name="x",
            )
        allowed_u = (
            (d.throughput.T > 0)[:, None, :, None]
            & d.excl_allowed_owned[:, :, None, :]
            & np.ones((1, 1, 1, n_p), dtype=bool)
        )
        u = m.add_variables(
            lower=0,
            upper=_da(np.where(allowed_u, np.inf, 0), ["class", "site", "type", "period"], co),
            name="u",
        )
        alive = np.stack([d.alive(s) for s in range(len(d.owned))])  # [site, period, vintage]
        stock = (x * _da(alive.astype(float), ["site", "period", "vintage"], co)).sum("vintage")
        m.add_constraints(
            u.sum("class") - stock * _da(hours / 1000.0, ["period"], co) <= 0, name="owned_hours"
        )
    if has_phases:
        if fixed is not None:
            b = m.add_variables(
                lower=_da(fixed["b"], ["phase", "vintage"], co),
                upper=_da(fixed["b"], ["phase", "vintage"], co),
                name="b",
            )
        else:
            b = m.add_variables(
                binary=True, coords=[("phase", co["phase"]), ("vintage", co["vintage"])], name="b"
            )
        not_usable = _da((~d.phase_usable).astype(float), ["phase", "vintage"], co)
        m.add_constraints((b * not_usable).sum() == 0, name="phase_dated")
        m.add_constraints(b.sum("vintage") <= 1, name="phase_once")
        # phase k+1 of a site is built no earlier than phase k: one row per (pair, period)
        pairs = [
            (i, j)
            for i, ph in enumerate(d.phases)
            for j, q in enumerate(d.phases)
            if q.site == ph.site and q.order == ph.order - 1
        ]
        if pairs:
            a = np.zeros((len(pairs), len(d.phases)))
            for n, (i, j) in enumerate(pairs):
                a[n, i], a[n, j] = 1.0, -1.0
            pair_da = xr.DataArray(
                a,
                dims=["pair", "phase"],
                coords={"pair": list(range(len(pairs))), "phase": co["phase"]},
            )
            lhs = (b * pair_da * cum_da).sum(["phase", "vintage"])
            m.add_constraints(lhs <= 0, name="phase_order")
    if has_cloud:
        price = np.nan_to_num(d.rent_price, nan=0.0)
        offered = ~np.isnan(d.rent_price)  # [cloud, type, tier]
        allowed_r = (
            (d.throughput.T > 0)[:, None, :, None, None]
            & offered[None, :, :, :, None]
            & (d.rent_cap > 0)[None, :, :, None, :]
            & d.excl_allowed_cloud[:, :, None, None, :]
        )
        r = m.add_variables(
            lower=0,
            upper=_da(
                np.where(allowed_r, np.inf, 0), ["class", "cloud", "type", "tier", "period"], co
            ),
            name="r",
        )
        finite = np.isfinite(d.rent_cap)
        cap = _da(np.where(finite, d.rent_cap, 0.0), ["cloud", "type", "period"], co)
        lhs = r.sum(["class", "tier"])
        if slack:
            sc = m.add_variables(
                lower=0,
                coords=[("cloud", co["cloud"]), ("type", co["type"]), ("period", co["period"])],
                name="s_rental_cap",
            )
            lhs = lhs - sc
            obj.append(PENALTY["rental_cap"] * sc.sum())
        m.add_constraints(
            lhs <= cap, name="rental_cap", mask=_da(finite, ["cloud", "type", "period"], co)
        )
        obj.append(
            (r * _da(price, ["cloud", "type", "tier"], co) * _da(disc, ["period"], co)).sum()
        )

    # ---------------------------------------------------------------- demand
    terms: list[Any] = []
    if has_owned:
        terms.append((u * thr).sum(["site", "type"]))
    if has_cloud:
        terms.append((r * thr).sum(["cloud", "type", "tier"]))
    demand = _da(d.demand, ["class", "period"], co)
    if slack:
        sd = m.add_variables(
            lower=0, coords=[("class", co["class"]), ("period", co["period"])], name="s_demand"
        )
        terms.append(sd)
        obj.append(PENALTY["demand"] * sd.sum())
    if terms:
        lhs = terms[0]
        for t in terms[1:]:
            lhs = lhs + t
        m.add_constraints(lhs >= demand, name="demand")
    else:
        raise InputError(
            Problem(
                "nothing can meet demand: the scenario has no cloud sites and no sites with a "
                "cost basis",
                path="sites",
            )
        )

    # ---------------------------------------------------------------- owned sites
    if has_owned:
        mw = _da(d.mw_per_k, ["site", "type"], co)
        load = (stock * mw).sum("type")
        if has_phases:
            site_of = (
                np.array([[1.0 if ph.site == s else 0.0 for s in d.owned] for ph in d.phases])
                * np.array([ph.power_mw for ph in d.phases])[:, None]
            )
            online = (b * _da(site_of, ["phase", "site"], co) * cum_da).sum(["phase", "vintage"])
            lhs = load - online
        else:
            lhs = load
        if slack:
            sp = m.add_variables(
                lower=0, coords=[("site", co["site"]), ("period", co["period"])], name="s_power"
            )
            lhs = lhs - sp
            obj.append(PENALTY["power"] * sp.sum())
        m.add_constraints(lhs <= 0, name="power")

        supply = _da(d.supply_k, ["type", "vintage"], co)
        lhs = x.sum("site")
        if slack:
            ss = m.add_variables(
                lower=0, coords=[("type", co["type"]), ("vintage", co["vintage"])], name="s_supply"
            )
            lhs = lhs - ss
            obj.append(PENALTY["supply"] * ss.sum())
        m.add_constraints(lhs <= supply, name="supply")

        # costs of installs: capex net of salvage, then energy and opex on the stock
        capf = np.array(
            [
                [d.capex_factor(v, float(d.acc_life[s])) for v in range(n_p)]
                for s in range(len(d.owned))
            ]
        )
        obj.append(
            (
                x
                * _da(d.unit_price_musd, ["site", "type"], co)
                * _da(capf, ["site", "vintage"], co)
            ).sum()
        )
        run = (
            d.mw_per_k[:, :, None] * hours[None, None, :] * d.energy_price[:, None, None] / 1e6
            + d.it_mw_per_k[None, :, None]
            * d.opex_per_mw_year[:, None, None]
            * (hours / HOURS_PER_YEAR)[None, None, :]
            / 1e6
        ) * disc[None, None, :]
        obj.append((stock * _da(run, ["site", "type", "period"], co)).sum())
    if has_phases:
        site_idx = [d.owned.index(ph.site) for ph in d.phases]
        fcap = np.array(
            [
                [
                    ph.capex_musd * d.capex_factor(v, float(d.fac_life[site_idx[i]]))
                    for v in range(n_p)
                ]
                for i, ph in enumerate(d.phases)
            ]
        )
        obj.append((b * _da(fcap, ["phase", "vintage"], co)).sum())

    # ---------------------------------------------------------------- budget
    for mid, by, cap_musd in d.milestones:
        inwin = np.array([p.start <= by for p in d.periods], dtype=float)
        parts: list[Any] = []
        if has_owned:
            parts.append(
                (
                    x * _da(d.unit_price_musd, ["site", "type"], co) * _da(inwin, ["vintage"], co)
                ).sum()
            )
        if has_phases:
            fc = np.array([ph.capex_musd for ph in d.phases])
            parts.append((b * _da(fc[:, None] * inwin[None, :], ["phase", "vintage"], co)).sum())
        if not parts:
            continue
        lhs = parts[0]
        for part in parts[1:]:
            lhs = lhs + part
        if slack:
            sb = m.add_variables(lower=0, name=f"s_budget_{mid}")
            lhs = lhs - sb
            obj.append(PENALTY["budget"] * sb)
        m.add_constraints(lhs <= cap_musd, name=f"budget_{mid}")

    # ---------------------------------------------------------------- right of first refusal
    if d.rofrs and has_cloud:
        in_force = np.zeros((len(d.rofrs), n_p), dtype=bool)
        for i, ro in enumerate(d.rofrs):
            in_force[i, list(ro.periods)] = True
        if fixed is not None and "z" in fixed:
            z = m.add_variables(
                lower=_da(fixed["z"], ["rofr", "period"], co),
                upper=_da(fixed["z"], ["rofr", "period"], co),
                name="z",
            )
        else:
            z = m.add_variables(
                binary=True, coords=[("rofr", co["rofr"]), ("period", co["period"])], name="z"
            )
        for i, ro in enumerate(d.rofrs):
            scope = _da([c in ro.classes for c in d.classes], ["class"], co).astype(float)
            holder = np.array([d.provider_of[k] in ro.holder_providers for k in d.clouds])
            zi = z.sel(rofr=ro.clause_id)
            big_m = (d.demand * np.array([c in ro.classes for c in d.classes])[:, None]).sum(0)
            elsewhere: list[Any] = []
            if has_owned:
                elsewhere.append((u * thr * scope).sum(["class", "site", "type"]))
            nonholder = _da((~holder).astype(float), ["cloud"], co)
            elsewhere.append((r * thr * scope * nonholder).sum(["class", "cloud", "type", "tier"]))
            lhs = elsewhere[0]
            for e in elsewhere[1:]:
                lhs = lhs + e
            m.add_constraints(
                lhs - zi * _da(big_m * 1.0001 + 1e-9, ["period"], co) <= 0,
                name=f"rofr_elsewhere_{i}",
                mask=_da(in_force[i], ["period"], co),
            )
            cheapest = np.nanmin(np.where(np.isnan(d.rent_price), np.inf, d.rent_price), axis=2)
            within = np.isfinite(cheapest)
            if ro.price_cap_usd is not None:
                within &= cheapest <= ro.price_cap_usd + 1e-9
            offer_rows = holder[:, None, None] & within[:, :, None] & in_force[i][None, None, :]
            offer_rows &= d.rent_cap > 0
            unlimited = offer_rows & ~np.isfinite(d.rent_cap)
            offer = np.where(offer_rows & np.isfinite(d.rent_cap), d.rent_cap, 0.0)
            m.add_constraints(
                r.sum(["class", "tier"]) - zi * _da(offer, ["cloud", "type", "period"], co) >= 0,
                name=f"rofr_holder_first_{i}",
                mask=_da(offer_rows & np.isfinite(d.rent_cap), ["cloud", "type", "period"], co),
            )
            hold_zero = unlimited.any(axis=(0, 1))
            if hold_zero.any():
                m.add_constraints(
                    (zi * _da(hold_zero.astype(float), ["period"], co)).sum() == 0,
                    name=f"rofr_unlimited_{i}",
                )

    total = obj[0] if obj else None
    for o in obj[1:]:
        total = total + o
    if total is None:
        total = m.add_variables(lower=0, upper=0, name="zero").sum()
    m.add_objective(total)
    return Built(m, d, slack)

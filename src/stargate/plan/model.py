"""The planning model: :class:`~stargate.plan.data.PlanData` → a linopy model.

Decisions (units as in :mod:`stargate.plan.data`):

=========  ==============================  =================================================
``b``      phase, vintage                  build the phase in that period (binary)
``x``      site, type, vintage             thousands of accelerators installed (continuous,
                                           or integer with ``integer_installs``)
``u``      class, group, type, period      million owned accelerator-hours given to a class,
                                           pooled over the sites of one provider (group)
``r``      class, cloud, type, tier, per.  million rented accelerator-hours
``z``      rofr, period                    1: the ROFR holder's offer is used up (binary)
``stock``  site, type, period              thousands of installed accelerators still in
                                           service (installs less retirements)
=========  ==============================  =================================================

Constraints: ``demand`` (work per class and period ≥ forecast), ``owned_hours`` (hours used ≤
installed stock × hours), ``power`` (stock × TDP × overhead × PUE ≤ MW of phases built by
then), ``supply`` (installs per type and period ≤ the supply cap), ``rental_cap`` (rented hours
≤ the cloud's listed pools × hours), ``budget`` (cumulative capex ≤ each milestone), ``phase_once``
and ``phase_order``, and the ROFR pair ``rofr_elsewhere`` / ``rofr_holder_first``:

    work of in-scope classes not on the holder's providers ≤ M·z
    hours rented from the holder at each in-cap type       ≥ offer·z

so capacity goes elsewhere only once the holder's offer within the price cap is used up. A
holder site without listed pools offers unlimited capacity, so there z is held at 0; where the
holder's clouds cannot carry the in-scope demand even rented in full, z is held at 1
(``rofr_forced``), which the big-M's LP relaxation would not see.

Formulation choices that keep the model small without changing its optimum (issue #5's
benchmark, docs/benchmarks.md): owned hours ``u`` are pooled per provider, since clauses tell
providers apart and never sites of one provider (:func:`site_use` splits them by site again,
in proportion to stock); the ``stock`` of installs alive is a variable kept by a recurrence
(installs entering less those retiring), a few nonzeros per row instead of one per vintage;
``phase_order`` and the MW online per site are written on ``built`` (b summed over vintages),
never as dense products over phases x sites x periods x vintages.

This module imports linopy; callers import it only once the solver stack is known to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from stargate.errors import InputError, InternalError, Problem
from stargate.plan.data import TIERS, PlanData, Rofr
from stargate.plan.units import mh_from_k_hours, musd_from_usd, years_from_hours

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
        "group": list(dict.fromkeys(d.provider_of[s] for s in d.owned)),
    }
    n_p = len(periods)
    m = linopy.Model(force_dim_names=True)
    disc = np.array([d.discount(p) for p in range(n_p)])
    hours = d.period_hours
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
        # owned work is pooled by provider: sites of one provider are interchangeable for it
        # (clauses tell providers apart, never sites), so hours used per provider and type
        # give the same plans with far fewer columns; :func:`site_use` splits them by site.
        grp = _groups(d)
        first = [
            d.owned.index(next(s for s in d.owned if d.provider_of[s] == g)) for g in co["group"]
        ]
        allowed_u = (
            (d.throughput.T > 0)[:, None, :, None]
            & d.excl_allowed_owned[:, first][:, :, None, :]
            & np.ones((1, 1, 1, n_p), dtype=bool)
        )
        u = m.add_variables(
            lower=0,
            upper=_da(np.where(allowed_u, np.inf, 0), ["class", "group", "type", "period"], co),
            name="u",
        )
        alive = np.stack([d.alive(s) for s in range(len(d.owned))])  # [site, period, vintage]
        # the stock of installs still alive, as a variable kept by a recurrence: stock[p] =
        # stock[p-1] + installs entering p - installs retiring at p. The same values as
        # sum(alive x) but a few nonzeros per row instead of one per vintage, which makes the
        # LPs of the branch and bound several times lighter.
        step = alive.astype(float)
        step[:, 1:, :] -= alive[:, :-1, :]
        stock = m.add_variables(
            lower=0,
            coords=[("site", co["site"]), ("type", co["type"]), ("period", periods)],
            name="stock",
        )
        entering = (x * _da(step, ["site", "period", "vintage"], co)).sum("vintage")
        prev = stock.shift(period=1).fillna(0)  # nothing before the first period
        m.add_constraints(stock - prev - entering == 0, name="stock")
        in_group = (stock * _da(grp, ["site", "group"], co)).sum("site")
        m.add_constraints(
            u.sum("class") - in_group * _da(mh_from_k_hours(hours), ["period"], co) <= 0,
            name="owned_hours",
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
        # built[phase, period]: 1 once the phase is built (b summed over vintages <= period)
        built = (b * cum_da).sum("vintage")
        # phase k+1 of a site is built no earlier than phase k: one row per (phase, period).
        # Phases of a site come one after another in ``d.phases``, in order.
        later = np.array([ph.order > 0 for ph in d.phases])
        for f in np.flatnonzero(later):
            ph, q = d.phases[f], d.phases[f - 1]
            if q.site != ph.site or q.order != ph.order - 1:
                raise InternalError(f"phases of site '{ph.site}' are not listed in order")
        if later.any():
            before = built.shift(phase=1).fillna(0)
            m.add_constraints(
                built - before <= 0, name="phase_order", mask=_da(later, ["phase"], co)
            )
    if has_cloud:
        price = np.nan_to_num(d.rent_usd_per_hour, nan=0.0)
        offered = ~np.isnan(d.rent_usd_per_hour)  # [cloud, type, tier]
        allowed_r = (
            (d.throughput.T > 0)[:, None, :, None, None]
            & offered[None, :, :, :, None]
            & (d.rent_cap_mh > 0)[None, :, :, None, :]
            & d.excl_allowed_cloud[:, :, None, None, :]
        )
        r = m.add_variables(
            lower=0,
            upper=_da(
                np.where(allowed_r, np.inf, 0), ["class", "cloud", "type", "tier", "period"], co
            ),
            name="r",
        )
        finite = np.isfinite(d.rent_cap_mh)
        cap = _da(np.where(finite, d.rent_cap_mh, 0.0), ["cloud", "type", "period"], co)
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
        terms.append((u * thr).sum(["group", "type"]))
    if has_cloud:
        terms.append((r * thr).sum(["cloud", "type", "tier"]))
    demand = _da(d.demand_mh, ["class", "period"], co)
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
        mw = _da(d.facility_mw_per_k, ["site", "type"], co)
        load = (stock * mw).sum("type")
        if has_phases:
            # MW online per site: the built phases' power, grouped by site
            mw_ph = _da([ph.power_mw for ph in d.phases], ["phase"], co)
            site_of = xr.DataArray(
                [ph.site for ph in d.phases],
                dims=["phase"],
                coords={"phase": co["phase"]},
                name="site",
            )
            online = (built * mw_ph).groupby(site_of).sum().reindex(site=co["site"]).fillna(0)
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
                [d.capex_factor(v, float(d.accelerator_life_years[s])) for v in range(n_p)]
                for s in range(len(d.owned))
            ]
        )
        obj.append(
            (
                x
                * _da(d.unit_price_musd_per_k, ["site", "type"], co)
                * _da(capf, ["site", "vintage"], co)
            ).sum()
        )
        # $M per thousand installed, per period: energy, then opex
        run_musd_per_k = (
            musd_from_usd(
                d.facility_mw_per_k[:, :, None]
                * hours[None, None, :]
                * d.energy_usd_per_mwh[:, None, None]
            )
            + musd_from_usd(
                d.it_mw_per_k[None, :, None]
                * d.opex_usd_per_mw_year[:, None, None]
                * years_from_hours(hours)[None, None, :]
            )
        ) * disc[None, None, :]
        obj.append((stock * _da(run_musd_per_k, ["site", "type", "period"], co)).sum())
    if has_phases:
        site_idx = [d.owned.index(ph.site) for ph in d.phases]
        fcap = np.array(
            [
                [
                    ph.capex_musd
                    * d.capex_factor(v, float(d.facility_life_years[site_idx[i]]), ph.lead_years)
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
                    x
                    * _da(d.unit_price_musd_per_k, ["site", "type"], co)
                    * _da(inwin, ["vintage"], co)
                ).sum()
            )
        if has_phases:
            # a phase's capex counts from the day it is committed (lead time before online)
            fc = np.array(
                [
                    [ph.capex_musd * (d.committed(v, ph.lead_years) <= by) for v in range(n_p)]
                    for ph in d.phases
                ],
                dtype=float,
            )
            parts.append((b * _da(fc, ["phase", "vintage"], co)).sum())
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
            big_m = (d.demand_mh * np.array([c in ro.classes for c in d.classes])[:, None]).sum(0)
            elsewhere: list[Any] = []
            if has_owned:
                elsewhere.append((u * thr * scope).sum(["class", "group", "type"]))
            nonholder = _da((~holder).astype(float), ["cloud"], co)
            elsewhere.append((r * thr * scope * nonholder).sum(["class", "cloud", "type", "tier"]))
            lhs = elsewhere[0]
            for e in elsewhere[1:]:
                lhs = lhs + e
            # a period with no in-scope demand gets coefficient 0, never a tiny one: HiGHS
            # drops coefficients of 1e-9 or less and says so on standard output
            coef = np.where(big_m > 0, big_m * 1.0001 + 1e-6, 0.0)
            m.add_constraints(
                lhs - zi * _da(coef, ["period"], co) <= 0,
                name=f"rofr_elsewhere_{i}",
                mask=_da(in_force[i], ["period"], co),
            )
            cheapest = np.nanmin(
                np.where(np.isnan(d.rent_usd_per_hour), np.inf, d.rent_usd_per_hour), axis=2
            )
            within = np.isfinite(cheapest)
            if ro.price_cap_usd is not None:
                within &= cheapest <= ro.price_cap_usd + 1e-9
            offer_rows = holder[:, None, None] & within[:, :, None] & in_force[i][None, None, :]
            offer_rows &= d.rent_cap_mh > 0
            unlimited = offer_rows & ~np.isfinite(d.rent_cap_mh)
            offer = np.where(offer_rows & np.isfinite(d.rent_cap_mh), d.rent_cap_mh, 0.0)
            m.add_constraints(
                r.sum(["class", "tier"]) - zi * _da(offer, ["cloud", "type", "period"], co) >= 0,
                name=f"rofr_holder_first_{i}",
                mask=_da(offer_rows & np.isfinite(d.rent_cap_mh), ["cloud", "type", "period"], co),
            )
            hold_zero = unlimited.any(axis=(0, 1))
            if hold_zero.any():
                m.add_constraints(
                    (zi * _da(hold_zero.astype(float), ["period"], co)).sum() == 0,
                    name=f"rofr_unlimited_{i}",
                )
            # z = 0 keeps all in-scope work on the holder's clouds; where they cannot hold
            # it, z = 1 is forced. Stating so removes the big-M's weak LP relaxation (which
            # lets a fractional z skip most of the holder's offer) without changing any
            # feasible plan. Not with slack: there a demand shortfall can make z = 0 feasible.
            if not slack and (fixed is None or "z" not in fixed):
                forced = _rofr_forced(d, ro, holder, in_force[i])
                if forced.any():
                    m.add_constraints(
                        zi >= 1, name=f"rofr_forced_{i}", mask=_da(forced, ["period"], co)
                    )

    total = obj[0] if obj else None
    for o in obj[1:]:
        total = total + o
    if total is None:
        total = m.add_variables(lower=0, upper=0, name="zero").sum()
    m.add_objective(total)
    return Built(m, d, slack)


def _rofr_forced(d: PlanData, ro: Rofr, holder: np.ndarray, in_force: np.ndarray) -> np.ndarray:
    """[period]: the periods in which the holder's clouds cannot carry the ROFR's in-scope
    demand even if rented in full, so that its offer must be used up (``z = 1``)."""
    scope = np.array([c in ro.classes for c in d.classes])
    offered = np.asarray(~np.isnan(d.rent_usd_per_hour).all(axis=2), dtype=bool)  # [cloud, type]
    # best throughput of a type on an in-scope class the holder's cloud may serve: [C, K, T, P]
    thr = np.where(
        scope[:, None, None, None] & d.excl_allowed_cloud[:, :, None, :],
        d.throughput.T[:, None, :, None],
        0.0,
    ).max(axis=0)  # [cloud, type, period]
    rows = holder[:, None, None] & offered[:, :, None] & (d.rent_cap_mh > 0) & (thr > 0)
    unlimited = (rows & ~np.isfinite(d.rent_cap_mh)).any(axis=(0, 1))
    cap = np.where(rows & np.isfinite(d.rent_cap_mh), d.rent_cap_mh, 0.0) * thr
    need = (d.demand_mh * scope[:, None]).sum(axis=0)
    out: np.ndarray = in_force & ~unlimited & (need > cap.sum(axis=(0, 1)) * (1 + 1e-6) + 1e-9)
    return out


def _groups(d: PlanData) -> np.ndarray:
    """[site, group]: 1 where the owned site belongs to the provider (group)."""
    groups = list(dict.fromkeys(d.provider_of[s] for s in d.owned))
    return np.array([[float(d.provider_of[s] == g) for g in groups] for s in d.owned])


def site_use(d: PlanData, u: np.ndarray, x: np.ndarray) -> np.ndarray:
    """[class, site, type, period] owned hours per site from the model's hours per provider
    ``u`` [class, group, type, period], shared in proportion to each site's installed stock."""
    grp = _groups(d)
    alive = np.stack([d.alive(s) for s in range(len(d.owned))])  # [site, period, vintage]
    stock = np.einsum("stv,spv->stp", np.clip(x, 0.0, None), alive.astype(float))
    total = np.einsum("gtp,sg->stp", np.einsum("stp,sg->gtp", stock, grp), grp)
    share = np.divide(stock, total, out=np.zeros_like(stock), where=total > 0)
    out: np.ndarray = np.einsum("cgtp,sg,stp->cstp", u, grp, share)
    return out

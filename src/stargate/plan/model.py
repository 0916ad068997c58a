"""The planning model: :class:`~stargate.plan.data.PlanData` → a linopy model.

Decisions (units as in :mod:`stargate.plan.data`):

=========  ==============================  =================================================
``b``      phase, vintage                  build a planned phase in that period (binary)
``x``      site, type, vintage             thousands of accelerators installed (continuous,
                                           or integer with ``integer_installs``)
``u``      class, group, type, period      million hours of *new* owned accelerators given
                                           to a class, pooled over the sites of one provider
``uf``     class, group, type, period      the same on *fixed* stock (listed pools)
``r``      class, cloud, type, period      million accelerator-hours rented by the hour from
                                           the pools of a cloud without a capacity model
``hold``   offer, period                   thousands of accelerators held from a capacity
                                           model row (bought in a period, held to the end)
``o``      class, offer, period            million hours of that holding given to a class
``g``      class, held, period             million hours of a reservation given to a class
``z``      rofr, period                    1: the ROFR holder's offer is used up (binary)
``stock``  site, type, period              thousands of newly installed accelerators still in
                                           service (installs less retirements)
=========  ==============================  =================================================

Constraints: ``demand`` (work per class and period ≥ forecast), ``owned_hours`` /
``fixed_hours`` (hours used ≤ stock × hours), ``power`` (new and fixed stock × TDP ×
overhead × PUE ≤ MW of the phases built by then, fixed phases included, pro rata),
``supply`` (installs per type and period ≤ the supply cap), ``rental_cap`` (rented hours ≤
the cloud's listed pools less what reservations hold there, × hours), ``offer_flow`` /
``offer_cum`` / ``offer_kept`` (capacity bought from a row in a period ≤ its flow then; a
``carry_over`` row: all held ≤ all offered since its start; holdings are kept),
``offer_hours`` and ``held_hours`` (hours used ≤ hours held), ``budget`` (cumulative capex,
fixed capex included, ≤ each milestone), ``phase_once`` and ``phase_order``, and the ROFR
pair ``rofr_elsewhere`` / ``rofr_holder_first``:

    in-scope work on new capacity not of the holder      ≤ M·z
    capacity bought from the holder in the period        ≥ its offer within the caps · z

so *new* capacity goes elsewhere only once the holder's offer of the period (its capacity
model's flow, or without one its pools) within the clause's price caps is taken, and with
z = 0 the holder carries the in-scope need — no more than the demand. What exists (fixed
stock, held reservations) is outside the clause: it was procured already. A holder cloud
without listed pools and without a capacity model offers unlimited capacity, so there z is
held at 0; where the holder and what exists cannot carry the in-scope demand, z is held at 1
(``rofr_forced``), which the big-M's LP relaxation would not see.

Formulation choices that keep the model small without changing its optimum (issue #5's
benchmark, docs/benchmarks.md): owned hours are pooled per provider, since clauses tell
providers apart and never sites of one provider (:func:`site_use` splits them by site again,
in proportion to stock); the ``stock`` of installs alive is a variable kept by a recurrence;
``phase_order`` and the MW online per site are written on the cumulative built phases.
Everything fixed is a constant (:attr:`Built.constant_musd`), added to the objective's value
by the caller.

This module imports linopy; callers import it only once the solver stack is known to exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from stargate.errors import InputError, InternalError, Problem
from stargate.plan.data import PlanData, Rofr
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
    #: Present value of what the plan does not decide (fixed phases and pools, held
    #: reservations), $M: the objective's value is the model's plus this.
    constant_musd: float = 0.0


def _da(values: Any, dims: list[str], coords: dict[str, list[str]]) -> xr.DataArray:
    return xr.DataArray(np.asarray(values), dims=dims, coords={d: coords[d] for d in dims})


def _sum(terms: list[Any]) -> Any:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def coords(d: PlanData) -> dict[str, list[str]]:
    """The model's coordinates, by dimension."""
    periods = [p.label for p in d.periods]
    return {
        "period": periods,
        "vintage": periods,
        "type": d.types,
        "class": d.classes,
        "site": d.owned,
        "cloud": d.clouds,
        "phase": [ph.phase for ph in d.phases],
        "rofr": [r.clause_id for r in d.rofrs],
        "group": list(dict.fromkeys(d.provider_of[s] for s in d.owned)),
        "offer": [f"offer-{i}" for i in range(len(d.offers))],
        "held": [f"held-{i}" for i in range(len(d.held))],
    }


def run_musd_per_k(d: PlanData) -> np.ndarray:
    """[site, type, period] $M per thousand accelerators installed, per period, discounted:
    energy at full draw, then opex."""
    hours = d.period_hours
    disc = np.array([d.discount(p) for p in range(len(d.periods))])
    out: np.ndarray = (
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
    return out


def constant_musd(d: PlanData) -> float:
    """Present value of what exists, $M: fixed phases' and pools' capex net of salvage, fixed
    stock's energy and opex, and held reservations' take-or-pay."""
    disc = np.array([d.discount(p) for p in range(len(d.periods))])
    total = d.fixed_capex_pv_musd()
    if d.owned:
        total += float((d.fixed_k * run_musd_per_k(d)).sum())
    if d.held:
        price = np.array([h.price_usd for h in d.held])
        total += float((d.held_mh * price[:, None] * disc[None, :]).sum())  # $M
    return total


def offer_types(d: PlanData) -> np.ndarray:
    """[offer] the index of each offer's accelerator type."""
    return np.array([d.types.index(o.accelerator) for o in d.offers], dtype=int)


def held_types(d: PlanData) -> np.ndarray:
    """[held] the index of each reservation's accelerator type."""
    return np.array([d.types.index(h.accelerator) for h in d.held], dtype=int)


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

    co = coords(d)
    periods = co["period"]
    n_p = len(periods)
    m = linopy.Model(force_dim_names=True)
    disc = np.array([d.discount(p) for p in range(n_p)])
    disc_da = _da(disc, ["period"], co)
    hours = d.period_hours
    mh_k = _da(mh_from_k_hours(hours), ["period"], co)  # million hours per thousand held
    cum = np.tril(np.ones((n_p, n_p)))  # [period, vintage]: vintage <= period
    cum_da = _da(cum, ["period", "vintage"], co)
    thr = _da(d.throughput, ["type", "class"], co)
    obj: list[Any] = []
    work: list[Any] = []  # work per class and period, reference-accelerator-hours (mh)
    v: dict[str, Any] = {}  # the variables, for the ROFR below

    has_owned = bool(d.owned)
    has_cloud = bool(d.clouds)
    has_phases = bool(d.phases)
    has_fixed = has_owned and bool((d.fixed_k > 0).any())
    zero: Any = None

    def zero_var() -> Any:
        nonlocal zero
        if zero is None:
            zero = m.add_variables(lower=0, upper=0, name="zero")
        return zero

    # ---------------------------------------------------------------- owned sites
    if has_owned:
        usable_x = (
            (d.type_frac > 0)[None, :, :]
            & (d.throughput.sum(axis=1) > 0)[None, :, None]
            & d.install_ok[:, :, None]
        )
        x_up = np.where(usable_x, np.inf, 0.0)
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
        grp = _groups(d)
        grp_da = _da(grp, ["site", "group"], co)
        first = [
            d.owned.index(next(s for s in d.owned if d.provider_of[s] == g)) for g in co["group"]
        ]
        allowed_u = (d.throughput.T > 0)[:, None, :, None] & d.excl_allowed_owned[:, first][
            :, :, None, :
        ]
        u = m.add_variables(
            lower=0,
            upper=_da(np.where(allowed_u, np.inf, 0), ["class", "group", "type", "period"], co),
            name="u",
        )
        v["u"] = u
        alive = np.stack([d.alive(s) for s in range(len(d.owned))])  # [site, period, vintage]
        # the stock of installs still alive, as a variable kept by a recurrence: stock[p] =
        # stock[p-1] + installs entering p - installs retiring at p (a few nonzeros per row
        # instead of one per vintage)
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
        in_group = (stock * grp_da).sum("site")
        # a type that becomes available part-way through a period serves that share of it
        m.add_constraints(
            u.sum("class") - in_group * mh_k * _da(d.type_frac, ["type", "period"], co) <= 0,
            name="owned_hours",
        )
        work.append((u * thr).sum(["group", "type"]))
        if has_fixed:
            fixed_g = np.einsum("stp,sg->gtp", d.fixed_k, grp) * mh_from_k_hours(hours)
            allowed_f = allowed_u & (fixed_g > 0)[None, :, :, :]
            uf = m.add_variables(
                lower=0,
                upper=_da(np.where(allowed_f, np.inf, 0), ["class", "group", "type", "period"], co),
                name="uf",
            )
            m.add_constraints(
                uf.sum("class") <= _da(fixed_g, ["group", "type", "period"], co),
                name="fixed_hours",
                mask=_da(fixed_g > 0, ["group", "type", "period"], co),
            )
            work.append((uf * thr).sum(["group", "type"]))
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
        not_usable = _da((d.phase_frac <= 0).astype(float), ["phase", "vintage"], co)
        m.add_constraints((b * not_usable).sum() == 0, name="phase_dated")
        m.add_constraints(b.sum("vintage") <= 1, name="phase_once")
        # built[phase, period]: 1 once the phase is built (b summed over vintages <= period)
        built = (b * cum_da).sum("vintage")
        # phase k+1 of a site is built no earlier than phase k: one row per (phase, period).
        # Planned phases of a site come one after another in ``d.phases``, in order.
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

    # ---------------------------------------------------------------- clouds by the hour
    if has_cloud:
        price = np.nan_to_num(d.rent_usd_per_hour, nan=0.0)
        offered = ~np.isnan(d.rent_usd_per_hour)  # [cloud, type]
        allowed_r = (
            (d.throughput.T > 0)[:, None, :, None]
            & offered[None, :, :, None]
            & (d.rent_cap_mh > 0)[None, :, :, :]
            & d.excl_allowed_cloud[:, :, None, :]
        )
        r = m.add_variables(
            lower=0,
            upper=_da(np.where(allowed_r, np.inf, 0), ["class", "cloud", "type", "period"], co),
            name="r",
        )
        v["r"] = r
        finite = np.isfinite(d.rent_cap_mh)
        cap = _da(np.where(finite, d.rent_cap_mh, 0.0), ["cloud", "type", "period"], co)
        lhs = r.sum("class")
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
        obj.append((r * _da(price, ["cloud", "type"], co) * disc_da).sum())
        work.append((r * thr).sum(["cloud", "type"]))

    # ---------------------------------------------------------------- capacity model offers
    if d.offers:
        ot = offer_types(d)
        thr_o = _da(d.throughput[ot], ["offer", "class"], co)
        hold = m.add_variables(
            lower=0,
            upper=_da(np.where(d.offer_cum_k > 0, np.inf, 0.0), ["offer", "period"], co),
            name="hold",
        )
        v["hold"] = hold
        bought = hold - hold.shift(period=1).fillna(0)
        carry = np.array([o.carry_over for o in d.offers])
        m.add_constraints(bought >= 0, name="offer_kept")
        if (~carry).any():
            m.add_constraints(
                bought <= _da(d.offer_flow_k, ["offer", "period"], co),
                name="offer_flow",
                mask=_da(~carry, ["offer"], co),
            )
        if carry.any():
            m.add_constraints(
                hold <= _da(d.offer_cum_k, ["offer", "period"], co),
                name="offer_cum",
                mask=_da(carry, ["offer"], co),
            )
        allowed_o = (d.throughput[ot].T > 0)[:, :, None] & d.offer_allowed
        o = m.add_variables(
            lower=0,
            upper=_da(np.where(allowed_o, np.inf, 0.0), ["class", "offer", "period"], co),
            name="o",
        )
        v["o"] = o
        m.add_constraints(o.sum("class") - hold * mh_k <= 0, name="offer_hours")
        price_o = _da([off.price_usd for off in d.offers], ["offer"], co)
        obj.append((hold * mh_k * price_o * disc_da).sum())  # take-or-pay on what is held
        work.append((o * thr_o).sum("offer"))

    # ---------------------------------------------------------------- held reservations
    if d.held:
        ht = held_types(d)
        thr_h = _da(d.throughput[ht], ["held", "class"], co)
        held_mh = d.held_mh
        allowed_g = (d.throughput[ht].T > 0)[:, :, None] & d.held_allowed & (held_mh > 0)[None]
        g = m.add_variables(
            lower=0,
            upper=_da(np.where(allowed_g, np.inf, 0.0), ["class", "held", "period"], co),
            name="g",
        )
        m.add_constraints(
            g.sum("class") <= _da(held_mh, ["held", "period"], co),
            name="held_hours",
            mask=_da(held_mh > 0, ["held", "period"], co),
        )
        work.append((g * thr_h).sum("held"))

    # ---------------------------------------------------------------- demand
    demand = _da(d.demand_mh, ["class", "period"], co)
    if slack:
        sd = m.add_variables(
            lower=0, coords=[("class", co["class"]), ("period", co["period"])], name="s_demand"
        )
        work.append(sd)
        obj.append(PENALTY["demand"] * sd.sum())
    if not work:
        raise InputError(
            Problem(
                "nothing can meet demand: the scenario has no cloud sites, no reservations and "
                "no sites with a cost basis",
                path="sites",
            )
        )
    m.add_constraints(_sum(work) >= demand, name="demand")

    # ---------------------------------------------------------------- power, supply, costs
    if has_owned:
        mw = _da(d.facility_mw_per_k, ["site", "type"], co)
        load = (stock * mw).sum("type")
        fixed_load = (d.fixed_k * d.facility_mw_per_k[:, :, None]).sum(axis=1)  # [site, period]
        room = _da(d.fixed_mw - fixed_load, ["site", "period"], co)
        if has_phases:
            # MW online per site: each built phase's power, pro rata in the period of its
            # online date when built then
            n_f = len(d.phases)
            avail = np.broadcast_to(cum, (n_f, n_p, n_p)).copy()  # [phase, period, vintage]
            for p in range(n_p):
                avail[:, p, p] = d.phase_frac[:, p]
            avail *= np.array([ph.power_mw for ph in d.phases])[:, None, None]
            online = (b * _da(avail, ["phase", "period", "vintage"], co)).sum("vintage")
            site_of = xr.DataArray(
                [ph.site for ph in d.phases],
                dims=["phase"],
                coords={"phase": co["phase"]},
                name="site",
            )
            online = online.groupby(site_of).sum().reindex(site=co["site"]).fillna(0)
            lhs = load - online
        else:
            lhs = load
        if slack:
            sp = m.add_variables(
                lower=0, coords=[("site", co["site"]), ("period", co["period"])], name="s_power"
            )
            lhs = lhs - sp
            obj.append(PENALTY["power"] * sp.sum())
        m.add_constraints(lhs <= room, name="power")

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
                [d.capex_factor(v_, float(d.accelerator_life_years[s])) for v_ in range(n_p)]
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
        obj.append((stock * _da(run_musd_per_k(d), ["site", "type", "period"], co)).sum())
    if has_phases:
        site_idx = [d.owned.index(ph.site) for ph in d.phases]
        fcap = np.array(
            [
                [
                    ph.capex_musd
                    * d.capex_factor_at(
                        d.years_at(d.phase_in_service(i, v_)),
                        float(d.facility_life_years[site_idx[i]]),
                        ph.lead_years,
                    )
                    for v_ in range(n_p)
                ]
                for i, ph in enumerate(d.phases)
            ]
        )
        obj.append((b * _da(fcap, ["phase", "vintage"], co)).sum())

    # ---------------------------------------------------------------- budget
    fixed_capex = d.fixed_capex()
    for mid, by, cap_musd in d.milestones:
        inwin = np.array([p.start <= by for p in d.periods], dtype=float)
        already = sum(c for _, _, _, _, when, c in fixed_capex if when <= by)
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
                    [
                        ph.capex_musd
                        * (d.committed_at(d.phase_in_service(i, v_), ph.lead_years) <= by)
                        for v_ in range(n_p)
                    ]
                    for i, ph in enumerate(d.phases)
                ],
                dtype=float,
            )
            parts.append((b * _da(fc, ["phase", "vintage"], co)).sum())
        if not parts:
            if already <= cap_musd:
                continue
            parts.append(1.0 * zero_var())
        lhs = _sum(parts)
        if slack:
            sb = m.add_variables(lower=0, name=f"s_budget_{mid}")
            lhs = lhs - sb
            obj.append(PENALTY["budget"] * sb)
        m.add_constraints(lhs <= cap_musd - already, name=f"budget_{mid}")

    # ---------------------------------------------------------------- right of first refusal
    if d.rofrs:
        _rofr(m, d, co, v, fixed, slack)

    total = _sum(obj) if obj else 1.0 * zero_var()
    m.add_objective(total)
    return Built(m, d, slack, constant_musd(d))


def within_caps(d: PlanData, ro: Rofr, price: float, t: int) -> bool:
    """Whether capacity of type ``t`` at ``price`` per accelerator-hour is within the clause's
    caps: per accelerator-hour, and per reference-accelerator-hour of work (price ÷ the
    type's throughput for the scenario's reference class; for a type that cannot run it, for
    the in-scope class it runs best)."""
    if not np.isfinite(price):
        return False
    if not ro.priced:
        return True
    if ro.price_cap_usd is not None and price > ro.price_cap_usd + 1e-9:
        return False
    if ro.price_cap_usd_per_reference_hour is not None:
        thr = work_throughput(d, ro, t)
        if thr <= 0 or price / thr > ro.price_cap_usd_per_reference_hour + 1e-9:
            return False
    return True


def work_throughput(d: PlanData, ro: Rofr, t: int) -> float:
    """The work one accelerator of type ``t`` does, in reference accelerators, for the cap per
    reference-hour: its throughput for the reference class, else the best in-scope one."""
    if d.reference_class is not None and d.throughput[t, d.reference_class] > 0:
        return float(d.throughput[t, d.reference_class])
    scope = [d.classes.index(c) for c in ro.classes]
    return float(d.throughput[t, scope].max()) if scope else 0.0


def _rofr(
    m: Any,
    d: PlanData,
    co: dict[str, list[str]],
    v: dict[str, Any],
    fixed: dict[str, np.ndarray] | None,
    slack: bool,
) -> None:
    """The ROFR rows of every clause (see the module's docstring)."""
    n_p = len(d.periods)
    thr = _da(d.throughput, ["type", "class"], co)
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
    ot = offer_types(d) if d.offers else np.zeros(0, dtype=int)
    for i, ro in enumerate(d.rofrs):
        zi = z.sel(rofr=ro.clause_id)
        scope_c = np.array([c in ro.classes for c in d.classes])
        scope = _da(scope_c.astype(float), ["class"], co)
        holder_k = np.array([d.provider_of[k] in ro.holder_providers for k in d.clouds], bool)
        holder_o = np.array([o.provider in ro.holder_providers for o in d.offers], bool)
        need = (d.demand_mh * scope_c[:, None]).sum(0)
        elsewhere: list[Any] = []
        if "u" in v:
            elsewhere.append((v["u"] * thr * scope).sum(["class", "group", "type"]))
        if "r" in v and (~holder_k).any():
            other = _da((~holder_k).astype(float), ["cloud"], co)
            elsewhere.append((v["r"] * thr * scope * other).sum(["class", "cloud", "type"]))
        if "o" in v and (~holder_o).any():
            other_o = _da((~holder_o).astype(float), ["offer"], co)
            thr_o = _da(d.throughput[ot], ["offer", "class"], co)
            elsewhere.append((v["o"] * thr_o * scope * other_o).sum(["class", "offer"]))
        if not elsewhere:
            continue  # nothing new can go elsewhere: the clause has nothing to decide
        # a period with no in-scope demand gets coefficient 0, never a tiny one: HiGHS drops
        # coefficients of 1e-9 or less and says so on standard output
        coef = np.where(need > 0, need * 1.0001 + 1e-6, 0.0)
        m.add_constraints(
            _sum(elsewhere) - zi * _da(coef, ["period"], co) <= 0,
            name=f"rofr_elsewhere_{i}",
            mask=_da(in_force[i], ["period"], co),
        )
        # the holder's clouds without a capacity model: their pools within the caps
        unlimited = np.zeros(n_p, dtype=bool)
        if "r" in v:
            within = np.array(
                [
                    [holder_k[k] and within_caps(d, ro, float(d.rent_usd_per_hour[k, t]), t)
                     for t in range(len(d.types))]
                    for k in range(len(d.clouds))
                ],
                dtype=bool,
            ).reshape(len(d.clouds), len(d.types))  # fmt: skip
            rows = within[:, :, None] & in_force[i][None, None, :] & (d.rent_cap_mh > 0)
            unlimited = (rows & ~np.isfinite(d.rent_cap_mh)).any(axis=(0, 1))
            finite = rows & np.isfinite(d.rent_cap_mh)
            if finite.any():
                offer = np.where(finite, d.rent_cap_mh, 0.0)
                m.add_constraints(
                    v["r"].sum("class") - zi * _da(offer, ["cloud", "type", "period"], co) >= 0,
                    name=f"rofr_holder_first_{i}",
                    mask=_da(finite, ["cloud", "type", "period"], co),
                )
        # the holder's capacity model rows within the caps: the period's flow is bought
        if "hold" in v:
            ok = np.array(
                [holder_o[j] and within_caps(d, ro, d.offers[j].price_usd, int(ot[j]))
                 for j in range(len(d.offers))],
                dtype=bool,
            )  # fmt: skip
            carry = np.array([off.carry_over for off in d.offers], dtype=bool)
            hold = v["hold"]
            flow_rows = ok[:, None] & ~carry[:, None] & in_force[i][None, :] & (d.offer_flow_k > 0)
            if flow_rows.any():
                bought = hold - hold.shift(period=1).fillna(0)
                m.add_constraints(
                    bought - zi * _da(d.offer_flow_k, ["offer", "period"], co) >= 0,
                    name=f"rofr_holder_flow_{i}",
                    mask=_da(flow_rows, ["offer", "period"], co),
                )
            cum_rows = ok[:, None] & carry[:, None] & in_force[i][None, :] & (d.offer_cum_k > 0)
            if cum_rows.any():
                m.add_constraints(
                    hold - zi * _da(d.offer_cum_k, ["offer", "period"], co) >= 0,
                    name=f"rofr_holder_cum_{i}",
                    mask=_da(cum_rows, ["offer", "period"], co),
                )
        hold_zero = unlimited & in_force[i]
        if hold_zero.any():
            m.add_constraints(
                (zi * _da(hold_zero.astype(float), ["period"], co)).sum() == 0,
                name=f"rofr_unlimited_{i}",
            )
        # z = 0 keeps all new in-scope work on the holder; where the holder and what exists
        # cannot carry the in-scope demand, z = 1 is forced. Stating so removes the big-M's
        # weak LP relaxation without changing any feasible plan. Not with slack: there a
        # demand shortfall can make z = 0 feasible.
        if not slack and (fixed is None or "z" not in fixed):
            forced = _rofr_forced(d, ro, holder_k, holder_o, in_force[i] & ~hold_zero)
            if forced.any():
                m.add_constraints(
                    zi >= 1, name=f"rofr_forced_{i}", mask=_da(forced, ["period"], co)
                )


def _rofr_forced(
    d: PlanData, ro: Rofr, holder_k: np.ndarray, holder_o: np.ndarray, in_force: np.ndarray
) -> np.ndarray:
    """[period]: the periods in which even everything that may serve in-scope work with
    ``z = 0`` — fixed stock, held reservations, the holder's pools and all its capacity model
    could offer by then, each at its best in-scope throughput — cannot carry the in-scope
    demand, so that the holder's offer must be used up (``z = 1``)."""
    scope = np.array([c in ro.classes for c in d.classes])
    if not scope.any():
        return np.zeros(len(d.periods), dtype=bool)
    best = (d.throughput[:, scope]).max(axis=1)  # [type]
    mh_k = mh_from_k_hours(d.period_hours)
    cap = np.zeros(len(d.periods))
    if d.owned:
        cap += (d.fixed_k * best[None, :, None]).sum(axis=(0, 1)) * mh_k
    if d.held:
        cap += (d.held_mh * best[held_types(d)][:, None]).sum(axis=0)
    if d.offers and holder_o.any():
        ot = offer_types(d)
        cap += (d.offer_cum_k * best[ot][:, None] * holder_o[:, None]).sum(axis=0) * mh_k
    if d.clouds and holder_k.any():
        offered = ~np.isnan(d.rent_usd_per_hour)  # [cloud, type]
        rows = holder_k[:, None, None] & offered[:, :, None] & (d.rent_cap_mh > 0)
        if (rows & ~np.isfinite(d.rent_cap_mh)).any():
            return np.zeros(len(d.periods), dtype=bool)
        cap += (np.where(rows, d.rent_cap_mh, 0.0) * best[None, :, None]).sum(axis=(0, 1))
    need = (d.demand_mh * scope[:, None]).sum(axis=0)
    out: np.ndarray = in_force & (need > cap * (1 + 1e-6) + 1e-9)
    return out


def _groups(d: PlanData) -> np.ndarray:
    """[site, group]: 1 where the owned site belongs to the provider (group)."""
    groups = list(dict.fromkeys(d.provider_of[s] for s in d.owned))
    return np.array([[float(d.provider_of[s] == g) for g in groups] for s in d.owned])


def new_stock_k(d: PlanData, x: np.ndarray) -> np.ndarray:
    """[site, type, period] thousands of newly installed accelerators in service."""
    alive = np.stack([d.alive(s) for s in range(len(d.owned))])  # [site, period, vintage]
    out: np.ndarray = np.einsum("stv,spv->stp", np.clip(x, 0.0, None), alive.astype(float))
    return out


def site_use(d: PlanData, u: np.ndarray, stock: np.ndarray) -> np.ndarray:
    """[class, site, type, period] owned hours per site from the model's hours per provider
    ``u`` [class, group, type, period], shared in proportion to each site's ``stock``
    [site, type, period]."""
    grp = _groups(d)
    total = np.einsum("gtp,sg->stp", np.einsum("stp,sg->gtp", stock, grp), grp)
    share = np.divide(stock, total, out=np.zeros_like(stock), where=total > 0)
    out: np.ndarray = np.einsum("cgtp,sg,stp->cstp", u, grp, share)
    return out

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
``draw``   commit, period                  $M of spend with a committed seller drawing a
                                           committed_spend clause; with ``shortfall``
                                           [commit], $M left undrawn, paid at settlement
                                           (:mod:`stargate.plan.commit`)
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
pair ``rofr_elsewhere`` / ``rofr_holder_first``, and committed spend's ``draw_cap`` /
``draw_shared`` / ``commit`` (a minimum purchase from the seller, take-or-pay):

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
from stargate.plan.data import PlanData
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

#: A tie-break, $M per million accelerator-hours, on work done on capacity the plan decided
#: (new installs, capacity bought from a capacity model): using either is otherwise free once
#: it is paid for, as is using what exists, so without it the solver may run work on new
#: capacity while the record's stands idle. With it, what exists carries the work first and
#: the work on the plan's decisions is exactly what the record leaves unmet (the ``demand``
#: table). $1 per million hours: far below any price, removed from the reported objective
#: (:func:`tie_break_musd`).
TIE_BREAK_MUSD_PER_MH = 1e-6
#: Half that on work done on what exists, so no work is done beyond the demand (work on
#: capacity already paid for is otherwise free, and the solver could book idle hours as work).
TIE_BREAK_FIXED_MUSD_PER_MH = 0.5e-6


def not_cost_musd(sol: dict[str, Any]) -> float:
    """What the model's objective value holds that is not a cost, $M: the tie-breaks, and the
    penalty on demand left unmet in a history."""
    unmet = sol.get("unmet")
    penalty = 0.0 if unmet is None else float(np.clip(unmet, 0.0, None).sum())
    return tie_break_musd(sol) + penalty * PENALTY["demand"]


def tie_break_musd(sol: dict[str, Any]) -> float:
    """The tie-break's part of the model's objective value, $M, for a solution."""
    total = 0.0
    for name, rate in (
        ("u", TIE_BREAK_MUSD_PER_MH),
        ("o", TIE_BREAK_MUSD_PER_MH),
        ("uf", TIE_BREAK_FIXED_MUSD_PER_MH),
        ("g", TIE_BREAK_FIXED_MUSD_PER_MH),
    ):
        v = sol.get(name)
        if v is not None:
            total += float(np.clip(v, 0.0, None).sum()) * rate
    return total


@dataclass
class Built:
    model: Any  # linopy.Model
    data: PlanData
    slack: bool
    #: Present value of what the plan does not decide (fixed phases and pools, held
    #: reservations), $M: the objective's value is the model's plus this.
    constant_musd: float = 0.0


def labelled(values: Any, dims: list[str], coords: dict[str, list[str]]) -> xr.DataArray:
    """``values`` as a DataArray on the model's coordinates of ``dims``."""
    return xr.DataArray(np.asarray(values), dims=dims, coords={d: coords[d] for d in dims})


def add_all(terms: list[Any]) -> Any:
    """The sum of linopy expressions (``sum()`` would start from the integer 0)."""
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
        "commit": [c.clause_id for c in d.commitments],
        "seller": list(dict.fromkeys(c.seller for c in d.commitments)),
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
    disc_da = labelled(disc, ["period"], co)
    hours = d.period_hours
    mh_k = labelled(mh_from_k_hours(hours), ["period"], co)  # million hours per thousand held
    cum = np.tril(np.ones((n_p, n_p)))  # [period, vintage]: vintage <= period
    cum_da = labelled(cum, ["period", "vintage"], co)
    thr = labelled(d.throughput, ["type", "class"], co)
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
                lower=labelled(fixed["x"], ["site", "type", "vintage"], co),
                upper=labelled(fixed["x"], ["site", "type", "vintage"], co),
                name="x",
            )
        else:
            x = m.add_variables(
                lower=0,
                upper=labelled(x_up, ["site", "type", "vintage"], co),
                integer=integer_installs,
                name="x",
            )
        grp = _groups(d)
        grp_da = labelled(grp, ["site", "group"], co)
        first = [
            d.owned.index(next(s for s in d.owned if d.provider_of[s] == g)) for g in co["group"]
        ]
        allowed_u = (d.throughput.T > 0)[:, None, :, None] & d.excl_allowed_owned[:, first][
            :, :, None, :
        ]
        u = m.add_variables(
            lower=0,
            upper=labelled(
                np.where(allowed_u, np.inf, 0), ["class", "group", "type", "period"], co
            ),
            name="u",
        )
        v["u"] = u
        obj.append(TIE_BREAK_MUSD_PER_MH * u.sum())
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
        entering = (x * labelled(step, ["site", "period", "vintage"], co)).sum("vintage")
        prev = stock.shift(period=1).fillna(0)  # nothing before the first period
        m.add_constraints(stock - prev - entering == 0, name="stock")
        in_group = (stock * grp_da).sum("site")
        # a type that becomes available part-way through a period serves that share of it
        m.add_constraints(
            u.sum("class") - in_group * mh_k * labelled(d.type_frac, ["type", "period"], co) <= 0,
            name="owned_hours",
        )
        work.append((u * thr).sum(["group", "type"]))
        if has_fixed:
            fixed_g = np.einsum("stp,sg->gtp", d.fixed_k, grp) * mh_from_k_hours(hours)
            allowed_f = allowed_u & (fixed_g > 0)[None, :, :, :]
            uf = m.add_variables(
                lower=0,
                upper=labelled(
                    np.where(allowed_f, np.inf, 0), ["class", "group", "type", "period"], co
                ),
                name="uf",
            )
            m.add_constraints(
                uf.sum("class") <= labelled(fixed_g, ["group", "type", "period"], co),
                name="fixed_hours",
                mask=labelled(fixed_g > 0, ["group", "type", "period"], co),
            )
            work.append((uf * thr).sum(["group", "type"]))
            obj.append(TIE_BREAK_FIXED_MUSD_PER_MH * uf.sum())
    if has_phases:
        if fixed is not None:
            b = m.add_variables(
                lower=labelled(fixed["b"], ["phase", "vintage"], co),
                upper=labelled(fixed["b"], ["phase", "vintage"], co),
                name="b",
            )
        else:
            b = m.add_variables(
                binary=True, coords=[("phase", co["phase"]), ("vintage", co["vintage"])], name="b"
            )
        not_usable = labelled((d.phase_frac <= 0).astype(float), ["phase", "vintage"], co)
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
                built - before <= 0, name="phase_order", mask=labelled(later, ["phase"], co)
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
            upper=labelled(
                np.where(allowed_r, np.inf, 0), ["class", "cloud", "type", "period"], co
            ),
            name="r",
        )
        v["r"] = r
        finite = np.isfinite(d.rent_cap_mh)
        cap = labelled(np.where(finite, d.rent_cap_mh, 0.0), ["cloud", "type", "period"], co)
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
            lhs <= cap, name="rental_cap", mask=labelled(finite, ["cloud", "type", "period"], co)
        )
        obj.append((r * labelled(price, ["cloud", "type"], co) * disc_da).sum())
        work.append((r * thr).sum(["cloud", "type"]))

    # ---------------------------------------------------------------- capacity model offers
    if d.offers:
        ot = offer_types(d)
        thr_o = labelled(d.throughput[ot], ["offer", "class"], co)
        hold = m.add_variables(
            lower=0,
            upper=labelled(np.where(d.offer_cum_k > 0, np.inf, 0.0), ["offer", "period"], co),
            name="hold",
        )
        v["hold"] = hold
        bought = hold - hold.shift(period=1).fillna(0)
        carry = np.array([o.carry_over for o in d.offers])
        m.add_constraints(bought >= 0, name="offer_kept")
        if (~carry).any():
            m.add_constraints(
                bought <= labelled(d.offer_flow_k, ["offer", "period"], co),
                name="offer_flow",
                mask=labelled(~carry, ["offer"], co),
            )
        if carry.any():
            m.add_constraints(
                hold <= labelled(d.offer_cum_k, ["offer", "period"], co),
                name="offer_cum",
                mask=labelled(carry, ["offer"], co),
            )
        allowed_o = (d.throughput[ot].T > 0)[:, :, None] & d.offer_allowed
        o = m.add_variables(
            lower=0,
            upper=labelled(np.where(allowed_o, np.inf, 0.0), ["class", "offer", "period"], co),
            name="o",
        )
        v["o"] = o
        obj.append(TIE_BREAK_MUSD_PER_MH * o.sum())
        m.add_constraints(o.sum("class") - hold * mh_k <= 0, name="offer_hours")
        price_o = labelled([off.price_usd for off in d.offers], ["offer"], co)
        obj.append((hold * mh_k * price_o * disc_da).sum())  # take-or-pay on what is held
        work.append((o * thr_o).sum("offer"))

    # ---------------------------------------------------------------- held reservations
    if d.held:
        ht = held_types(d)
        thr_h = labelled(d.throughput[ht], ["held", "class"], co)
        held_mh = d.held_mh
        allowed_g = (d.throughput[ht].T > 0)[:, :, None] & d.held_allowed & (held_mh > 0)[None]
        g = m.add_variables(
            lower=0,
            upper=labelled(np.where(allowed_g, np.inf, 0.0), ["class", "held", "period"], co),
            name="g",
        )
        obj.append(TIE_BREAK_FIXED_MUSD_PER_MH * g.sum())
        m.add_constraints(
            g.sum("class") <= labelled(held_mh, ["held", "period"], co),
            name="held_hours",
            mask=labelled(held_mh > 0, ["held", "period"], co),
        )
        work.append((g * thr_h).sum("held"))

    # ---------------------------------------------------------------- demand
    demand = labelled(d.demand_mh, ["class", "period"], co)
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
    if d.unmet_allowed and not slack:
        # a history: demand that nothing the record holds or the plan may add can carry is
        # left unmet, reported, and priced far above any capacity so it is the last resort
        su = m.add_variables(
            lower=0, coords=[("class", co["class"]), ("period", co["period"])], name="unmet"
        )
        work.append(su)
        obj.append(PENALTY["demand"] * su.sum())
    m.add_constraints(add_all(work) >= demand, name="demand")

    # ---------------------------------------------------------------- power, supply, costs
    if has_owned:
        mw = labelled(d.facility_mw_per_k, ["site", "type"], co)
        load = (stock * mw).sum("type")
        fixed_load = (d.fixed_k * d.facility_mw_per_k[:, :, None]).sum(axis=1)  # [site, period]
        room = labelled(d.fixed_mw - fixed_load, ["site", "period"], co)
        if has_phases:
            # MW online per site: each built phase's power, pro rata in the period of its
            # online date when built then
            n_f = len(d.phases)
            avail = np.broadcast_to(cum, (n_f, n_p, n_p)).copy()  # [phase, period, vintage]
            for p in range(n_p):
                avail[:, p, p] = d.phase_frac[:, p]
            avail *= np.array([ph.power_mw for ph in d.phases])[:, None, None]
            online = (b * labelled(avail, ["phase", "period", "vintage"], co)).sum("vintage")
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

        supply = labelled(d.supply_k, ["type", "vintage"], co)
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
                * labelled(d.unit_price_musd_per_k, ["site", "type"], co)
                * labelled(capf, ["site", "vintage"], co)
            ).sum()
        )
        obj.append((stock * labelled(run_musd_per_k(d), ["site", "type", "period"], co)).sum())
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
        obj.append((b * labelled(fcap, ["phase", "vintage"], co)).sum())

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
                    * labelled(d.unit_price_musd_per_k, ["site", "type"], co)
                    * labelled(inwin, ["vintage"], co)
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
            parts.append((b * labelled(fc, ["phase", "vintage"], co)).sum())
        if not parts:
            if already <= cap_musd:
                continue
            parts.append(1.0 * zero_var())
        lhs = add_all(parts)
        if slack:
            sb = m.add_variables(lower=0, name=f"s_budget_{mid}")
            lhs = lhs - sb
            obj.append(PENALTY["budget"] * sb)
        m.add_constraints(lhs <= cap_musd - already, name=f"budget_{mid}")

    # ---------------------------------------------------------------- right of first refusal
    if d.rofrs:
        from stargate.plan.rofr import add_rofr

        add_rofr(m, d, co, v, fixed, slack)

    # ---------------------------------------------------------------- committed spend
    if d.commitments:
        from stargate.plan.commit import add_commitments

        obj.append(add_commitments(m, d, co, v))

    total = add_all(obj) if obj else 1.0 * zero_var()
    m.add_objective(total)
    return Built(m, d, slack, constant_musd(d))


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

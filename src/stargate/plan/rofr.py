"""The right of first refusal in the planning model (see :mod:`stargate.plan.model`).

The clause governs how the lab procures *new* capacity, so its rows bind what the plan buys,
never what exists: for each clause and period in force, with ``z`` the binary "the holder's
offer is used up",

    in-scope work on new capacity not of the holder      ≤ M·z            (rofr_elsewhere)
    capacity bought from each holder row in the period   ≥ its flow · z   (rofr_holder_flow)
    hours rented from each holder pool site and type     ≥ its offer · z  (rofr_holder_first)

where only the holder's rows and pools within the clause's caps (per accelerator-hour and per
reference-accelerator-hour of work, :func:`within_caps`) count as its offer. With ``z = 0``
the holder carries the new in-scope need — no more than the demand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from stargate.plan.data import PlanData, Rofr
from stargate.plan.model import add_all, held_types, labelled, offer_types
from stargate.plan.units import mh_from_k_hours

__all__ = ["add_rofr", "within_caps", "work_throughput"]


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


def add_rofr(
    m: Any,
    d: PlanData,
    co: dict[str, list[str]],
    v: dict[str, Any],
    fixed: dict[str, np.ndarray] | None,
    slack: bool,
) -> None:
    """The ROFR rows of every clause (see the module's docstring)."""
    n_p = len(d.periods)
    thr = labelled(d.throughput, ["type", "class"], co)
    in_force = np.zeros((len(d.rofrs), n_p), dtype=bool)
    for i, ro in enumerate(d.rofrs):
        in_force[i, list(ro.periods)] = True
    if fixed is not None and "z" in fixed:
        z = m.add_variables(
            lower=labelled(fixed["z"], ["rofr", "period"], co),
            upper=labelled(fixed["z"], ["rofr", "period"], co),
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
        scope = labelled(scope_c.astype(float), ["class"], co)
        holder_k = np.array([d.provider_of[k] in ro.holder_providers for k in d.clouds], bool)
        holder_o = np.array([o.provider in ro.holder_providers for o in d.offers], bool)
        need = (d.demand_mh * scope_c[:, None]).sum(0)
        elsewhere: list[Any] = []
        other_g = np.array([g not in ro.holder_providers for g in co["group"]], dtype=bool)
        if "u" in v and other_g.any():  # new installs at sites of providers not the holder's
            not_holder = labelled(other_g.astype(float), ["group"], co)
            elsewhere.append((v["u"] * thr * scope * not_holder).sum(["class", "group", "type"]))
        if "r" in v and (~holder_k).any():
            other = labelled((~holder_k).astype(float), ["cloud"], co)
            elsewhere.append((v["r"] * thr * scope * other).sum(["class", "cloud", "type"]))
        if "o" in v and (~holder_o).any():
            other_o = labelled((~holder_o).astype(float), ["offer"], co)
            thr_o = labelled(d.throughput[ot], ["offer", "class"], co)
            elsewhere.append((v["o"] * thr_o * scope * other_o).sum(["class", "offer"]))
        if not elsewhere:
            continue  # nothing new can go elsewhere: the clause has nothing to decide
        # a period with no in-scope demand gets coefficient 0, never a tiny one: HiGHS drops
        # coefficients of 1e-9 or less and says so on standard output
        coef = np.where(need > 0, need * 1.0001 + 1e-6, 0.0)
        m.add_constraints(
            add_all(elsewhere) - zi * labelled(coef, ["period"], co) <= 0,
            name=f"rofr_elsewhere_{i}",
            mask=labelled(in_force[i], ["period"], co),
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
                    v["r"].sum("class") - zi * labelled(offer, ["cloud", "type", "period"], co)
                    >= 0,
                    name=f"rofr_holder_first_{i}",
                    mask=labelled(finite, ["cloud", "type", "period"], co),
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
                    bought - zi * labelled(d.offer_flow_k, ["offer", "period"], co) >= 0,
                    name=f"rofr_holder_flow_{i}",
                    mask=labelled(flow_rows, ["offer", "period"], co),
                )
            cum_rows = ok[:, None] & carry[:, None] & in_force[i][None, :] & (d.offer_cum_k > 0)
            if cum_rows.any():
                m.add_constraints(
                    hold - zi * labelled(d.offer_cum_k, ["offer", "period"], co) >= 0,
                    name=f"rofr_holder_cum_{i}",
                    mask=labelled(cum_rows, ["offer", "period"], co),
                )
        hold_zero = unlimited & in_force[i]
        if hold_zero.any():
            m.add_constraints(
                (zi * labelled(hold_zero.astype(float), ["period"], co)).sum() == 0,
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
                    zi >= 1, name=f"rofr_forced_{i}", mask=labelled(forced, ["period"], co)
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

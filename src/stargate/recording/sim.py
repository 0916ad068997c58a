"""A scenario run's :class:`~stargate.sim.result.SimResult` as the ledger's
:class:`~stargate.ledger.charges.ChargeInputs`: what the lab held (reservations and own pools,
each with its contract and list price), what jobs and inference used, the summary's
``spend_by_year`` the months must add up to, the reservations the procurement made, and the
committed-spend draw-downs of :func:`stargate.money.commitments.commitments`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from stargate.errors import InputError, Problem
from stargate.ledger.charges import (
    ChargeInputs,
    Drawdown,
    HeldItem,
    ReservationMade,
    RunRecord,
    Shortfall,
    decimal_of,
    reservation_ids,
    run_entries,
    run_id_for,
)
from stargate.sim.result import SimResult

_SECONDS_PER_HOUR = Decimal(3600)


def _list_price(scenario: Any, provider: str, site: str, accelerator: str, lab: str) -> Any:
    """The price rule's on-demand (list) price of an hour of ``accelerator`` at ``site``."""
    from stargate.domain.costs import hourly_cost

    try:
        hc = hourly_cost(
            scenario,
            scenario.provider(provider),
            scenario.site(site),
            scenario.accelerator(accelerator),
            "on_demand",
            requester=lab,
        )
    except KeyError:
        return None
    return None if hc is None else hc.total_usd


def charge_inputs(result: SimResult, settings: Mapping[str, Any] | None = None) -> ChargeInputs:
    """The plain inputs of the run's ledger entries. ``settings`` (the CLI's options) are
    hashed into the run id with the provenance. A run on a fleet for experiments (no
    procurement, no contracts) is an :class:`InputError` naming ``--db``."""
    from stargate.money.commitments import commitments

    proc = result.procurement
    sc: Any = result.scenario
    summary = result.summary
    if proc is None or sc is None or summary.spend_by_year is None:
        raise InputError(
            Problem(
                "a run on a fleet for experiments has no reservations or contracts to record",
                path="--db",
                hint="record a scenario run (leave out --fleet)",
            )
        )
    provenance = summary.provenance.model_dump(mode="json")
    run = summary.run.model_dump(mode="json")
    run_id = run_id_for("sim", provenance, {"run": run, **(settings or {})})
    lab = proc.lab
    s = result.state
    first = s.t0.date()
    last = (s.t0 + timedelta(seconds=s.end_s) - timedelta(microseconds=1)).date()
    held = []
    prices: dict[tuple[str, str, str], Any] = {}
    for h in proc.held:
        if h.price_usd_per_accelerator_hour is None:
            continue  # nothing prices it: the summary counts no spend for it either
        key = (h.provider, h.site, h.accelerator)
        if key not in prices:
            prices[key] = _list_price(sc, *key, lab)
        classes = tuple(h.reservation.workload_classes) if h.reservation is not None else ()
        held.append(
            HeldItem(
                h.id,
                h.kind,
                h.provider,
                h.site,
                h.accelerator,
                h.accelerators,
                h.start,
                h.end,
                h.price_usd_per_accelerator_hour,
                prices[key],
                classes,
            )
        )
    committed: dict[tuple[int, str, str], Decimal] = {}
    used: dict[tuple[int, str], Decimal] = {}
    for row in summary.spend_by_year:
        for site, text in row.committed_by_site_usd.items():
            committed[(row.year, row.provider, site)] = Decimal(text)
        used[(row.year, row.provider)] = Decimal(row.used_usd)
    pools = s.pools
    held_ids = {h.id for h in held}
    busy: dict[Any, Decimal] = {}
    busy_held: dict[Any, Decimal] = {}
    for (p, d), busy_s in s.busy_by_day.items():
        price = float(pools.price_h[p])
        if not math.isfinite(price) or busy_s <= 0:
            continue
        day = first + timedelta(days=d)
        usd = decimal_of(float(busy_s)) / _SECONDS_PER_HOUR * decimal_of(price)
        if pools.ids[p] in held_ids:  # a reservation run as a pool of its own, or an own pool
            k2 = (day, pools.ids[p])
            busy_held[k2] = busy_held.get(k2, Decimal(0)) + usd
        else:  # a pool id made unique (held_scenario): its provider, site and type
            k4 = (day, pools.provider[p], pools.site[p], pools.accelerator[p])
            busy[k4] = busy.get(k4, Decimal(0)) + usd
    # inference's used spend per (year, provider): SimResult keeps it beside the summary
    served_raw: Mapping[tuple[int, str], float] = getattr(result, "_inference_used", {})
    served = {k: decimal_of(float(v)) for k, v in served_raw.items()}
    rows = list(proc.rows)
    ids = reservation_ids(rows)
    made = [
        ReservationMade(
            ids[i],
            r.request_id,
            r.source,
            r.decided_on,
            r.provider,
            r.site,
            r.accelerator,
            r.accelerators,
            r.term_start,
            r.term_end,
            r.price_usd_per_accelerator_hour,
            r.rofr,
            None if r.rofr == "not_in_scope" else r.request_id,
            r.decided_by,
            r.reason,
        )
        for i, r in enumerate(rows)
        if i in ids
    ]
    cm = commitments(sc, summary, without=_still_named(sc, summary.run.without))
    drawdowns = [
        Drawdown(
            c.clause_id,
            c.contract_id,
            c.buyer,
            c.seller,
            tuple(c.providers),
            y.year,
            c.amount_usd,
            y.spend_with_seller_usd,
            y.in_period_usd,
            y.drawn_usd,
            c.period_start,
            c.period_end,
        )
        for c in cm.commitments
        for y in c.years
        if y.drawn_usd != 0
    ]
    shortfalls = [
        Shortfall(
            c.clause_id,
            c.contract_id,
            c.buyer,
            c.seller,
            tuple(c.providers),
            c.amount_usd,
            c.drawn_usd,
            c.shortfall_usd,
            c.period_end,
        )
        for c in cm.commitments
        if c.status == "shortfall" and c.shortfall_usd and c.period_end is not None
    ]
    events = _events(sc, first, last, _still_named(sc, summary.run.without))
    events += _offers(sc, rows)
    events.sort(key=lambda e: e[1])  # by day, stable: an offer before its answer
    return ChargeInputs(
        run_id=run_id,
        provenance=provenance,
        scenario_id=str(sc.id),
        lab=lab,
        first=first,
        last=last,
        held=held,
        committed_by_site_usd=committed,
        used_usd=used,
        busy_usd=busy,
        busy_usd_by_held=busy_held,
        served_usd=served,
        inference_classes=frozenset(
            c.id
            for c in sc.workload_classes
            if str(getattr(c.kind, "value", c.kind)) == "inference"
        ),
        owners={p.id: p.owner for p in sc.providers},
        reservations=made,
        drawdowns=drawdowns,
        shortfalls=shortfalls,
        events=events,
    )


def _still_named(sc: Any, names: Any) -> list[str]:
    """The names of ``without`` that still name something in ``sc``: a run's scenario has its
    agreements and amendments of ``without`` voided already (only its clauses switched off are
    still to apply), so those names are gone from it."""
    from stargate.contracts.state import resolve_without
    from stargate.errors import InputError as _Bad

    kept = []
    for n in names or ():
        try:
            resolve_without(sc, [n])
        except _Bad:
            continue
        kept.append(str(n))
    return kept


def _events(
    sc: Any, first: date, last: date, without: Any
) -> list[tuple[str, date, str, dict[str, Any]]]:
    """The run's revenue-share transfers (one ``revenue_share`` entry per clause and year with a
    quantified transfer, on the year's first day in the run) and its contract events (one
    ``contract_event`` per contract signed and per agreement dated within the run)."""
    from stargate.money import revenue_shares
    from stargate.money.days import cents

    out: list[tuple[str, date, str, dict[str, Any]]] = []
    years = list(range(first.year, last.year + 1))
    shares = revenue_shares(sc, years, without=without or ())
    for t in shares.transfers:
        if t.transfer_usd is None or t.transfer_usd == 0:
            continue
        amount = f"{cents(t.transfer_usd):.2f}"
        out.append(
            (
                "revenue_share",
                max(date(t.year, 1, 1), first),
                t.payer,
                {
                    "clause_id": t.clause_id,
                    "contract_id": t.contract_id,
                    "year": t.year,
                    "payer": t.payer,
                    "payee": t.payee,
                    "revenue_stream": t.revenue_stream,
                    "transfer_usd": amount,
                    "amount_usd": amount,
                    "upper_bound": t.upper_bound,
                    "versions": sorted({g.version for g in t.segments if g.version}),
                },
            )
        )
    for c in sc.contracts:
        if first <= c.signed <= last:
            out.append(
                (
                    "contract_event",
                    c.signed,
                    c.parties[0],
                    {"event": "signed", "contract_id": c.id, "name": c.name,
                     "parties": list(c.parties), "source": c.source},
                )
            )  # fmt: skip
        for a in c.agreements:
            if first <= a.date <= last:
                out.append(
                    (
                        "contract_event",
                        a.date,
                        c.parties[0],
                        {
                            "event": "agreement",
                            "contract_id": c.id,
                            "agreement_id": a.id,
                            "name": a.name,
                            "changes": [
                                {"clause": ch.clause, "action": ch.action} for ch in a.changes
                            ],
                            "adds": [cl.id for cl in a.adds],
                            "source": a.source,
                        },
                    )
                )
    out += _access(sc, first, last)
    return sorted(out, key=lambda e: e[1])


def _offers(sc: Any, rows: Any) -> list[tuple[str, date, str, dict[str, Any]]]:
    """One ``offer`` (to the ROFR's holder) and one ``answer`` (the holder's) per procurement
    row the holder was offered: accepted, declined or expired. The replay offers and answers on
    the request's day; ``respond_by`` is that day plus the clause's response window."""
    from stargate.domain.model import RightOfFirstRefusal

    out: list[tuple[str, date, str, dict[str, Any]]] = []
    for r in rows:
        if r.rofr not in ("accepted", "declined", "expired"):
            continue
        held = [
            cl
            for _, cl in sc.clauses()
            if isinstance(cl, RightOfFirstRefusal) and cl.in_force(r.decided_on)
        ]
        if not held:
            continue
        cl = held[0]
        offer_id = f"offer-{r.request_id}"
        window = timedelta(hours=float(cl.response_window_h))
        out.append(
            (
                "offer",
                r.decided_on,
                str(getattr(cl, "beneficiary", None) or r.request_id.split("-")[0]),
                {
                    "offer_id": offer_id,
                    "request_id": r.request_id,
                    "clause_id": cl.id,
                    "holder": cl.holder,
                    "accelerators": r.accelerators,
                    "accelerator": r.accelerator,
                    "term_start": r.term_start,
                    "term_end": r.term_end,
                    "respond_by": (
                        datetime.combine(r.decided_on, datetime.min.time()) + window
                    ).isoformat(),
                },
            )
        )
        out.append(
            (
                "answer",
                r.decided_on,
                cl.holder,
                {
                    "offer_id": offer_id,
                    "request_id": r.request_id,
                    "clause_id": cl.id,
                    "answer": {"accepted": "accept", "declined": "decline"}.get(r.rofr, "none"),
                    "outcome": r.rofr,
                    "placed_with": r.provider,
                    "reason": r.reason,
                },
            )
        )
    return out


def _access(sc: Any, first: date, last: date) -> list[tuple[str, date, str, dict[str, Any]]]:
    """``access_grant`` / ``access_revocation`` entries where an ``ip_rights`` clause comes into
    force, changes its terms (an amendment; a grant with the new terms), or leaves force (its
    end, a terminating agreement, AGI) within the run."""
    from stargate.domain.model import IpRights

    out: list[tuple[str, date, str, dict[str, Any]]] = []
    for _, cl in sc.clauses():
        if not isinstance(cl, IpRights):
            continue
        days = {cl.effective.start}
        for am in cl.amendments:
            days.add(am.effective.start)
            if am.effective.end is not None:
                days.add(am.effective.end + timedelta(days=1))
            if am.action != "terminate":
                end = cl.amended(am).end_date()
                if end is not None:
                    days.add(end + timedelta(days=1))
        own_end = cl.end_date()
        if own_end is not None:
            days.add(own_end + timedelta(days=1))
        if cl._agi_end is not None:
            days.add(cl._agi_end)
        for day in sorted(d for d in days if first <= d <= last):
            now, before = cl.version_at(day), cl.version_at(day - timedelta(days=1))
            if now is None and before is None:
                continue
            if now is not None and before is not None and now == before:
                continue
            v = now or before
            assert isinstance(v, IpRights)
            body = {
                "clause_id": cl.id,
                "grantor": v.grantor,
                "grantee": v.grantee,
                "artifact_kinds": [str(k) for k in v.artifact_kinds],
                "until": v.until,
                "agi_carve_out": v.agi_carve_out,
                "exclusive": v.exclusive,
            }
            if now is None:
                out.append(("access_revocation", day, v.grantor, body))
            else:
                body["change"] = "granted" if before is None else "terms changed"
                out.append(("access_grant", day, v.grantor, body))
    return out


def sim_record(result: SimResult, settings: Mapping[str, Any] | None = None) -> RunRecord:
    """The run's ledger entries, ready for :func:`stargate.ledger.charges.record`."""
    return run_entries(charge_inputs(result, settings))

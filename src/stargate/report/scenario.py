"""Terminal rendering of a scenario snapshot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from stargate.scenario.snapshot import LeaseView, PoolView, Snapshot


def _mw(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _usd(value: str | None, cents: bool = False) -> str:
    """A decimal string of dollars as ``$1,234.5`` (every stored digit kept; with ``cents``, at
    least two decimals)."""
    if value is None:
        return "—"
    amount = Decimal(value)
    exponent = amount.as_tuple().exponent
    if cents and isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return f"${amount:,f}"


def _pool_status(pool: PoolView, at: date) -> str:
    if pool.status == "planned":
        return f"candidate from {pool.available_from.isoformat()}"
    if not pool.online:
        return f"from {pool.available_from.isoformat()}" if pool.available_from > at else "off"
    return "in outage" if pool.in_outage else "online"


BASIS = {
    "contract": "contract price",
    "offer": "offer price",
    "reserved": "reserved price",
    "on_demand": "on-demand price",
    "owned_cost": "owned cost",
    "reservation": "its own price",
    None: "no price",
}


def _lease(lease: LeaseView | None, developer: str | None) -> str:
    if lease is None:
        return f"built by {developer}" if developer else "—"
    return (
        f"{lease.developer or '?'} → {lease.lessee}, {lease.start.isoformat()}.."
        f"{lease.end.isoformat()}"
    )


def _term(start: date | None, end: date | None, years: float | None) -> str:
    if start is not None and end is not None:
        return f"{start.isoformat()}..{end.isoformat()}"
    return f"{years:g} years from placing" if years is not None else "—"


def render_snapshot(snap: Snapshot, console: Console) -> None:
    end = snap.horizon_end.isoformat() if snap.horizon_end else "open"
    console.print(
        f"[bold]{snap.name}[/bold] ({snap.scenario}) on {snap.at.isoformat()}  "
        f"horizon {snap.horizon_start.isoformat()}..{end}"
    )

    parties = Table(title="Parties", title_justify="left")
    parties.add_column("id")
    parties.add_column("name")
    parties.add_column("roles")
    for p in snap.parties:
        parties.add_row(p.id, p.name, ", ".join(p.roles))
    console.print(parties)

    providers = Table(title="Providers", title_justify="left")
    for col in ("id", "name", "kind", "owner", "sites"):
        providers.add_column(col)
    providers.add_column("accelerators online", justify="right")
    for pv in snap.providers:
        providers.add_row(
            pv.id, pv.name, pv.kind, pv.owner, ", ".join(pv.sites), f"{pv.accelerators_online:,}"
        )
    console.print(providers)

    sites = Table(title="Sites", title_justify="left")
    for col in (
        "site",
        "provider",
        "location",
        "power MW (online/total)",
        "PUE",
        "accelerators online",
        "developer → lessee",
    ):
        sites.add_column(
            col, justify="right" if "MW" in col or col in ("PUE", "accelerators online") else "left"
        )
    for s in snap.sites:
        sites.add_row(
            s.id,
            s.provider,
            s.location,
            f"{_mw(s.online_power_mw)} / {_mw(s.power_capacity_mw)}",
            f"{s.pue:.2f}",
            f"{s.accelerators_online:,}",
            _lease(s.lease, s.developer),
        )
    console.print(sites)

    if any(s.phases for s in snap.sites):
        phases = Table(title="Phases", title_justify="left")
        for col in ("site", "phase"):
            phases.add_column(col)
        phases.add_column("MW", justify="right")
        phases.add_column("online")
        phases.add_column("status")
        for s in snap.sites:
            for ph in s.phases:
                phases.add_row(
                    s.id,
                    ph.id,
                    _mw(ph.power_mw),
                    ph.online.isoformat()
                    + ("" if ph.online_on_day or ph.status == "planned" else " (later)"),
                    ph.status,
                )
        console.print(phases)

    pools = Table(title="Pools", title_justify="left")
    for col in ("site", "pool", "accelerator"):
        pools.add_column(col)
    pools.add_column("count", justify="right")
    pools.add_column("on the day")
    pools.add_column("status")
    pools.add_column("USD per accelerator-hour", justify="right")  # what the lab pays
    pools.add_column("basis")
    for s in snap.sites:
        for pool in s.pools:
            pools.add_row(
                s.id,
                pool.id,
                pool.accelerator,
                f"{pool.count:,}",
                _pool_status(pool, snap.at),
                pool.status,
                _usd(pool.price_usd_per_accelerator_hour, cents=True),
                BASIS[pool.price_basis],
            )
    console.print(pools)

    if snap.owned_costs:
        owned = Table(
            title="Owned cost (USD per accelerator-hour, with the capital charge)",
            title_justify="left",
        )
        for col in ("site", "accelerator"):
            owned.add_column(col)
        for col in (
            "rate",
            "accelerator capex",
            "facility capex",
            "opex",
            "energy",
            "total",
            "capital charge",
            f"{snap.lab} pays",
        ):
            owned.add_column(col, justify="right")
        for oc in snap.owned_costs:
            pays = (
                "—"
                if oc.lab_price_usd is None
                else f"{_usd(oc.lab_price_usd, cents=True)} ({BASIS[oc.lab_price_basis]})"
            )
            owned.add_row(
                oc.site,
                oc.accelerator,
                f"{oc.cost_of_capital:.1%} "
                + ("wacc" if oc.cost_of_capital_from == "wacc" else "discount"),
                _usd(oc.accelerator_capex_usd, cents=True),
                _usd(oc.facility_capex_usd, cents=True),
                _usd(oc.opex_usd, cents=True),
                _usd(oc.energy_usd, cents=True),
                _usd(oc.total_usd, cents=True),
                _usd(oc.capital_charge_usd, cents=True),
                pays,
            )
        console.print(owned)

    cap = Table(title="Capacity online (accelerators)", title_justify="left")
    accs = list(snap.capacity_by_accelerator)
    cap.add_column("provider")
    for a in accs:
        cap.add_column(a, justify="right")
    cap.add_column("total", justify="right")
    grid = {(r.provider, r.accelerator): r.count for r in snap.capacity}
    for prov in snap.providers:
        cap.add_row(
            prov.id,
            *[f"{grid.get((prov.id, a), 0):,}" for a in accs],
            f"{snap.capacity_by_provider.get(prov.id, 0):,}",
        )
    cap.add_row(
        "[bold]all[/bold]",
        *[f"{snap.capacity_by_accelerator[a]:,}" for a in accs],
        f"[bold]{snap.total_accelerators:,}[/bold]",
    )
    console.print(cap)

    if snap.capacity_models:
        models = Table(title="Capacity models (new capacity offered)", title_justify="left")
        for col in ("provider", "accelerator", "site", "from", "to"):
            models.add_column(col)
        models.add_column("accelerators", justify="right")
        models.add_column("per")
        models.add_column("this period", justify="right")
        models.add_column("USD per accelerator-hour", justify="right")
        for cm in snap.capacity_models:
            models.add_row(
                cm.provider,
                cm.accelerator,
                cm.site or "—",
                cm.start.isoformat(),
                cm.end.isoformat() if cm.end else "open",
                f"{cm.accelerators:,}",
                cm.per + (" (carried over)" if cm.carry_over else ""),
                f"{cm.offered_in_period:,.0f}" if cm.in_force else "not in force",
                _usd(cm.price_usd_per_accelerator_hour, cents=True)
                if cm.price_usd_per_accelerator_hour
                else "price rows",
            )
        console.print(models)

    if snap.reservations:
        held = Table(title="Reservations (take-or-pay)", title_justify="left")
        for col in ("reservation", "holder", "at", "accelerator"):
            held.add_column(col)
        held.add_column("count", justify="right")
        held.add_column("reference", justify="right")
        held.add_column("term")
        held.add_column("held")
        held.add_column("USD per accelerator-hour", justify="right")
        for r in snap.reservations:
            held.add_row(
                r.id,
                r.holder,
                f"{r.provider}/{r.site}" if r.site else r.provider,
                r.accelerator,
                f"{r.accelerators:,}",
                f"{r.reference_accelerators:,.0f}",
                _term(r.term_start, r.term_end, None),
                "yes" if r.held else "no",
                f"{_usd(r.price_usd_per_accelerator_hour, cents=True)} {r.price_basis or ''}",
            )
        console.print(held)

    if snap.capacity_requests:
        reqs = Table(title="Capacity requests (dated, of the record)", title_justify="left")
        for col in ("request", "date", "requester", "how much", "term", "where", "date come"):
            reqs.add_column(col)
        for q in snap.capacity_requests:
            if q.accelerators is not None:
                types = "any type" if q.types == "any" else ", ".join(q.types or [])
                unit = " reference" if q.unit == "reference" else ""
                much = f"{q.accelerators:,}{unit} accelerators ({types})"
            else:
                much = f"{q.power_mw:g} MW"
            where = ", ".join([*q.providers, *q.sites]) or "anywhere"
            reqs.add_row(
                q.id,
                q.date.isoformat(),
                q.requester,
                much,
                _term(q.term_start, q.term_end, q.term_years),
                where,
                "yes" if q.date_reached else "no",
            )
        console.print(reqs)

    clauses = Table(title="Clauses in force", title_justify="left")
    clauses.add_column("clause")
    clauses.add_column("kind")
    clauses.add_column("what it says")
    clauses.add_column("why in force")
    for c in snap.clauses_in_force:
        clauses.add_row(c.id, c.kind, c.summary, c.reason)
    console.print(clauses)
    if snap.clauses_not_in_force:
        off = Table(title="Clauses not in force", title_justify="left")
        off.add_column("clause")
        off.add_column("kind")
        off.add_column("why not")
        for c in snap.clauses_not_in_force:
            off.add_row(c.id, c.kind, c.reason)
        console.print(off)

    if snap.prices:
        prices = Table(title="Cloud prices (USD per accelerator-hour)", title_justify="left")
        for col in ("provider", "site", "accelerator"):
            prices.add_column(col)
        prices.add_column("on-demand", justify="right")
        prices.add_column("reserved", justify="right")
        prices.add_column("contract prices")
        for pr in snap.prices:
            prices.add_row(
                pr.provider,
                pr.site or "all",
                pr.accelerator,
                _usd(pr.on_demand_usd_per_accelerator_hour, cents=True),
                _usd(pr.reserved_usd_per_accelerator_hour, cents=True),
                ", ".join(
                    f"{c.party} {_usd(c.usd_per_accelerator_hour, cents=True)}"
                    for c in pr.contract_prices
                )
                or "—",
            )
        console.print(prices)

    if snap.budget:
        budget = Table(title="Budget (cumulative capex)", title_justify="left")
        budget.add_column("milestone")
        budget.add_column("by")
        budget.add_column("capex USD", justify="right")
        for m in snap.budget:
            budget.add_row(m.id, m.by.isoformat(), _usd(m.capex_usd))
        console.print(budget)
    else:
        console.print("Budget: none")

"""Terminal rendering of a scenario snapshot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from stargate.scenario.snapshot import PoolView, Snapshot


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
    if not pool.online:
        return f"from {pool.available_from.isoformat()}" if pool.available_from > at else "off"
    return "in outage" if pool.in_outage else "online"


BASIS = {"on_demand": "on-demand price", "owned_cost": "owned cost", None: "no price"}


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
        )
    console.print(sites)

    pools = Table(title="Pools", title_justify="left")
    for col in ("site", "pool", "accelerator"):
        pools.add_column(col)
    pools.add_column("count", justify="right")
    pools.add_column("status")
    pools.add_column("USD per accelerator-hour", justify="right")
    pools.add_column("basis")
    for s in snap.sites:
        for pool in s.pools:
            pools.add_row(
                s.id,
                pool.id,
                pool.accelerator,
                f"{pool.count:,}",
                _pool_status(pool, snap.at),
                _usd(pool.price_usd_per_accelerator_hour, cents=True),
                BASIS[pool.price_basis],
            )
    console.print(pools)

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
        for pr in snap.prices:
            prices.add_row(
                pr.provider,
                pr.site or "all",
                pr.accelerator,
                _usd(pr.on_demand_usd_per_accelerator_hour, cents=True),
                _usd(pr.reserved_usd_per_accelerator_hour, cents=True),
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

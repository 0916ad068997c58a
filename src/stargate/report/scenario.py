"""Terminal rendering of a scenario snapshot."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from stargate.scenario.snapshot import Snapshot


def _mw(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


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

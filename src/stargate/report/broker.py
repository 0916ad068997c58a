"""Terminal rendering of broker decisions: a ranked table of candidates and the explanation;
for a capacity decision, the candidates (provider, site, type, what each can offer, its price
per accelerator-hour and per reference-accelerator-hour), the rows placed or released, and the
paragraph."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from stargate.broker.capacity import CapacityDecision
from stargate.broker.decision import Decision


def _money(value: object) -> str:
    return "—" if value is None else f"${float(str(value)):,.0f}"


def render_decision(d: Decision, console: Console, *, limit: int = 15) -> None:
    status = "[green]placed[/green]" if d.placed else "[red]not placed[/red]"
    console.print(f"[bold]{d.request_id}[/bold]: {status} — decided by [bold]{d.decided_by}[/bold]")
    table = Table(show_edge=False, pad_edge=False)
    for col in (
        "",
        "#",
        "provider",
        "site",
        "pool",
        "accelerator",
        "count",
        "start",
        "finish",
        "cost",
        "why not",
    ):
        table.add_column(
            col, justify="right" if col in ("#", "count", "cost") else "left", overflow="fold"
        )
    shown = d.candidates[:limit]
    for c in shown:
        table.add_row(
            "[bold green]CHOSEN[/bold green]" if c.chosen else "",
            str(c.rank) if c.rank is not None else "",
            c.provider,
            c.site,
            c.pool,
            c.accelerator,
            f"{c.count:,}",
            c.start.strftime("%Y-%m-%d %H:%M") if c.start else "—",
            c.finish.strftime("%Y-%m-%d %H:%M") if c.finish else "—",
            _money(c.cost_usd),
            "; ".join(c.reasons),
        )
    console.print(table)
    if len(d.candidates) > limit:
        console.print(f"  … {len(d.candidates) - limit} more candidate(s); --json lists all")
    console.print(d.explanation, markup=False)
    console.print()


def _price(value: object) -> str:
    return "—" if value is None else f"${float(str(value)):,.2f}"


def render_any(d: Decision | CapacityDecision, console: Console, *, limit: int = 15) -> None:
    """A job decision or a capacity decision, each in its own view."""
    if isinstance(d, CapacityDecision):
        render_capacity_decision(d, console, limit=limit)
    else:
        render_decision(d, console, limit=limit)


def render_capacity_decision(d: CapacityDecision, console: Console, *, limit: int = 15) -> None:
    """A capacity decision: the candidates ranked (CHOSEN where a part was reserved), the
    rows placed or released, and the paragraph."""
    status = "[green]placed[/green]" if d.placed else "[red]not placed[/red]"
    console.print(
        f"[bold]{d.request_id}[/bold] (capacity): {status} — decided by [bold]{d.decided_by}[/bold]"
    )
    table = Table(show_edge=False, pad_edge=False, title="candidates", title_justify="left")
    for col in (
        "",
        "#",
        "provider",
        "site",
        "accelerator",
        "offerable",
        "taken",
        "$/acc-h",
        "$/ref-h",
        "basis",
        "why not",
    ):
        right = col in ("#", "offerable", "taken", "$/acc-h", "$/ref-h")
        table.add_column(col, justify="right" if right else "left", overflow="fold")
    for c in d.candidates[:limit]:
        table.add_row(
            "[bold green]CHOSEN[/bold green]" if c.chosen else "",
            str(c.rank) if c.rank is not None else "",
            c.provider + (" (ROFR holder)" if c.holder else ""),
            c.site,
            c.accelerator,
            f"{c.offerable:,}",
            f"{c.accelerators:,}" if c.accelerators else "",
            _price(c.price_usd_per_accelerator_hour),
            _price(c.price_usd_per_reference_hour),
            c.basis or "—",
            "; ".join(c.reasons),
        )
    console.print(table)
    if len(d.candidates) > limit:
        console.print(f"  … {len(d.candidates) - limit} more candidate(s); --json lists all")
    rows = Table(show_edge=False, pad_edge=False, title="procurement", title_justify="left")
    for col in (
        "rofr",
        "provider",
        "site",
        "accelerator",
        "accelerators",
        "ref. acc.",
        "MW",
        "term",
        "$/acc-h",
        "decided by",
    ):
        right = col in ("accelerators", "ref. acc.", "MW", "$/acc-h")
        rows.add_column(col, justify="right" if right else "left", overflow="fold")
    for r in d.rows:
        rows.add_row(
            r.rofr,
            r.provider or "[red]not placed[/red]",
            r.site or "—",
            r.accelerator or "—",
            f"{r.accelerators:,}",
            f"{r.reference_accelerators:,.0f}",
            f"{r.power_mw:,.1f}",
            f"{r.term_start.isoformat()}..{r.term_end.isoformat()}",
            _price(r.price_usd_per_accelerator_hour),
            r.decided_by,
        )
    console.print(rows)
    console.print(d.explanation, markup=False)
    console.print()


def summary_line(d: Decision | CapacityDecision) -> str:
    """One line for a decision of a batch: where, when, cost and the deciding clause."""
    if isinstance(d, CapacityDecision):
        placed = [r for r in d.rows if r.placed]
        where = ", ".join(
            f"{r.accelerators:,} × {r.accelerator} at {r.site} ({r.provider}, {r.rofr})"
            for r in placed
        )
        unmet = d.unmet_reference_accelerators
        rest = f"; {unmet:,.0f} reference accelerators not placed" if unmet > 0 else ""
        return (
            f"{d.request_id}: reserved {where or 'nothing'}, {_money(d.cost_usd)} committed"
            f"{rest} — decided by {d.decided_by}"
        )
    if d.placed:
        start = d.start.strftime("%Y-%m-%d %H:%M") if d.start else "?"
        moved = " (start moved: waited for capacity)" if d.start_moved is not None else ""
        return (
            f"{d.request_id}: placed on {d.pool} ({d.provider}), {d.count:,} × {d.accelerator} "
            f"from {start}{moved}, {_money(d.cost_usd)} — decided by {d.decided_by}"
        )
    return f"{d.request_id}: not placed ({d.reason_code}) — decided by {d.decided_by}"


def render_summary(decisions: Iterable[Decision | CapacityDecision], console: Console) -> None:
    """A batch, one line per decision, then the totals (``place --detail summary``)."""
    write = console.file.write
    placed = n = 0
    total = Decimal(0)
    for d in decisions:
        write(summary_line(d) + "\n")
        n += 1
        if d.placed:
            placed += 1
            total += d.cost_usd or 0
    write(
        f"{placed:,} of {n:,} requests placed, {_money(total)} in all; "
        "--detail full lists every candidate\n"
    )

"""Terminal rendering of broker decisions: a ranked table of candidates and the explanation."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from rich.console import Console
from rich.table import Table

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


def summary_line(d: Decision) -> str:
    """One line for a decision of a batch: where, when, cost and the deciding clause."""
    if d.placed:
        start = d.start.strftime("%Y-%m-%d %H:%M") if d.start else "?"
        moved = " (start moved: waited for capacity)" if d.start_moved is not None else ""
        return (
            f"{d.request_id}: placed on {d.pool} ({d.provider}), {d.count:,} × {d.accelerator} "
            f"from {start}{moved}, {_money(d.cost_usd)} — decided by {d.decided_by}"
        )
    return f"{d.request_id}: not placed ({d.reason_code}) — decided by {d.decided_by}"


def render_summary(decisions: Iterable[Decision], console: Console) -> None:
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

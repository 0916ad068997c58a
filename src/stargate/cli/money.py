"""`stargate money report`: a thin layer over stargate.money (docs/money.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from stargate.cli.common import err, out, print_json, run_guarded
from stargate.cli.options import ScenarioArg, StargateTyper, examples
from stargate.errors import InputError, Problem, for_option

if TYPE_CHECKING:
    from stargate.domain.model import Scenario
    from stargate.money import MoneyReport, Spend, SummaryLike

money_app = StargateTyper(
    help="Money between the parties: revenue shares each way, committed spend.",
    no_args_is_help=True,
)

#: Engine parameters → the options that set them.
_OPTIONS = {
    "without": "--without",
    "summary": "--summary",
    "scenario": "SCENARIO",
    "db": "--db",
    "run": "--run",
}


@money_app.command(
    "report",
    epilog=examples(
        "stargate money report",
        "stargate money report --without microsoft-openai-2026-04 --json",
        "stargate money report --summary tests/data/money/summary-default.json --json",
        "stargate money report --without nosuch   # exit 2",
        "stargate money report --db sqlite:///ledger.db --run RUN",
    ),
)
def money_report_command(
    scenario: ScenarioArg = None,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="ID",
            help="Void an agreement or amendment, or switch a clause off (repeatable); the "
            "simulation that gives the spend runs without it too.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (money as decimal strings).")
    ] = False,
    summary: Annotated[
        str | None,
        typer.Option(
            "--summary",
            metavar="FILE",
            help="Read the spend from a simulation's summary.json (stargate simulate --out "
            "DIR) instead of simulating the scenario (seed 0).",
            show_default=False,
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Read the spend from the charges a `stargate simulate --db` run recorded in "
            "the ledger there (`default`: $STARGATE_DATABASE_URL or the user's ledger file) "
            "instead of simulating.",
            show_default=False,
        ),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            metavar="RUN",
            help="With --db: the run whose charges to read (default: the latest run of this "
            "scenario with the same terms switched off).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Revenue-share transfers each way and their net per year; each commitment's draw-down,
    what remains and the shortfall at the end of its period."""

    def body() -> None:
        from stargate.money import locate, money_report, revenue_shares
        from stargate.scenario.loader import load_scenario

        if db is not None and summary is not None:
            raise InputError(
                Problem(
                    "--db and --summary both name where the spend comes from",
                    path="--db",
                    expected="one of --db URL and --summary FILE",
                )
            )
        if run is not None and db is None:
            raise InputError(
                Problem("--run names a run of a ledger", path="--run", expected="--db URL too")
            )
        sels = [s.strip() for s in without or []]
        sc = load_scenario(scenario)
        try:
            revenue_shares(sc, without=sels)  # bad input is refused before a simulation runs
            got: tuple[SummaryLike | Spend, str, int | None] = (
                _spend_from_ledger(sc, sels, db, run)
                if db is not None
                else _spend(sc, sels, summary)
            )
            spend, source, seed = got
            report = money_report(sc, spend, without=sels, spend_source=source, seed=seed)
        except InputError as exc:
            raise locate(for_option(exc, _OPTIONS), scenario) from None
        if as_json:
            print_json(report.to_dict())
        else:
            _print(report)

    run_guarded(body)


def _spend(
    sc: Scenario, without: list[str], summary: str | None
) -> tuple[SummaryLike | Spend, str, int | None]:
    """The lab's spend: from ``summary`` (a summary.json) or from one simulation run."""
    if summary is None:
        from stargate.sim.api import simulate

        result = simulate(sc, without=without, log_events=False)
        return result.summary, "simulation (seed 0)", 0
    import json

    from pydantic import ValidationError

    from stargate.files import read_input
    from stargate.sim.result import SimSummary

    raw = read_input(summary, "a simulation summary")
    try:
        data = json.loads(raw)
        parsed = SimSummary.model_validate(data)
    except (ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(
            Problem(
                f"not a simulation summary: {first}",
                file=summary,
                expected="the summary.json of `stargate simulate --out DIR` (or its --json)",
            )
        ) from None
    if parsed.run.scenario != sc.id:
        raise InputError(
            Problem(
                f"the summary is of scenario '{parsed.run.scenario}', not '{sc.id}'",
                file=summary,
                path="run.scenario",
                hint="give the scenario the summary was simulated from",
            )
        )
    from stargate.contracts import resolve_without

    resolved = resolve_without(sc, without)
    theirs = (sorted(parsed.run.without), sorted(parsed.provenance.amendments_off))
    ours = (sorted(resolved.clause_ids), sorted(resolved.voided))
    if theirs != ours:
        shown = ", ".join([*theirs[0], *theirs[1]]) or "nothing"
        raise InputError(
            Problem(
                f"the summary was simulated without {shown}, not with the terms asked for "
                f"(--without {', '.join(without) or 'nothing'}): its spend would not match",
                file=summary,
                path="run.without",
                hint="give the same --without as the simulation, or simulate again",
            )
        )
    from stargate.domain.provenance import for_scenario

    if parsed.provenance.scenario_sha256 != for_scenario(sc).scenario_sha256:
        err.print(
            f"warning: {summary}: the summary was simulated from another version of scenario "
            f"'{sc.id}' (its SHA-256 differs): its spend may not match the scenario's terms",
            markup=False,
        )
    return parsed, f"summary {summary}", parsed.run.seed


def _spend_from_ledger(
    sc: Scenario, without: list[str], url: str, run: str | None
) -> tuple[Spend, str, int | None]:
    """The lab's spend per (year, provider) from the capacity charges of one recorded run: the
    one named, else the latest run of this scenario (its id) with the same terms off."""
    from datetime import timedelta

    from stargate.contracts.state import resolve_without
    from stargate.ledger import open_ledger
    from stargate.money import Spend

    off = sorted(resolve_without(sc, without).names)
    led = open_ledger(None if url == "default" else url)
    try:
        runs: dict[str, tuple[int, dict[str, object]]] = {}
        usd: dict[str, dict[tuple[int, str], Decimal]] = {}
        span: dict[str, list[date]] = {}
        for e in led.entries(kind="charge"):
            if e.run_id is None or e.body.get("charge_type") != "capacity":
                continue
            if run is None:
                prov = e.provenance
                if prov.get("scenario_id") != sc.id or sorted(prov.get("clauses_off") or []) != off:
                    continue
            elif e.run_id != run:
                continue
            runs[e.run_id] = (e.seq, e.provenance)
            start = date.fromisoformat(str(e.body["period_start"])[:10])
            end = date.fromisoformat(str(e.body["period_end_exclusive"])[:10]) - timedelta(1)
            key = (start.year, str(e.body["provider"]))
            by = usd.setdefault(e.run_id, {})
            by[key] = by.get(key, Decimal(0)) + Decimal(str(e.body["committed_usd"]))
            days = span.setdefault(e.run_id, [start, end])
            days[0], days[1] = min(days[0], start), max(days[1], end)
    finally:
        led.close()
    if not runs:
        what = (
            f"run '{run}'"
            if run is not None
            else f"a run of scenario '{sc.id}'" + (f" without {', '.join(off)}" if off else "")
        )
        raise InputError(
            Problem(
                f"the ledger holds no capacity charges of {what}",
                path="--run" if run is not None else "--db",
                hint="record one with `stargate simulate --db URL` (the same --without), or "
                "name a run with --run (`stargate ledger entries --kind charge --db URL`)",
            )
        )
    chosen = max(runs, key=lambda r: runs[r][0])  # the latest recorded
    first, last = span[chosen]
    seed = runs[chosen][1].get("seed")
    return (
        Spend(first, last, usd[chosen]),
        f"ledger run {chosen}",
        seed if isinstance(seed, int) else None,
    )


def _usd(v: Decimal | None) -> str:
    return "unquantified" if v is None else f"{v:,.2f}"


class _Notes:
    """Long notes as numbered marks in a table, printed once below it."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def mark(self, texts: list[str]) -> str:
        marks = []
        for text in texts:
            if text not in self.texts:
                self.texts.append(text)
            marks.append(f"[{self.texts.index(text) + 1}]")
        return " ".join(marks)

    def print(self) -> None:
        for i, text in enumerate(self.texts, 1):
            out.print(f"  [{i}] {text}", markup=False, highlight=False)


def _print(report: MoneyReport) -> None:
    from rich.table import Table

    rs = report.revenue_shares
    off = f" without {', '.join(rs.without)}" if rs.without else ""
    notes = _Notes()
    t = Table(title=f"Revenue shares: {rs.scenario_id}{off} (USD)", title_justify="left")
    for col in ("year", "clause", "payer → payee", "stream", "transfer", "decided by", "notes"):
        t.add_column(col, justify="right" if col in ("year", "transfer") else "left", no_wrap=True)
    for r in rs.transfers:
        live = [g for g in r.segments if g.in_force]
        deciders = sorted({g.agreement_id or "as signed" for g in live}) if live else []
        texts = [g.note for g in r.segments if g.note]
        texts += [g.reason for g in r.segments if g.reason and not g.in_force]
        t.add_row(
            str(r.year),
            r.clause_id,
            f"{r.payer} → {r.payee}",
            r.revenue_stream,
            ("≤ " if r.upper_bound and r.transfer_usd else "") + _usd(r.transfer_usd),
            ", ".join(deciders) or "—",
            notes.mark(list(dict.fromkeys(texts))),
        )
    out.print(t)
    notes.print()
    n = Table(title="Net per year (USD)", title_justify="left")
    for col in ("year", "a", "b", "a → b", "b → a", "net", "paid by", "complete"):
        n.add_column(col, justify="right" if col in ("year", "a → b", "b → a", "net") else "left")
    for y in rs.net:
        n.add_row(
            str(y.year),
            y.party_a,
            y.party_b,
            _usd(y.a_to_b_usd),
            _usd(y.b_to_a_usd),
            {"exact": "", "upper": "≤ ", "lower": "≥ ", "unknown": "? "}[y.bound] + _usd(y.net_usd),
            y.net_payer or "—",
            "yes" if y.complete else f"no: {', '.join(y.unquantified)} unquantified",
        )
    out.print(n)
    cm = report.commitments
    notes = _Notes()
    c = Table(
        title=f"Commitments: spend {cm.run_first}..{cm.run_last} from {report.spend_source} (USD)",
        title_justify="left",
    )
    cols = ("commitment", "seller", "amount", "period", "drawn", "remaining", "shortfall")
    for col in (*cols, "status", "notes"):
        right = col in ("amount", "drawn", "remaining", "shortfall")
        c.add_column(col, justify="right" if right else "left", no_wrap=right or col == cols[0])
    for x in cm.commitments:
        c.add_row(
            x.clause_id,
            f"{x.seller} ({', '.join(x.providers) or 'no provider'})"
            if x.providers != [x.seller]
            else x.seller,
            _usd(x.amount_usd),
            f"{x.period_start} {x.period_end or 'open'}",
            _usd(x.drawn_usd),
            _usd(x.remaining_usd),
            "—" if x.shortfall_usd is None else _usd(x.shortfall_usd),
            x.status,
            notes.mark(x.notes),
        )
    out.print(c)
    notes.print()
    if not cm.commitments:
        err.print("the scenario has no committed_spend clauses", markup=False)

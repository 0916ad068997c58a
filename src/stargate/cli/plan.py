"""`stargate plan`: a thin layer over stargate.plan.plan."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stargate.cli.common import command, err, out, run_guarded
from stargate.cli.options import examples, one_of
from stargate.errors import InputError, Problem, for_option

if TYPE_CHECKING:
    from stargate.domain.model import Scenario
    from stargate.plan import PlanResult


#: The planner's parameters and the flags that set them: problems the planner reports on a
#: parameter are shown under its flag (:func:`stargate.errors.for_option`).
FLAGS = {
    "horizon": "--horizon",
    "period": "--period",
    "without": "--without",
    "gap": "--gap",
    "time_limit_s": "--time-limit",
    "scenario": "--scenario",
    "out_dir": "--out",
}


@command(
    "plan",
    epilog=examples(
        "stargate plan --horizon 2025..2030 --json",
        "stargate plan --without rofr",
        "stargate plan --horizon 2020..2030   # exit 2",
    ),
)
def plan_command(
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario", "-s", help="Scenario file or embedded name (default: stargate-2025)."
        ),
    ] = None,
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon",
            metavar="FIRST..LAST",
            help="Years to plan, e.g. 2025..2030 (default: the whole years of the scenario's "
            "horizon).",
            show_default=False,
        ),
    ] = None,
    period: Annotated[
        str, typer.Option("--period", metavar=one_of("year", "quarter"), help="year or quarter.")
    ] = "year",
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="CLAUSE",
            help="Switch a clause off (repeatable); the plan with every clause in force is "
            "solved too and the difference in cost shown.",
        ),
    ] = None,
    gap: Annotated[
        float, typer.Option("--gap", min=0.0, max=1.0, help="Relative MIP gap to stop at.")
    ] = 0.01,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            metavar="S",
            min=0.0,
            help="Stop the solver after S seconds with the best plan found.",
        ),
    ] = None,
    overrides: Annotated[
        str | None,
        typer.Option(
            "--overrides",
            metavar="FILE",
            help="YAML/JSON: supply_per_year {type: n}, budget_usd, exclude_sites [ids].",
        ),
    ] = None,
    out_dir: Annotated[
        str | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write the tables (CSV and Parquet), plan.json, report.html and solver.log here.",
        ),
    ] = None,
    solver_log: Annotated[
        str | None,
        typer.Option(
            "--solver-log",
            metavar="FILE",
            help="Write the solver's log (HiGHS and linopy) to FILE.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """The least-cost plan of builds, installs and rentals that meets the demand forecast."""

    def body() -> None:
        from stargate.files import check_output_dir
        from stargate.plan import parse_horizon, plan
        from stargate.plan.data import check_period
        from stargate.plan.overrides import read_overrides
        from stargate.scenario.loader import load_scenario

        # the flags are checked before anything is read, solved or written
        years = parse_horizon(horizon) if horizon is not None else None
        check_period(period)
        if out_dir is not None:
            check_output_dir(out_dir)
        if solver_log is not None:
            _check_log_file(solver_log)
        sc = load_scenario(scenario)
        kwargs: dict[str, Any] = {}
        if overrides is not None:
            ov = read_overrides(overrides, sc)
            sc, kwargs = ov.apply(sc), ov.plan_kwargs()
        common: dict[str, Any] = dict(
            horizon=years,
            period=period,
            without=without or [],
            gap=gap,
            time_limit_s=time_limit,
            baseline=True,
            **kwargs,
        )
        if sys.stderr.isatty():
            with err.status("building and solving the plan…"):
                result = plan(sc, **common)
        else:
            err.print("solving…", markup=False)
            result = plan(sc, **common)
        if out_dir is not None:
            _write(result, sc, out_dir)
        if solver_log is not None:
            _write_text(solver_log, result.full_solver_log())
        if as_json:
            sys.stdout.write(result.to_json())
        else:
            _print(result)
        if result.conflicts:
            err.print(
                "the plan is infeasible:\n  " + "\n  ".join(c.message for c in result.conflicts),
                markup=False,
            )

    def guarded() -> None:
        try:
            body()
        except InputError as exc:
            raise for_option(exc, FLAGS) from None

    run_guarded(guarded)


def _check_log_file(path: str) -> None:
    """``--solver-log FILE`` must be a file that can be written: its folder is created and
    probed now, before the plan is solved; an existing folder by that name is refused."""
    from stargate.files import check_output_dir

    p = Path(path)
    if p.is_dir():
        raise InputError(
            Problem(
                "--solver-log names a folder, not a file",
                file=path,
                expected="a file to write the solver's log to",
            )
        )
    check_output_dir(p.parent if str(p.parent) else ".", option="--solver-log")
    if p.exists() and not os.access(p, os.W_OK):
        raise InputError(
            Problem(
                "--solver-log: the file cannot be written", file=path, expected="a writable file"
            )
        )


def _write_text(path: str | Path, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            Problem(f"cannot write the file: {exc.strerror or exc}", file=str(path))
        ) from None


def _write(result: PlanResult, sc: Scenario, out_dir: str) -> None:
    """``--out``: what :meth:`PlanResult.write` writes, and the HTML report."""
    from stargate.report.plan_html import render_plan_report

    out_path = Path(out_dir)
    result.write(out_path)
    off = list(result.clauses_off)
    report = render_plan_report(
        result,
        sc,
        result.baseline,
        "every clause in force" if result.baseline is not None else "",
        horizon=result.horizon,
        period=result.period,
        without=off,
        label=f"without {', '.join(off)}" if off else "",
    )
    _write_text(out_path / "report.html", report)
    err.print(f"wrote tables, plan.json, report.html and solver.log to {out_path}", markup=False)


def _usd(v: float) -> str:
    return ("−$" if v < 0 else "$") + f"{abs(v):,.0f}"


def _status(r: PlanResult) -> str:
    if r.objective_usd is None:
        return f"status: {r.status}"
    return f"status: {r.status}; objective {_usd(r.objective_usd)} (discounted)"


def _status_word(status: str) -> str:
    """'planned' is the plan's decision; any other status is what exists."""
    return "decided by the plan" if status == "planned" else f"fixed: {status}"


def _procurement_line(p: dict[str, Any]) -> str:
    """One dated capacity request's row, as the broker decided it."""
    head = f"procurement {p['date']} {p['request']}"
    if not p["placed"]:
        return (
            f"{head}: {p['reference_accelerators']:,.0f} reference accelerators not placed "
            f"(rofr {p['rofr']}, {p['decided_by']}){': ' + p['reason'] if p['reason'] else ''}"
        )
    return (
        f"{head}: {p['accelerators']:,} {p['accelerator']} at {p['provider']}/{p['site']} "
        f"{p['term_start']}..{p['term_end']}, ${p['price_usd_per_accelerator_hour']}/h "
        f"(rofr {p['rofr']}, {p['decided_by']})"
    )


def _check_line(c: dict[str, Any]) -> str:
    """One public figure of compute spend beside the plan's cost for its years."""
    from stargate.domain.figures import format_usd

    tol = c["tolerance"]
    verdict = (
        "no tolerance"
        if c["within"] is None
        else f"{'within' if c['within'] else 'OUTSIDE'} ±{tol:.0%}"
    )
    ratio = "—" if c["ratio"] is None else f"{c['ratio']:.2f}×"
    return (
        f"public figure {c['id']} ({c['period']}): {format_usd(c['public_usd'])}; plan "
        f"{format_usd(c['plan_usd'])} ({format_usd(c['fixed_usd'])} fixed, "
        f"{format_usd(c['decided_usd'])} decided), {ratio}, {verdict}"
    )


def _beyond_record(r: PlanResult) -> list[str]:
    """Where what exists and the record leave demand unmet, and the plan's decisions carry
    it: one line per period (nothing when the record covers every period's demand)."""
    if r.objective_usd is None:
        return []
    by: dict[str, list[tuple[str, float, float]]] = {}
    unmet: dict[str, list[tuple[str, float, float]]] = {}
    for row in r.demand.iter_rows(named=True):
        demand = row["demand_reference_hours"] or 1.0
        if row["decided_reference_hours"] > 0:
            by.setdefault(str(row["period"]), []).append(
                (str(row["workload_class"]), row["decided_reference_hours"], row["decided_share"])
            )
        if row["unmet_reference_hours"] > 0:
            h = row["unmet_reference_hours"]
            unmet.setdefault(str(row["period"]), []).append(
                (str(row["workload_class"]), h, h / demand)
            )
    if not by and not unmet:
        return ["demand: what exists and the record carry the whole forecast; the plan adds "
                "nothing"]  # fmt: skip

    def said(items: list[tuple[str, float, float]]) -> str:
        return "; ".join(
            f"{c} {h:,.0f} reference-accelerator-hours ({sh:.0%})" for c, h, sh in items
        )

    return [
        f"demand beyond the record {per}: {said(items)}, carried by the plan's decisions"
        for per, items in by.items()
    ] + [f"demand unmet {per}: {said(items)}" for per, items in unmet.items()]


def _commitment_lines(r: PlanResult) -> list[str]:
    """Committed spend: each commitment's due, drawn, shortfall and shadow price."""
    from decimal import Decimal

    def usd(v: Decimal) -> str:
        return f"${v:,.2f}"

    lines: list[str] = []
    for c in r.commitments:
        price = "—" if c.shadow_price is None else f"{c.shadow_price:.2f}"
        part = "" if c.due_usd == c.amount_usd else f" (of {usd(c.amount_usd)}, pro-rated)"
        lines.append(
            f"Committed spend {c.clause} with {c.seller}: {usd(c.due_usd)} due by "
            f"{c.settle.isoformat()}{part}; drawn {usd(c.drawn_usd)}, shortfall "
            f"{usd(c.shortfall_usd)}; shadow price {price} per dollar committed"
        )
    return lines


def _print(r: PlanResult) -> None:
    """The plan for a person: a rendering of the result, no figures computed here."""
    from stargate.domain.figures import format_usd

    first, last = r.horizon or ("?", "?")
    off = r.clauses_off
    out.print(
        f"horizon {first}..{last}; clauses off: {', '.join(off) if off else 'none'}",
        markup=False,
    )
    out.print(_status(r), markup=False)
    out.print(
        f"{r.variables:,} variables, {r.constraints:,} constraints; build "
        f"{r.build_s:.2f} s, solve {r.solve_s:.2f} s",
        markup=False,
    )
    if r.baseline is not None:
        out.print(
            f"with every clause in force: {_status(r.baseline).removeprefix('status: ')}",
            markup=False,
        )
        diff = r.cost_difference_usd
        if diff is not None:
            word = "cheaper" if diff < 0 else "dearer" if diff > 0 else "the same cost"
            said = f"{_usd(abs(diff))} {word}" if diff else word
            out.print(
                f"difference: without {', '.join(off)} the plan is {said} "
                f"({'+' if diff > 0 else ''}{_usd(diff)})",
                markup=False,
            )
    for note in r.notes:
        out.print(f"note: {note}", markup=False)
    for p in r.procurement.iter_rows(named=True):
        out.print(_procurement_line(p), markup=False)
    for b in r.builds.iter_rows(named=True):
        out.print(
            f"build {b['site']}/{b['phase']} in {b['period']}: {b['power_mw']:,.0f} MW, "
            f"{_usd(b['capex_usd'])} ({_status_word(b['status'])})",
            markup=False,
        )
    for i in r.installs.iter_rows(named=True):
        out.print(
            f"install {i['count']:,.0f} {i['accelerator']} at {i['site']} in {i['period']}: "
            f"{_usd(i['capex_usd'])} ({_status_word(i['status'])})",
            markup=False,
        )
    held: dict[str, list[str]] = {}
    for h in r.capacity_held.iter_rows(named=True):
        held.setdefault(str(h["period"]), []).append(
            f"{h['provider']}/{h['site']} {h['accelerators']:,.0f} {h['accelerator']} "
            f"({h['source']}, {_usd(h['idle_usd'])} idle)"
        )
    for per, items in held.items():
        out.print(f"held {per}: {'; '.join(items)}", markup=False)
    for row in r.annual_compute_cost.iter_rows(named=True):
        beside = r.public_figures.get(str(row["year"]))
        note = f" (public figure: {format_usd(beside)})" if beside is not None else ""
        out.print(
            f"compute cost {row['year']}: {_usd(row['compute_cost_usd'])}{note}: "
            f"{format_usd(row['fixed_compute_cost_usd'])} fixed (what exists and the record), "
            f"{format_usd(row['decided_compute_cost_usd'])} decided by the plan",
            markup=False,
        )
    for c in r.public_figure_checks:
        out.print(_check_line(c), markup=False)
    for line in _beyond_record(r):
        out.print(line, markup=False)
    for line in _commitment_lines(r):
        out.print(line, markup=False)
    # shares in reference-accelerator-hours: of the capacity held, installed or rented (the
    # record's, whether used or not), then of the work done
    for col, what in (("capacity_share", "capacity"), ("share", "work done")):
        shares: dict[str, list[str]] = {}
        for row in r.share_by_provider.iter_rows(named=True):
            if row[col] >= 0.005:  # what rounds to 1% or more
                shares.setdefault(str(row["period"]), []).append(
                    f"{row['provider']} {row[col]:.0%}"
                )
        for per, items in shares.items():
            out.print(f"share {per} ({what}): {', '.join(items)}", markup=False)

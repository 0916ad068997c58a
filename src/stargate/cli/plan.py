"""`stargate plan`: a thin layer over stargate.plan.plan."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stargate.cli.common import command, err, out, print_json, run_guarded
from stargate.cli.options import examples, one_of
from stargate.errors import InputError, Problem

if TYPE_CHECKING:
    from stargate.domain.model import Scenario
    from stargate.plan import PlanResult


def parse_years(text: str) -> tuple[int, int]:
    """``2025..2030`` → (2025, 2030); years outside what Stargate represents exit 2."""
    from stargate.plan.data import check_horizon

    a, sep, b = text.strip().partition("..")
    try:
        if not sep:
            raise ValueError
        start, end = int(a), int(b)
    except ValueError:
        raise InputError(
            Problem(
                f"not a horizon: '{text}'",
                path="--horizon",
                expected="FIRST_YEAR..LAST_YEAR, e.g. 2025..2030",
            )
        ) from None
    return check_horizon((start, end), "--horizon")


#: The result's tables: in ``--json`` and written by ``--out`` (CSV and Parquet).
TABLES = (
    "builds",
    "installs",
    "rentals",
    "cost_by_period",
    "share_by_provider",
    "annual_compute_cost",
    "shadow_prices",
)


def result_json(r: PlanResult) -> dict[str, Any]:
    """The ``--json`` object of one plan (field names are a public contract)."""
    return {
        "status": str(r.status),
        "objective_usd": r.objective_usd,
        "mip_gap": r.mip_gap,
        **{name: getattr(r, name).to_dicts() for name in TABLES},
        "conflicts": [c.message for c in r.conflicts],
        "notes": list(r.notes),
        "horizon": list(r.horizon) if r.horizon is not None else None,
        "clauses_off": list(r.clauses_off),
        "solve_s": round(r.solve_s, 3),
        "build_s": round(r.build_s, 3),
        "variables": r.variables,
        "constraints": r.constraints,
    }


def plan_json(r: PlanResult, baseline: PlanResult | None, sc: Scenario) -> dict[str, Any]:
    """What ``--json`` prints and ``--out`` writes to plan.json: the plan, the scenario's
    public figures, and, when clauses are off, the plan with every clause in force
    (``baseline``) and what switching them off changes (``cost_difference_usd``)."""
    data = result_json(r)
    data["public_figures"] = public_compute_costs(sc)
    data["baseline"] = result_json(baseline) if baseline is not None else None
    diff = None
    if baseline is not None and r.objective_usd is not None and baseline.objective_usd is not None:
        diff = round(r.objective_usd - baseline.objective_usd, 2) + 0.0
    data["cost_difference_usd"] = diff
    return data


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
        from stargate.plan import plan
        from stargate.plan.data import default_horizon
        from stargate.plan.overrides import read_overrides
        from stargate.scenario.loader import load_scenario

        years = parse_years(horizon) if horizon is not None else None
        if period not in ("year", "quarter"):
            raise InputError(
                Problem(f"unknown period '{period}'", path="--period", expected="year or quarter")
            )
        # every place written to is checked before the work starts
        if out_dir is not None:
            check_output_dir(out_dir)
        if solver_log is not None:
            _check_log_file(solver_log)
        sc = load_scenario(scenario)
        kwargs: dict[str, Any] = {}
        if overrides is not None:
            ov = read_overrides(overrides, sc)
            sc, kwargs = ov.apply(sc), ov.plan_kwargs()
        if years is None:
            years = default_horizon(sc)
        common: dict[str, Any] = dict(
            horizon=years, period=period, gap=gap, time_limit_s=time_limit, **kwargs
        )
        if sys.stderr.isatty():
            with err.status("building and solving the plan…"):
                result = plan(sc, without=without or [], **common)
                baseline = plan(sc, **common) if result.clauses_off else None
        else:
            err.print("solving…", markup=False)
            result = plan(sc, without=without or [], **common)
            baseline = plan(sc, **common) if result.clauses_off else None
        data = plan_json(result, baseline, sc)
        log = _solver_log(result, baseline)
        if out_dir is not None:
            _write(result, sc, out_dir, baseline, data, log, period)
        if solver_log is not None:
            _write_text(solver_log, log)
        if as_json:
            print_json(data)
        else:
            _print(data)
        if result.conflicts:
            err.print(
                "the plan is infeasible:\n  " + "\n  ".join(c.message for c in result.conflicts),
                markup=False,
            )

    run_guarded(body)


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


def _solver_log(result: PlanResult, baseline: PlanResult | None) -> str:
    if baseline is None:
        return result.solver_log
    off = ", ".join(result.clauses_off)
    return (
        f"== the plan without {off} ==\n{result.solver_log}"
        f"== the baseline: every clause in force ==\n{baseline.solver_log}"
    )


def _write(
    result: PlanResult,
    sc: Scenario,
    out_dir: str,
    baseline: PlanResult | None,
    data: dict[str, Any],
    log: str,
    period: str,
) -> None:
    import json

    from stargate.report.plan_html import render_plan_report

    out_path = Path(out_dir)
    for name in TABLES:
        df = getattr(result, name)
        df.write_csv(out_path / f"{name}.csv")
        df.write_parquet(out_path / f"{name}.parquet")
    (out_path / "plan.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (out_path / "solver.log").write_text(log, encoding="utf-8")
    off = list(result.clauses_off)
    report = render_plan_report(
        result,
        sc,
        baseline,
        "every clause in force" if baseline is not None else "",
        horizon=result.horizon,
        period=period,
        without=off,
        label=f"without {', '.join(off)}" if off else "",
    )
    (out_path / "report.html").write_text(report, encoding="utf-8")
    err.print(f"wrote tables, plan.json, report.html and solver.log to {out_path}", markup=False)


def public_compute_costs(sc: Scenario) -> dict[str, float]:
    """Public annual compute-cost figures of the scenario, in USD by year (the first figure of
    a year when there are several), to show beside the plan's; see
    :mod:`stargate.plan.figures` for which figures count."""
    from stargate.plan.figures import public_compute_costs as figures

    out: dict[str, float] = {}
    for f in figures(sc):
        out.setdefault(str(f.year), f.usd)
    return out


def _usd(v: float) -> str:
    return ("−$" if v < 0 else "$") + f"{abs(v):,.0f}"


def _status(d: dict[str, Any]) -> str:
    obj = d["objective_usd"]
    if obj is None:
        return f"status: {d['status']}"
    return f"status: {d['status']}; objective {_usd(obj)} (discounted)"


def _print(d: dict[str, Any]) -> None:
    from stargate.plan.figures import format_usd

    first, last = d["horizon"] or ("?", "?")
    off = d["clauses_off"]
    out.print(
        f"horizon {first}..{last}; clauses off: {', '.join(off) if off else 'none'}",
        markup=False,
    )
    out.print(_status(d), markup=False)
    out.print(
        f"{d['variables']:,} variables, {d['constraints']:,} constraints; build "
        f"{d['build_s']:.2f} s, solve {d['solve_s']:.2f} s",
        markup=False,
    )
    base = d.get("baseline")
    if base is not None:
        out.print(
            f"with every clause in force: {_status(base).removeprefix('status: ')}",
            markup=False,
        )
        diff = d.get("cost_difference_usd")
        if diff is not None:
            word = "cheaper" if diff < 0 else "dearer" if diff > 0 else "the same cost"
            said = f"{_usd(abs(diff))} {word}" if diff else word
            out.print(
                f"difference: without {', '.join(off)} the plan is {said} "
                f"({'+' if diff > 0 else ''}{_usd(diff)})",
                markup=False,
            )
    for note in d.get("notes", []):
        out.print(f"note: {note}", markup=False)
    for b in d["builds"]:
        out.print(
            f"build {b['site']}/{b['phase']} in {b['period']}: {b['power_mw']:,.0f} MW, "
            f"{_usd(b['capex_usd'])}",
            markup=False,
        )
    public = d.get("public_figures", {})
    for row in d["annual_compute_cost"]:
        beside = public.get(str(row["year"]))
        note = f" (public figure: {format_usd(beside)})" if beside is not None else ""
        out.print(
            f"compute cost {row['year']}: {_usd(row['compute_cost_usd'])}{note}", markup=False
        )
    shares: dict[str, list[str]] = {}
    for row in d["share_by_provider"]:
        if row["share"] >= 0.005:  # what rounds to 1% or more
            shares.setdefault(str(row["period"]), []).append(
                f"{row['provider']} {row['share']:.0%}"
            )
    for per, items in shares.items():
        out.print(f"share {per}: {', '.join(items)}", markup=False)

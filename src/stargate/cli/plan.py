"""`stargate plan`: a thin layer over stargate.plan.plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from stargate.cli.main import app, err, out, print_json, run_guarded
from stargate.cli.options import examples, one_of
from stargate.errors import InputError, Problem

if TYPE_CHECKING:
    from stargate.domain.model import Scenario
    from stargate.plan import PlanResult


def parse_years(text: str) -> tuple[int, int]:
    """``2025..2030`` → (2025, 2030)."""
    a, sep, b = text.partition("..")
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
    if end < start:
        raise InputError(Problem(f"horizon ends before it starts: '{text}'", path="--horizon"))
    return start, end


def load_overrides(path: str, scenario: Scenario) -> tuple[Scenario, dict[str, Any]]:
    """An overrides file (YAML or JSON): ``supply_per_year: {type: count}``, ``budget_usd``,
    ``exclude_sites: [site ids]``. Returns the scenario without the excluded sites and the
    keyword arguments for :func:`stargate.plan.plan`."""
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from stargate.errors import did_you_mean
    from stargate.scenario.yamlsrc import format_path, read_text, read_yaml

    class Overrides(BaseModel):
        model_config = ConfigDict(extra="forbid")
        supply_per_year: dict[str, float] = Field(default_factory=dict)
        budget_usd: float | None = Field(default=None, gt=0)
        exclude_sites: list[str] = Field(default_factory=list)

    p = Path(path)
    if not p.is_file():
        raise InputError(Problem("overrides file not found", file=path))
    text, problems = read_text(path, p.read_bytes())
    if text is None:
        raise InputError(problems)
    data, smap, problems = read_yaml(text, path)
    if problems:
        raise InputError(problems)
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                "an overrides file must be a mapping",
                file=path,
                expected="supply_per_year, budget_usd, exclude_sites",
            )
        )

    def where(loc: tuple[str | int, ...]) -> dict[str, Any]:
        hit = smap.locate(loc)
        return {"file": path, "line": hit.line if hit else None, "path": format_path(loc)}

    try:
        ov = Overrides.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    e["msg"].removeprefix("Value error, "),
                    found=repr(e.get("input")) if not isinstance(e.get("input"), dict) else None,
                    **where(tuple(e["loc"])),
                )
                for e in exc.errors(include_url=False)
            ]
        ) from None
    found: list[Problem] = []
    types = {a.id for a in scenario.accelerators}
    for t, n in ov.supply_per_year.items():
        if t not in types:
            found.append(
                Problem(
                    f"unknown accelerator '{t}'",
                    hint=did_you_mean(t, types),
                    **where(("supply_per_year", t)),
                )
            )
        elif n < 0:
            found.append(
                Problem(
                    "supply must not be negative",
                    expected="accelerators per year ≥ 0",
                    found=str(n),
                    **where(("supply_per_year", t)),
                )
            )
    sites = {s.id for s in scenario.sites}
    for i, sid in enumerate(ov.exclude_sites):
        if sid not in sites:
            found.append(
                Problem(
                    f"unknown site '{sid}'",
                    hint=did_you_mean(sid, sites),
                    **where(("exclude_sites", i)),
                )
            )
    if found:
        raise InputError(found)
    if ov.exclude_sites:
        scenario = scenario.model_copy(
            update={"sites": [s for s in scenario.sites if s.id not in set(ov.exclude_sites)]}
        )
    kwargs: dict[str, Any] = {}
    if ov.supply_per_year:
        kwargs["supply_per_year"] = ov.supply_per_year
    if ov.budget_usd is not None:
        kwargs["budget_usd"] = ov.budget_usd
    return scenario, kwargs


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
    """The ``--json`` object (field names are a public contract)."""
    return {
        "status": str(r.status),
        "objective_usd": None if r.objective_usd is None else round(r.objective_usd, 2),
        "mip_gap": r.mip_gap,
        **{name: getattr(r, name).to_dicts() for name in TABLES},
        "conflicts": [c.message for c in r.conflicts],
        "solve_s": round(r.solve_s, 3),
        "build_s": round(r.build_s, 3),
        "variables": r.variables,
        "constraints": r.constraints,
    }


@app.command(
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
        str,
        typer.Option("--horizon", metavar="FIRST..LAST", help="Years to plan, e.g. 2025..2030."),
    ] = "2025..2030",
    period: Annotated[
        str, typer.Option("--period", metavar=one_of("year", "quarter"), help="year or quarter.")
    ] = "year",
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="CLAUSE",
            help="Switch a clause off (repeatable); with --out the report compares with the plan "
            "that keeps it.",
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
            help="Write the tables (CSV and Parquet), plan.json and report.html here.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """The least-cost plan of builds, installs and rentals that meets the demand forecast."""

    def body() -> None:
        from stargate.plan import plan
        from stargate.scenario.loader import load_scenario

        years = parse_years(horizon)
        if period not in ("year", "quarter"):
            raise InputError(
                Problem(f"unknown period '{period}'", path="--period", expected="year or quarter")
            )
        sc = load_scenario(scenario)
        kwargs: dict[str, Any] = {}
        if overrides is not None:
            sc, kwargs = load_overrides(overrides, sc)
        common: dict[str, Any] = dict(
            horizon=years, period=period, gap=gap, time_limit_s=time_limit, **kwargs
        )
        if sys.stderr.isatty():
            with err.status("building and solving the plan…"):
                result = plan(sc, without=without or [], **common)
        else:
            err.print("solving…", markup=False)
            result = plan(sc, without=without or [], **common)
        baseline = plan(sc, **common) if without and out_dir else None
        if out_dir is not None:
            _write(result, sc, out_dir, baseline, years, period, list(without or []))
        data = result_json(result)
        data["public_figures"] = public_compute_costs(sc)
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


def _write(
    result: PlanResult,
    sc: Scenario,
    out_dir: str,
    baseline: PlanResult | None,
    years: tuple[int, int],
    period: str,
    without: list[str],
) -> None:
    import json

    from stargate.report.plan_html import render_plan_report

    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        df = getattr(result, name)
        df.write_csv(out_path / f"{name}.csv")
        df.write_parquet(out_path / f"{name}.parquet")
    (out_path / "plan.json").write_text(
        json.dumps(result_json(result), indent=2, default=str) + "\n"
    )
    report = render_plan_report(
        result,
        sc,
        baseline,
        "every clause in force" if baseline is not None else "",
        horizon=years,
        period=period,
        without=without,
        label=f"without {', '.join(without)}" if without else "",
    )
    (out_path / "report.html").write_text(report, encoding="utf-8")
    err.print(f"wrote tables, plan.json and report.html to {out_path}", markup=False)


def public_compute_costs(sc: Scenario) -> dict[str, float]:
    """Public annual compute-cost figures of the scenario (ids ``*compute-cost-YYYY``), in USD
    by year, to show beside the plan's."""
    import re
    from decimal import Decimal

    out: dict[str, float] = {}
    for f in sc.figures:
        m = re.search(r"compute-cost-(\d{4})$", f.id)
        if m and isinstance(f.value, Decimal):
            scale = 1e9 if "bn" in f.unit.lower() else 1e6 if "m" in f.unit.lower() else 1.0
            out[m.group(1)] = float(f.value) * scale
    return out


def _print(d: dict[str, Any]) -> None:
    obj = d["objective_usd"]
    out.print(
        f"status: {d['status']}; objective ${obj:,.0f} (discounted)"
        if obj is not None
        else f"status: {d['status']}",
        markup=False,
    )
    out.print(
        f"{d['variables']:,} variables, {d['constraints']:,} constraints; build "
        f"{d['build_s']:.2f} s, solve {d['solve_s']:.2f} s",
        markup=False,
    )
    for b in d["builds"]:
        out.print(
            f"build {b['site']}/{b['phase']} in {b['period']}: {b['power_mw']:,.0f} MW, "
            f"${b['capex_usd']:,.0f}",
            markup=False,
        )
    public = d.get("public_figures", {})
    for row in d["annual_compute_cost"]:
        beside = public.get(str(row["year"]))
        note = f" (public figure: ${beside:,.0f})" if beside is not None else ""
        out.print(
            f"compute cost {row['year']}: ${row['compute_cost_usd']:,.0f}{note}", markup=False
        )
    shares: dict[str, list[str]] = {}
    for row in d["share_by_provider"]:
        if row["share"] >= 0.0005:
            shares.setdefault(str(row["period"]), []).append(
                f"{row['provider']} {row['share']:.0%}"
            )
    for per, items in shares.items():
        out.print(f"share {per}: {', '.join(items)}", markup=False)

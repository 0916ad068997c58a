"""The `stargate` command: a thin layer over the Python API.

Every command calls the same functions a Python user would, and only parses arguments and
renders results. Exit codes: 0 success, 2 invalid input (with a message naming the file, line
and field), 1 internal error (a bug: please report it; set STARGATE_DEBUG=1 for a traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer

from stargate.cli import (
    broker,
    facts,
    governance,
    ledger,
    ledger_export,
    money,
    plan,
    service,
    sim,
    trace,
)
from stargate.cli.common import add_command, err, out, print_json, run_guarded
from stargate.cli.options import ScenarioArg, StargateTyper, examples, one_of, parse_day
from stargate.errors import EXIT_INPUT, InputError, for_option
from stargate.registry import Registry

app = StargateTyper(
    name="stargate",
    help="Stargate: a control plane for multi-provider AI compute.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
scenario_app = StargateTyper(help="Inspect scenarios.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def parse_date(value: str | None, option: str) -> date | None:
    """An ISO date option; see :func:`stargate.cli.options.parse_day`."""
    return parse_day(value, option)


@app.command(
    epilog=examples(
        "stargate validate",
        "stargate validate examples/two-provider.yaml",
        "stargate validate docs/examples/broken.yaml --json   # exit 2",
    )
)
def validate(
    scenario: ScenarioArg = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result (problems, warnings) as JSON.")
    ] = False,
) -> None:
    """Validate a scenario completely; print every problem at once (exit 2 if any)."""
    from stargate.scenario.loader import check_scenario

    def body() -> None:
        result = check_scenario(scenario)
        if as_json:
            print_json(
                {
                    "scenario": result.label,
                    "valid": result.ok,
                    "problems": [p.to_dict() for p in result.problems],
                    "warnings": [p.to_dict() for p in result.warnings],
                }
            )
        else:
            if result.ok:  # warnings of a valid scenario come first; a refused one's last
                for w in result.warnings:
                    err.print(f"warning: {w.render()}", markup=False)
            if result.ok and result.scenario is not None:
                s = result.scenario
                n_pools = sum(len(site.pools) for site in s.sites)
                n_clauses = sum(len(c.clauses) for c in s.contracts)
                out.print(
                    f"{result.label}: valid — scenario '{s.id}': {len(s.parties)} parties, "
                    f"{len(s.providers)} providers, {len(s.sites)} sites, {n_pools} pools, "
                    f"{len(s.contracts)} contracts, {n_clauses} clauses, "
                    f"{len(s.reservations)} reservations, "
                    f"{len(s.capacity_requests)} capacity requests",
                    markup=False,
                )
            else:
                n = len(result.problems)
                err.print(f"{result.label}: {n} problem{'s' if n != 1 else ''} found", markup=False)
                for p in result.problems:
                    err.print(f"  {p.render()}", markup=False)
                for w in result.warnings:  # e.g. the steps to migrate a version-1 file
                    err.print(f"warning: {w.render()}", markup=False)
        if not result.ok:
            raise typer.Exit(EXIT_INPUT)

    run_guarded(body)


def _decision_schema() -> dict[str, Any]:
    from stargate.broker.decision import Decision
    from stargate.scenario.schema import output_json_schema

    return output_json_schema(Decision, "decision", "Stargate broker decision")


def _scenario_schema() -> dict[str, Any]:
    from stargate.scenario.schema import scenario_json_schema

    return scenario_json_schema()


def _summary_schema() -> dict[str, Any]:
    from stargate.scenario.schema import output_json_schema
    from stargate.sim.result import SimSummary

    return output_json_schema(SimSummary, "summary", "Stargate simulation summary")


def _plan_schema() -> dict[str, Any]:
    from stargate.plan.document import PlanDocument
    from stargate.scenario.schema import output_json_schema

    return output_json_schema(PlanDocument, "plan", "Stargate plan")


#: ``stargate schema --output NAME``: each JSON document Stargate reads or writes, by name.
SCHEMAS: Registry[Callable[[], dict[str, Any]]] = Registry("schema", parameter="output")
SCHEMAS.add("scenario", _scenario_schema)
SCHEMAS.add("summary", _summary_schema)
SCHEMAS.add("plan", _plan_schema)
SCHEMAS.add("decision", _decision_schema)


@app.command(
    epilog=examples(
        "stargate schema > scenario.schema.json",
        "stargate schema --output decision > decision.schema.json",
        "stargate schema --output nosuch   # exit 2",
    )
)
def schema(
    output: Annotated[
        str,
        typer.Option(
            "--output",
            metavar=one_of(*SCHEMAS.names()),
            help="Whose schema: the scenario format (the input) or an output "
            "(summary.json, plan.json, a decision of place --json).",
        ),
    ] = "scenario",
) -> None:
    """Print the JSON Schema (draft 2020-12) of the scenario format or of an output."""

    def body() -> None:
        try:
            make = SCHEMAS.get(output.strip())
            document = make()
        except InputError as exc:
            raise for_option(exc, {"output": "--output"}) from None
        print_json(document)

    run_guarded(body)


@scenario_app.command(
    "show",
    epilog=examples(
        "stargate scenario show",
        "stargate scenario show examples/two-provider.yaml --at 2027-02-01",
        "stargate scenario show examples/rofr-removed.yaml --at 2026-06-01 --json",
        "stargate scenario show --at 9999-12-31   # exit 2",
    ),
)
def scenario_show(
    scenario: ScenarioArg = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", metavar="DATE", help="The day to show (default: the scenario's as_of date)."
        ),
    ] = None,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="CLAUSE",
            help="Void an agreement or an amendment (the terms before it hold), or show a "
            "clause, a contract or a kind (rofr, exclusivity) as switched off. Repeatable.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Parties, providers, sites, capacity and the clauses in force on a day."""
    from stargate.report.scenario import render_snapshot
    from stargate.scenario.loader import load_scenario
    from stargate.scenario.snapshot import snapshot

    def body() -> None:
        day = parse_date(at, "--at")
        snap = snapshot(load_scenario(scenario), day, without=without or [])
        if as_json:
            print_json(snap.model_dump(mode="json"))
        else:
            render_snapshot(snap, out)

    run_guarded(body)


@scenario_app.command(
    "list", epilog=examples("stargate scenario list", "stargate scenario list --json")
)
def scenario_list(as_json: JsonOpt = False) -> None:
    """The scenarios embedded in the package."""
    from stargate.scenario.loader import embedded_scenarios

    def body() -> None:
        names = embedded_scenarios()
        if as_json:
            print_json(names)
        else:
            for n in names:
                out.print(n, markup=False)

    run_guarded(body)


def version() -> str:
    """The installed package's version (the one every result's provenance records)."""
    from stargate.domain.provenance import stargate_version

    return stargate_version()


def _print_version(value: bool) -> None:
    if value:
        out.print(f"stargate {version()}", markup=False)
        raise typer.Exit()


@app.callback(
    epilog=examples(
        "stargate validate examples/two-provider.yaml",
        "stargate scenario show --at 2026-01-01",
        "stargate place examples/requests/stargate-mix.yaml --at 2026-01-01",
        "stargate place -h",
    )
)
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Stargate: a control plane for multi-provider AI compute."""


# The commands of the engines, added explicitly (in the order `stargate --help` lists them).
add_command(app, broker.place)
add_command(app, plan.plan_command)
add_command(app, sim.simulate)
add_command(app, facts.facts_command)
app.add_typer(broker.bench_app, name="bench")
app.add_typer(trace.trace_app, name="trace")
app.add_typer(money.money_app, name="money")
add_command(ledger.ledger_app, ledger_export.export)
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(governance.access_app, name="access")
app.add_typer(governance.agi_app, name="agi")
add_command(app, service.serve)
app.add_typer(service.party_app, name="party")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)

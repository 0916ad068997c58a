"""`stargate facts`: a thin layer over stargate.facts.run_facts (docs/facts.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from stargate.cli.common import command, out, print_json, run_guarded
from stargate.cli.options import ScenarioArg, examples
from stargate.errors import InputError, Problem, for_option

if TYPE_CHECKING:
    from stargate.facts import Facts

FLAGS = {"without": "--without", "scenario": "SCENARIO"}


@command(
    "facts",
    epilog=examples(
        "stargate facts",
        "stargate facts --check   # exit 3 when a figure is outside its tolerance",
        "stargate facts --without azure-rofr --json",
        "stargate facts --markdown   # the tables of docs/default-scenario.md",
    ),
)
def facts_command(
    scenario: ScenarioArg = None,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="ID",
            help="Switch an agreement, amendment or clause off (repeatable) before the check.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the check as JSON.")] = False,
    as_markdown: Annotated[
        bool,
        typer.Option(
            "--markdown",
            help="Print the check as Markdown tables (checked, then fitted figures), as "
            "docs/default-scenario.md shows it.",
        ),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Exit 3 when a figure (other than a low-confidence one) is outside its tolerance.",
        ),
    ] = False,
) -> None:
    """The scenario's checkable figures beside the model's values: ratio, within or outside."""

    def body() -> None:
        from stargate.facts import EXIT_OUTSIDE, run_facts
        from stargate.scenario.loader import load_scenario

        if as_json and as_markdown:
            raise InputError(Problem("give --json or --markdown, not both", path="--markdown"))
        sc = load_scenario(scenario)
        try:
            result = run_facts(sc, without or [])
        except InputError as exc:
            raise for_option(exc, FLAGS) from None
        if as_json:
            print_json(result.to_dict())
        elif as_markdown:
            from stargate.facts.render import render_markdown

            typer.echo(render_markdown(result), nl=False)
        else:
            _print(result)
        if check and result.n_outside:
            raise typer.Exit(EXIT_OUTSIDE)

    run_guarded(body)


def _print(result: Facts) -> None:
    from rich.table import Table

    from stargate.facts.render import format_model, format_public, format_ratio, verdict

    off = ", ".join(result.without)
    title = f"Facts: {result.scenario_id}" + (f" without {off}" if off else "")
    for use in ("fitted", "checked"):
        rows = [f for f in result.facts if f.figure.use == use]
        if not rows:
            continue
        what = "inputs calibrated to it" if use == "fitted" else "not used in calibration"
        table = Table(title=f"{title}: {use} ({what})", title_justify="left")
        cols = ["figure", "metric", "subject", "period", "public", "model", "ratio", ""]
        if result.baseline is not None:
            cols.insert(6, "with all terms")
        numeric = ("public", "model", "ratio", "with all terms")
        for col in cols:
            table.add_column(col, justify="right" if col in numeric else "left")
        for f in rows:
            cells = [
                f.figure.id,
                f.figure.metric or "",
                f.figure.subject or "",
                f.figure.period or "",
                format_public(f),
                format_model(f),
                format_ratio(f),
                verdict(f) + (f": {f.reason}" if f.reason else ""),
            ]
            if result.baseline is not None:
                base = result.baseline_of(f.figure.id)
                cells.insert(6, "—" if base is None else format_model(base))
            table.add_row(*cells)
        out.print(table)
    if not result.facts:
        out.print(f"{title}: the scenario has no checkable figures (none with a 'metric').")
    out.print(
        f"{result.n_within} within, {result.n_outside} outside, "
        f"{result.n_soft} low-confidence (reported, never failing --check)"
    )

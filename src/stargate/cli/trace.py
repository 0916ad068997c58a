"""`stargate trace list` and `stargate trace fetch`: thin layers over stargate.sim.traces and
stargate.sim.fetch."""

from __future__ import annotations

from typing import Annotated

import typer

from stargate.cli.common import err, out, print_json, run_guarded
from stargate.cli.options import StargateTyper, examples
from stargate.errors import InputError, for_option

trace_app = StargateTyper(
    help="Public traces: list them and where their local copies are; download them.",
    no_args_is_help=True,
)

#: Engine parameters → the options of these commands that set them.
_OPTIONS = {"data_dir": "--data-dir"}


@trace_app.command(
    "list",
    epilog=examples(
        "stargate trace list",
        "stargate trace list --json",
        "stargate trace list --data-dir tests/data/traces",
    ),
)
def trace_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            metavar="DIR",
            help="A data folder searched first (one NAME folder per trace); then "
            "$STARGATE_DATA_DIR, then ~/.local/share/stargate/traces.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The traces Stargate can load: what each is, what it loads as, and its local copy."""

    def body() -> None:
        from stargate.sim.traces import list_traces

        try:
            rows = list_traces(data_dir)
        except InputError as exc:
            raise for_option(exc, _OPTIONS) from None
        if as_json:
            print_json(
                [
                    {
                        "name": r.name,
                        "summary": r.summary,
                        "uses": list(r.uses),
                        "files": r.files,
                        "local": str(r.local) if r.local else None,
                        "licence": r.licence,
                        "citation": r.citation,
                    }
                    for r in rows
                ]
            )
            return
        for r in rows:
            where = str(r.local) if r.local else "none (stargate trace fetch " + r.name + ")"
            out.print(f"{r.name}  [{', '.join(r.uses)}]", markup=False)
            out.print(f"  {r.summary}", markup=False)
            out.print(f"  local copy: {where}", markup=False)
            out.print(f"  {r.licence}; cite: {r.citation}", markup=False)

    run_guarded(body)


@trace_app.command(
    "fetch",
    epilog=examples(
        "stargate trace fetch philly-2017",
        "stargate trace fetch azure-llm-2023 --data-dir ./traces",
        "stargate trace fetch no-such-trace   # exit 2",
    ),
)
def trace_fetch(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="A trace name (see `stargate trace list`).")
    ],
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            "--dest",
            metavar="DIR",
            help="Data folder to download into (a NAME folder is made in it; default: "
            "$STARGATE_DATA_DIR, else ~/.local/share/stargate/traces). --dest is its older name.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Download a trace's public files from their repositories, verified by SHA-256."""

    def body() -> None:
        from stargate.sim.fetch import fetch_trace

        paths = fetch_trace(name, data_dir, progress=lambda line: err.print(line, markup=False))
        for p in paths:
            out.print(str(p), markup=False)

    run_guarded(body)

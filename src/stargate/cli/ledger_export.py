"""`stargate ledger export`: the ledger's charges as a FOCUS 1.2 dataset (docs/ledger.md
"FOCUS export"). :mod:`stargate.cli.main` adds it to the ``ledger`` group of
:mod:`stargate.cli.ledger` (``add_command(ledger.ledger_app, ledger_export.export)``): like
every command module's, importing this one registers nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stargate.cli.common import command, err, print_json, run_guarded
from stargate.cli.ledger import DbOpt, JsonOpt
from stargate.cli.options import examples, one_of
from stargate.errors import InputError, Problem

FORMATS = ("focus",)


@command(
    "export",
    epilog=examples(
        "stargate ledger export --format focus costs.csv --db sqlite:///ledger.sqlite3 "
        "--run sim-0123456789abcdef",
        "stargate ledger export --format focus costs.parquet --run sim-0123456789abcdef",
        "stargate ledger export --format focus /nonexistent/costs.csv --db sqlite://   # exit 2",
    ),
)
def export(
    out_path: Annotated[
        Path,
        typer.Argument(
            metavar="OUT",
            help="The file to write: OUT.csv or OUT.parquet (replaced whole, or not at all).",
        ),
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            metavar=one_of(*FORMATS),
            help="focus: a FOCUS 1.2 cost and usage dataset (the only format).",
        ),
    ] = "focus",
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            metavar="RUN",
            help="The run id to export (a simulated run: `stargate simulate --db` prints it). "
            "Default: the live record, the entries without a run id.",
        ),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the ledger's charges of one run as FOCUS 1.2 (CSV or Parquet); BilledCost and
    EffectiveCost add up to the ledger's billed and amortised totals."""
    from stargate.ledger import open_ledger
    from stargate.ledger.focus import export_focus, format_of

    def body() -> None:
        if fmt not in FORMATS:
            raise InputError(
                Problem(f"unknown format '{fmt}'", path="--format", expected=" | ".join(FORMATS))
            )
        format_of(out_path)
        if not out_path.parent.is_dir():
            raise InputError(
                Problem(f"no folder {out_path.parent} to write {out_path.name} in", path="OUT")
            )
        with open_ledger(db) as led:
            done = export_focus(led, out_path, run)
        if as_json:
            print_json(done.to_dict())
            return
        err.print(
            f"wrote {done.path}: {done.rows:,} FOCUS {done.to_dict()['focus_version']} rows of "
            f"{done.ledger.charges:,} charges; BilledCost {done.billed_usd} USD, "
            f"EffectiveCost {done.effective_usd} USD (the ledger's totals)",
            markup=False,
        )

    run_guarded(body)

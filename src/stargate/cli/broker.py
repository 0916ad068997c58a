"""`stargate place` and `stargate bench broker`: thin layers over stargate.broker."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated

import typer

from stargate.cli.common import command, err, out, print_json, run_guarded
from stargate.cli.options import StargateTyper, examples, one_of, parse_moment
from stargate.errors import InputError, Problem, for_option

if TYPE_CHECKING:
    pass

#: The engine's parameters and the flags that set them (errors name the flag).
PLACE_OPTIONS = {"objective": "--objective", "responder": "--responder", "detail": "--detail"}

#: ``--detail auto`` lists every candidate for files of at most this many requests.
AUTO_FULL_MAX = 100

bench_app = StargateTyper(
    help="Measure the engines' speed (see docs/benchmarks.md).", no_args_is_help=True
)


def write_json_lines(items: Iterable[object], write: Callable[[str], object]) -> None:
    """A JSON list written one compact item per line, as the items come (for large batches;
    the same data as ``print_json`` of the list, without the indentation)."""
    import json

    write("[")
    sep = "\n"
    for item in items:
        write(sep + json.dumps(item, default=str))
        sep = ",\n"
    write("\n]\n")


@command(
    epilog=examples(
        "stargate place examples/requests/stargate-mix.yaml --at 2026-01-01",
        "stargate place examples/requests/stargate-mix.yaml --at 2026-01-01 --without rofr --json",
        "stargate place examples/requests/stargate-mix.yaml --responder no-answer --objective time",
        "stargate place examples/requests/capacity.yaml --at 2025-02-01",
        "stargate place examples/requests/missing.yaml   # exit 2",
    )
)
def place(
    requests: Annotated[
        str, typer.Argument(metavar="REQUESTS", help="A YAML or JSON file of one or many requests.")
    ],
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario", "-s", help="Scenario file or embedded name (default: stargate-2025)."
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="ISO_DATETIME",
            help="The moment of the decision (default: the scenario's as_of date).",
        ),
    ] = None,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            metavar=one_of("cost", "time", "mix:W"),
            help="cost (default), time (earliest finish), or mix:W.",
        ),
    ] = "cost",
    responder: Annotated[
        str | None,
        typer.Option(
            "--responder",
            metavar="NAME[:ARG]",
            help="How the ROFR holder answers offers: accept-when-able, capacity-limited, "
            "decline-always, no-answer, accept-after:H, accept-with-probability:P, "
            "decline-above-price:X. Default: accept-when-able for job requests, "
            "capacity-limited for capacity requests (kind: capacity).",
        ),
    ] = None,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="CLAUSE",
            help="Switch a clause off: a clause id, a contract id or a kind (rofr, exclusivity). "
            "Repeatable.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for random responders.")] = 0,
    detail: Annotated[
        str,
        typer.Option(
            "--detail",
            metavar="auto|summary|full",
            help="full: every candidate of every decision; summary: the chosen pool, cost and "
            f"deciding clause only; auto (default): full up to {AUTO_FULL_MAX} requests, "
            "summary above.",
        ),
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print decisions as JSON.")] = False,
) -> None:
    """Place requests where the contracts allow and it is cheapest or fastest; explain why.

    Job requests (training, inference) are placed on pools; capacity requests (kind:
    capacity) reserve capacity for a term, the ROFR acting on what the holder can offer."""

    def body() -> None:
        from stargate.broker import Broker, load_requests, make_responder, parse_objective
        from stargate.report.broker import render_any, render_summary
        from stargate.scenario.loader import load_scenario
        from stargate.sim.procure import place_view

        if detail not in ("auto", "summary", "full"):
            raise InputError(
                Problem(
                    f"unknown detail '{detail}'",
                    path="--detail",
                    expected="auto, summary or full",
                )
            )
        moment = parse_moment(at, "--at")
        try:
            obj = parse_objective(objective)
            resp = None if responder is None else make_responder(responder, seed)
        except InputError as exc:
            raise for_option(exc, PLACE_OPTIONS) from None
        sc = load_scenario(scenario)
        reqs, single = load_requests(requests, sc)
        full = detail == "full" or (detail == "auto" and len(reqs) <= AUTO_FULL_MAX)
        broker = Broker(
            place_view(sc, moment, without or []),
            recorded_as=sc,
            objective=obj,
            responder=resp,
            without=without or [],
            detail="full" if full else "chosen",
            seed=seed,
        )
        if full or single:
            decisions = broker.decide_many(reqs, moment)
            if as_json:
                print_json(decisions[0].to_dict() if single else decisions.to_dict())
            elif full:
                for d in decisions:
                    render_any(d, out)
            else:
                render_summary(decisions, out)
            return
        # a large batch: decide, write and forget one decision at a time (memory stays flat);
        # the requests live to the end, so the collector need not scan them again and again
        gc.freeze()
        stream = (broker.decide_any(r, moment) for r in reqs)
        if as_json:
            write_json_lines((d.to_dict() for d in stream), sys.stdout.write)
        else:
            render_summary(stream, out)

    run_guarded(body)


@bench_app.command(
    "broker",
    epilog=examples(
        "stargate bench broker",
        "stargate bench broker --pools 100 --accelerators 100000 --decisions 2000 --json",
    ),
)
def bench_broker(
    pools: Annotated[
        int, typer.Option("--pools", min=1, help="Pools in the synthetic fleet.")
    ] = 1000,
    accelerators: Annotated[
        int, typer.Option("--accelerators", min=1, help="Accelerators in the fleet.")
    ] = 1_000_000,
    decisions: Annotated[
        int, typer.Option("--decisions", min=1, help="Decisions to time.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Decisions per second and latency of one decision on a synthetic fleet."""

    def body() -> None:
        from stargate.broker.bench import run_bench

        result = run_bench(pools=pools, accelerators=accelerators, decisions=decisions, seed=seed)
        if as_json:
            print_json(result)
        else:
            err.print(
                f"{result['pools']:,} pools, {result['accelerators']:,} accelerators, "
                f"{result['sites']:,} sites, {result['providers']} providers"
            )
            out.print(
                f"{result['decisions']:,} decisions: {result['decisions_per_s']:,.0f}/s; "
                f"p50 {result['p50_ms']:.3f} ms, p99 {result['p99_ms']:.3f} ms per "
                "decision"
            )

    run_guarded(body)

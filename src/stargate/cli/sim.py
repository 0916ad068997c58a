"""`stargate simulate`: a thin layer over stargate.sim.simulate (and packing mode)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from stargate.cli.common import command, err, out, print_json, run_guarded
from stargate.cli.options import examples, one_of
from stargate.errors import InputError, Problem, for_option

#: The engine's parameters (as its errors name them) and the options that set them.
OPTIONS = {
    "scenario": "--scenario",
    "workloads": "--workload",
    "fleet": "--fleet",
    "policy": "--policy",
    "granularity": "--granularity",
    "horizon": "--horizon",
    "seed": "--seed",
    "without": "--without",
    "responder": "--responder",
    "price": "--price",
    "data_dir": "--data-dir",
    "procure_every": "--procure-every",
    "procure_from": "--procure-from",
}


@command(
    epilog=examples(
        'stargate simulate --fleet pool:640 --workload "synthetic?jobs=2000&seed=1" --policy easy',
        "stargate simulate --fleet pool:6500 --json",
        "stargate simulate --horizon 2026-01-01..2026-03-31 "
        '--workload "synthetic?jobs=1000&size_scale=64" --without rofr --json',
        "stargate simulate --horizon 2025..2025 --db sqlite:///ledger.sqlite3",
        "stargate simulate --fleet pool:64 --policy nosuch   # exit 2",
        "stargate simulate --fleet pool:64 --db sqlite://   # exit 2",
    )
)
def simulate(
    scenario: Annotated[
        str | None,
        typer.Option(
            "--scenario",
            "-s",
            help="Scenario file or embedded name (default: stargate-2025, unless --fleet "
            "replaces its fleet).",
        ),
    ] = None,
    workload: Annotated[
        list[str] | None,
        typer.Option(
            "--workload",
            "-w",
            metavar="SOURCE[:PATH][?k=v...]",
            help="A workload source, repeatable: synthetic, alibaba-gpu-2023[:PATH], "
            "philly-2017, azure-llm-2023[:PATH][?scale=X] (see `stargate trace list`).",
        ),
    ] = None,
    fleet: Annotated[
        str | None,
        typer.Option(
            "--fleet",
            metavar="SOURCE",
            help="Replace the scenario's fleet: pool:N, alibaba-gpu-2023[:NODE_CSV], "
            "alibaba-spot-gpu-2026[:PATH] (no contracts).",
        ),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            metavar=one_of("fifo", "greedy", "sjf", "easy"),
            help="Scheduling inside a pool: fifo, greedy (default), sjf or easy; with --mode "
            "packing, placement: first-fit (default) or best-fit.",
        ),
    ] = None,
    granularity: Annotated[
        str,
        typer.Option(
            "--granularity",
            metavar=one_of("pool", "node"),
            help="pool (aggregate counts) or node (jobs packed node by node).",
        ),
    ] = "pool",
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon",
            metavar="START..END",
            help="Days to simulate, both included: dates (2025-07-01..2026-12-31) or whole "
            "years (2025..2030).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random draw.")] = 0,
    without: Annotated[
        list[str] | None,
        typer.Option(
            "--without",
            metavar="CLAUSE",
            help="Switch a clause off (repeatable); the report compares with the run that keeps "
            "it.",
        ),
    ] = None,
    responder: Annotated[
        str | None,
        typer.Option(
            "--responder",
            metavar="NAME[:ARG]",
            help="How the ROFR holder answers the lab's capacity requests (default: the "
            "holder's answer on the record where a request has one, else capacity-limited: "
            "what its capacity model allows within the price cap).",
        ),
    ] = None,
    procure_every: Annotated[
        str | None,
        typer.Option(
            "--procure-every",
            metavar=one_of("month", "quarter"),
            help="How often the lab procures capacity: month (default) or quarter.",
        ),
    ] = None,
    procure_from: Annotated[
        str | None,
        typer.Option(
            "--procure-from",
            metavar=one_of("forecast", "workload"),
            help="What the lab sizes its capacity for: the scenario's demand forecast "
            "(default where it has one) or the workload being replayed.",
        ),
    ] = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            metavar=one_of("simulate", "packing"),
            help="simulate (default), or packing: place the pods of a pod list in row "
            "order, node by node, until one does not fit.",
        ),
    ] = "simulate",
    skip_bad_rows: Annotated[
        bool,
        typer.Option(
            "--skip-bad-rows",
            help="Skip malformed trace rows (counted and reported) instead of stopping.",
        ),
    ] = False,
    out_dir: Annotated[
        str | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write jobs.parquet, events.parquet, utilization.parquet, summary.json and "
            "report.html here.",
        ),
    ] = None,
    price: Annotated[
        str | None,
        typer.Option(
            "--price",
            metavar="USD",
            help="USD per accelerator-hour of a --fleet run (which has no prices: without it, "
            "no cost is reported).",
        ),
    ] = None,
    data_dir: Annotated[
        str | None,
        typer.Option(
            "--data-dir",
            metavar="DIR",
            help="Folder with local copies of the public traces (default: $STARGATE_DATA_DIR, "
            "then the user data folder; see docs/traces.md).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Record the run in the ledger at URL (sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB; 'default': $STARGATE_DATABASE_URL, else the "
            "user's ledger file): its reservations, monthly charges and commitment draw-downs, "
            "under the run's own id (docs/ledger.md#charges). Without it nothing is recorded.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Replay workloads through the broker over a horizon, and report what happened."""

    def body() -> None:
        try:
            checked()
        except InputError as exc:
            if not any(p.path in OPTIONS for p in exc.problems):
                raise
            raise for_option(exc, OPTIONS) from None

    def checked() -> None:
        if mode not in ("simulate", "packing"):
            raise InputError(
                Problem(f"unknown mode '{mode}'", path="--mode", expected="simulate or packing")
            )
        if mode == "packing":
            if db is not None:
                raise InputError(
                    Problem("--mode packing records nothing in the ledger", path="--db")
                )
            if out_dir is not None:
                raise InputError(
                    Problem(
                        "--mode packing writes no files",
                        path="--out",
                        hint="leave out --out; use --json for its figures",
                    )
                )
            _packing(workload or [], fleet, policy or "first-fit", skip_bad_rows, as_json, data_dir)
            return
        from stargate.files import check_output_dir
        from stargate.sim.api import (
            DEFAULT_FLEET_WORKLOAD,
            horizon_of,
            parse_price,
        )
        from stargate.sim.api import simulate as run_sim
        from stargate.sim.pools import POLICIES, granularity_of

        # every option is checked before any work, the output folder first
        if out_dir is not None:
            check_output_dir(out_dir)
        _check_specs("fleet", [fleet] if fleet is not None else [])
        _check_specs("workloads", workload or [])
        days = horizon_of(horizon)
        parse_price(price)
        name = POLICIES.canonical(policy or "greedy")
        capacity = granularity_of(granularity)
        if procure_every is not None or procure_from is not None:
            # imported only when asked: a --fleet run must not load the broker and the model
            from stargate.sim.procure import PROCURE_FROM, procure_every_of

            procure_every_of(procure_every)
            if procure_from is not None and procure_from not in PROCURE_FROM:
                raise InputError(
                    Problem(
                        f"unknown procurement source '{procure_from}'",
                        path="procure_from",
                        expected=" | ".join(PROCURE_FROM),
                    )
                )
        if db is not None:
            if fleet is not None:
                raise InputError(
                    Problem(
                        "a run on a fleet for experiments has no reservations or contracts to "
                        "record",
                        path="--db",
                        hint="record a scenario run (leave out --fleet)",
                    )
                )
            # opened before the run: a bad URL or a newer schema is refused before any work
            from stargate.ledger import open_ledger

            open_ledger(None if db == "default" else db).close()
        # no --workload: the fleet's default, or the engine's (the scenario's forecast)
        sources = workload or ([DEFAULT_FLEET_WORKLOAD] if fleet and not scenario else None)
        warnings: list[Problem] = []
        kwargs: dict[str, Any] = dict(
            fleet=fleet,
            policy=name,
            granularity=capacity,
            horizon=days,
            seed=seed,
            responder=responder,
            skip_bad_rows=skip_bad_rows,
            warnings=warnings,
            log_events=out_dir is not None,
            price=price,
            data_dir=data_dir,
            procure_every=procure_every,
            procure_from=procure_from,
        )
        result = _with_progress(
            lambda progress: run_sim(
                scenario, sources, without=without or [], progress=progress, **kwargs
            )
        )
        baseline = None
        if without:
            baseline = run_sim(scenario, sources, **{**kwargs, "warnings": []})
        for w in warnings:
            err.print(f"warning: {w.render()}", markup=False)
        summary = dict(result.to_dict())
        summary["wall_s"] = round(result.wall_s, 3)
        if db is not None:
            summary["ledger"] = _record(db, result, kwargs, sources, without or [])
        if baseline is not None:
            summary["baseline"] = baseline.to_dict()
        if out_dir is not None:
            from pathlib import Path

            from stargate.report.sim_html import render_report

            paths = result.write(out_dir)
            report = Path(out_dir) / "report.html"
            report.write_text(render_report(result, baseline), encoding="utf-8")
            paths.append(report)
            err.print("wrote " + ", ".join(str(p) for p in paths), markup=False)
        if as_json:
            print_json(summary)
            return
        from stargate.report.story import headline, scenario_of

        brief = headline(result.summary, scenario_of(result)).terminal_lines()
        if baseline is not None:
            base_brief = headline(baseline.summary, scenario_of(baseline)).terminal_lines()
            _print_comparison(summary, baseline.to_dict(), without or [], (brief, base_brief))
        else:
            _print_summary(summary, brief=brief)

    run_guarded(body)


def _record(
    db: str, result: Any, kwargs: dict[str, Any], sources: Any, without: list[str]
) -> dict[str, Any]:
    """Record ``result`` in the ledger at ``db``; what was recorded, for ``--json``."""
    from stargate.ledger import open_ledger
    from stargate.ledger.charges import record
    from stargate.recording import sim_record

    settings = {
        k: kwargs[k]
        for k in ("policy", "granularity", "responder", "price", "procure_every", "procure_from")
    }
    settings["workloads"] = list(sources or [])
    settings["without"] = list(without)
    run = sim_record(result, settings)
    with open_ledger(None if db == "default" else db) as ledger:
        done = record(ledger, run)
        url = ledger.url
    err.print(done.message(url), markup=False)
    return {
        "url": url,
        "run_id": done.run_id,
        "appended": done.appended,
        "already_recorded": done.already,
        "entries_by_kind": done.by_kind,
    }


def _with_progress(fn: Any) -> Any:
    if not sys.stderr.isatty():
        return fn(None)
    from rich.progress import Progress

    with Progress(transient=True, console=err) as bar:
        task = bar.add_task("simulating", total=1.0)
        return fn(lambda share: bar.update(task, completed=share))


def _human_s(v: float | None) -> str:
    if v is None:
        return "—"
    from stargate.domain.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE

    for unit, size in (
        ("d", SECONDS_PER_DAY),
        ("h", SECONDS_PER_HOUR),
        ("min", SECONDS_PER_MINUTE),
    ):
        if abs(v) >= size:
            return f"{v / size:,.1f} {unit}"
    return f"{v:,.1f} s"


def _cost_text(s: dict[str, Any]) -> str:
    if s["cost_usd"] is None:
        return "cost not priced (a fleet for experiments has no prices; see --price)"
    return f"cost ${s['cost_usd']:,.0f}"


def _print_summary(
    s: dict[str, Any], heading: str | None = None, brief: Sequence[str] = ()
) -> None:
    """The run in a few lines; ``brief``: the headline's lines (story.Headline's
    terminal_lines), printed after the run's first line."""
    from stargate.sim.result import capacity_phrase

    j = s["jobs"]
    run = s["run"]
    if heading:
        out.print(f"[bold]{heading}[/bold]")
    out.print(
        f"[bold]{run['scenario'] or run['fleet']}[/bold]: {capacity_phrase(run)}; "
        f"policy {run['policy']}, {run['granularity']} granularity, seed {run['seed']}",
    )
    if brief:
        out.print("[bold]In brief[/bold]")
        for line in brief:
            out.print(line, markup=False, highlight=False)
        out.print()
    out.print(
        f"jobs: {j['submitted']:,} submitted, {j['completed']:,} completed, "
        f"{j['rejected']:,} rejected, {j['skipped']:,} skipped, "
        f"{j['running_at_end']:,} running and {j['queued_at_end']:,} queued at the end"
    )
    w, c = s["wait_s"], s["jct_s"]
    out.print(
        f"wait: mean {_human_s(w['mean'])}, p50 {_human_s(w['p50'])}, "
        f"p99 {_human_s(w['p99'])};  completion: mean {_human_s(c['mean'])}, "
        f"p99 {_human_s(c['p99'])}"
    )
    # a fleet for experiments has no facility figures: its energy would read as a false 0
    energy = f"energy {s['energy_mwh']:,.0f} MWh; " if run["fleet"] == "scenario" else ""
    out.print(
        f"utilization {s['utilization']:.1%}; {_cost_text(s)}; {energy}"
        f"makespan {_human_s(s['makespan_s'])}"
    )
    acc = s["accelerator_hours"]
    if j["killed_runs"]:
        out.print(
            f"outages killed {j['killed_runs']:,} runs: {acc['lost']:,.0f} accelerator-hours "
            f"lost, {acc['checkpointed']:,.0f} kept by checkpoints"
        )
    r = s["rofr"]
    if s.get("procurement") is not None:
        _print_procurement(s)
    else:
        out.print(
            f"ROFR: {r['offered']:,} offered, {r['accepted']:,} accepted, {r['declined']:,} "
            f"declined, {r['expired']:,} expired, {r['released_unmet']:,} released "
            "(holder could not meet)"
        )
    share = ", ".join(f"{k} {v:.1%}" for k, v in s["share_by_provider"].items())
    out.print(f"share of accelerator-hours: {share}")
    for cls in (s.get("inference") or {}).get("classes", []):
        out.print(
            f"inference {cls['workload_class']}: {cls['slo_attainment']:.1%} of minutes "
            f"covered by {cls['provisioned_accelerators']:,} accelerators; "
            f"{cls['accelerators_for_99pct']:,} needed for 99%"
        )
    if "wall_s" in s:
        out.print(f"{s['events']:,} events in {s['wall_s']:.2f} s")


def _usd_short(text: str) -> str:
    """A decimal string of USD as $12.3B, $45.6M or $7,890."""
    v = float(text)
    for size, unit in ((1e9, "B"), (1e6, "M")):
        if abs(v) >= size:
            return f"${v / size:,.1f}{unit}"
    return f"${v:,.0f}"


def _print_procurement(s: dict[str, Any]) -> None:
    """What the lab procured (scheduled requests one by one, top-ups per year), what the ROFR
    did to those requests, what it held at each year's end, what it spent and what demand it
    could not cover."""
    run, rows, r = s["run"], s["procurement"], s["rofr"]
    requests = {row["request"]: row["source"] for row in rows}
    scheduled = sum(1 for v in requests.values() if v == "scheduled")
    unplaced = sum(1 for row in rows if not row["placed"])
    out.print(
        f"procurement ({run.get('procure_every', 'month')}ly, sized from the "
        f"{run.get('procure_from', 'forecast')}): {len(requests):,} capacity requests "
        f"({scheduled:,} of the record, {len(requests) - scheduled:,} top-ups for demand)"
        + (f", {unplaced:,} parts nobody could take" if unplaced else "")
    )
    for row in rows:
        if row["source"] != "scheduled":
            continue
        where = f"{row['provider']}/{row['site']}" if row["placed"] else "not placed"
        price = row["price_usd_per_accelerator_hour"]
        out.print(
            f"  {row['request']} ({row['date']}): {row['accelerators']:,} {row['accelerator']} "
            f"at {where}, {row['term_start']}..{row['term_end']}"
            + (f", ${float(price):,.2f}/h" if price is not None else "")
            + f"; ROFR {row['rofr']} ({row['decided_by']})"
        )
    by_year: dict[int, dict[str, int]] = {}
    for row in rows:
        if row["source"] != "demand" or not row["placed"]:
            continue
        year = int(row["term_start"][:4])
        y = by_year.setdefault(year, {})
        y[row["provider"]] = y.get(row["provider"], 0) + int(row["accelerators"])
    for year, got in sorted(by_year.items()):
        parts = ", ".join(f"{p} {n:,}" for p, n in sorted(got.items()))
        out.print(f"  top-ups starting in {year}: {parts} accelerators")
    out.print(
        f"ROFR on capacity requests: {r['offered']:,} offered, {r['accepted']:,} accepted, "
        f"{r['declined']:,} declined, {r['expired']:,} expired, {r['released_unmet']:,} "
        "released at once (holder could not meet)"
    )
    ends: dict[str, list[dict[str, Any]]] = {}
    for h in s["capacity_held"]:
        ends.setdefault(h["period_end"], []).append(h)
    year_ends = [d for d in sorted(ends) if d.endswith("-12-31")]
    last = sorted(ends)[-1] if ends else None
    if last is not None and last not in year_ends:
        year_ends.append(last)
    for day in year_ends:
        parts = ", ".join(
            f"{h['provider']} {h['accelerators']:,} ({h['reference_accelerators']:,.0f} ref)"
            for h in ends[day]
        )
        out.print(f"held on {day}: {parts}")
    spend = s["spend_by_year"]
    if spend:
        c = sum(float(x["committed_usd"]) for x in spend)
        u = sum(float(x["used_usd"]) for x in spend)
        years = sorted({x["year"] for x in spend})
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"
        out.print(
            f"spend {span}: committed {_usd_short(str(c))}, used {_usd_short(str(u))}, "
            f"idle {_usd_short(str(c - u))}" + (f" ({(c - u) / c:.0%} idle)" if c else "")
        )
    unmet = s["unmet_demand"]
    if not unmet:
        out.print("unmet demand: none")
    else:
        worst = max(unmet, key=lambda u: u["unmet_reference_accelerators"])
        periods = len({u["period_start"] for u in unmet})
        out.print(
            f"unmet demand in {periods:,} period{'' if periods == 1 else 's'}: at most "
            f"{worst['unmet_reference_accelerators']:,.0f} reference accelerators of "
            f"{worst['workload_class']} ({worst['period_start'][:7]})"
        )


def _signed(v: float, text: str) -> str:
    """``text`` (a magnitude) with the sign of ``v``; no change reads ±0."""
    return "±0" if v == 0 else ("+" if v > 0 else "−") + text


def _print_comparison(
    s: dict[str, Any],
    base: dict[str, Any],
    without: list[str],
    briefs: tuple[Sequence[str], Sequence[str]] = ((), ()),
) -> None:
    """Both runs, the one with clauses off first, then what switching them off changed."""
    off = ", ".join(s["run"]["without"]) or "none (no clause matched)"
    asked = ", ".join(without)
    _print_summary(s, f"Clauses switched off: {off} (--without {asked})", briefs[0])
    out.print()
    _print_summary(base, "Baseline: every clause in force", briefs[1])
    out.print()
    out.print(f"[bold]Difference (without {asked} − baseline)[/bold]")
    j, bj = s["jobs"], base["jobs"]
    parts = [
        f"{word} {_signed(j[key] - bj[key], f'{abs(j[key] - bj[key]):,}')}"
        for key, word in (("completed", "completed"), ("rejected", "rejected"))
    ]
    for key, word in (("mean", "wait mean"), ("p99", "wait p99")):
        a, b = s["wait_s"][key], base["wait_s"][key]
        if a is not None and b is not None:
            parts.append(f"{word} {_signed(a - b, _human_s(abs(a - b)))}")
    out.print("jobs: " + ", ".join(parts))
    du = (s["utilization"] - base["utilization"]) * 100
    line = f"utilization {_signed(round(du, 1), f'{abs(du):.1f} pp')}"
    if s["cost_usd"] is not None and base["cost_usd"] is not None:
        dc = s["cost_usd"] - base["cost_usd"]
        line += f"; cost {_signed(round(dc), f'${abs(dc):,.0f}')}"
    if s.get("spend_by_year") is not None and base.get("spend_by_year") is not None:
        dc = sum(float(x["committed_usd"]) for x in s["spend_by_year"]) - sum(
            float(x["committed_usd"]) for x in base["spend_by_year"]
        )
        line += f"; committed spend {_signed(round(dc), _usd_short(str(abs(dc))))}"
    out.print(line)
    providers = sorted(set(s["share_by_provider"]) | set(base["share_by_provider"]))
    shares = []
    for p in providers:
        d = (s["share_by_provider"].get(p, 0.0) - base["share_by_provider"].get(p, 0.0)) * 100
        shares.append(f"{p} {_signed(round(d, 1), f'{abs(d):.1f} pp')}")
    out.print("share of accelerator-hours: " + ", ".join(shares))


def _check_specs(parameter: str, specs: list[str]) -> None:
    """Each source spec's form (NAME[:PATH][?key=value]), refused naming the parameter."""
    from dataclasses import replace

    from stargate.sim.traces import parse_source

    for spec in specs:
        try:
            parse_source(spec)
        except InputError as exc:
            raise InputError(
                [p if p.path or p.file else replace(p, path=parameter) for p in exc.problems]
            ) from None


def _packing(
    workload: list[str],
    fleet: str | None,
    policy: str,
    skip_bad_rows: bool,
    as_json: bool,
    data_dir: str | None = None,
) -> None:
    from stargate.sim.packing import POLICIES, pack
    from stargate.sim.traces import load_fleet, trace_path

    policy = POLICIES.canonical(policy)  # before any file is read

    if len(workload) != 1 or fleet is None:
        raise InputError(
            Problem(
                "packing needs one pod list and one node list",
                path="--mode packing",
                expected="--workload alibaba-gpu-2023:PODS_CSV --fleet alibaba-gpu-2023[:NODE_CSV]",
            )
        )
    result = pack(
        trace_path(workload[0], data_dir=data_dir),
        load_fleet(fleet, data_dir=data_dir),
        policy=policy,
        skip_bad_rows=skip_bad_rows,
    )
    data = result.to_dict()
    if as_json:
        print_json(data)
    else:
        for key, value in data.items():
            out.print(f"{key}: {value}", markup=False)

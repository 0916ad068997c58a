"""``stargate access`` (check, policy) and ``stargate agi`` (declare, verify): governance as a
Cedar policy compiled from the clauses in force, and the AGI path as ledger events
(docs/governance.md).

``access`` reads a ledger only when one is named (``--db URL`` or ``$STARGATE_DATABASE_URL``):
a check never creates a database. ``agi declare`` / ``agi verify`` always write one entry, to
``--db``, else ``$STARGATE_DATABASE_URL``, else the default ledger, after checking it against
the clause (a party the clause does not name: exit 2, nothing written).

``access check`` exits 0 when the request is allowed and 3 when it is denied, so that a script
can gate on it (``stargate access check … && deploy``); 2 for bad input, as everywhere.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from stargate.cli.common import err, out, print_json, run_guarded
from stargate.cli.options import StargateTyper, examples, one_of, parse_day
from stargate.errors import InputError, Problem, did_you_mean, for_option

if TYPE_CHECKING:
    from stargate.domain.model import Scenario
    from stargate.governance import AgiEvent

#: The exit code of a denied request.
EXIT_DENIED = 3

access_app = StargateTyper(
    help="Access rights under the clauses in force (a Cedar policy compiled from them).",
    no_args_is_help=True,
)
agi_app = StargateTyper(
    help="The AGI path as ledger events: declare, then verify where the clause requires it.",
    no_args_is_help=True,
)

ScenarioOpt = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        "-s",
        help="Scenario file or embedded name (default: stargate-2025).",
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="The ledger whose AGI declarations and verifications extend the scenario's "
        "(sqlite:///PATH or postgresql+psycopg://USER@HOST/DB). Default: "
        "$STARGATE_DATABASE_URL if set, else none (the scenario alone).",
        show_default=False,
    ),
]
WriteDbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="The ledger to record the event in (sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST/DB). Default: $STARGATE_DATABASE_URL, else "
        "ledger.sqlite3 in the user's data directory.",
        show_default=False,
    ),
]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", metavar="DATE", help="The day (default: the scenario's as_of date)."),
]
WithoutOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--without",
        metavar="ID",
        help="Void an agreement or amendment (the terms before it hold), or switch a clause, "
        "a contract or a kind off. Repeatable.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _read_url(db: str | None) -> str | None:
    """The ledger ``access`` reads: ``--db``, else ``$STARGATE_DATABASE_URL``, else none."""
    from stargate.ledger import ENV_URL

    return db or os.environ.get(ENV_URL, "").strip() or None


def _recorded(url: str | None) -> list[AgiEvent]:
    """The AGI events recorded in the ledger at ``url`` (none without one)."""
    if url is None:
        return []
    from stargate.governance import ENTRY_KINDS, events_from_entries
    from stargate.ledger import open_ledger

    with open_ledger(url) as led:
        entries = [e for kind in ENTRY_KINDS.values() for e in led.entries(kind=kind)]
    return events_from_entries(entries)


def _scenario(ref: str | None, without: list[str] | None) -> tuple[Scenario, frozenset[str]]:
    from stargate.contracts import resolve_without
    from stargate.scenario.loader import load_scenario

    w = resolve_without(load_scenario(ref), without or [])
    return w.scenario, frozenset(w.clause_ids | set(w.voided))


def _party(scenario: Scenario, party: str) -> None:
    """An unknown --party is bad input on the command line (a typo, most often): exit 2,
    saying the answer would be deny, with the closest ids."""
    ids = [p.id for p in scenario.parties]
    if party not in ids:
        raise InputError(
            Problem(
                f"unknown party '{party}' in scenario '{scenario.id}' (the policy denies a "
                "party it does not know)",
                path="--party",
                expected="the id of a party of the scenario",
                hint=did_you_mean(party, ids),
            )
        )


@access_app.command(
    "check",
    epilog=examples(
        "stargate access check --party microsoft --artifact gpt-5 --at 2026-01-01",
        "stargate access check --party microsoft --artifact openai-roadmap --json",
        "stargate access check --party microsoft --artifact gpt-4o --at 2025-11-01 "
        "--without microsoft-openai-2025-10",
        "stargate access check --party microsft --artifact gpt-5   # exit 2",
    ),
)
def check_command(
    party: Annotated[str, typer.Option("--party", metavar="PARTY", help="Who asks (a party id).")],
    artifact: Annotated[
        str, typer.Option("--artifact", metavar="ARTIFACT", help="What for (an artifact id).")
    ],
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            metavar=one_of("use", "read-roadmap"),
            help="What the party would do (default: read-roadmap for a roadmap artifact, "
            "else use).",
            show_default=False,
        ),
    ] = None,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    db: DbOpt = None,
    without: WithoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Allow or deny: may PARTY use ARTIFACT (or read a roadmap) on a day? Prints the clause
    that decided and the policy's SHA-256. Exit 0 allow, 3 deny, 2 bad input."""
    from stargate.governance import check

    decision_holder: list[bool] = []

    def body() -> None:
        day = parse_day(at, "--at")
        scn, off = _scenario(scenario, without)
        _party(scn, party)
        events = _recorded(_read_url(db))
        try:
            d = check(
                scn,
                party,
                artifact,
                action=action.strip() if action else None,
                day=day,
                clauses_off=off,
                events=events,
            )
        except InputError as exc:
            raise for_option(exc, {"artifact": "--artifact", "action": "--action"}) from None
        decision_holder.append(d.allowed)
        if as_json:
            print_json(d.to_dict())
            return
        out.print(
            f"{d.decision.upper()}: {d.party} {d.action} {d.artifact} on {d.day.isoformat()}",
            markup=False,
        )
        out.print(f"  {d.reason}", markup=False)
        for note in d.notes:
            out.print(f"  - {note}", markup=False)
        for ev in d.agi_events:
            src = f" ({ev.entry_id})" if ev.entry_id else ""
            out.print(
                f"  AGI {ev.kind} under {ev.clause} by {ev.by} on {ev.day.isoformat()}{src}",
                markup=False,
            )
        for ig in d.agi_ignored:
            err.print(
                f"warning: ledger entry {ig.event.entry_id} ignored: {ig.reason}", markup=False
            )
        if d.clauses_off:
            out.print(f"  without: {', '.join(d.clauses_off)}", markup=False)
        out.print(f"  policy sha256 {d.policy_sha256}", markup=False)
        out.print(f"  entities sha256 {d.entities_sha256}", markup=False)

    run_guarded(body)
    if decision_holder and not decision_holder[0]:
        raise typer.Exit(EXIT_DENIED)


@access_app.command(
    "policy",
    epilog=examples(
        "stargate access policy --at 2026-01-01",
        "stargate access policy --at 2025-06-01 --without microsoft-openai-2025-10 --json",
        "stargate access policy --at 2026-13-01   # exit 2",
    ),
)
def policy_command(
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    db: DbOpt = None,
    without: WithoutOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Print the Cedar policy set compiled from the clauses in force on a day, and its
    SHA-256 (what `access check` decides by)."""
    from stargate.governance import apply_events, compile_policy

    def body() -> None:
        day = parse_day(at, "--at")
        scn, off = _scenario(scenario, without)
        applied = apply_events(scn, _recorded(_read_url(db)))
        policy = compile_policy(applied.scenario, day or scn.as_of, clauses_off=off)
        if as_json:
            print_json(
                {
                    "scenario": policy.scenario_id,
                    "at": policy.day.isoformat(),
                    "policy_sha256": policy.sha256,
                    "without": list(policy.clauses_off),
                    "rules": [r.to_dict() for r in policy.rules],
                    "agi_events": [e.to_dict() for e in applied.counted],
                    "text": policy.text,
                }
            )
            return
        for ig in applied.ignored:
            err.print(
                f"warning: ledger entry {ig.event.entry_id} ignored: {ig.reason}", markup=False
            )
        out.print(policy.text, markup=False, end="")
        out.print(f"// sha256 {policy.sha256}", markup=False)

    run_guarded(body)


def _agi(
    kind: str,
    by: str,
    at: str,
    clause: str | None,
    scenario: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    from stargate.domain.provenance import for_scenario
    from stargate.governance import events_from_entries, plan_event
    from stargate.ledger import EntryIn, open_ledger

    def body() -> None:
        day = parse_day(at, "--at")
        assert day is not None  # --at is required
        from stargate.scenario.loader import load_scenario

        scn = load_scenario(scenario)
        with open_ledger(db) as led:
            recorded = events_from_entries(
                e for k in ("agi_declaration", "agi_verification") for e in led.entries(kind=k)
            )
            try:
                planned = plan_event(
                    scn,
                    "declaration" if kind == "declare" else "verification",
                    by.strip(),
                    day,
                    clause=clause.strip() if clause else None,
                    recorded=recorded,
                )
            except InputError as exc:
                raise for_option(exc, {"by": "--by", "day": "--at", "clause": "--clause"}) from None
            prov = for_scenario(scn)
            [entry] = led.append(
                [
                    EntryIn(
                        planned.entry_kind,
                        planned.event.by,
                        datetime(day.year, day.month, day.day),
                        planned.body(),
                        provenance={
                            "scenario_id": prov.scenario_id,
                            "scenario_sha256": prov.scenario_sha256,
                            "stargate_version": prov.stargate_version,
                        },
                    )
                ]
            )
            url = led.url
        if as_json:
            print_json({"entry_id": entry.id, "kind": entry.kind, "ledger": url, **planned.body()})
        else:
            out.print(
                f"recorded {entry.id}: AGI {planned.event.kind} under {planned.event.clause} "
                f"({planned.contract}) by {planned.event.by} on {day.isoformat()} in {url}",
                markup=False,
            )

    run_guarded(body)


ByOpt = Annotated[str, typer.Option("--by", metavar="PARTY", help="Who declares.")]
ClauseOpt = Annotated[
    str | None,
    typer.Option(
        "--clause",
        metavar="ID",
        help="The agi_clause (default: the one in force that day that names --by).",
    ),
]
RequiredAt = Annotated[str, typer.Option("--at", metavar="DATE", help="The day of the event.")]


@agi_app.command(
    "declare",
    epilog=examples(
        "stargate agi declare --by openai-nonprofit --at 2026-01-01 --db sqlite://",
        "stargate agi declare --by microsoft --at 2026-01-01 --db sqlite://   # exit 2",
    ),
)
def declare_command(
    by: ByOpt,
    at: RequiredAt,
    clause: ClauseOpt = None,
    scenario: ScenarioOpt = None,
    db: WriteDbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an AGI declaration (ledger kind agi_declaration) by the party the AGI clause in
    force names as declared_by; anyone else: exit 2, nothing written."""
    _agi("declare", by, at, clause, scenario, db, as_json)


@agi_app.command(
    "verify",
    epilog=examples(
        "stargate agi verify --by independent-expert-panel --at 2026-01-01 "
        "--db sqlite:///ledger.sqlite3",
        "stargate agi verify --by independent-expert-panel --at 2026-01-01 --db sqlite://"
        "   # exit 2",
    ),
)
def verify_command(
    by: Annotated[
        str, typer.Option("--by", metavar="PANEL", help="Who verifies (the clause's verified_by).")
    ],
    at: RequiredAt,
    clause: ClauseOpt = None,
    scenario: ScenarioOpt = None,
    db: WriteDbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the verification of an AGI declaration (ledger kind agi_verification), only
    where the clause in force requires it and only by its verified_by; the declaration must be
    recorded (or stated) on or before the day."""
    _agi("verify", by, at, clause, scenario, db, as_json)

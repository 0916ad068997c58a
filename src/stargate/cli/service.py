"""``stargate serve`` (the multi-party service: API and dashboard) and ``stargate party``
(add, revoke, list: the parties' bearer tokens). docs/service.md.

Every option is validated before anything is opened: a bad host, port, date, scenario or
database URL exits 2 with the option named, and nothing is created.
"""

from __future__ import annotations

from typing import Annotated

import typer

from stargate.cli.common import command, err, out, print_json, run_guarded
from stargate.cli.options import StargateTyper, examples, parse_day
from stargate.errors import InputError, Problem, did_you_mean

party_app = StargateTyper(
    help="The service's parties: bearer tokens by party and role (printed once, kept as a hash).",
    no_args_is_help=True,
)

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="The service's database, the ledger's (sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST/DB). Default: $STARGATE_DATABASE_URL, else "
        "ledger.sqlite3 in the user's data directory.",
        show_default=False,
    ),
]
ScenarioOpt = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        "-s",
        help="Scenario file or embedded name (default: stargate-2025).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings_problem(e: Exception) -> InputError:
    from pydantic import ValidationError

    if isinstance(e, ValidationError):
        first = e.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        return InputError(
            Problem(
                str(first["msg"]).removeprefix("Value error, "),
                path=f"--{name.replace('_', '-')}",
                found=repr(first.get("input")),
            )
        )
    raise e


@command(
    "serve",
    epilog=examples(
        "stargate serve --db sqlite:///service.sqlite3",
        "stargate serve --start-at 2025-01-21 --port 8080   # play the January 2025 terms",
        "stargate serve --port 99999   # exit 2",
    ),
)
def serve(
    scenario: ScenarioOpt = None,
    db: DbOpt = None,
    host: Annotated[
        str, typer.Option("--host", help="The address to listen on (an IP address).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8000,
    start_at: Annotated[
        str | None,
        typer.Option(
            "--start-at",
            metavar="DATE",
            help="Start the scenario clock at DATE and let it advance in real time "
            "(default: scenario time is real time).",
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="critical, error, warning, info or debug.")
    ] = "info",
) -> None:
    """Run the multi-party service: the API under /v1 (OpenAPI at /docs) and the dashboard
    at /, on the scenario's clock; offers expire at respond_by even across a restart."""

    def body() -> None:
        from pydantic import ValidationError

        from stargate.service.settings import Settings

        day = parse_day(start_at, "--start-at")
        try:
            settings = Settings(
                scenario=scenario,
                db=db,
                host=host,
                port=port,
                start_at=day,
                log_level=log_level,
            )
        except ValidationError as e:
            raise _settings_problem(e) from None
        import uvicorn

        from stargate.service.app import create_app

        app = create_app(settings)
        ctx = app.state.ctx
        err.print(
            f"serving scenario '{ctx.scenario.id}', database {ctx.ledger.url}, clock "
            f"{ctx.clock.describe()}; http://{settings.host}:{settings.port}/ "
            f"(API docs at /docs)",
            markup=False,
        )
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=settings.log_level == "debug",
        )

    run_guarded(body)


def _known_party(scenario: str | None, party: str) -> None:
    from stargate.scenario.loader import load_scenario

    sc = load_scenario(scenario)
    ids = [p.id for p in sc.parties]
    if party not in ids:
        raise InputError(
            Problem(
                f"'{party}' is not a party of scenario '{sc.id}'",
                path="PARTY_ID",
                expected="one of: " + ", ".join(ids),
                hint=did_you_mean(party, ids, list_valid=False),
            )
        )


@party_app.command(
    "add",
    epilog=examples(
        "stargate party add openai --role lab --db sqlite:///service.sqlite3",
        "stargate party add microsoft --role holder --days 30 --db sqlite:///service.sqlite3",
        "stargate party add nobody --role lab   # exit 2",
    ),
)
def party_add(
    party: Annotated[str, typer.Argument(metavar="PARTY_ID", help="A party of the scenario.")],
    role: Annotated[
        str,
        typer.Option("--role", help="lab, holder, provider, observer or admin."),
    ],
    days: Annotated[
        float, typer.Option("--days", help="Days until the token expires (1 to 3650).")
    ] = 90,
    scenario: ScenarioOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make a bearer token for PARTY_ID with ROLE and print it once (only its SHA-256 is
    kept): give it to the party; `party revoke` ends it."""

    def body() -> None:
        from stargate.ledger import open_ledger
        from stargate.service.clock import wall_utc
        from stargate.service.tokens import check_role, issue

        check_role(role)
        _known_party(scenario, party)
        with open_ledger(db) as led:
            got = issue(led.store.engine, party, role, now=wall_utc(), days=days)
        if as_json:
            print_json(got.to_dict())
        else:
            err.print(
                f"token {got.token_id} for {party} ({role}), expires "
                f"{got.expires_at:%Y-%m-%d}; it is printed once, below, and not kept:",
                markup=False,
            )
            out.print(got.token, markup=False)

    run_guarded(body)


@party_app.command(
    "revoke",
    epilog=examples(
        "stargate party revoke openai --db sqlite:///service.sqlite3",
        "stargate party revoke openai --token-id AbC123xyz789 --db sqlite:///service.sqlite3",
    ),
)
def party_revoke(
    party: Annotated[str, typer.Argument(metavar="PARTY_ID", help="The party.")],
    token_id: Annotated[
        str | None,
        typer.Option("--token-id", help="Revoke only this token (default: all the party's)."),
    ] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a party's tokens (all, or one by --token-id); they stop working at once."""

    def body() -> None:
        from stargate.ledger import open_ledger
        from stargate.service.clock import wall_utc
        from stargate.service.tokens import revoke

        with open_ledger(db) as led:
            n = revoke(led.store.engine, party, token_id, now=wall_utc())
        if n == 0:
            raise InputError(
                Problem(
                    f"no active token of '{party}'" + (f" with id {token_id}" if token_id else ""),
                    path="--token-id" if token_id else "PARTY_ID",
                    hint="`stargate party list` shows the tokens",
                )
            )
        if as_json:
            print_json({"party": party, "revoked": n})
        else:
            out.print(f"revoked {n} token(s) of {party}", markup=False)

    run_guarded(body)


@party_app.command("list", epilog=examples("stargate party list --db sqlite:///service.sqlite3"))
def party_list(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the tokens (id, party, role, times; never a token or its hash)."""

    def body() -> None:
        from stargate.ledger import open_ledger
        from stargate.service.tokens import listing

        with open_ledger(db) as led:
            rows = listing(led.store.engine)
        if as_json:
            print_json({"tokens": rows})
            return
        for r in rows:
            state = "revoked " + r["revoked_at"][:10] if r["revoked_at"] else "active"
            out.print(
                f"{r['token_id']}  {r['party']:<20} {r['role']:<9} expires "
                f"{r['expires_at'][:10]}  {state}",
                markup=False,
            )

    run_guarded(body)

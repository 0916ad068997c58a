"""The HTTP API (``/v1``, OpenAPI at ``/openapi.json``) and the app factory.

``create_app(settings)`` builds everything from validated settings: nothing global is made at
import time. Every endpoint but ``/healthz`` needs a bearer token (``stargate party add``);
a missing or wrong token is 401, a token whose role may not call the endpoint 403, and an
object that does not concern the caller 404 (its existence is not revealed). Every refusal is
an RFC 9457 problem document (``application/problem+json``: type, title, status, detail and
the ``field`` at fault); no input makes a 500.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from stargate.domain.model import Scenario
from stargate.errors import InputError
from stargate.ledger import Ledger
from stargate.ledger.entry import Entry, format_time
from stargate.service import tokens
from stargate.service.clock import Clock, wall_utc
from stargate.service.settings import Settings
from stargate.service.tokens import Caller, Role
from stargate.service.workflow import ServiceError, Workflow, input_problem, requester_json

log = logging.getLogger("stargate.service")

PROBLEM = "application/problem+json"
ALL_ROLES: tuple[Role, ...] = tokens.ROLES
#: The largest leaf position a query may name (a BIGINT: larger ones are refused with a 422,
#: not passed to the database, which cannot hold them).
MAX_SEQ = 2**63 - 1


@dataclass
class Context:
    """What the endpoints share (one per app)."""

    settings: Settings
    scenario: Scenario
    ledger: Ledger
    clock: Clock
    workflow: Workflow
    in_flight: set[tuple[str, str]] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    sweeps: int = 0


def problem_response(err: ServiceError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(err.problem(), status_code=err.status, media_type=PROBLEM, headers=headers)


def _unauthorized(detail: str) -> ServiceError:
    return ServiceError(401, "unauthorized", "A valid bearer token is required", detail, None)


def named_parties(entry: Entry, owner: Mapping[str, str | None], parties: set[str]) -> set[str]:
    """The parties an entry names: its actor, its ``parties`` list, and every party or
    provider (by its owner) among the body's top-level values."""
    names = {entry.actor}
    body = entry.body

    def take(v: Any) -> None:
        if isinstance(v, str):
            if v in parties:
                names.add(v)
            own = owner.get(v)
            if own:
                names.add(own)

    for v in body.values():
        if isinstance(v, list):
            for x in v:
                take(x)
        else:
            take(v)
    return names


def _caller_of(engine: Any, authorization: str | None) -> Caller:
    if not authorization:
        raise _unauthorized("no Authorization header: send 'Authorization: Bearer TOKEN'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("the Authorization header must be 'Bearer TOKEN'")
    who = tokens.authenticate(engine, token.strip(), wall_utc())
    if who is None:
        raise _unauthorized("the token is unknown, revoked or expired")
    return who


def need(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller of a valid token whose role is one of ``roles`` (else 401 or
    403), looked up on every request, so a revocation takes effect at once."""

    async def dep(request: Request) -> Caller:
        # async: one indexed read on the event loop costs less than a hop to the thread pool
        return _authorised(request, roles)

    return dep


def _authorised(request: Request, roles: tuple[Role, ...]) -> Caller:
    """The caller of the request's bearer token, if its role is one of ``roles``."""
    ctx: Context = request.app.state.ctx
    who = _caller_of(ctx.workflow.reader, request.headers.get("authorization"))
    if who.role not in roles:
        raise ServiceError(
            403,
            "forbidden",
            "The token's role may not do this",
            f"role '{who.role}' may not call this endpoint (it needs {' or '.join(roles)})",
            None,
        )
    return who


AnyCaller = Annotated[Caller, Depends(need(*ALL_ROLES))]
LabCaller = Annotated[Caller, Depends(need("lab"))]
HolderCaller = Annotated[Caller, Depends(need("holder"))]


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    scenario: Scenario | None = None,
    ledger: Ledger | None = None,
) -> FastAPI:
    """The service for ``settings`` (``clock``, ``scenario`` and ``ledger`` may be injected:
    tests). The workflow starts (the book rebuilt from the database) here; the sweeper starts
    with the app's lifespan."""
    from stargate.ledger import open_ledger
    from stargate.scenario.loader import load_scenario

    sc = scenario if scenario is not None else load_scenario(settings.scenario)
    led = ledger if ledger is not None else open_ledger(settings.db)
    clk = clock if clock is not None else settings.make_clock()
    wf = Workflow(sc, led, clk, objective=settings.objective)
    ctx = Context(settings, sc, led, clk, wf)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # the scenario, the book and the broker's arrays live as long as the process: move them
        # out of the collector's generations, so that a collection does not walk them again
        # on every request (the service's p99)
        gc.collect()
        gc.freeze()
        # and collect young objects less often: a request makes thousands (the decision and
        # its explanation), all gone when it is answered
        gc.set_threshold(50_000, 20, 20)
        ctx.stop.clear()
        wf.writer.start()
        sweeper = threading.Thread(target=_sweep, args=(ctx,), name="stargate-sweeper", daemon=True)
        sweeper.start()
        try:
            yield
        finally:
            ctx.stop.set()
            sweeper.join(5)
            wf.close()

    app = FastAPI(
        title="Stargate multi-party service",
        version=_version(),
        description=(
            "The broker as an API: parties submit requests, the ROFR holder answers offers "
            "before respond_by, and every change of state is an entry of the shared ledger. "
            "Errors are RFC 9457 problem documents. See docs/service.md."
        ),
        lifespan=lifespan,
    )
    app.state.ctx = ctx

    # ---------------------------------------------------------------- errors
    @app.exception_handler(ServiceError)
    async def _service_error(_r: Request, exc: ServiceError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(exc, headers)

    @app.exception_handler(InputError)
    async def _input_error(_r: Request, exc: InputError) -> JSONResponse:
        return problem_response(input_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = [str(x) for x in first.get("loc", ())]
        where = ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc)
        return problem_response(
            ServiceError(
                422 if not loc or loc[0] != "header" else 400,
                "invalid-parameter",
                "A parameter is not valid",
                str(first.get("msg", "invalid")),
                where or None,
                {
                    "errors": [
                        {
                            "field": ".".join(str(x) for x in e.get("loc", ())),
                            "detail": e.get("msg"),
                        }
                        for e in errs
                    ]
                },
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(
            ServiceError(exc.status_code, slug, str(exc.detail), str(exc.detail), None)
        )

    async def json_body(request: Request) -> Any:
        limit = settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ServiceError(
                413,
                "too-large",
                "The body is too large",
                f"the body is {declared} bytes; at most {limit} are accepted",
                None,
            )
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise ServiceError(
                    413,
                    "too-large",
                    "The body is too large",
                    f"the body is over {limit} bytes",
                    None,
                )
        ctype = request.headers.get("content-type", "")
        if ctype and "json" not in ctype:
            raise ServiceError(
                415,
                "unsupported-media-type",
                "The body must be JSON",
                f"Content-Type {ctype!r}: send application/json",
                None,
            )
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as e:
            raise ServiceError(
                400,
                "malformed-json",
                "The body is not JSON",
                f"malformed JSON: {e}",
                None,
            ) from None

    body_doc: dict[str, Any] = {
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "description": "A unique value per request: a retry with the same key and "
                "body returns the saved response",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/AnyRequest"}}
            },
        },
    }

    # ---------------------------------------------------------------- endpoints
    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Whether the service is up, and its clock."""
        return {"status": "ok", "scenario": sc.id, "now": format_time(clk.now())}

    @app.post(
        "/v1/requests",
        status_code=201,
        tags=["requests"],
        openapi_extra=body_doc,
        responses={200: {"description": "A retry: the saved response"}},
    )
    async def submit(request: Request) -> Response:
        """Submit a request (a capacity or job request: the fields of a request file). The
        Idempotency-Key header is required: the same key and body return the saved response;
        the same key with another body is 422; a retry while the first is in flight is 409."""
        # the token and the key are read here, not by FastAPI's dependencies: this is the
        # hot write, and resolving them took a third of its time on the event loop
        caller = _authorised(request, ("lab",))
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is None or not idempotency_key.strip():
            raise ServiceError(
                400,
                "idempotency-key-required",
                "An Idempotency-Key header is required",
                "send 'Idempotency-Key: <a unique value per request>' so that a retry is safe",
                "Idempotency-Key",
            )
        if len(idempotency_key) > 255:
            raise ServiceError(
                400,
                "invalid-parameter",
                "The Idempotency-Key is too long",
                "at most 255 characters",
                "Idempotency-Key",
            )
        body = await json_body(request)
        got = wf.submit_future(caller, body, idempotency_key.strip(), ctx.in_flight)
        if isinstance(got, tuple):
            status, text = got
        else:
            status, text = await asyncio.wrap_future(got)
        return Response(text, status_code=status, media_type="application/json")

    def _row_for(request_id: str, caller: Caller) -> tuple[dict[str, Any], str]:
        row = wf.get(request_id)
        how = None if row is None else wf.concerns(row, caller)
        if row is None or how is None:
            raise ServiceError(
                404,
                "not-found",
                "No such request",
                f"no request '{request_id}' concerns you",
                None,
            )
        return row, how

    @app.get("/v1/requests/{request_id}", tags=["requests"])
    async def get_request(request_id: str, caller: AnyCaller) -> Response:
        """A request's state, offer and decision, as far as it concerns the caller."""
        row, how = _row_for(request_id, caller)
        text = requester_json(row) if how == "requester" else json.dumps(wf.view(row, how))
        return Response(text, media_type="application/json")

    @app.get("/v1/decisions/{request_id}", tags=["requests"])
    def get_decision(request_id: str, caller: AnyCaller) -> dict[str, Any]:
        """The decision on a request: candidates and explanation for the requester, the
        placement for the provider it was placed with."""
        row, how = _row_for(request_id, caller)
        if how == "holder":
            view = wf.holder_view(row)
            return {"id": row["id"], "state": row["state"], "answer": view["answer"]}
        if how == "provider":
            return wf.provider_view(row, caller.party)
        full = wf.requester_view(row)
        decision = full["decision"] or {}
        return {
            "id": row["id"],
            "state": row["state"],
            "decided": row["state"] in ("placed", "unplaceable"),
            "placed": decision.get("placed"),
            "decided_by": decision.get("decided_by"),
            "candidates": decision.get("candidates", []),
            "explanation": decision.get("explanation"),
            "decision": decision or None,
        }

    @app.post("/v1/requests/{request_id}/cancel", tags=["requests"])
    def cancel(request_id: str, caller: LabCaller) -> JSONResponse:
        """Cancel a request of mine that is not placed yet."""
        status, data = wf.cancel(caller, request_id)
        return JSONResponse(data, status_code=status)

    @app.get("/v1/requests", tags=["requests"])
    def list_requests(
        caller: LabCaller,
        state: Annotated[str | None, Query(max_length=16)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """My requests, newest first."""
        rows = wf.rows(requester=caller.party, state=state, limit=limit)
        return {"requests": [wf.requester_view(r) for r in rows]}

    @app.get("/v1/offers", tags=["offers"])
    def offers(
        caller: HolderCaller,
        state: Annotated[Literal["open", "all"], Query()] = "open",
    ) -> dict[str, Any]:
        """Offers addressed to me as ROFR holder (open ones by default), with respond_by."""
        wf.expire_due()
        rows = wf.rows(holder=caller.party, state="offered" if state == "open" else None)
        return {"now": format_time(clk.now()), "offers": [wf.holder_view(r) for r in rows]}

    def _answer(
        request_id: str, caller: Caller, answer: Literal["accept", "decline"]
    ) -> JSONResponse:
        status, data = wf.answer(caller, request_id, answer)
        kind = PROBLEM if status >= 400 else "application/json"
        return JSONResponse(data, status_code=status, media_type=kind)

    @app.post("/v1/offers/{request_id}/accept", tags=["offers"])
    def accept(request_id: str, caller: HolderCaller) -> JSONResponse:
        """Accept an offer: only its holder, only once, only before respond_by (then 409)."""
        return _answer(request_id, caller, "accept")

    @app.post("/v1/offers/{request_id}/decline", tags=["offers"])
    def decline(request_id: str, caller: HolderCaller) -> JSONResponse:
        """Decline an offer: only its holder, only once, only before respond_by (then 409)."""
        return _answer(request_id, caller, "decline")

    @app.get("/v1/fleet", tags=["fleet"])
    def fleet(caller: AnyCaller) -> dict[str, Any]:
        """Capacity and commitments by provider, site and accelerator now."""
        return wf.fleet(caller)

    @app.post(
        "/v1/whatif",
        tags=["fleet"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/WhatIf"}}
                },
            }
        },
    )
    async def whatif(request: Request, caller: LabCaller) -> dict[str, Any]:
        """The same request decided with the clauses in force and `without` a clause,
        agreement or amendment (nothing is kept)."""
        body = await json_body(request)
        if not isinstance(body, dict) or set(body) - {"request", "without"}:
            extra = sorted(set(body) - {"request", "without"}) if isinstance(body, dict) else []
            raise ServiceError(
                422,
                "invalid-request",
                "The what-if is not valid",
                f"unknown field '{extra[0]}'" if extra else "expected {request, without}",
                extra[0] if extra else None,
            )
        without = body.get("without")
        if (
            not isinstance(without, list)
            or not without
            or not all(isinstance(x, str) and x for x in without)
        ):
            raise ServiceError(
                422,
                "invalid-request",
                "The what-if is not valid",
                "'without' must be a non-empty list of clause, agreement or amendment ids",
                "without",
            )
        if "request" not in body:
            raise ServiceError(
                422,
                "invalid-request",
                "The what-if is not valid",
                "'request' is required",
                "request",
            )
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(wf.whatif, caller, body["request"], without)

    # ---------------------------------------------------------------- artifacts (Cedar)
    @app.get("/v1/artifacts/{artifact_id}", tags=["governance"])
    def artifact(artifact_id: str, caller: AnyCaller) -> JSONResponse:
        """An artifact (a model, the roadmap, …) if the Cedar policy of the clauses in force
        today lets the caller's party use it (information rights included); else 403 with
        the clause that decided."""
        from stargate.governance import check

        known = {a.id: a for a in sc.artifacts}
        if artifact_id not in known:
            raise ServiceError(
                404, "not-found", "No such artifact", f"no artifact '{artifact_id}'", None
            )
        d = check(sc, caller.party, artifact_id, day=clk.now().date())
        if not d.allowed:
            raise ServiceError(
                403,
                "access-denied",
                "The policy denies access",
                d.reason,
                None,
                {"policy_sha256": d.policy_sha256, "clause": d.clause},
            )
        a = known[artifact_id]
        return JSONResponse(
            {
                "artifact": a.model_dump(mode="json"),
                "access": d.to_dict(),
            }
        )

    # ---------------------------------------------------------------- the ledger
    owner = {p.id: p.owner for p in sc.providers}
    party_ids = {p.id for p in sc.parties}

    @app.get("/v1/ledger/checkpoint", tags=["ledger"])
    def checkpoint(caller: AnyCaller) -> dict[str, Any]:
        """The current tree head (size and root) as a checkpoint note; sign it with
        `stargate ledger cosign` to keep it."""
        cp = led.checkpoint()
        return {
            "origin": cp.origin,
            "tree_size": cp.size,
            "root_hash": cp.root.hex(),
            "checkpoint": cp.note(),
        }

    @app.get("/v1/ledger/proof/inclusion", tags=["ledger"])
    def inclusion(
        entry_id: Annotated[str, Query(max_length=40)],
        caller: AnyCaller,
        tree_size: Annotated[int | None, Query(ge=0)] = None,
    ) -> dict[str, Any]:
        """An RFC 9162 inclusion proof of an entry in the tree of tree_size entries."""
        return led.prove(entry_id, tree_size).to_dict()

    @app.get("/v1/ledger/proof/consistency", tags=["ledger"])
    def consistency(
        old_size: Annotated[int, Query(ge=0)],
        caller: AnyCaller,
        new_size: Annotated[int | None, Query(ge=0)] = None,
    ) -> dict[str, Any]:
        """An RFC 9162 consistency proof between two tree sizes."""
        new = led.size() if new_size is None else new_size
        path = led.consistency(old_size, new)
        return {
            "old_size": old_size,
            "new_size": new,
            "old_root": led.root(old_size).hex(),
            "new_root": led.root(new).hex(),
            "path": [p.hex() for p in path],
        }

    @app.get("/v1/ledger/entries", tags=["ledger"])
    def entries(
        caller: AnyCaller,
        start: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        kind: Annotated[str | None, Query(max_length=40)] = None,
        request_id: Annotated[str | None, Query(max_length=128)] = None,
    ) -> dict[str, Any]:
        """Entries from leaf `start`: every entry's id, kind, times and leaf hash; the whole
        record (its canonical JSON, from which the leaf hash is recomputed) only for the
        parties it names."""
        out: list[dict[str, Any]] = []
        from stargate.ledger.core import row_to_entry

        scan_limit = limit if request_id is None else None
        for row in led.store.rows(start=start, kind=kind, limit=scan_limit):
            e = row_to_entry(row)
            if request_id is not None and e.body.get("request_id") != request_id:
                continue
            item: dict[str, Any] = {
                "seq": e.seq,
                "id": e.id,
                "kind": e.kind,
                "world_time": format_time(e.world_time),
                "appended_at": format_time(e.appended_at),
                "leaf_hash": e.leaf_hash.hex(),
            }
            if caller.party in named_parties(e, owner, party_ids):
                item["visible"] = True
                item["actor"] = e.actor
                item["body"] = e.body
                item["canonical"] = e.canonical
            else:
                item["visible"] = False
            out.append(item)
            if len(out) >= limit:
                break
        return {"tree_size": led.size(), "entries": out}

    _add_schemas(app)
    from stargate.service.dashboard import mount_dashboard

    mount_dashboard(app, ctx)
    return app


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _sweep(ctx: Context) -> None:
    """Expire offers whose respond_by has passed, every ``sweep_interval_s`` seconds."""
    while not ctx.stop.wait(ctx.settings.sweep_interval_s):
        try:
            ctx.workflow.expire_due()
            ctx.sweeps += 1
        except Exception:  # the sweeper keeps going; the next pass retries
            log.exception("sweeper pass failed")


def _version() -> str:
    from stargate.domain.provenance import stargate_version

    return stargate_version()


def _add_schemas(app: FastAPI) -> None:
    """The request schemas (the same models as the request files) in the OpenAPI document."""
    from pydantic import TypeAdapter

    from stargate.broker.request import Request as JobRequest
    from stargate.domain.model import CapacityRequest

    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = base()
        adapter: TypeAdapter[Any] = TypeAdapter(JobRequest | CapacityRequest)
        schema = adapter.json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
        defs = schema.pop("$defs", {})
        comps = doc.setdefault("components", {}).setdefault("schemas", {})
        comps.update(defs)
        comps["AnyRequest"] = schema
        comps["WhatIf"] = {
            "type": "object",
            "required": ["request", "without"],
            "additionalProperties": False,
            "properties": {
                "request": {"$ref": "#/components/schemas/AnyRequest"},
                "without": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
        }
        _add_links(doc)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


#: OpenAPI links from a submitted request (its ``id`` in the answer) to what can be done with
#: it: (name, method, path, where the id goes). Clients and schemathesis' stateful tests follow
#: them.
_LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("GetRequest", "get", "/v1/requests/{request_id}", "path.request_id"),
    ("GetDecision", "get", "/v1/decisions/{request_id}", "path.request_id"),
    ("CancelRequest", "post", "/v1/requests/{request_id}/cancel", "path.request_id"),
    ("AcceptOffer", "post", "/v1/offers/{request_id}/accept", "path.request_id"),
    ("DeclineOffer", "post", "/v1/offers/{request_id}/decline", "path.request_id"),
    ("RequestEntries", "get", "/v1/ledger/entries", "query.request_id"),
)


def _add_links(doc: dict[str, Any]) -> None:
    paths = doc.get("paths", {})
    submit = paths.get("/v1/requests", {}).get("post")
    if submit is None:
        return
    links: dict[str, Any] = {}
    for name, method, path, param in _LINKS:
        op = paths.get(path, {}).get(method)
        if op is not None and "operationId" in op:
            links[name] = {
                "operationId": op["operationId"],
                "parameters": {param: "$response.body#/id"},
            }
    for status in ("201", "200"):
        if status in submit.get("responses", {}):
            submit["responses"][status]["links"] = links

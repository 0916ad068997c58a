"""The web dashboard: server-rendered pages in the same process as the API.

A party signs in by pasting its token (``POST /signin``); the token is kept in an HttpOnly,
SameSite=Strict cookie (``stargate_session``) and never written into a URL, a page or a log.
``GET /dashboard`` shows what concerns the caller, read through the same
:class:`~stargate.service.workflow.Workflow` calls and visibility rules as the API (``fleet``,
``concerns`` and its views, ``named_parties`` for ledger entries), so the pages open no path
to data the API would refuse.

Every form that changes state (submit, cancel, accept, decline) carries a CSRF token: an HMAC
of the session token under a random key made when the dashboard is mounted. A POST without
it, or with a wrong one, is a 403 page and changes nothing. Refusals of the workflow (an
expired offer, an invalid request) are shown as a message on the page with their status.
A change that worked redirects to ``GET /dashboard`` (post/redirect/get), which shows its
outcome once. Jinja2 autoescapes every value; the charts are inline SVG built from plain
numbers here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, quote, unquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from stargate.errors import InputError
from stargate.ledger.entry import format_time
from stargate.service import tokens
from stargate.service.clock import wall_utc
from stargate.service.tokens import Caller
from stargate.service.workflow import ServiceError, input_problem

if TYPE_CHECKING:
    from jinja2 import Environment

    from stargate.money.revenue import RevenueShares
    from stargate.service.app import Context

COOKIE = "stargate_session"
#: The outcome of the last change, shown once by the page it redirects to (never a token).
FLASH = "stargate_flash"
TEMPLATES = Path(__file__).with_name("templates")
#: A sign-in or action form is small; anything longer is refused before it is parsed.
MAX_FORM_BYTES = 16 * 1024
RECENT_REQUESTS = 20
RECENT_ENTRIES = 25


@dataclass(frozen=True)
class Message:
    """A line at the top of the page: the outcome of an action, or a refusal."""

    kind: Literal["ok", "error"]
    text: str
    status: int = 200
    field: str | None = None


@dataclass(frozen=True)
class Bar:
    """One bar of an inline SVG chart (coordinates in the chart's own units)."""

    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    color: str


def bars(
    items: list[tuple[str, float, str, str]], *, width: float = 560.0, row_h: float = 22.0
) -> tuple[list[Bar], float]:
    """Horizontal bars for ``(label, value, value text, colour)``: the longest fills the
    chart's bar area; the chart's height follows the number of bars."""
    top = max((v for _l, v, _t, _c in items), default=0.0)
    label_w, text_w = 150.0, 110.0
    span = width - label_w - text_w
    out = []
    for i, (label, value, text, color) in enumerate(items):
        w = 0.0 if top <= 0 else max(1.0, span * value / top)
        out.append(Bar(label, text, label_w, i * row_h + 3, w, row_h - 6, color))
    return out, max(row_h, len(items) * row_h)


def usd(value: Decimal | float) -> str:
    """$1.2B, $340.5M, $86.8k: short money labels for the charts."""
    v = Decimal(str(value))
    for div, suffix in (
        (Decimal(10**12), "T"),
        (Decimal(10**9), "B"),
        (Decimal(10**6), "M"),
        (Decimal(10**3), "k"),
    ):
        if abs(v) >= div:
            return f"${v / div:,.1f}{suffix}"
    return f"${v:,.2f}"


def when(text: str | None) -> str:
    """``2025-01-24T00:00:01.594404Z`` → ``2025-01-24 00:00 UTC`` (the full instant stays in
    the page's data attributes and titles)."""
    if not text:
        return "—"
    day, _, rest = text.partition("T")
    return f"{day} {rest[:5]} UTC" if rest else day


def money(text: str | None) -> str:
    """A decimal string as dollars to the cent: ``320000.0000`` → ``$320,000.00``."""
    if text is None:
        return "—"
    try:
        return f"${Decimal(text):,.2f}"
    except (InvalidOperation, ValueError):
        return str(text)


def mount_dashboard(app: FastAPI, ctx: Context) -> None:
    """Add the dashboard's pages to ``app`` (outside the OpenAPI document)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from stargate.report.palette import provider_colors

    env: Environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["money"] = money
    csrf_key = secrets.token_bytes(32)
    wf = ctx.workflow
    sc = ctx.scenario
    colors = provider_colors([p.id for p in sc.providers])
    owner: dict[str, str | None] = {p.id: p.owner for p in sc.providers}
    party_ids = {p.id for p in sc.parties}
    cache: dict[str, RevenueShares] = {}
    cache_lock = threading.Lock()

    def csrf_of(token: str) -> str:
        return hmac.new(csrf_key, token.encode("utf-8"), hashlib.sha256).hexdigest()

    def session(request: Request) -> tuple[Caller, str] | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        who = tokens.authenticate(wf.reader, token, wall_utc())
        return None if who is None else (who, token)

    def page(name: str, status: int = 200, **data: Any) -> HTMLResponse:
        # Only the page's own script runs (its nonce); forms post only here; no framing.
        nonce = secrets.token_urlsafe(16)
        html = env.get_template(name).render(scenario=sc.id, nonce=nonce, **data)
        return HTMLResponse(
            html,
            status_code=status,
            headers={
                "Cache-Control": "no-store",
                "Content-Security-Policy": (
                    f"default-src 'none'; script-src 'nonce-{nonce}'; "
                    "style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
                    "base-uri 'none'; frame-ancestors 'none'"
                ),
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "same-origin",  # no-referrer would make Origin "null"
            },
        )

    def to_signin() -> RedirectResponse:
        return RedirectResponse("/", status_code=303)

    async def form_of(request: Request) -> dict[str, str] | None:
        """The url-encoded form (first value of each field), or None when it is too large
        or not text."""
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_FORM_BYTES:
                return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}

    def forbidden(detail: str) -> HTMLResponse:
        return page("forbidden.html", 403, detail=detail)

    def revenue() -> RevenueShares:
        with cache_lock:
            if "shares" not in cache:
                from stargate.money import revenue_shares

                cache["shares"] = revenue_shares(sc)
            return cache["shares"]

    # ------------------------------------------------------------------ the page's parts
    def fleet_part(caller: Caller) -> dict[str, Any]:
        fleet = wf.fleet(caller)
        by_provider: dict[str, Decimal] = {}
        for r in fleet["reservations"]:
            by_provider[r["provider"]] = by_provider.get(r["provider"], Decimal(0)) + Decimal(
                r["committed_usd_per_hour"]
            )
        cap_bars, cap_h = bars(
            [
                (p, float(n), f"{n:,}", colors.get(p, "#888"))
                for p, n in sorted(fleet["accelerators_by_provider"].items())
            ]
        )
        spend_bars, spend_h = bars(
            [
                (p, float(v), usd(v) + "/h", colors.get(p, "#888"))
                for p, v in sorted(by_provider.items())
            ]
        )
        return {
            "rows": fleet["reservations"],
            "at": fleet["at"],
            "cap_bars": cap_bars,
            "cap_h": cap_h,
            "spend_bars": spend_bars,
            "spend_h": spend_h,
            "spend_total": usd(sum(by_provider.values(), Decimal(0))) + "/h",
        }

    def offers_part(caller: Caller) -> dict[str, Any]:
        if caller.role != "holder":
            return {"open": [], "recent": []}
        wf.expire_due()
        rows = wf.rows(holder=caller.party, limit=RECENT_REQUESTS)
        views = [wf.holder_view(r) for r in rows]
        return {
            "open": [v for v in views if v["state"] == "offered"],
            "recent": [v for v in views if v["state"] != "offered"],
        }

    def requests_part(caller: Caller) -> list[dict[str, Any]]:
        if caller.role != "lab":
            return []
        out = []
        for row in wf.rows(requester=caller.party, limit=RECENT_REQUESTS):
            if wf.concerns(row, caller) != "requester":
                continue
            v = wf.requester_view(row)
            d = v["decision"] or {}
            placed_at = [
                f"{r.get('accelerators', 0):,} × {r.get('accelerator')} at {r.get('site')} "
                f"({r.get('provider')})"
                for r in d.get("rows", [])
                if r.get("placed")
            ]
            if not placed_at and d.get("provider"):
                placed_at = [f"{d.get('count')} × {d.get('accelerator')} at {d.get('provider')}"]
            out.append({**v, "placed_at": placed_at, "decided_by": d.get("decided_by")})
        return out

    def placements_part(caller: Caller) -> list[dict[str, Any]]:
        if caller.role not in ("provider", "holder"):
            return []
        out = []
        for row in wf.rows(limit=200):
            if wf.concerns(row, caller) == "provider":
                out.append(wf.provider_view(row, caller.party))
        return out

    def revenue_part(caller: Caller) -> dict[str, Any]:
        """The scenario's revenue-share transfers by year, of the payer and payee only (the
        admin sees all): the API shows none, so the page shows no more than the parties'
        own contracts."""
        shares = revenue()
        rows = [
            t
            for t in shares.transfers
            if caller.role == "admin" or caller.party in (t.payer, t.payee)
        ]
        items = []
        for t in sorted(rows, key=lambda t: (t.year, t.clause_id)):
            v = t.transfer_usd
            label = f"{t.year} {t.payer}→{t.payee}"
            text = "unquantified" if v is None else usd(v) + (" (≤)" if t.upper_bound else "")
            items.append((label, float(v or 0), text, colors.get(t.payee, "#6a5acd")))
        rev_bars, rev_h = bars(items)
        return {"bars": rev_bars, "h": rev_h, "count": len(rows)}

    def ledger_part(caller: Caller) -> dict[str, Any]:
        from stargate.ledger.core import row_to_entry

        led = ctx.ledger
        cp = led.checkpoint()
        start = max(0, cp.size - RECENT_ENTRIES)
        items = []
        for row in led.store.rows(start=start, limit=RECENT_ENTRIES):
            e = row_to_entry(row)
            visible = caller.party in _named(e)
            items.append(
                {
                    "seq": e.seq,
                    "kind": e.kind,
                    "world_time": format_time(e.world_time),
                    "leaf_hash": e.leaf_hash.hex(),
                    "visible": visible,
                    "actor": e.actor if visible else None,
                    "request_id": e.body.get("request_id") if visible else None,
                    "to": e.body.get("to") if visible else None,
                }
            )
        items.reverse()
        return {"size": cp.size, "root": cp.root.hex(), "origin": cp.origin, "entries": items}

    def _named(e: Any) -> set[str]:
        from stargate.service.app import named_parties

        return named_parties(e, owner, party_ids)

    def dashboard(
        caller: Caller,
        token: str,
        message: Message | None = None,
        form: dict[str, str] | None = None,
    ) -> HTMLResponse:
        now = ctx.clock.now()
        data = {
            "caller": caller,
            "csrf": csrf_of(token),
            "now": format_time(now),
            "message": message,
            "fleet": fleet_part(caller),
            "offers": offers_part(caller),
            "requests": requests_part(caller),
            "placements": placements_part(caller),
            "revenue": revenue_part(caller),
            "ledger": ledger_part(caller),
            "classes": [c.id for c in sc.workload_classes],
            "types": [a.id for a in sc.accelerators],
            "form": form or {},
            "idempotency_key": uuid.uuid4().hex,
        }
        return page("dashboard.html", message.status if message else 200, **data)

    # ------------------------------------------------------------------ routes
    def cross_site(request: Request) -> bool:
        """A POST whose ``Origin`` is another site's (browsers send it with every POST; a
        client that sends none is not a browser acting for someone else)."""
        origin = request.headers.get("origin")
        if origin is None:
            return False
        return origin != f"{request.url.scheme}://{request.headers.get('host', '')}"

    @app.get("/", include_in_schema=False)
    def signin_page(request: Request) -> Response:
        if session(request) is not None:
            return RedirectResponse("/dashboard", status_code=303)
        return page("signin.html")

    @app.post("/signin", include_in_schema=False)
    async def signin(request: Request) -> Response:
        if cross_site(request):  # login CSRF: another site signing the browser in as itself
            return forbidden("Sign in from this service's own page.")
        form = await form_of(request)
        if form is None:
            return page("signin.html", 413, error="The form is too large.")
        return await run_in_threadpool(do_signin, request, form.get("token", "").strip())

    def do_signin(request: Request, token: str) -> Response:
        who = tokens.authenticate(wf.reader, token, wall_utc()) if token else None
        if who is None:
            return page("signin.html", 401, error="That token is unknown, revoked or expired.")
        resp = RedirectResponse("/dashboard", status_code=303)
        max_age = max(0, int((who.expires_at - wall_utc()).total_seconds()))
        resp.set_cookie(
            COOKIE,
            token,
            max_age=max_age,
            httponly=True,
            samesite="strict",
            path="/",
            secure=request.url.scheme == "https",
        )
        return resp

    @app.post("/signout", include_in_schema=False)
    async def signout(request: Request) -> Response:
        g = await guarded(request)
        if isinstance(g, Response) and g.status_code != 303:
            return g  # a forged sign-out is refused like any other form
        resp = RedirectResponse("/", status_code=303)
        resp.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return resp

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page(request: Request) -> Response:
        s = session(request)
        if s is None:
            return to_signin()
        flash = request.cookies.get(FLASH)
        text = unquote(flash)[:500] if flash else None
        resp = dashboard(*s, Message("ok", text) if text else None)
        if flash is not None:
            resp.delete_cookie(FLASH, path="/dashboard", httponly=True, samesite="strict")
        return resp

    def done_redirect(text: str) -> Response:
        """After a change that worked: back to the dashboard with a GET (so that a reload
        does not post the form again), the outcome carried once in a short-lived cookie."""
        resp = RedirectResponse("/dashboard", status_code=303)
        resp.set_cookie(
            FLASH, quote(text), max_age=60, httponly=True, samesite="strict", path="/dashboard"
        )
        return resp

    async def guarded(request: Request) -> tuple[Caller, str, dict[str, str]] | Response:
        """The session and the form of a state-changing POST, or the response refusing it:
        to sign-in without a session; 403 from another site or without the right CSRF
        token; 413 for a form over MAX_FORM_BYTES."""
        s = await run_in_threadpool(session, request)
        if s is None:
            return to_signin()
        if cross_site(request):
            return forbidden("The form was posted from another site; nothing was changed.")
        form = await form_of(request)
        if form is None:
            return page("forbidden.html", 413, detail="The form is too large or not text.")
        sent = form.get("csrf", "")
        if not sent or not hmac.compare_digest(sent, csrf_of(s[1])):
            return forbidden("The form's CSRF token is missing or wrong; nothing was changed.")
        return s[0], s[1], form

    def refused(err: ServiceError) -> Message:
        where = f" (field: {err.field})" if err.field else ""
        return Message("error", f"{err.title}: {err.detail}{where}", err.status, err.field)

    @app.post("/dashboard/offers/{request_id}/{answer}", include_in_schema=False)
    async def answer_offer(request: Request, request_id: str, answer: str) -> Response:
        g = await guarded(request)
        if isinstance(g, Response):
            return g
        return await run_in_threadpool(do_answer, g[0], g[1], request_id, answer)

    def do_answer(caller: Caller, token: str, request_id: str, answer: str) -> Response:
        if answer not in ("accept", "decline"):
            return dashboard(caller, token, Message("error", f"Unknown answer '{answer}'.", 404))
        if caller.role != "holder":
            return dashboard(
                caller, token, Message("error", "Only a holder's token may answer offers.", 403)
            )
        try:
            status, data = wf.answer(caller, request_id, answer)  # type: ignore[arg-type]
        except ServiceError as e:
            return dashboard(caller, token, refused(e))
        if status >= 400:
            return dashboard(
                caller,
                token,
                Message("error", f"{data.get('title')}: {data.get('detail')}", status),
            )
        done = "accepted" if answer == "accept" else "declined"
        return done_redirect(f"Offer {request_id} {done}.")

    @app.post("/dashboard/requests/{request_id}/cancel", include_in_schema=False)
    async def cancel_request(request: Request, request_id: str) -> Response:
        g = await guarded(request)
        if isinstance(g, Response):
            return g
        return await run_in_threadpool(do_cancel, g[0], g[1], request_id)

    def do_cancel(caller: Caller, token: str, request_id: str) -> Response:
        if caller.role != "lab":
            return dashboard(
                caller, token, Message("error", "Only a lab's token may cancel requests.", 403)
            )
        try:
            wf.cancel(caller, request_id)
        except ServiceError as e:
            return dashboard(caller, token, refused(e))
        return done_redirect(f"Request {request_id} cancelled.")

    @app.post("/dashboard/requests", include_in_schema=False)
    async def submit_request(request: Request) -> Response:
        g = await guarded(request)
        if isinstance(g, Response):
            return g
        return await run_in_threadpool(do_submit, *g)

    def do_submit(caller: Caller, token: str, form: dict[str, str]) -> Response:
        if caller.role != "lab":
            return dashboard(
                caller, token, Message("error", "Only a lab's token may submit requests.", 403)
            )
        key = form.get("idempotency_key", "").strip()[:255] or uuid.uuid4().hex
        body = request_body(caller.party, form)
        try:
            _status, data = wf.submit(caller, body, key, ctx.in_flight)
        except ServiceError as e:
            return dashboard(caller, token, refused(e), form)
        except InputError as e:
            return dashboard(caller, token, refused(input_problem(e)), form)
        return done_redirect(f"Request {data['id']} submitted: {data['state']}.")


def request_body(requester: str, form: dict[str, str]) -> dict[str, Any]:
    """A capacity request from the dashboard's form. Numbers that do not parse are passed on
    as text, so that the request parser refuses them naming the field."""
    types = [t.strip() for t in form.get("types", "").replace(",", " ").split() if t.strip()]
    classes = [c.strip() for c in form.get("workload_class", "").split(",") if c.strip()]
    return {
        "id": form.get("id", "").strip(),
        "kind": "capacity",
        "requester": requester,
        "workload_classes": classes,
        "accelerators": {"count": _number(form.get("count", ""), int), "types": types},
        "term_years": _number(form.get("term_years", ""), float),
    }


def _number(text: str, kind: type[int] | type[float]) -> int | float | str:
    t = text.strip()
    try:
        if kind is int:
            return int(t)
        d = Decimal(t)
        if not d.is_finite():
            return t
        return float(d)
    except (ValueError, InvalidOperation):
        return t

"""docs/service.md's transition table is the workflow's."""

from __future__ import annotations

import re
from pathlib import Path

from stargate.service.workflow import STATES, TRANSITIONS
from tests.service.conftest import Svc

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"


def test_the_docs_table_is_the_transition_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- transitions: stargate.service.workflow.TRANSITIONS -->")[1]
    block = block.split("<!-- /transitions -->")[0]
    rows = set()
    for line in block.strip().splitlines()[2:]:
        frm, to, who, kind = (c.strip() for c in line.strip("|").split("|"))
        rows.add((None if frm == "(start)" else frm, to, who, kind.strip("`")))
    assert rows == {(f, t, who, kind) for (f, t), (who, kind) in TRANSITIONS.items()}


def test_every_state_is_reachable_and_every_non_final_state_can_leave() -> None:
    reached = {t for (_f, t) in TRANSITIONS}
    assert reached == set(STATES)
    leaving = {f for (f, _t) in TRANSITIONS if f is not None}
    assert leaving == set(STATES) - {"placed", "unplaceable", "cancelled"}


def test_the_docs_name_every_endpoint(svc: Svc) -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = {p.split("?")[0] for p in re.findall(r"`(?:GET|POST) (/[^`\s]*)`", text)}
    documented |= {p.rsplit("/", 1)[0] + "/decline" for p in documented if p.endswith("/accept")}
    routes = {
        getattr(r, "path", "").replace("{request_id}", "{id}").replace("{artifact_id}", "{id}")
        for r in svc.app.routes
    }
    api = {r for r in routes if r.startswith("/v1/") or r == "/healthz"}
    assert api - documented == set()

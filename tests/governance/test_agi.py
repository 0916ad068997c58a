"""The AGI path: events applied by the one rule (the ledger extends the scenario's dates),
new events checked against the clause, and `stargate agi declare/verify` on a SQLite ledger."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.model import AgiClause, Scenario
from stargate.errors import InputError
from stargate.governance import AgiEvent, apply_events, events_from_entries, plan_event
from stargate.ledger import EntryIn, open_ledger
from tests.governance.conftest import DECLARED_OCT, VERIFIED_OCT

runner = CliRunner()


def agi(s: Scenario, clause_id: str) -> AgiClause:
    for _, cl in s.clauses():
        if cl.id == clause_id:
            assert isinstance(cl, AgiClause)
            return cl
    raise AssertionError(clause_id)


# --------------------------------------------------------------------------- apply_events


def test_events_set_the_clause_dates(october: Scenario) -> None:
    applied = apply_events(october, [DECLARED_OCT, VERIFIED_OCT])
    panel = agi(applied.scenario, "agi-expert-panel")
    assert panel.declared_on == date(2026, 1, 1)
    assert panel.verified_on == date(2026, 2, 1)
    assert panel.verified_at() == date(2026, 2, 1)
    assert applied.counted == (DECLARED_OCT, VERIFIED_OCT)
    assert agi(october, "agi-expert-panel").declared_on is None  # the input is untouched


def test_the_earliest_date_counts(october: Scenario) -> None:
    later = AgiEvent("declaration", "agi-expert-panel", "openai-nonprofit", date(2026, 3, 1))
    applied = apply_events(october, [later, DECLARED_OCT])
    assert agi(applied.scenario, "agi-expert-panel").declared_on == date(2026, 1, 1)


def test_the_ledger_never_moves_a_date_the_scenario_states(october: Scenario) -> None:
    stated = apply_events(october, [DECLARED_OCT]).scenario  # as if the YAML said 2026-01-01
    later = AgiEvent("declaration", "agi-expert-panel", "openai-nonprofit", date(2026, 3, 1))
    assert agi(apply_events(stated, [later]).scenario, "agi-expert-panel").declared_on == date(
        2026, 1, 1
    )


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (
            AgiEvent("declaration", "agi-expert-panel", "microsoft", date(2026, 1, 1)),
            "names openai-nonprofit to declare AGI, not microsoft",
        ),
        (
            AgiEvent("verification", "agi-expert-panel", "openai", date(2026, 2, 1)),
            "names independent-expert-panel to verify AGI, not openai",
        ),
        (VERIFIED_OCT, "no declaration under 'agi-expert-panel' on or before 2026-02-01"),
        (
            AgiEvent("verification", "agi-clause", "independent-expert-panel", date(2025, 2, 1)),
            "'agi-clause' requires no verification",
        ),
        (
            AgiEvent("declaration", "agi-expert-panel", "openai-nonprofit", date(2025, 1, 1)),
            "not in force on 2025-01-01",
        ),
        (
            AgiEvent("declaration", "nosuch", "openai-nonprofit", date(2025, 1, 1)),
            "no agi_clause 'nosuch'",
        ),
    ],
)
def test_events_that_do_not_count(october: Scenario, event: AgiEvent, reason: str) -> None:
    applied = apply_events(october, [event])
    assert applied.scenario is october
    assert applied.counted == ()
    assert len(applied.ignored) == 1
    assert reason in applied.ignored[0].reason


def test_events_from_entries_reads_only_agi_kinds() -> None:
    class E:
        def __init__(self, kind: str, body: dict[str, Any]) -> None:
            self.id, self.kind, self.actor = "e-000000000001", kind, "openai-nonprofit"
            self.world_time, self.body = datetime(2026, 1, 1, 12), body

    events = events_from_entries(
        [E("charge", {"amount_usd": "1"}), E("agi_declaration", {"clause": "agi-expert-panel"})]
    )
    assert events == [
        AgiEvent(
            "declaration",
            "agi-expert-panel",
            "openai-nonprofit",
            date(2026, 1, 1),
            "e-000000000001",
        )
    ]


# --------------------------------------------------------------------------- plan_event


def test_plan_finds_the_clause_in_force(october: Scenario) -> None:
    jan = plan_event(october, "declaration", "openai-nonprofit", date(2025, 6, 1))
    oct_ = plan_event(october, "declaration", "openai-nonprofit", date(2026, 1, 1))
    assert jan.event.clause == "agi-clause"
    assert oct_.event.clause == "agi-expert-panel"
    assert oct_.entry_kind == "agi_declaration"
    assert oct_.body()["contract"] == "microsoft-openai"


@pytest.mark.parametrize(
    ("kind", "by", "day", "recorded", "path", "message"),
    [
        ("declaration", "microsoft", date(2026, 1, 1), [], "by", "not named to declare"),
        ("verification", "openai-nonprofit", date(2026, 2, 1), [DECLARED_OCT], "by", "verify"),
        ("verification", "independent-expert-panel", date(2025, 6, 1), [], "by",
         "requires verification"),
        ("verification", "independent-expert-panel", date(2026, 2, 1), [], "day",
         "nothing to verify"),
        ("declaration", "openai-nonprofit", date(2026, 3, 1), [DECLARED_OCT], "day",
         "already declared"),
        ("verification", "independent-expert-panel", date(2026, 3, 1),
         [DECLARED_OCT, VERIFIED_OCT], "day", "already verified"),
        ("declaration", "openai-nonprofit", date(2026, 5, 1), [], "day",
         "no agi_clause is in force"),
        ("declaration", "openai-nonprofit", date(2019, 1, 1), [], "day",
         "no agi_clause is in force"),
    ],
)  # fmt: skip
def test_plan_refuses(
    october: Scenario,
    kind: Any,
    by: str,
    day: date,
    recorded: list[AgiEvent],
    path: str,
    message: str,
) -> None:
    with pytest.raises(InputError, match=message) as info:
        plan_event(october, kind, by, day, recorded=recorded)
    assert info.value.problems[0].path == path


def test_plan_with_an_unknown_clause_suggests_one(october: Scenario) -> None:
    with pytest.raises(InputError, match="did you mean 'agi-clause'"):
        plan_event(october, "declaration", "openai-nonprofit", date(2025, 6, 1), clause="agi-claus")


# --------------------------------------------------------------------------- the CLI


def run(*args: str) -> Any:
    return runner.invoke(
        app, list(args), env={"STARGATE_DEBUG": None, "STARGATE_DATABASE_URL": None}
    )


def size(url: str) -> int:
    with open_ledger(url) as led:
        return led.size()


def test_declare_verify_and_check_on_a_ledger(any_url: str) -> None:
    """On a SQLite file and on PostgreSQL."""
    url = any_url
    research = ("access", "check", "--party", "microsoft", "--artifact", "openai-research-methods")
    assert run(*research, "--at", "2026-03-01", "--db", url).exit_code == 0

    r = run("agi", "declare", "--by", "openai-nonprofit", "--at", "2026-01-01", "--db", url)
    assert r.exit_code == 0, r.output
    assert "recorded e-000000000000" in r.output
    assert "agi-expert-panel" in r.output
    # declared, not verified: research IP continues under the October terms
    assert run(*research, "--at", "2026-03-01", "--db", url).exit_code == 0

    r = run("agi", "verify", "--by", "independent-expert-panel", "--at", "2026-02-01", "--db", url)
    assert r.exit_code == 0, r.output
    denied = run(*research, "--at", "2026-03-01", "--db", url)
    assert denied.exit_code == 3, denied.output
    assert "DENY" in denied.output
    assert "ended when AGI was verified under 'agi-expert-panel' on 2026-02-01" in denied.output
    assert "(e-000000000001)" in denied.output
    # before the verification's day it still holds
    assert run(*research, "--at", "2026-01-31", "--db", url).exit_code == 0
    # the scenario alone (no --db) knows nothing of the ledger
    assert run(*research, "--at", "2026-03-01").exit_code == 0

    with open_ledger(url) as led:
        entries = list(led.entries())
    assert [e.kind for e in entries] == ["agi_declaration", "agi_verification"]
    assert [e.actor for e in entries] == ["openai-nonprofit", "independent-expert-panel"]
    assert entries[1].body["clause"] == "agi-expert-panel"
    assert len(entries[0].provenance["scenario_sha256"]) == 64
    assert entries[0].world_time == datetime(2026, 1, 1)


@pytest.mark.parametrize(
    "args",
    [
        ("declare", "--by", "microsoft", "--at", "2026-01-01"),
        ("verify", "--by", "openai-nonprofit", "--at", "2026-02-01"),
        ("verify", "--by", "independent-expert-panel", "--at", "2026-02-01"),  # not declared
        ("verify", "--by", "independent-expert-panel", "--at", "2025-06-01"),  # Jan terms
        ("declare", "--by", "openai-nonprofit", "--at", "2026-13-01"),
        ("declare", "--by", "openai-nonprofit", "--at", "2026-01-01", "--clause", "agi-clause"),
        ("declare", "--by", "openai-nonprofit", "--at", "2026-01-01", "--scenario", "nosuch.yaml"),
    ],
)
def test_a_refused_event_writes_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    r = run("agi", *args, "--db", url)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert r.output.strip()
    assert size(url) == 0


def test_a_second_declaration_is_refused_and_names_the_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    assert (
        run(
            "agi", "declare", "--by", "openai-nonprofit", "--at", "2025-06-01", "--db", url
        ).exit_code
        == 0
    )
    again = run("agi", "declare", "--by", "openai-nonprofit", "--at", "2025-07-01", "--db", url)
    assert again.exit_code == 2
    assert "e-000000000000" in again.output
    assert size(url) == 1


def test_an_event_appended_by_someone_else_is_ignored_with_a_warning(tmp_path: Path) -> None:
    """An entry the CLI would refuse (written through the API) does not count, and says so."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with open_ledger(url) as led:
        led.append(
            [
                EntryIn(
                    "agi_declaration", "microsoft", datetime(2025, 6, 1), {"clause": "agi-clause"}
                )
            ]
        )
    r = runner.invoke(
        app,
        ["access", "check", "--party", "microsoft", "--artifact", "gpt-5", "--at", "2025-09-01",
         "--db", url, "--without", "microsoft-openai-2025-10"],
        env={"STARGATE_DEBUG": None, "STARGATE_DATABASE_URL": None},
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "ignored: 'agi-clause' names openai-nonprofit to declare AGI, not microsoft" in r.output

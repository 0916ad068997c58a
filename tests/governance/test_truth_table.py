"""The access truth table on the default scenario: before and after an AGI declaration, before
and after its verification, before and after the clause's end, under the January 2025 terms
(without microsoft-openai-2025-10) and the October 2025 terms, with and without a stake in a
competitor, and unknown parties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from stargate.domain.model import Scenario
from stargate.governance import AgiEvent, check
from tests.governance.conftest import (
    DECLARED_JAN,
    DECLARED_OCT,
    VERIFIED_OCT,
    stake,
    with_contract,
)


@dataclass(frozen=True)
class Row:
    name: str
    terms: str  # "january" | "october" | a stake: "october+amazon-anthropic"
    party: str
    artifact: str
    day: date
    allowed: bool
    clause: str | None
    events: tuple[AgiEvent, ...] = ()
    action: str | None = None


D = date
ROWS = [
    # --- January 2025 terms: AGI technology leaves the grantee's rights on declaration
    Row("jan: before declaration", "january", "microsoft", "gpt-5", D(2025, 9, 1), True,
        "microsoft-ip-rights"),
    Row("jan: after declaration, post-AGI model", "january", "microsoft", "gpt-5",
        D(2025, 9, 1), False, "agi-clause", (DECLARED_JAN,)),
    Row("jan: after declaration, still denied in November", "january", "microsoft", "gpt-5",
        D(2025, 11, 1), False, "agi-clause", (DECLARED_JAN,)),
    Row("jan: after declaration, unreleased infrastructure", "january", "microsoft",
        "openai-xpu-design", D(2025, 9, 1), False, "agi-clause", (DECLARED_JAN,)),
    Row("jan: after declaration, pre-AGI model", "january", "microsoft", "gpt-4o",
        D(2025, 9, 1), True, "microsoft-ip-rights", (DECLARED_JAN,)),
    Row("jan: a model released on the declaration day is AGI technology", "january",
        "microsoft", "gpt-5", D(2025, 9, 1), False, "agi-clause",
        (AgiEvent("declaration", "agi-clause", "openai-nonprofit", D(2025, 8, 7)),)),
    Row("jan: a model released the day before is not", "january", "microsoft", "gpt-5",
        D(2025, 9, 1), True, "microsoft-ip-rights",
        (AgiEvent("declaration", "agi-clause", "openai-nonprofit", D(2025, 8, 8)),)),
    Row("jan: the declaration counts from its day", "january", "microsoft", "gpt-5",
        D(2025, 5, 31), True, "microsoft-ip-rights", (DECLARED_JAN,)),
    Row("jan: control passes to the nonprofit", "january", "openai-nonprofit", "gpt-5",
        D(2025, 9, 1), True, "agi-clause", (DECLARED_JAN,)),
    Row("jan: the nonprofit has nothing before it", "january", "openai-nonprofit", "gpt-5",
        D(2025, 5, 1), False, None),
    Row("jan: research is not granted", "january", "microsoft", "openai-research-methods",
        D(2025, 11, 1), False, None),
    Row("jan: last day of the clause", "january", "microsoft", "gpt-4o", D(2030, 12, 31), True,
        "microsoft-ip-rights"),
    Row("jan: after the clause's end", "january", "microsoft", "gpt-4o", D(2031, 1, 1), False,
        None),
    # --- October 2025 terms: models continue to 2032 with post-AGI models; research ends
    Row("oct: a Jan-terms declaration no longer carves models out", "october", "microsoft",
        "gpt-5", D(2025, 11, 1), True, "microsoft-ip-rights", (DECLARED_JAN,)),
    Row("oct: research before declaration", "october", "microsoft", "openai-research-methods",
        D(2025, 12, 1), True, "microsoft-research-ip"),
    Row("oct: research after declaration, before verification", "october", "microsoft",
        "openai-research-methods", D(2026, 1, 15), True, "microsoft-research-ip",
        (DECLARED_OCT,)),
    Row("oct: research after verification", "october", "microsoft", "openai-research-methods",
        D(2026, 3, 1), False, None, (DECLARED_OCT, VERIFIED_OCT)),
    Row("oct: a verification without its declaration does not count", "october", "microsoft",
        "openai-research-methods", D(2026, 3, 1), True, "microsoft-research-ip",
        (VERIFIED_OCT,)),
    Row("oct: post-AGI model after verification", "october", "microsoft",
        "next-frontier-model", D(2029, 6, 1), True, "microsoft-ip-rights",
        (DECLARED_OCT, VERIFIED_OCT)),
    Row("oct: research, last day without AGI", "october", "microsoft",
        "openai-research-methods", D(2030, 12, 31), True, "microsoft-research-ip"),
    Row("oct: research after the clause's end", "october", "microsoft",
        "openai-research-methods", D(2031, 1, 1), False, None),
    Row("oct: models, last day", "october", "microsoft", "gpt-5", D(2032, 12, 31), True,
        "microsoft-ip-rights"),
    Row("oct: models after the clause's end", "october", "microsoft", "gpt-5", D(2033, 1, 1),
        False, None),
    Row("oct: research before the October terms", "october", "microsoft",
        "openai-research-methods", D(2025, 10, 27), False, None),
    # --- roadmaps: investors read them, unless they hold a stake in a competitor
    Row("roadmap: an investor", "october", "microsoft", "openai-roadmap", D(2026, 6, 1), True,
        "microsoft-investment"),
    Row("roadmap: amazon, an investor from 2026-02-27", "october", "amazon", "openai-roadmap",
        D(2026, 6, 1), True, "amazon-investment-2026-02"),
    Row("roadmap: amazon before its investment", "october", "amazon", "openai-roadmap",
        D(2026, 1, 1), False, None),
    Row("roadmap: amazon with a stake in anthropic", "october+amazon-anthropic", "amazon",
        "openai-roadmap", D(2026, 6, 1), False, "roadmap-access"),
    Row("roadmap: microsoft with a stake in google (a competitor)", "october+microsoft-google",
        "microsoft", "openai-roadmap", D(2026, 6, 1), False, "microsoft-in-google"),
    Row("roadmap: microsoft's stake in google leaves its model rights", "october+microsoft-google",
        "microsoft", "gpt-5", D(2026, 6, 1), True, "microsoft-ip-rights"),
    Row("roadmap: a competitor", "october", "xai", "openai-roadmap", D(2026, 6, 1), False, None),
    Row("roadmap: use is not the action", "october", "microsoft", "openai-roadmap",
        D(2026, 6, 1), False, None, action="use"),
    # --- parties: the owner, a competitor, unknown parties
    Row("owner", "october", "openai", "openai-research-methods", D(2031, 1, 1), True, None),
    Row("a competitor has no rights", "october", "xai", "gpt-5", D(2026, 6, 1), False, None),
    Row("an unknown party is denied", "october", "nobody", "gpt-5", D(2026, 6, 1), False, None),
    Row("an unknown party is denied a roadmap", "october", "Microsoft", "openai-roadmap",
        D(2026, 6, 1), False, None),
]  # fmt: skip


def scenario_for(terms: str, january: Scenario, october: Scenario) -> Scenario:
    base, _, extra = terms.partition("+")
    s = january if base == "january" else october
    if extra:
        investor, _, investee = extra.partition("-")
        s = with_contract(s, stake(investor, investee))
    return s


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_truth_table(row: Row, january: Scenario, october: Scenario) -> None:
    s = scenario_for(row.terms, january, october)
    d = check(s, row.party, row.artifact, action=row.action, day=row.day, events=row.events)
    assert d.allowed is row.allowed, d.reason
    assert d.clause == row.clause, d.reason
    assert len(d.policy_sha256) == 64


def test_unknown_party_is_marked(october: Scenario) -> None:
    d = check(october, "microsft", "gpt-5", day=date(2026, 6, 1))
    assert not d.allowed
    assert not d.known_party
    assert "did you mean 'microsoft'?" in d.notes


def test_a_default_deny_says_why_the_clause_does_not_apply(october: Scenario) -> None:
    d = check(
        october,
        "microsoft",
        "openai-research-methods",
        day=date(2026, 3, 1),
        events=[DECLARED_OCT, VERIFIED_OCT],
    )
    assert d.decided_by == ()
    assert any("ended when AGI was verified" in n for n in d.notes), d.notes
    expired = check(october, "microsoft", "gpt-5", day=date(2033, 1, 1))
    assert any("expired after 2032-12-31" in n for n in expired.notes), expired.notes


def test_a_forbid_overrides_the_permit(january: Scenario) -> None:
    d = check(january, "microsoft", "gpt-5", day=date(2025, 9, 1), events=[DECLARED_JAN])
    assert [r.effect for r in d.decided_by] == ["forbid"]
    assert d.decided_by[0].id == "agi_clause/agi-clause/microsoft-ip-rights"


def test_both_roadmap_rules_apply_to_a_listed_competitor(october: Scenario) -> None:
    s = with_contract(october, stake("amazon", "anthropic"))
    d = check(s, "amazon", "openai-roadmap", day=date(2026, 6, 1))
    assert [r.id for r in d.decided_by] == [
        "information_rights/roadmap-access",
        "investment/amazon-in-anthropic/competitor",
    ]


def test_the_stake_ends_the_roadmap_before_the_clause(october: Scenario) -> None:
    """Before 2025-01-21 (no roadmap clause) a stake in a competitor still denies it."""
    s = with_contract(october, stake("microsoft", "anthropic", "2024-01-01"))
    d = check(s, "microsoft", "openai-roadmap", day=date(2024, 6, 1))
    assert not d.allowed
    assert d.clause == "microsoft-in-anthropic"


def test_switched_off_clauses_grant_nothing(october: Scenario) -> None:
    d = check(
        october, "microsoft", "gpt-5", day=date(2026, 1, 1), clauses_off={"microsoft-ip-rights"}
    )
    assert not d.allowed
    assert "microsoft-ip-rights: switched off (--without)" in d.notes

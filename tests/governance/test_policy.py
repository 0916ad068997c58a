"""The compiled policy: generated from the clauses (amend one and the text and a verdict
change), deterministic, validated by Cedar against the schema, and named by its hash."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

import pytest

from stargate.domain.model import Scenario
from stargate.governance import SCHEMA, check, compile_policy, validate
from stargate.scenario.loader import load_scenario_text
from tests.conftest import minimal
from tests.governance.conftest import DECLARED_JAN


def _yaml_with_ip(until: str, kinds: list[str]) -> str:
    import yaml

    data: dict[str, Any] = minimal()
    data["artifacts"] = [
        {"id": "m1", "name": "M1", "kind": "models", "owner": "lab", "released": "2025-03-01"},
        {"id": "r1", "name": "R1", "kind": "research", "owner": "lab"},
    ]
    data["contracts"][0]["clauses"].append(
        {
            "id": "lab-ip",
            "kind": "ip_rights",
            "grantor": "lab",
            "grantee": "cloudco",
            "artifact_kinds": kinds,
            "until": until,
            "effective": {"start": "2025-01-01"},
        }
    )
    return yaml.safe_dump(data, sort_keys=False)


def test_amending_a_clause_changes_the_policy_and_the_verdict() -> None:
    """The policy is compiled from the scenario: edit the clause's text (its end, its kinds)
    and the compiled text, its hash and the answer change with it."""
    day = date(2027, 6, 1)
    before = load_scenario_text(_yaml_with_ip("2028-12-31", ["models"]))
    shorter = load_scenario_text(_yaml_with_ip("2026-12-31", ["models"]))
    wider = load_scenario_text(_yaml_with_ip("2028-12-31", ["models", "research"]))
    p0, p1, p2 = (compile_policy(s, day) for s in (before, shorter, wider))
    assert "ip_rights/lab-ip" in p0.text
    assert "ip_rights/lab-ip" not in p1.text  # ended 2026-12-31: compiles to nothing
    assert '["models", "research"].contains(resource.kind)' in p2.text
    assert len({p0.sha256, p1.sha256, p2.sha256}) == 3
    assert check(before, "cloudco", "m1", day=day).allowed
    assert not check(shorter, "cloudco", "m1", day=day).allowed
    assert not check(before, "cloudco", "r1", day=day).allowed
    assert check(wider, "cloudco", "r1", day=day).allowed


def test_an_amendment_in_the_scenario_moves_the_verdict_on_its_date() -> None:
    import yaml

    data = yaml.safe_load(_yaml_with_ip("2028-12-31", ["models"]))
    data["contracts"][0]["clauses"][-1]["amendments"] = [
        {
            "id": "lab-ip-cut",
            "effective": {"start": "2026-07-01"},
            "action": "terminate",
            "source": "assumption: a test",
        }
    ]
    s = load_scenario_text(yaml.safe_dump(data))
    assert check(s, "cloudco", "m1", day=date(2026, 6, 30)).allowed
    late = check(s, "cloudco", "m1", day=date(2026, 7, 1))
    assert not late.allowed
    assert any("ended by amendment 'lab-ip-cut'" in n for n in late.notes), late.notes


def test_the_text_is_deterministic_and_the_hash_is_its_sha256(october: Scenario) -> None:
    a = compile_policy(october, date(2026, 1, 1))
    b = compile_policy(october, date(2026, 1, 1))
    assert a.text == b.text
    assert a.sha256 == hashlib.sha256(a.text.encode("utf-8")).hexdigest()
    assert check(october, "microsoft", "gpt-5", day=date(2026, 1, 1)).policy_sha256 == a.sha256


def test_the_hash_moves_with_the_terms(october: Scenario, january: Scenario) -> None:
    day = date(2026, 1, 1)
    hashes = {
        compile_policy(october, day).sha256,
        compile_policy(january, day).sha256,
        compile_policy(october, day, clauses_off={"microsoft-research-ip"}).sha256,
        compile_policy(october, day + timedelta(days=3000)).sha256,
    }
    assert len(hashes) == 4


def test_a_recorded_declaration_changes_the_policy(january: Scenario) -> None:
    from stargate.governance import apply_events

    day = date(2025, 9, 1)
    plain = compile_policy(january, day)
    declared = compile_policy(apply_events(january, [DECLARED_JAN]).scenario, day)
    assert "agi_clause/agi-clause/microsoft-ip-rights" not in plain.text
    assert "agi_clause/agi-clause/microsoft-ip-rights" in declared.text
    assert plain.sha256 != declared.sha256


@pytest.mark.parametrize("year", range(2023, 2034))
def test_every_compiled_policy_validates(year: int, october: Scenario, january: Scenario) -> None:
    """Cedar's strict validator accepts each policy, on both sets of terms and with AGI
    declared: the compiler writes only well-typed rules."""
    from stargate.governance import apply_events

    day = date(year, 7, 1)
    for s in (october, january, apply_events(january, [DECLARED_JAN]).scenario):
        assert validate(compile_policy(s, day)) == []


def test_cedar_names_the_rules_in_order(october: Scenario) -> None:
    """``policy{i}`` is the i-th rule: the annotations Cedar parses match the rules."""
    import cedarpy

    policy = compile_policy(october, date(2026, 1, 1))
    parsed = json.loads(cedarpy.policies_to_json_str(policy.text))["staticPolicies"]
    for i, rule in enumerate(policy.rules):
        assert parsed[f"policy{i}"]["annotations"]["id"] == rule.id
        assert parsed[f"policy{i}"]["effect"] == rule.effect


def test_the_schema_names_both_actions() -> None:
    assert '"use", "read-roadmap"' in SCHEMA


def test_no_rule_for_a_clause_not_yet_in_force(october: Scenario) -> None:
    early = compile_policy(october, date(2019, 1, 1))
    assert [r.id for r in early.rules] == ["owner"]


def test_the_entities_hash_names_the_facts(october: Scenario) -> None:
    """A release date is not in the policy text: the entities hash changes with it."""
    from stargate.domain.model import Artifact

    moved = october.model_copy(
        update={
            "artifacts": [
                a.model_copy(update={"released": date(2025, 8, 8)}) if a.id == "gpt-5" else a
                for a in october.artifacts
            ]
        }
    )
    assert all(isinstance(a, Artifact) for a in moved.artifacts)
    day = date(2026, 1, 1)
    a = check(october, "microsoft", "gpt-5", day=day)
    b = check(moved, "microsoft", "gpt-5", day=day)
    assert a.policy_sha256 == b.policy_sha256
    assert a.entities_sha256 != b.entities_sha256
    assert len(a.entities_sha256) == 64

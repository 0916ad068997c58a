"""`stargate access check` and `stargate access policy`: verdicts, exit codes, JSON, refusals;
and the artifacts section's integrity checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import ScenarioError
from stargate.scenario.loader import load_scenario
from tests.conftest import minimal, write_scenario

runner = CliRunner()
ENV = {"STARGATE_DEBUG": None, "STARGATE_DATABASE_URL": None}


def run(*args: str) -> Any:
    return runner.invoke(app, list(args), env=ENV)


def test_allow_exits_0_and_names_the_clause_and_the_hash() -> None:
    r = run("access", "check", "--party", "microsoft", "--artifact", "gpt-5", "--at", "2026-01-01")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("ALLOW: microsoft use gpt-5 on 2026-01-01")
    assert "ip_rights/microsoft-ip-rights" in r.output
    assert "policy sha256 " in r.output


def test_json_carries_the_decision() -> None:
    r = run(
        "access", "check", "--party", "microsoft", "--artifact", "gpt-5", "--at", "2026-01-01",
        "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["decision"] == "allow"
    assert d["clause"] == "microsoft-ip-rights"
    assert d["decided_by"][0]["contract"] == "microsoft-openai"
    policy = run("access", "policy", "--at", "2026-01-01", "--json")
    assert json.loads(policy.output)["policy_sha256"] == d["policy_sha256"]


def test_deny_exits_3() -> None:
    r = run("access", "check", "--party", "xai", "--artifact", "openai-roadmap", "--json")
    assert r.exit_code == 3, r.output
    assert json.loads(r.output)["decision"] == "deny"


def test_without_the_october_terms_research_is_not_granted() -> None:
    args = ("access", "check", "--party", "microsoft", "--artifact", "openai-research-methods")
    assert run(*args, "--at", "2026-01-01").exit_code == 0
    r = run(*args, "--at", "2026-01-01", "--without", "microsoft-openai-2025-10")
    assert r.exit_code == 3, r.output
    assert "without: microsoft-openai-2025-10" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--party", "microsft", "--artifact", "gpt-5"), "did you mean 'microsoft'?"),
        (("--party", "microsoft", "--artifact", "gpt5"), "did you mean 'gpt-5'?"),
        (("--party", "microsoft", "--artifact", "gpt-5", "--action", "read"), "--action"),
        (("--party", "microsoft", "--artifact", "gpt-5", "--at", "2026-02-30"), "--at"),
        (("--party", "microsoft", "--artifact", "gpt-5", "--without", "nosuch"), "--without"),
        (("--party", "microsoft", "--artifact", "gpt-5", "--db", "nosuch://x"), "nosuch"),
    ],
)
def test_bad_input_exits_2_with_a_located_message(args: tuple[str, ...], message: str) -> None:
    r = run("access", "check", *args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output


def test_an_unknown_party_says_it_would_be_denied() -> None:
    r = run("access", "check", "--party", "nobody", "--artifact", "gpt-5")
    assert r.exit_code == 2
    assert "the policy denies a party it does not know" in r.output


def test_policy_prints_the_generated_text() -> None:
    r = run("access", "policy", "--at", "2025-06-01", "--without", "microsoft-openai-2025-10")
    assert r.exit_code == 0, r.output
    assert "// without: microsoft-openai-2025-10" in r.output
    assert '@id("ip_rights/microsoft-ip-rights")' in r.output
    assert "microsoft-research-ip" not in r.output
    assert r.output.rstrip().splitlines()[-1].startswith("// sha256 ")


# --------------------------------------------------------------------------- integrity


def test_artifacts_are_checked(tmp_path: Path) -> None:
    data = minimal()
    data["artifacts"] = [
        {"id": "m", "name": "M", "kind": "models", "owner": "labb"},
        {"id": "m", "name": "M again", "kind": "weights", "owner": "lab"},
    ]
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_scenario(tmp_path, data))
    text = str(info.value)
    assert "artifacts[0].owner: unknown party 'labb'" in text
    assert "did you mean 'lab'?" in text
    assert "artifacts[1].id: duplicate artifact id 'm'" in text


def test_an_unknown_artifact_kind_is_refused(tmp_path: Path) -> None:
    data = minimal()
    data["artifacts"] = [{"id": "m", "name": "M", "kind": "model", "owner": "lab"}]
    with pytest.raises(ScenarioError, match=r"artifacts\[0\]\.kind"):
        load_scenario(write_scenario(tmp_path, data))


def test_every_default_artifact_has_a_source() -> None:
    s = load_scenario()
    assert len(s.artifacts) >= 8
    assert all(a.source for a in s.artifacts)
    assert {a.kind for a in s.artifacts} >= {
        "models", "weights", "research", "infrastructure", "roadmap",
    }  # fmt: skip

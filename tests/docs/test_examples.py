"""The example scenarios stay valid, sourced, and show what examples/README.md says they show."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.model import (
    Exclusivity,
    ProviderKind,
    RightOfFirstRefusal,
    Scenario,
)
from stargate.scenario.loader import check_scenario, load_scenario
from stargate.scenario.schema import scenario_json_schema
from stargate.scenario.snapshot import snapshot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def is_scenario_file(path: Path) -> bool:
    """Scenario files, as opposed to request files for `stargate place` (a list of requests,
    a mapping with `requests`, or one request, which names its `requester`)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and not ({"requests", "requester"} & set(data))


# Every scenario file a reader is told to start from: the examples and the how-to's result.
SCENARIO_FILES = [
    *sorted(p for p in EXAMPLES.glob("**/*.yaml") if is_scenario_file(p)),
    ROOT / "docs/how-to/my-scenario.yaml",
]
IDS = [str(p.relative_to(ROOT)) for p in SCENARIO_FILES]


def test_there_are_examples() -> None:
    names = {str(p.relative_to(EXAMPLES)) for p in SCENARIO_FILES if p.is_relative_to(EXAMPLES)}
    assert {"two-provider.yaml", "rofr-removed.yaml", "csv-tables/scenario.yaml"} <= names
    assert (EXAMPLES / "README.md").is_file()


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_example_is_valid_without_warnings(path: Path) -> None:
    result = check_scenario(path)
    assert result.ok, [p.render() for p in result.problems]
    assert result.warnings == [], [w.render() for w in result.warnings]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_cli_validates_example(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["validate", str(path.relative_to(ROOT))])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert ": valid" in result.stdout


def unsourced(node: Any, path: str = "") -> list[str]:
    """Paths of every item that could carry a `source` but has none."""
    out: list[str] = []
    if isinstance(node, BaseModel):
        if "source" in type(node).model_fields and not getattr(node, "source", None):
            out.append(path or "<scenario>")
        for name in type(node).model_fields:
            out += unsourced(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            out += unsourced(item, f"{path}[{i}]")
    return out


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_every_figure_has_a_source(path: Path) -> None:
    """Stricter than the loader's warning: every item with a `source` field has one."""
    missing = unsourced(load_scenario(path))
    assert not missing, missing


def _json_ready(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _json_ready(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_json_ready(v) for v in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


@pytest.mark.parametrize(
    "path",
    [*SCENARIO_FILES, ROOT / "src/stargate/scenario/data/stargate-2025.yaml"],
    ids=[*IDS, "stargate-2025"],
)
def test_json_schema_accepts_example(path: Path) -> None:
    """What editors see (the schema) agrees with the validator on every example."""
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = _json_ready(yaml.safe_load(path.read_text(encoding="utf-8")))
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


# --------------------------------------------------------------------------- two-provider


def test_two_provider_is_the_tutorial_it_claims_to_be() -> None:
    s: Scenario = load_scenario(EXAMPLES / "two-provider.yaml")
    assert [p.id for p in s.parties if "ai_lab" in p.roles] == ["acme-ai"]
    clouds = [p for p in s.providers if p.kind == ProviderKind.cloud]
    owned = [p for p in s.providers if p.kind == ProviderKind.owned]
    assert len(clouds) == 1
    assert len(owned) == 1
    assert clouds[0].prices
    campus = next(site for site in s.sites if site.provider == owned[0].id)
    assert campus.costs is not None
    assert campus.phases
    assert campus.power_capacity_mw
    assert campus.energy_price_usd_per_mwh is not None
    assert len(s.accelerators) == 2
    assert 2 <= len(s.workload_classes) <= 3
    clauses = [cl for _, cl in s.clauses()]
    rofr = next(cl for cl in clauses if isinstance(cl, RightOfFirstRefusal))
    assert rofr.holder == clouds[0].owner
    assert any(isinstance(cl, Exclusivity) for cl in clauses)
    text = (EXAMPLES / "two-provider.yaml").read_text(encoding="utf-8")
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 40  # commented


# --------------------------------------------------------------------------- rofr-removed


def show(args: list[str]) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["scenario", "show", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def clause(snap: dict[str, Any], clause_id: str) -> tuple[str, dict[str, Any]]:
    for where in ("clauses_in_force", "clauses_not_in_force"):
        for c in snap[where]:
            if c["id"] == clause_id:
                return where, c
    raise AssertionError(f"no clause {clause_id}")


ROFR_REMOVED = str(EXAMPLES / "rofr-removed.yaml")


def test_rofr_in_force_before_the_amendment() -> None:
    where, c = clause(show([ROFR_REMOVED, "--at", "2026-01-01"]), "azure-rofr")
    assert where == "clauses_in_force"
    assert c["status"] == "in_force"
    assert c["kind"] == "right_of_first_refusal"


def test_rofr_terminated_after_the_amendment() -> None:
    snap = show([ROFR_REMOVED, "--at", "2026-06-01"])
    where, c = clause(snap, "azure-rofr")
    assert where == "clauses_not_in_force"
    assert c["status"] == "terminated"
    assert c["amendment"] == "rofr-ends-2026"
    assert c["reason"] == "ended by amendment 'rofr-ends-2026' on 2026-04-27"
    where, ip = clause(snap, "microsoft-ip-rights")
    assert where == "clauses_in_force"
    assert ip["amendment"] == "ip-licence-to-2032"
    assert "until 2032-12-31" in ip["summary"]
    where, share = clause(snap, "revenue-share-to-microsoft")
    assert where == "clauses_in_force"
    assert share["amendment"] is None


def test_rofr_terminated_on_its_first_day() -> None:
    day_before = snapshot(load_scenario(ROFR_REMOVED), dt.date(2026, 4, 26))
    on_the_day = snapshot(load_scenario(ROFR_REMOVED), dt.date(2026, 4, 27))
    assert "azure-rofr" in {c.id for c in day_before.clauses_in_force}
    assert "azure-rofr" in {c.id for c in on_the_day.clauses_not_in_force}


def test_ip_rights_extension_keeps_the_clause_in_force_after_2030() -> None:
    where, _ = clause(show([ROFR_REMOVED, "--at", "2031-06-01"]), "microsoft-ip-rights")
    assert where == "clauses_in_force"
    where, _ = clause(show([ROFR_REMOVED, "--at", "2033-01-01"]), "microsoft-ip-rights")
    assert where == "clauses_not_in_force"


# --------------------------------------------------------------------------- csv-tables


def test_csv_tables_are_read() -> None:
    s = load_scenario(EXAMPLES / "csv-tables" / "scenario.yaml")
    assert [a.id for a in s.accelerators] == ["h100", "gb200", "mi300x", "openai-xpu"]
    assert s.accelerator("gb200").name == "NVIDIA GB200 (per GPU, NVL72)"  # a quoted comma
    assert s.accelerator("gb200").throughput == {"training": 2.5, "inference": 3.0}
    assert s.accelerator("openai-xpu").throughput_for("training") == 0  # an empty cell
    abilene = s.site("abilene")
    assert len(abilene.pools) == 8
    assert sum(p.count for p in abilene.pools) == 400_000
    assert {p.phase for p in abilene.pools} == {"abilene-1", "abilene-2"}
    assert [p.accelerator for p in s.provider("oci").prices] == ["h100", "gb200", "mi300x"]
    forecast = s.workload_sources[0].forecast
    assert len(forecast) == 4
    assert all((r.accelerator_hours is None) != (r.tokens_per_s is None) for r in forecast)


def test_csv_problem_points_at_the_csv_line(tmp_path: Path) -> None:
    """As docs/scenario-format.md says: a bad cell is reported at its CSV file and line."""
    for f in (EXAMPLES / "csv-tables").iterdir():
        shutil.copy(f, tmp_path / f.name)
    pools = tmp_path / "pools.csv"
    pools.write_text(
        pools.read_text(encoding="utf-8").replace(
            "abilene-b3,gb200,50000", "abilene-b3,gb200,fifty"
        ),
        encoding="utf-8",
    )
    result = check_scenario(tmp_path / "scenario.yaml")
    assert not result.ok
    [problem] = result.problems
    assert problem.file == str(pools)
    assert problem.line == 4
    assert problem.column == 3
    assert problem.path == "sites[0].pools[2].count"

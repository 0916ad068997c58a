"""docs/default-scenario.md stays true to the default scenario and the engine.

The generated blocks of docs/default-scenario.md, docs/default-scenario-arithmetic.md and
docs/facts.md (between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``) are rendered again
from a fresh ``run_facts`` and ``simulate`` of the embedded default, and must be what the docs
hold; every ``assumption`` of the scenario's YAML file and demand CSV, read directly (not
through the loader), must be listed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from stargate.domain.model import Scenario
from stargate.facts import Facts, run_facts
from stargate.facts.render import (
    generated_block,
    render_assumptions,
    render_history,
    render_markdown,
    render_metrics,
    render_procurement,
)
from stargate.scenario.loader import load_scenario
from stargate.sim.api import DEFAULT_SCENARIO_WORKLOAD, simulate
from stargate.sim.result import SimSummary

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DATA = ROOT / "src" / "stargate" / "scenario" / "data"
REGENERATE = ".venv/bin/python tools/default_scenario_doc.py"

BLOCKS = [
    ("default-scenario.md", "history"),
    ("default-scenario.md", "procurement"),
    ("default-scenario.md", "facts"),
    ("default-scenario.md", "assumptions"),
    ("default-scenario-arithmetic.md", "facts"),
    ("facts.md", "metrics"),
]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="module")
def facts(scenario: Scenario) -> Facts:
    return run_facts(scenario)


@pytest.fixture(scope="module")
def summary(scenario: Scenario) -> SimSummary:
    return simulate(scenario, [DEFAULT_SCENARIO_WORKLOAD], seed=0, log_events=False).summary


def _rendered(name: str, request: pytest.FixtureRequest) -> str:
    if name == "facts":
        return render_markdown(request.getfixturevalue("facts"))
    if name == "assumptions":
        return render_assumptions(request.getfixturevalue("scenario"))
    if name == "metrics":
        return render_metrics()
    summary: SimSummary = request.getfixturevalue("summary")
    return render_history(summary) if name == "history" else render_procurement(summary)


@pytest.mark.parametrize(("doc", "name"), BLOCKS, ids=[f"{d}:{n}" for d, n in BLOCKS])
def test_the_generated_block_is_the_engines(
    doc: str, name: str, request: pytest.FixtureRequest
) -> None:
    text = (DOCS / doc).read_text(encoding="utf-8")
    want = _rendered(name, request)
    got = generated_block(text, name)
    assert got == want, (
        f"docs/{doc}: the '{name}' block is not what the engine gives on the default scenario. "
        f"Regenerate it with `{REGENERATE}` (or compare with `stargate facts --markdown`), and "
        "check that the prose around it still says what the numbers say."
    )


def test_the_facts_table_names_every_checkable_figure(scenario: Scenario) -> None:
    block = generated_block((DOCS / "default-scenario.md").read_text(encoding="utf-8"), "facts")
    ids = re.findall(r"^\| `([a-z0-9-]+)` \|", block, flags=re.MULTILINE)
    assert ids
    assert sorted(ids) == sorted(f.id for f in scenario.figures if f.metric)
    assert "fitted" in block.lower()
    assert "checked" in block.lower()


def _raw_sources(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).startswith("x-"):
                continue  # a YAML anchor: counted where it is merged
            if key == "source" and isinstance(value, str):
                yield value
            else:
                yield from _raw_sources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _raw_sources(item)


def _assumption_text(source: str) -> str:
    m = re.search(r"\bassumptions?\b\s*:?\s*", source, flags=re.IGNORECASE)
    assert m is not None
    return source[m.end() :].strip()


def test_every_assumption_of_the_data_files_is_listed() -> None:
    """Independent of the renderer: read the YAML and the CSV as text, and find each
    assumption's words in the page's list."""
    raw = yaml.safe_load((DATA / "stargate-2025.yaml").read_text(encoding="utf-8"))
    found = [s for s in _raw_sources(raw) if re.search(r"\bassumption", s, re.IGNORECASE)]
    with (DATA / "openai-demand.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    found += [r["source"] for r in rows if re.search(r"\bassumption", r["source"], re.IGNORECASE)]
    assert len(found) > 50  # the default is full of them; an empty list would pass anything
    page = (DOCS / "default-scenario.md").read_text(encoding="utf-8")
    block = generated_block(page, "assumptions")
    assert block.startswith(f"{len(found)} assumptions.")
    listed = block.replace("\\|", "|")
    missing = [s for s in found if _assumption_text(s)[:60].rstrip(")") not in listed]
    assert not missing, f"assumptions not listed in docs/default-scenario.md: {missing[:5]}"


def test_the_page_is_linked_from_concepts_and_the_readme() -> None:
    concepts = (DOCS / "concepts.md").read_text(encoding="utf-8")
    assert "## The default scenario" in concepts
    assert "(default-scenario.md)" in concepts
    assert "(docs/default-scenario.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_scenario_points_at_its_docs() -> None:
    text = (DATA / "stargate-2025.yaml").read_text(encoding="utf-8")
    for name in re.findall(r"docs/([a-z0-9-]+\.md)", text):
        assert (DOCS / name).is_file(), f"stargate-2025.yaml names docs/{name}, which is missing"

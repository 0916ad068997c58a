"""Regenerate the generated blocks of the default scenario's docs from the engine.

Run from the repository root after a change to the default scenario or to the facts engine::

    .venv/bin/python tools/default_scenario_doc.py           # rewrite the blocks
    .venv/bin/python tools/default_scenario_doc.py --check   # exit 1 if a doc is stale

It runs ``stargate facts`` on the embedded ``stargate-2025`` (``run_facts``: the simulation
``stargate simulate`` runs, seed 0) and writes, between their markers:

* ``history`` and ``procurement`` in docs/default-scenario.md — capacity held and spend by
  year and provider, and each dated capacity request with the ROFR's outcome, from one
  ``stargate simulate`` run of the default (seed 0);
* ``facts`` in docs/default-scenario.md and docs/default-scenario-arithmetic.md — the facts
  table (``stargate facts --markdown``);
* ``assumptions`` in docs/default-scenario.md — every source of the scenario that says it is
  an assumption;
* ``metrics`` in docs/facts.md — the metric vocabulary (``stargate.facts.METRICS``).

tests/docs/test_default_scenario_doc.py regenerates the same blocks and fails when a doc
differs, naming this command.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from stargate.facts import run_facts  # noqa: E402
from stargate.facts.render import (  # noqa: E402
    render_assumptions,
    render_history,
    render_markdown,
    render_metrics,
    render_procurement,
    replace_block,
)
from stargate.scenario.loader import load_scenario  # noqa: E402
from stargate.sim.api import DEFAULT_SCENARIO_WORKLOAD, simulate  # noqa: E402


def blocks() -> dict[str, dict[str, Callable[[], str]]]:
    """doc path (from the root) → block name → its rendering (computed on first use)."""
    scenario = load_scenario()
    cache: dict[str, str] = {}

    def facts() -> str:
        if "facts" not in cache:
            cache["facts"] = render_markdown(run_facts(scenario))
        return cache["facts"]

    def run(what: str) -> str:
        if what not in cache:
            result = simulate(scenario, [DEFAULT_SCENARIO_WORKLOAD], seed=0, log_events=False)
            cache["history"] = render_history(result.summary)
            cache["procurement"] = render_procurement(result.summary)
        return cache[what]

    return {
        "docs/default-scenario.md": {
            "history": lambda: run("history"),
            "procurement": lambda: run("procurement"),
            "facts": facts,
            "assumptions": lambda: render_assumptions(scenario),
        },
        "docs/default-scenario-arithmetic.md": {"facts": facts},
        "docs/facts.md": {"metrics": render_metrics},
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for rel, parts in blocks().items():
        path = ROOT / rel
        text = path.read_text(encoding="utf-8")
        new = text
        for name, render in parts.items():
            new = replace_block(new, name, render())
        if new != text:
            stale.append(rel)
            if not check:
                path.write_text(new, encoding="utf-8")
    verb = "stale" if check else "rewritten"
    for rel in stale:
        print(f"{rel}: {verb}")
    if not stale:
        print("the generated blocks are up to date")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

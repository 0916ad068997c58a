"""The reason codes of `stargate place`: the broker's list holds every code its engine writes,
and docs/cli.md documents exactly that list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from stargate.broker.decision import REASON_CODES

ROOT = Path(__file__).resolve().parents[2]
BROKER = ROOT / "src" / "stargate" / "broker"
#: The modules that write reason strings: the choice (moved starts) and its explanation.
ENGINE = (BROKER / "engine.py", BROKER / "explain.py")


def codes_written_by_the_engine() -> set[str]:
    """Every ``code: ...`` string (plain or the start of an f-string) in the broker engine."""
    found: set[str] = set()
    for module in ENGINE:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                m = re.match(r"^([a-z][a-z_]*): ", node.value)
                if m:
                    found.add(m.group(1))
    return found


def documented_codes() -> list[str]:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split("## stargate place", 1)[1].split("\n## ", 1)[0]
    table = section.split("**Reason codes.**", 1)[1].split("\n\n", 2)[1]
    return re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE)


def test_the_list_holds_every_code_the_engine_writes() -> None:
    written = codes_written_by_the_engine()
    assert "rofr" in written
    assert "capacity" in written  # the scan finds them
    assert written <= set(REASON_CODES), f"not in REASON_CODES: {written - set(REASON_CODES)}"


def test_cli_md_documents_every_code_once() -> None:
    documented = documented_codes()
    assert len(documented) == len(set(documented))
    assert set(documented) == set(REASON_CODES)

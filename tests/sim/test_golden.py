"""The same seeds give a byte-identical summary.json: recorded before the restructuring of
issue #9 and kept since, so a refactoring that changes a result fails here.

The cases of mechanics run on the fixture scenario ``announced-2025`` (the default as it was
before issue #11, whose recordings they are), so they do not move with the default's data;
``default-2024h2-2026h1`` is the default scenario's main job (the forecast workload) over the
two years in which Azure's ROFR began and ended, recorded on the history of issue #11.

Fields added after the recording (``provenance``) are left out of the comparison; every other
byte must match. To re-record after an intended change of meaning (say so in CHANGELOG.md):
``STARGATE_RECORD_GOLDEN=1 pytest tests/sim/test_golden.py``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stargate.sim.api import simulate
from tests.conftest import ANNOUNCED

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"

CASES = {
    "scenario-seed0": dict(
        scenario=ANNOUNCED, horizon="2025-07-01..2026-06-30", workloads=["synthetic?jobs=3000"]
    ),
    "scenario-seed7-no-rofr": dict(
        scenario=ANNOUNCED,
        horizon="2025-07-01..2026-06-30",
        workloads=["synthetic?jobs=3000&seed=7"],
        seed=7,
        without=["rofr"],
    ),
    "fleet-easy": dict(fleet="pool:512", workloads=["synthetic?jobs=2000&seed=3"], policy="easy"),
    "default-2024h2-2026h1": dict(horizon="2024-07-01..2026-06-30"),
}

#: fields added since the recording
NEW_FIELDS = ("provenance", "schema_version")


def _summary_text(case: str) -> str:
    result = simulate(**CASES[case])  # type: ignore[arg-type]
    data = json.loads(result.summary_json())
    for key in NEW_FIELDS:
        data.pop(key, None)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_summary_is_byte_identical_to_the_recording(case: str) -> None:
    path = GOLDEN / f"summary-{case}.json"
    text = _summary_text(case)
    if os.environ.get("STARGATE_RECORD_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"no recording {path.name}: run with STARGATE_RECORD_GOLDEN=1"
    assert text == path.read_text(), f"{case}: summary.json differs from the recording"

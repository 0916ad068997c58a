"""The same seeded runs render byte-identical reports: recorded before the report was split
into :mod:`stargate.report.html` (the kit), :mod:`stargate.sim.analysis` (the series) and
:mod:`stargate.report.sim_html` (the simulation page), so a refactoring that changes a page
fails here. The simulation pages hold no clock; the planner's page says how long the solver
took, which alone is normalised.

To re-record after an intended change (say so in CHANGELOG.md):
``STARGATE_RECORD_GOLDEN=1 pytest tests/report/test_report_golden.py``."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from stargate.plan import plan
from stargate.report.plan_html import render_plan_report
from stargate.report.sim_html import render_report
from stargate.sim.api import simulate
from tests.plan.factory import small
from tests.report.test_plan_html import _with_figure
from tests.report.test_sim_html import HORIZON, SCENARIO_JOBS, hand_demand, hand_fleet, hand_jobs

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


def _scenario_with_comparison() -> str:
    base = simulate("stargate-2025", [SCENARIO_JOBS], horizon=HORIZON)
    off = simulate("stargate-2025", [SCENARIO_JOBS], horizon=HORIZON, without=["rofr"])
    return render_report(off, base)


def _fleet_priced_with_inference() -> str:
    return render_report(simulate(None, [hand_jobs(), hand_demand()], hand_fleet(), price="1"))


def _fleet_unpriced() -> str:
    return render_report(simulate(None, [hand_jobs()], hand_fleet()))


def _no_timings(html: str) -> str:
    """The planner's wall-clock build and solve times are the one thing that varies."""
    return re.sub(r"build [0-9.,]+ s, solve [0-9.,]+ s", "build (time), solve (time)", html)


def _plan_with_comparison() -> str:
    sc = _with_figure(small(years=(2025, 2026), demand_h=(12e6, 20e6), rofr=True, cloud_pools=500))
    res = plan(sc, horizon=(2025, 2026))
    off = plan(sc, horizon=(2025, 2026), without=["rofr"])
    return _no_timings(
        render_plan_report(
            res,
            sc,
            horizon=(2025, 2026),
            period="year",
            without=["rofr"],
            comparison=off,
            comparison_label="without rofr",
        )
    )


CASES: dict[str, Callable[[], str]] = {
    "sim-scenario-without-rofr": _scenario_with_comparison,
    "sim-fleet-priced-inference": _fleet_priced_with_inference,
    "sim-fleet-unpriced": _fleet_unpriced,
    "plan-small-without-rofr": _plan_with_comparison,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_is_byte_identical_to_the_recording(case: str) -> None:
    path = GOLDEN / f"report-{case}.html"
    html = CASES[case]()
    if os.environ.get("STARGATE_RECORD_GOLDEN"):
        path.write_text(html, encoding="utf-8")
    assert path.exists(), f"no recording {path.name}: run with STARGATE_RECORD_GOLDEN=1"
    assert html == path.read_text(encoding="utf-8"), f"{case}: the page differs from the recording"

"""Property: a hostile command-line option value ends in exit 0, or in exit 2 with a message
that names the option — never exit 1, a traceback or a hang.

Options: ``--at`` (``scenario show``, ``place``), ``--responder NAME:ARG`` and ``--seed``
(``place``), ``--horizon``, ``--fleet pool:N`` and ``--seed`` (``simulate``), and ``--out``
(``simulate``: an existing file, a path under a file). Runs are kept small (the minimal
scenario; a three-job Philly list on a ``pool:N`` fleet) so that each case takes well under a
second when the options are valid.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import minimal
from tests.fuzz.checks import assert_clean_exit, budget, invoke
from tests.fuzz.values import scalars

#: Option values: every scalar's text, plus dates and ranges near the representable limits.
dates = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda t: t.isoformat()),
    st.sampled_from(
        [
            "2026-01-01",
            "2026-02-30",
            "9999-12-31T23:59:59",
            "9999-12-31T23:59:59-05:00",
            "0001-01-01T00:00:00+05:00",
            "2026-01-01T10:00:00+24:00",
            "",
            " ",
            "now",
            "1767225600",
        ]
    ),
    scalars.map(lambda w: w.text),
)
ranges = st.one_of(
    st.tuples(dates, dates).map(lambda t: f"{t[0]}..{t[1]}"),
    st.sampled_from(["2025-01-01..2025-01-02", "2025-01-01..9999-12-31", "..", "2026", "a..b"]),
)
numbers = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-1", "0", "1e9", "1e23", "8", "64", "", "many"]),
)
responders = st.one_of(
    st.sampled_from(
        ["accept-after", "accept-with-probability", "decline-above-price", "accept-when-able"]
    ).flatmap(lambda name: numbers.map(lambda arg: f"{name}:{arg}")),
    st.sampled_from(["fuzz:1", "no-answer", "decline-always:3", ":", "accept-after:"]),
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cli")
    scenario = tmp / "s.yaml"
    scenario.write_text(yaml.safe_dump(minimal(), sort_keys=False))
    request = tmp / "r.yaml"
    request.write_text(
        yaml.safe_dump(
            {
                "id": "r1",
                "requester": "lab",
                "class": "training",
                "kind": "training",
                "accelerators": {"count": 10, "types": ["h100"]},
                "duration_h": 24,
            }
        )
    )
    philly = tmp / "philly_runtime.csv"
    philly.write_text("runtime\n60\n600\n3600\n")
    return {"scenario": scenario, "request": request, "philly": philly}


def named(result_output: str, option: str) -> bool:
    return option in result_output


def check(args: list[str], option: str) -> None:
    result = invoke(args, seconds=20)
    assert_clean_exit(result, args)
    if result.exit_code == 2:
        assert named(result.output, option), f"exit 2 without naming {option}: {result.output}"


@budget(40)
@given(at=dates)
def test_scenario_show_at(files: dict[str, Path], at: str) -> None:
    check(["scenario", "show", str(files["scenario"]), "--at", at, "--json"], "--at")


@budget(40)
@given(at=dates, responder=responders, seed=numbers)
def test_place_options(files: dict[str, Path], at: str, responder: str, seed: str) -> None:
    args = ["place", str(files["request"]), "-s", str(files["scenario"]), "--json"]
    check([*args, "--at", at], "--at")
    check([*args, "--at", "2026-01-01", "--responder", responder], "--responder")
    check([*args, "--at", "2026-01-01", "--seed", seed], "--seed")


@budget(30)
@given(horizon=ranges, n=numbers, seed=numbers)
def test_simulate_options(files: dict[str, Path], horizon: str, n: str, seed: str) -> None:
    base = ["simulate", "--workload", f"philly-2017:{files['philly']}", "--json"]
    check([*base, "--fleet", f"pool:{n}"], "--fleet")
    check([*base, "--fleet", "pool:8", "--horizon", horizon], "--horizon")
    check([*base, "--fleet", "pool:8", "--seed", seed], "--seed")


@pytest.mark.parametrize("where", ["existing file", "under a file"])
def test_simulate_out_is_checked_before_the_work(
    files: dict[str, Path], tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("keep me")
    out = blocker if where == "existing file" else blocker / "report"
    args = ["simulate", "--workload", f"philly-2017:{files['philly']}", "--fleet", "pool:8"]
    result = invoke([*args, "--out", str(out)], seconds=20)
    assert_clean_exit(result, args)
    assert result.exit_code == 2
    assert "--out" in result.output
    assert blocker.read_text() == "keep me"  # nothing already stored is lost

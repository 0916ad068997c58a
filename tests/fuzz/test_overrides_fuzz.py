"""Property: a planner overrides file with one hostile value is refused with problems that
name the overrides file and line, or gives the planner exactly the meant value.

Loading goes through :func:`stargate.plan.overrides.read_overrides` (what ``stargate plan
--overrides`` reads), without solving: the property is about the reader.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from stargate.domain import limits
from stargate.domain.model import Scenario
from stargate.errors import InputError
from stargate.plan.overrides import read_overrides
from stargate.scenario.loader import load_scenario
from tests.conftest import minimal
from tests.fuzz.checks import assert_located, budget, time_bound
from tests.fuzz.values import REFUSE, Verdict, Written, same, verdict, yaml_values


def load_overrides(path: str, sc: Scenario) -> tuple[Scenario, dict[str, Any]]:
    """What ``stargate plan --overrides`` does with the file: the scenario it plans and the
    keyword arguments it passes to the planner."""
    ov = read_overrides(path, sc)
    return ov.apply(sc), ov.plan_kwargs()


MARK = "__FUZZ_VALUE__"
BASE = {"supply_per_year": {"h100": 1000}, "budget_usd": 1_000_000_000, "exclude_sites": []}


def supply_verdict(w: Written) -> Verdict:
    """Accelerators a year: a finite number from 0 to MAX_ACCELERATORS, never a boolean."""
    v = verdict("number", w)
    if v.rule != REFUSE and not 0 <= v.expected <= limits.MAX_ACCELERATORS:
        return Verdict(REFUSE)
    return v


def budget_verdict(w: Written) -> Verdict:
    """A budget: finite money > 0; null means no budget."""
    v = verdict("money", w, optional=True)
    if v.rule != REFUSE and v.expected is not None and v.expected <= 0:
        return Verdict(REFUSE)
    return v


FIELDS = {
    "supply_per_year.h100": supply_verdict,
    "budget_usd": budget_verdict,
}


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "s.yaml"
    path.write_text(yaml.safe_dump(minimal(), sort_keys=False))
    return path


@budget(40)
@given(field=st.sampled_from(sorted(FIELDS)), w=yaml_values)
def test_overrides_value_is_refused_located_or_given_exactly(
    tmp_path_factory: pytest.TempPathFactory, scenario_file: Path, field: str, w: Written
) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    if field == "budget_usd":
        data["budget_usd"] = MARK
    else:
        data["supply_per_year"]["h100"] = MARK
    body = yaml.safe_dump(data, sort_keys=False)
    line = next(n for n, row in enumerate(body.splitlines(), 1) if MARK in row)
    path = tmp_path_factory.mktemp("ov") / "overrides.yaml"
    path.write_text(body.replace(MARK, w.text), encoding="utf-8")
    want = FIELDS[field](w)
    sc = load_scenario(scenario_file)
    with time_bound():
        try:
            _, kwargs = load_overrides(str(path), sc)
        except InputError as exc:
            if want.rule == REFUSE:
                assert_located(exc.problems, str(path), line=line, path=field)
            else:
                assert_located(exc.problems, str(path))
            return
    assert want.rule != REFUSE, f"{field}: {w} was accepted; must be refused"
    got = (
        kwargs.get("budget_usd")
        if field == "budget_usd"
        else kwargs.get("supply_per_year", {}).get("h100")
    )
    assert same(got, want.expected) or (
        isinstance(got, float)
        and isinstance(want.expected, int)
        and math.isclose(got, want.expected)
    ), f"silent change: {field} written {w.text!r} (meaning {want.expected!r}) given as {got!r}"


@pytest.mark.parametrize(
    "body",
    [
        "exclude_sites: [cloud-east, campus]\n",  # every site: nothing left to plan
        "exclude_sites: [nowhere]\n",
        "supply_per_year: {h100: .nan}\n",
        "budget_usd: .inf\n",
        "budget_usd: true\n",
        "exclude_sites: cloud-east\n",
    ],
)
def test_bad_overrides_name_the_file_and_line(
    tmp_path: Path, scenario_file: Path, body: str
) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(body)
    with pytest.raises(InputError) as info:
        load_overrides(str(path), load_scenario(scenario_file))
    assert_located(info.value.problems, str(path), line=1)

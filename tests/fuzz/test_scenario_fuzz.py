"""Property: a scenario with one field mutated to a hostile value is refused with a located
message, or loads holding exactly the value that was meant.

The generator starts from ``conftest.minimal()`` and writes one field as hostile YAML text (a
wrong type, a boolean, a huge, negative, NaN or infinite number, an impossible or far date, a
24-hour offset, an explicit tag, unicode, deep nesting, a recursive alias), or mutates the
file's structure (a duplicate key, a missing field, a section that is not a list). Each case
loads the file with :func:`check_scenario` and runs ``stargate validate`` on it in-process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from stargate.domain.model import Scenario
from stargate.scenario.loader import check_scenario
from stargate.scenario.yamlsrc import format_path
from tests.conftest import minimal
from tests.fuzz.checks import assert_clean_exit, assert_located, budget, invoke, time_bound
from tests.fuzz.values import BAD, REFUSE, Written, same, verdict, yaml_values

PathKey = tuple[str | int, ...]

#: Fields of the minimal scenario and the kind of value each takes.
FIELDS: list[tuple[PathKey, str]] = [
    (("version",), "version"),
    (("id",), "id"),
    (("name",), "text"),
    (("as_of",), "day"),
    (("horizon", "start"), "day"),
    (("accelerators", 0, "tdp_w"), "number"),
    (("accelerators", 0, "memory_gb"), "number"),
    (("accelerators", 0, "unit_price_usd"), "money"),
    (("accelerators", 0, "available_from"), "day"),
    (("accelerators", 0, "throughput", "training"), "number"),
    (("providers", 0, "prices", 0, "on_demand_usd_per_accelerator_hour"), "money"),
    (("sites", 0, "pools", 0, "id"), "id"),
    (("sites", 0, "pools", 0, "count"), "count"),
    (("sites", 0, "pools", 0, "available_from"), "day"),
    (("sites", 1, "pue"), "number"),
    (("sites", 1, "power_capacity_mw"), "number"),
    (("sites", 1, "energy_price_usd_per_mwh"), "money"),
    (("sites", 1, "phases", 0, "power_mw"), "number"),
    (("sites", 1, "phases", 0, "online"), "day"),
    (("contracts", 0, "signed"), "day"),
    (("contracts", 0, "clauses", 0, "response_window_h"), "hours"),
]

MARK = "__FUZZ_VALUE__"


def write_with(tmp: Path, path: PathKey, text: str) -> tuple[Path, int]:
    """The minimal scenario with the field at ``path`` written as the YAML text ``text``;
    returns the file and the line of that field."""
    data = minimal()
    cur: Any = data
    for part in path[:-1]:
        cur = cur[part]
    cur[path[-1]] = MARK
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    line = next(n for n, row in enumerate(body.splitlines(), 1) if MARK in row)
    target = tmp / "s.yaml"
    target.write_text(body.replace(MARK, text), encoding="utf-8")
    return target, line


def loaded_at(scenario: Any, path: PathKey) -> Any:
    cur = scenario
    for part in path:
        cur = cur[part] if isinstance(part, int) or isinstance(cur, dict) else getattr(cur, part)
    return cur


def epoch_like(kind: str, w: Written) -> bool:
    """A number (or a numeric text) written for a day, which pydantic takes as a Unix time:
    the known defect of :func:`test_a_number_is_not_a_day`, kept out of the main property
    until the Day type refuses numbers (then remove this filter)."""
    if kind != "day" or w.kind not in ("int", "float", "str"):
        return False
    try:
        float(w.value)
    except (TypeError, ValueError):
        return False
    return True


def check_one(tmp: Path, path: PathKey, kind: str, w: Written) -> None:
    target, line = write_with(tmp, path, w.text)
    with time_bound():
        result = check_scenario(target)
    want = verdict(kind, w)
    if result.ok:
        assert want.rule != REFUSE, f"{format_path(path)}: {w} was accepted; must be refused"
        got = loaded_at(result.scenario, path)
        assert same(got, want.expected), (
            f"silent change: {format_path(path)} written {w.text!r} (meaning "
            f"{want.expected!r}) loaded as {got!r}"
        )
    elif want.rule == REFUSE:  # the value itself is wrong: one problem must be at it
        assert_located(result.problems, str(target), line=line, path=format_path(path))
    else:  # a value refused for what it implies elsewhere (e.g. a site's power)
        assert_located(result.problems, str(target))
    cli = invoke(["validate", str(target)])
    assert_clean_exit(cli, ["validate", str(target)])
    assert cli.exit_code == (0 if result.ok else 2)


@budget(60)
@given(field=st.sampled_from(FIELDS), w=yaml_values)
@example(field=(("sites", 0, "pools", 0, "count"), "count"), w=Written("yes", True, "bool"))
@example(field=(("sites", 0, "pools", 0, "count"), "count"), w=Written("017", BAD, "bad"))
@example(field=(("sites", 0, "pools", 0, "count"), "count"), w=Written(str(10**30), 10**30, "int"))
@example(
    field=(("contracts", 0, "clauses", 0, "response_window_h"), "hours"),
    w=Written("1.0e+300", 1e300, "float"),
)
@example(field=(("as_of",), "day"), w=Written("2026-02-30", BAD, "bad"))
@example(
    field=(("as_of",), "day"),
    w=Written("2026-01-01T10:00:00+24:00", BAD, "bad"),
)
@example(field=(("name",), "text"), w=Written("!!binary ZWFzdA==", BAD, "bad"))
def test_one_hostile_field_is_refused_located_or_loaded_exactly(
    tmp_path_factory: pytest.TempPathFactory, field: tuple[PathKey, str], w: Written
) -> None:
    path, kind = field
    check_one(tmp_path_factory.mktemp("s"), path, kind, w)


@pytest.mark.parametrize("text", ["0", "1767225600", "1767225600.0", "'86400'"])
def test_a_number_is_not_a_day(tmp_path: Path, text: str) -> None:
    w = Written(text, text, "str") if text.startswith("'") else Written(text, float(text), "float")
    check_one(tmp_path, ("horizon", "start"), "day", w)


@pytest.mark.parametrize("text", ["yes", "true", "on"])
def test_a_boolean_is_not_the_version(tmp_path: Path, text: str) -> None:
    check_one(tmp_path, ("version",), "version", Written(text, True, "bool"))


def test_a_whole_number_is_not_rounded_by_a_float_field(tmp_path: Path) -> None:
    w = Written(str(2**53 + 1), 2**53 + 1, "int")
    check_one(tmp_path, ("accelerators", 0, "memory_gb"), "number", w)


# --------------------------------------------------------------------------- structure


def _lines(tmp: Path) -> list[str]:
    return yaml.safe_dump(minimal(), sort_keys=False).splitlines()


@budget(25)
@given(data=st.data())
def test_a_duplicated_key_is_refused_at_its_second_line(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    tmp = tmp_path_factory.mktemp("dup")
    lines = _lines(tmp)
    # a "key: value" line (not a list item's first key): repeat it just below itself
    candidates = [
        n
        for n, row in enumerate(lines)
        if ":" in row and not row.lstrip().startswith("- ") and not row.rstrip().endswith(":")
    ]
    n = data.draw(st.sampled_from(candidates))
    lines.insert(n + 1, lines[n])
    target = tmp / "s.yaml"
    target.write_text("\n".join(lines) + "\n")
    result = check_scenario(target)
    assert not result.ok
    key = lines[n].split(":")[0].strip()
    assert any(
        p.line == n + 2 and f"duplicate key '{key}'" in p.message for p in result.problems
    ), [p.render() for p in result.problems]
    assert_located(result.problems, str(target))


SECTIONS = ["parties", "accelerators", "providers", "sites", "contracts", "workload_classes"]


@budget(40)
@given(
    section=st.sampled_from(SECTIONS),
    change=st.sampled_from(["drop", "scalar", "mapping", "null", "nested", "empty"]),
)
def test_a_broken_section_is_refused_located(
    tmp_path_factory: pytest.TempPathFactory, section: str, change: str
) -> None:
    tmp = tmp_path_factory.mktemp("sec")
    data = minimal()
    if change == "drop":
        del data[section]
    elif change == "scalar":
        data[section] = 7
    elif change == "mapping":
        data[section] = {"a": 1}
    elif change == "null":
        data[section] = None
    elif change == "nested":
        data[section] = [[data[section]]]
    else:
        data[section] = []
    target = tmp / "s.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    result = check_scenario(target)
    if result.ok:
        # only an optional section, empty or left out, may load: then it holds nothing
        assert change in ("empty", "drop")
        assert result.scenario is not None
        assert not Scenario.model_fields[section].is_required()
        assert getattr(result.scenario, section) == []
        return
    assert_located(result.problems, str(target))
    cli = invoke(["validate", str(target)])
    assert_clean_exit(cli, ["validate", str(target)])
    assert cli.exit_code == 2

"""The one scalar constructor of YAML values and CSV cells: every value that cannot be
constructed, or that YAML would read as something other than it shows, is a located problem.

Each case writes one value into the minimal scenario (in YAML, or in a CSV cell of a pools
table) and asserts the problem names the file, the line, the field and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stargate.scenario.loader import check_scenario
from stargate.scenario.yamlsrc import read_yaml
from tests.conftest import minimal, write_scenario

POOL = "sites[0].pools[0]"


def _with_value(tmp_path: Path, key: str, text: str) -> Path:
    """The minimal scenario with the first pool's ``key`` written as the YAML text ``text``."""
    data = minimal()
    data["sites"][0]["pools"][0][key] = "__VALUE__"
    body = yaml.safe_dump(data, sort_keys=False).replace("__VALUE__", text)
    return write_scenario(tmp_path, body)


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("available_from", "2026-02-30", "not a valid date or time: '2026-02-30'"),
        ("available_from", "0000-01-01", "not a valid date or time: '0000-01-01'"),
        (
            "available_from",
            "2026-01-01T10:00:00+24:00",
            "a UTC offset must be less than 24 hours",
        ),
        ("count", "!!int seventy", "not valid as !!int: 'seventy'"),
        ("available_from", "!!timestamp soon", "not a valid date or time: 'soon'"),
        ("count", "!!float cheap", "not valid as !!float: 'cheap'"),
        ("id", "!!binary ZWFzdA==", "unsupported YAML tag '!!binary'"),
        ("id", "!!python/name:os.system", "unsupported YAML tag '!!python/name:os.system'"),
        ("id", "!local east", "unsupported YAML tag '!local'"),
        # YAML 1.1 forms that PyYAML reads as other numbers: 017 is 15, 1:30 is 90
        (
            "count",
            "017",
            "ambiguous number '017': YAML reads a leading zero as octal (017 would be 15)",
        ),
        ("count", "-0_17", "ambiguous number '-0_17'"),
        (
            "count",
            "1:30",
            "ambiguous number '1:30': YAML 1.1 reads colons as base 60 (1:30 would be 90)",
        ),
        ("count", "1:30.5", "(1:30.5 would be 90.5)"),
    ],
)
def test_a_value_that_cannot_be_constructed_is_located(
    tmp_path: Path, key: str, text: str, message: str
) -> None:
    path = _with_value(tmp_path, key, text)
    result = check_scenario(path)
    assert not result.ok
    line = _line_of(path, text)
    rendered = [p.render() for p in result.problems]
    assert any(
        p.file == str(path)
        and p.line == line
        and p.path == f"{POOL}.{key}"
        and message in p.message
        for p in result.problems
    ), rendered


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("count", "17", 17),
        ("count", "'017'", 17),  # quoted: text, which the whole-number field reads as 17
        ("count", "1_000", 1000),
        ("count", "0x10", 16),  # a hex number says what it is
        ("count", "!!int 7", 7),
        ("count", "0", None),  # not octal; refused by the count's own range (> 0)
    ],
)
def test_numbers_that_say_what_they_are_are_read_as_written(
    tmp_path: Path, key: str, text: str, value: int | None
) -> None:
    result = check_scenario(_with_value(tmp_path, key, text))
    if value is None:
        assert not result.ok
        assert not any("ambiguous" in p.message for p in result.problems)
        return
    assert result.ok, [p.render() for p in result.problems]
    assert result.scenario is not None
    assert result.scenario.sites[0].pools[0].count == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!!int ''", "not valid as !!int: ''"),  # PyYAML: IndexError
        ("!!float _", "not valid as !!float: '_'"),  # IndexError
        ("!!bool maybe", "not valid as !!bool: 'maybe'"),  # KeyError
        ("!!timestamp soon", "not a valid date or time: 'soon'"),  # AttributeError
        ("!!int 0b2", "not valid as !!int: '0b2'"),  # ValueError
        ("<<", "not a valid value: '<<'"),  # ConstructorError: the merge key as a value
        ("=", "not a valid value: '='"),  # ConstructorError: the value key
    ],
)
def test_every_way_a_scalar_constructor_fails_is_a_located_problem(text: str, message: str) -> None:
    data, _, problems = read_yaml(f"x: 1\na: {text}\n", "t.yaml")
    assert data == {"x": 1, "a": None}
    assert [(p.file, p.line, p.path) for p in problems] == [("t.yaml", 2, "a")]
    assert message in problems[0].message


def test_explicit_tags_that_fit_assert_the_type_only() -> None:
    data, _, problems = read_yaml("a: !!int 7\nb: !!str 7\nc: !!float 1.5\nd: !!bool true\n", "t")
    assert problems == []
    assert data == {"a": 7, "b": "7", "c": 1.5, "d": True}


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2026-02-30", "not a valid date or time: '2026-02-30'"),
        ("2026-01-01T00:00:00-24:30", "a UTC offset must be less than 24 hours"),
        ("!!int seventy", "not valid as !!int: 'seventy'"),
        ("!!binary ZWFzdA==", "unsupported YAML tag '!!binary'"),
        ("017", "ambiguous number '017'"),
        ("1:30", "ambiguous number '1:30'"),
        ("!!python/object/apply:os.getcwd []", "unsupported YAML tag '!!python/object/apply"),
    ],
)
def test_csv_cells_follow_the_same_rules(tmp_path: Path, cell: str, message: str) -> None:
    data = minimal()
    data["sites"][0]["pools"] = "pools.csv"
    path = write_scenario(tmp_path, data)
    column = "count" if cell in ("017", "1:30", "!!int seventy") else "available_from"
    cell = f'"{cell}"' if "," in cell else cell  # (none has a quote of its own)
    other = "available_from" if column == "count" else "count"
    fill = "2024-01-01" if other == "available_from" else "1000"
    table = tmp_path / "pools.csv"
    table.write_text(f"id,accelerator,{column},{other}\neast-h100,h100,{cell},{fill}\n")
    result = check_scenario(path)
    assert not result.ok
    assert any(
        p.file == str(table)
        and p.line == 2
        and p.column == 3
        and p.path == f"sites[0].pools[0].{column}"
        and message in p.message
        for p in result.problems
    ), [p.render() for p in result.problems]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("Rack #2", "Rack #2"),  # not 'Rack' and a comment
        ("7 # spare", "7 # spare"),  # not the number 7
        ("&a x", "&a x"),  # not an anchor
        ("|", "|"),  # not an empty block scalar
        ("---", "---"),  # not an empty document
        ("line one\nline two", "line one\nline two"),  # a CSV cell spanning lines: not folded
        ("'no'", "no"),
        ("'no' thanks", "'no' thanks"),  # the quotes are not the whole cell: text as written
        ("2500", 2500),
        ("1.5", 1.5),
        ("!!str 7", "7"),
    ],
)
def test_a_csv_cell_is_one_value_as_written(cell: str, value: object) -> None:
    import csv
    import io

    from stargate.scenario.yamlsrc import SourceMap, read_csv_table

    buf = io.StringIO()
    csv.writer(buf).writerow(["id", "name"])
    csv.writer(buf).writerow(["a", cell])
    rows, problems = read_csv_table(buf.getvalue(), "t.csv", ("parties",), SourceMap())
    assert problems == []
    assert rows == [{"id": "a", "name": value}]
    assert type(rows[0]["name"]) is type(value)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        # the quote opened on line 3 swallows line 4: reported where it opens, not at the end
        (
            'id,name\na,A\nb,"B\nc,C\n',
            3,
            "a quoted cell is never closed: its quote runs to the end of the file",
        ),
        # text after a closing quote: the lenient reader would make it 'Bx', silently
        ('id,name\na,A\nb,"B"x\nc,C\n', 3, "not a valid CSV row: ',' expected after '\"'"),
        ('"id,name\na,A\n', 1, "a quoted cell is never closed"),
    ],
)
def test_a_broken_quote_in_a_csv_table_is_located_where_it_starts(
    body: str, line: int, message: str
) -> None:
    from stargate.scenario.yamlsrc import SourceMap, read_csv_table

    _, problems = read_csv_table(body, "t.csv", ("parties",), SourceMap())
    assert [(p.file, p.line) for p in problems] == [("t.csv", line)], problems
    assert message in problems[0].message


def test_a_cell_spanning_lines_still_locates_the_rows_after_it() -> None:
    from stargate.scenario.yamlsrc import SourceMap, read_csv_table

    smap = SourceMap()
    rows, problems = read_csv_table('id,name\na,"A\nB"\nb,C\n', "t.csv", ("parties",), smap)
    assert problems == []
    assert rows == [{"id": "a", "name": "A\nB"}, {"id": "b", "name": "C"}]
    assert smap.locate(("parties", 1)).line == 4  # type: ignore[union-attr]

"""Reading YAML and CSV while remembering where every value came from.

:func:`read_yaml` returns the data and a :class:`SourceMap` from field paths
(``("contracts", 2, "clauses", 0, "holder")``) to file, line and column, so that errors found
later by pydantic or by the integrity checks can point at the exact place. Duplicate keys, which
plain YAML loaders silently overwrite, are reported. Tables may live in CSV files beside the
YAML (``pools: abilene-pools.csv``); their rows are mapped to their CSV line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from stargate.errors import Problem

PathKey = tuple[str | int, ...]
MAX_FILE_BYTES = 64 * 1024 * 1024

#: Fields whose list value may instead be the path of a CSV file beside the scenario.
TABLE_FIELDS = frozenset(
    {
        "parties",
        "accelerators",
        "providers",
        "sites",
        "phases",
        "pools",
        "prices",
        "workload_classes",
        "forecast",
        "figures",
        "outages",
    }
)


@dataclass(frozen=True, slots=True)
class Loc:
    file: str
    line: int
    column: int | None = None


@dataclass
class SourceMap:
    """Where each field path was read from. Looks up the longest known prefix of a path."""

    entries: dict[PathKey, Loc] = field(default_factory=dict)

    def locate(self, path: PathKey) -> Loc | None:
        for n in range(len(path), -1, -1):
            loc = self.entries.get(path[:n])
            if loc is not None:
                return loc
        return None


def format_path(path: PathKey) -> str:
    """``("contracts", 2, "clauses", 0, "holder")`` → ``contracts[2].clauses[0].holder``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def read_text(path_label: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """Decode a file's bytes, refusing binary and oversized input with a clear message."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            Problem(
                "file is too large to be a scenario",
                file=path_label,
                expected=f"at most {MAX_FILE_BYTES // (1024 * 1024)} MiB (put large tables in "
                "CSV files beside it)",
                found=f"{len(data) / (1024 * 1024):.1f} MiB",
            )
        ]
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, [
            Problem(
                "file is binary, not YAML text",
                file=path_label,
                expected="UTF-8 text",
                found=f"a NUL byte at offset {nul}",
            )
        ]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            Problem(
                "file is not UTF-8 text",
                file=path_label,
                line=line,
                expected="UTF-8 text",
                found=f"byte 0x{data[exc.start]:02x}",
            )
        ]


class _Reader:
    def __init__(self, label: str, smap: SourceMap, problems: list[Problem]) -> None:
        self.label = label
        self.smap = smap
        self.problems = problems

    def walk(self, node: yaml.Node, loader: yaml.SafeLoader, path: PathKey) -> Any:
        self.smap.entries.setdefault(
            path, Loc(self.label, node.start_mark.line + 1, node.start_mark.column + 1)
        )
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | float | bool) or key is None:
                    self.problems.append(
                        Problem(
                            "mapping key must be a plain name",
                            path=format_path(path),
                            file=self.label,
                            line=key_node.start_mark.line + 1,
                            column=key_node.start_mark.column + 1,
                            found=type(key).__name__,
                        )
                    )
                    continue
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    self.problems.append(
                        Problem(
                            f"duplicate key '{key}' (the second would silently replace the first)",
                            path=format_path((*path, key)),
                            file=self.label,
                            line=key_node.start_mark.line + 1,
                            column=key_node.start_mark.column + 1,
                            hint="remove or rename one of them",
                        )
                    )
                    continue
                kpath = (*path, key)
                self.smap.entries[kpath] = Loc(
                    self.label, key_node.start_mark.line + 1, key_node.start_mark.column + 1
                )
                out[key] = self.walk(value_node, loader, kpath)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(n, loader, (*path, i)) for i, n in enumerate(node.value)]
        return loader.construct_object(node, deep=True)


def read_yaml(text: str, label: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML document. Returns (data or None, source map, problems)."""
    smap = SourceMap()
    problems: list[Problem] = []
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, smap, problems
        data = _Reader(label, smap, problems).walk(node, loader, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or exc.context or "malformed YAML"
        if exc.context and exc.problem:
            msg = f"{exc.context}: {exc.problem}"
        problems.append(
            Problem(
                f"not valid YAML: {msg}",
                file=label,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        )
        return None, smap, problems
    except yaml.YAMLError as exc:
        problems.append(Problem(f"not valid YAML: {exc}", file=label))
        return None, smap, problems
    finally:
        loader.dispose()
    return data, smap, problems


def _cell(text: str) -> Any:
    """A CSV cell read as a YAML scalar (so numbers and dates get their types)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return (
        value
        if isinstance(value, str | int | float | bool | type(None)) or hasattr(value, "isoformat")
        else text
    )


def read_csv_table(
    text: str, label: str, path: PathKey, smap: SourceMap
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Rows of a CSV table as dicts. Dotted headers nest (``throughput.api-inference``);
    empty cells are left out, so the field takes its default."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem("CSV table is empty (no header row)", file=label, line=1)]
    except csv.Error as exc:
        return [], [Problem(f"not a valid CSV file: {exc}", file=label, line=1)]
    header = [h.strip() for h in header]
    for col, name in enumerate(header):
        if not name:
            problems.append(
                Problem("empty column name in header", file=label, line=1, column=col + 1)
            )
    rows: list[dict[str, Any]] = []
    try:
        for raw in reader:
            line = reader.line_num
            if not any(c.strip() for c in raw):
                continue
            if len(raw) > len(header):
                problems.append(
                    Problem(
                        "row has more cells than the header has columns",
                        file=label,
                        line=line,
                        expected=f"{len(header)} cells",
                        found=f"{len(raw)} cells",
                    )
                )
                continue
            i = len(rows)
            smap.entries[(*path, i)] = Loc(label, line, 1)
            row: dict[str, Any] = {}
            for col, (name, cell) in enumerate(zip(header, raw, strict=False)):
                if not name or cell.strip() == "":
                    continue
                keys = name.split(".")
                target = row
                for k in keys[:-1]:
                    target = target.setdefault(k, {})
                target[keys[-1]] = _cell(cell.strip())
                smap.entries[(*path, i, *keys)] = Loc(label, line, col + 1)
            rows.append(row)
    except csv.Error as exc:
        problems.append(Problem(f"not a valid CSV file: {exc}", file=label, line=reader.line_num))
    return rows, problems


def expand_tables(
    data: Any,
    smap: SourceMap,
    open_table: Callable[[str], tuple[str, bytes | None]],
    path: PathKey = (),
) -> list[Problem]:
    """Replace ``field: file.csv`` (for fields in :data:`TABLE_FIELDS`) by the CSV's rows, in
    place. ``open_table(name)`` returns (label, bytes or None when missing)."""
    problems: list[Problem] = []
    if isinstance(data, dict):
        for key, value in list(data.items()):
            kpath = (*path, key)
            if key in TABLE_FIELDS and isinstance(value, str):
                loc = smap.locate(kpath)
                if not value.lower().endswith(".csv"):
                    continue  # pydantic reports "expected a list"
                label, raw = open_table(value)
                if raw is None:
                    problems.append(
                        Problem(
                            f"CSV table '{value}' not found",
                            path=format_path(kpath),
                            file=loc.file if loc else None,
                            line=loc.line if loc else None,
                            expected=f"a CSV file at {label}",
                        )
                    )
                    data[key] = []
                    continue
                text, errs = read_text(label, raw)
                problems.extend(errs)
                if text is None:
                    data[key] = []
                    continue
                rows, errs = read_csv_table(text, label, kpath, smap)
                problems.extend(errs)
                data[key] = rows
                problems.extend(expand_tables(rows, smap, open_table, kpath))
            else:
                problems.extend(expand_tables(value, smap, open_table, kpath))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            problems.extend(expand_tables(item, smap, open_table, (*path, i)))
    return problems

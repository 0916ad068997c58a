"""Reading YAML and CSV while remembering where every value came from.

:func:`read_yaml` returns the data and a :class:`SourceMap` from field paths
(``("contracts", 2, "clauses", 0, "holder")``) to file, line and column, so that errors found
later by pydantic or by the integrity checks can point at the exact place. Duplicate keys, which
plain YAML loaders silently overwrite, are reported. Tables may live in CSV files beside the
YAML (``pools: abilene-pools.csv``); their rows are mapped to their CSV line.

One module over 600 lines because it is one concept, the located reader: the YAML walk, the
scalar constructor and the CSV reader share the source map and the rules for what a value
may be (the same for a YAML value and a CSV cell), which must not drift apart.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from stargate.errors import Problem

PathKey = tuple[str | int, ...]
#: Opens a CSV table named in a scenario: (label to show, its bytes; or None when it does not
#: exist; or a Problem when it cannot be used, e.g. too large).
OpenTable = Callable[[str], tuple[str, "bytes | Problem | None"]]
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
        "capacity_model",
        "reservations",
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


def size_problem(path_label: str, size: int, what: str = "a scenario") -> Problem | None:
    """A problem when a file of ``size`` bytes is over :data:`MAX_FILE_BYTES` (checked before
    reading, so a huge file is never read into memory)."""
    if size <= MAX_FILE_BYTES:
        return None
    return Problem(
        f"file is too large to be {what}",
        file=path_label,
        expected=f"at most {MAX_FILE_BYTES // (1024 * 1024)} MiB "
        f"({MAX_FILE_BYTES:,} bytes; put large tables in CSV files beside it)",
        found=f"{size:,} bytes",
    )


def read_text(path_label: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """Decode a file's bytes, refusing binary and oversized input with a clear message."""
    too_large = size_problem(path_label, len(data))
    if too_large is not None:
        return None, [too_large]
    nul = data.find(b"\x00")
    if nul >= 0:
        return None, [
            Problem(
                "file is binary, not YAML text",
                file=path_label,
                line=data[:nul].count(b"\n") + 1,
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


#: How many values YAML aliases (``*name``) may add by repetition: enough for any real use of
#: anchors, far too few for a "billion laughs" file that expands to gigabytes.
MAX_ALIAS_VALUES = 100_000

_PLAIN_TAGS = {
    yaml.MappingNode: "tag:yaml.org,2002:map",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
}


#: Scalar tags a value may carry explicitly (``!!int 7``): each only asserts the type that the
#: field's own validation then checks. Others (``!!binary``, ``!!python/...``, ``!local``) are
#: refused: no scenario, request or table field takes bytes or arbitrary objects.
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a date (YYYY-MM-DD) or an ISO datetime",
}


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, remembering which scalars carried a tag in the text (PyYAML
    keeps only the resolved tag, so ``!!int 7`` and ``7`` look alike once composed)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.explicit: set[int] = set()

    def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        explicit = event.tag is not None and event.tag != "!"
        node: yaml.ScalarNode = super().compose_scalar_node(anchor)
        if explicit:
            self.explicit.add(id(node))
        return node


# YAML 1.1 (PyYAML) reads a number with an exponent but no dot (`5e10`, `1E-3`) as text;
# YAML 1.2 and JSON read it as a number, and so does Stargate.
def add_number_resolvers(loader: type[Any]) -> None:
    """Teach a PyYAML loader class (the locating one here, or a libyaml one of a fast path)
    to read ``5e10`` as a number."""
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )


add_number_resolvers(_Loader)

#: YAML 1.1 number forms that read as something else than they look: a leading zero makes an
#: octal number (``017`` is 15) and colons make a base-60 one (``1:30`` is 90). YAML 1.2 dropped
#: both; PyYAML still reads them. They are refused, never converted silently.
_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
_BASE_60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


def misleading_number(node: yaml.ScalarNode) -> tuple[str, str] | None:
    if node.tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return None
    text = node.value
    if node.tag == "tag:yaml.org,2002:int" and _OCTAL.match(text):
        return (
            f"ambiguous number '{text}': YAML reads a leading zero as octal "
            f"({text} would be {_octal_value(text)})",
            "a number without leading zeros, or quoted text ('" + text + "')",
        )
    if _BASE_60.match(text):
        return (
            f"ambiguous number '{text}': YAML 1.1 reads colons as base 60 "
            f"({text} would be {_base60_value(text)})",
            "a plain number of the field's unit, or quoted text ('" + text + "')",
        )
    return None


def _octal_value(text: str) -> int:
    """What PyYAML makes of a YAML 1.1 octal integer (for the message)."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    return sign * int(digits.lstrip("+-"), 8)


def _base60_value(text: str) -> str:
    """What PyYAML makes of a YAML 1.1 base-60 number (for the message)."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    value = 0.0
    for part in digits.lstrip("+-").split(":"):
        value = value * 60 + float(part)
    value *= sign
    return f"{int(value)}" if value.is_integer() and "." not in text else f"{value:g}"


#: How PyYAML's safe constructors fail on a scalar they cannot read: ConstructorError (no
#: constructor for the tag: ``<<``, ``=``), ValueError (``!!int seventy``, an impossible date),
#: IndexError (``!!int ''``), KeyError (``!!bool maybe``), AttributeError (``!!timestamp soon``),
#: TypeError, OverflowError. Anything else is a bug, not the input's fault.
_CONSTRUCTOR_FAILURES = (
    yaml.YAMLError,
    ValueError,
    LookupError,
    AttributeError,
    TypeError,
    ArithmeticError,
)


def construct_scalar(
    node: yaml.ScalarNode, loader: yaml.SafeLoader, explicit: bool
) -> tuple[Any, tuple[str, str | None] | None]:
    """The value of one scalar, or (None, (message, expected)) when it cannot be constructed:
    an impossible date (``2026-02-30``, year 0, a UTC offset of 24 h or more), a value that does
    not fit its explicit tag (``!!int seventy``), a tag no field takes (``!!binary``), or a YAML
    1.1 number that does not mean what it shows (``017``, ``1:30``)."""
    tag = node.tag
    if explicit and tag not in _SCALAR_TAGS:
        return None, (
            f"unsupported YAML tag '{_short_tag(tag)}'",
            "a plain value, or one of the tags " + ", ".join(_short_tag(t) for t in _SCALAR_TAGS),
        )
    misleading = misleading_number(node)
    if misleading is not None:
        return None, misleading
    try:
        return loader.construct_object(node, deep=True), None
    except _CONSTRUCTOR_FAILURES as exc:  # each is the input's fault, located below
        reason = (
            str(exc).splitlines()[0]
            if str(exc) and not isinstance(exc, AttributeError | TypeError)
            else ""
        )
        if "offset" in reason:
            reason = "a UTC offset must be less than 24 hours"
        wanted = _SCALAR_TAGS.get(tag, "a plain value")
        shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        if tag == "tag:yaml.org,2002:timestamp":
            what = "not a valid date or time"
        else:
            what = f"not valid as {_short_tag(tag)}" if explicit else "not a valid value"
        return None, (f"{what}: '{shown}'" + (f" ({reason})" if reason else ""), wanted)


class _TooManyAliasValues(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _Reader:
    def __init__(self, label: str, smap: SourceMap, problems: list[Problem]) -> None:
        self.label = label
        self.smap = smap
        self.problems = problems
        self.seen: set[int] = set()  # ids of nodes already read (a repeat comes from an alias)
        self.active: set[int] = set()  # ids of the nodes being read (to catch `&a [*a]`)
        self.repeats = 0

    def _problem(
        self,
        message: str,
        node: yaml.Node,
        path: PathKey,
        *,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                message,
                path=format_path(path),
                file=self.label,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                expected=expected,
                hint=hint,
            )
        )

    def walk(self, node: yaml.Node, loader: _Loader, path: PathKey) -> Any:
        self.smap.entries.setdefault(
            path, Loc(self.label, node.start_mark.line + 1, node.start_mark.column + 1)
        )
        key = id(node)
        if key in self.active:
            self._problem(
                "recursive YAML alias (a value that contains itself)",
                node,
                path,
                hint="an alias (*name) may not refer to an anchor (&name) that encloses it",
            )
            return None
        if key in self.seen:
            self.repeats += 1
            if self.repeats > MAX_ALIAS_VALUES:
                raise _TooManyAliasValues(node)
        self.seen.add(key)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            plain = _PLAIN_TAGS[type(node)]
            if node.tag != plain:
                tag = node.tag.replace("tag:yaml.org,2002:", "!!")
                self._problem(
                    f"unsupported YAML tag '{tag}'",
                    node,
                    path,
                    expected="a plain mapping or list (no '!!' or '!' tag)",
                )
                return None
            self.active.add(key)
            try:
                return self._collection(node, loader, path)
            finally:
                self.active.discard(key)
        assert isinstance(node, yaml.ScalarNode)
        value, error = construct_scalar(node, loader, id(node) in getattr(loader, "explicit", ()))
        if error is not None:
            self._problem(error[0], node, path, expected=error[1])
        return value

    def _collection(self, node: yaml.Node, loader: _Loader, path: PathKey) -> Any:
        if isinstance(node, yaml.MappingNode):
            n_explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
            loader.flatten_mapping(node)
            # flatten_mapping puts merged (`<<: *anchor`) entries first, lowest priority first:
            # a later entry replaces a merged one silently, as YAML says; two explicit ones clash
            n_merged = len(node.value) - n_explicit
            merged_keys: set[str] = set()
            out: dict[Any, Any] = {}
            for position, (key_node, value_node) in enumerate(node.value):
                if isinstance(key_node, yaml.ScalarNode):
                    key = construct_scalar(key_node, loader, id(key_node) in loader.explicit)[0]
                else:
                    key = [] if isinstance(key_node, yaml.SequenceNode) else {}
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
                if key in merged_keys:
                    del out[key]
                    merged_keys.discard(key)
                if position < n_merged:
                    merged_keys.add(key)
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
        return [self.walk(n, loader, (*path, i)) for i, n in enumerate(node.value)]


def read_yaml(text: str, label: str) -> tuple[Any, SourceMap, list[Problem]]:
    """Parse one YAML document. Returns (data or None, source map, problems)."""
    smap = SourceMap()
    problems: list[Problem] = []
    loader = _Loader(text)
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
    except _TooManyAliasValues as exc:
        mark = exc.node.start_mark
        problems.append(
            Problem(
                "YAML aliases expand to too many values",
                file=label,
                line=mark.line + 1,
                column=mark.column + 1,
                expected=f"at most {MAX_ALIAS_VALUES:,} values repeated through aliases (*name)",
                hint="write the values out, or put large tables in CSV files",
            )
        )
        return None, smap, problems
    except RecursionError:
        mark = loader.get_mark()
        problems.append(
            Problem(
                "YAML is nested too deeply",
                file=label,
                line=mark.line + 1,
                column=mark.column + 1,
                expected="a scenario nested a few levels deep",
            )
        )
        return None, smap, problems
    finally:
        loader.dispose()
    return data, smap, problems


def _cell(text: str) -> tuple[Any, tuple[str, str | None] | None]:
    """A CSV cell read as one YAML scalar (so numbers and dates get their types), with the same
    rules as a YAML value: (value, None), or (None, (message, expected)) when it cannot be
    constructed.

    The whole cell is the scalar: YAML's other syntax means nothing in a cell, so ``Rack #2`` is
    that text (not ``Rack`` followed by a comment), and ``|``, ``---``, ``&a x`` or ``a: b`` are
    text too. A cell that starts with a quote or a tag (``'no'``, ``!!int 7``) is read as YAML
    only when that quoted or tagged scalar is the whole cell; otherwise it is text as well."""
    if text[:1] in ("'", '"', "!"):
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        except yaml.YAMLError:
            node = None
        finally:
            loader.dispose()
        if (
            isinstance(node, yaml.MappingNode | yaml.SequenceNode)
            and node.tag != _PLAIN_TAGS[type(node)]
        ):  # '!!python/object/apply:os.getcwd []': refused as in YAML, not kept as text
            return None, (
                f"unsupported YAML tag '{_short_tag(node.tag)}'",
                "a plain value, or one of the tags "
                + ", ".join(_short_tag(t) for t in _SCALAR_TAGS),
            )
        if isinstance(node, yaml.ScalarNode) and not text[node.end_mark.index :].strip():
            value, error = construct_scalar(node, loader, id(node) in loader.explicit)
            if error is not None:
                return None, error
            if isinstance(value, str | int | float | bool | type(None)) or hasattr(
                value, "isoformat"
            ):
                return value, None
        return text, None
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag == "tag:yaml.org,2002:str":
        return text, None
    loader = _Loader("")
    try:
        return construct_scalar(yaml.ScalarNode(tag, text), loader, explicit=False)
    finally:
        loader.dispose()


#: Resolves a plain cell's type (int, float, bool, null, timestamp or str) by YAML's rules.
_RESOLVER = _Loader("")


def read_csv_table(
    text: str, label: str, path: PathKey, smap: SourceMap
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Rows of a CSV table as dicts. Dotted headers nest (``throughput.api-inference``);
    empty cells are left out, so the field takes its default."""
    problems: list[Problem] = []
    # strict: a quote that is never closed, or text after a closing quote ('"ab"c', which the
    # lenient reader turns into 'abc'), is an error, not a silent change
    reader = csv.reader(io.StringIO(text), strict=True)
    end = 0
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem("CSV table is empty (no header row)", file=label, line=1)]
    except csv.Error as exc:
        return [], [_csv_error(exc, label, 1)]
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for col, name in enumerate(header):
        if not name:
            problems.append(
                Problem("empty column name in header", file=label, line=1, column=col + 1)
            )
        elif name in seen:
            problems.append(
                Problem(
                    f"duplicate column '{name}' in header",
                    path=format_path(path),
                    file=label,
                    line=1,
                    column=col + 1,
                    hint="remove or rename one of them",
                )
            )
            header[col] = ""  # read the first one only
        elif any(n.startswith(f"{name}.") or name.startswith(f"{n}.") for n in seen):
            # 'throughput' and 'throughput.training' cannot both be columns
            problems.append(
                Problem(
                    f"column '{name}' clashes with a dotted column of the same field",
                    path=format_path(path),
                    file=label,
                    line=1,
                    column=col + 1,
                    expected="either one column 'field' or columns 'field.key', not both",
                )
            )
            header[col] = ""
        seen.add(name)
    rows: list[dict[str, Any]] = []
    try:
        end = reader.line_num
        for raw in reader:
            # A quoted cell may span lines: a row is located at the line where it starts.
            line, end = end + 1, reader.line_num
            if not any(c.strip() for c in raw):
                continue
            if len(raw) > len(header):
                problems.append(
                    Problem(
                        "row has more cells than the header has columns",
                        path=format_path(path),
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
                value, error = _cell(cell.strip())
                smap.entries[(*path, i, *keys)] = Loc(label, line, col + 1)
                if error is not None:
                    problems.append(
                        Problem(
                            error[0],
                            path=format_path((*path, i, *keys)),
                            file=label,
                            line=line,
                            column=col + 1,
                            expected=error[1],
                        )
                    )
                    continue
                target[keys[-1]] = value
            rows.append(row)
    except csv.Error as exc:
        problems.append(_csv_error(exc, label, end + 1))
    return rows, problems


def _csv_error(exc: csv.Error, label: str, line: int) -> Problem:
    """A CSV syntax error, located at the line where the bad row starts (a quoted cell may run
    over many lines: the reader notices only at its end, or at the end of the file)."""
    if "unexpected end of data" in str(exc):
        return Problem(
            "a quoted cell is never closed: its quote runs to the end of the file",
            file=label,
            line=line,
            expected='a closing quote (") at the end of the cell; a quote inside a quoted cell '
            'is written twice ("")',
        )
    return Problem(f"not a valid CSV row: {exc}", file=label, line=line)


def expand_tables(
    data: Any,
    smap: SourceMap,
    open_table: OpenTable,
    path: PathKey = (),
    _within: tuple[str, ...] = (),
) -> list[Problem]:
    """Replace ``field: file.csv`` (for fields in :data:`TABLE_FIELDS`) by the CSV's rows, in
    place. ``open_table(name)`` returns (label, bytes; or None when missing; or a Problem when
    it cannot be used). A cell of a table may name another table, but not one it is part of."""
    problems: list[Problem] = []
    if isinstance(data, dict):
        for key, value in list(data.items()):
            kpath = (*path, key)
            if key in TABLE_FIELDS and isinstance(value, str):
                loc = smap.locate(kpath)
                if not value.lower().endswith(".csv"):
                    continue  # pydantic reports "expected a list"
                label, raw = open_table(value)
                if label in _within:
                    problems.append(
                        Problem(
                            f"CSV table '{value}' includes itself",
                            path=format_path(kpath),
                            file=loc.file if loc else None,
                            line=loc.line if loc else None,
                            column=loc.column if loc else None,
                            found=" → ".join((*_within, label)),
                        )
                    )
                    data[key] = []
                    continue
                if raw is None:
                    problems.append(
                        Problem(
                            f"CSV table '{value}' not found",
                            path=format_path(kpath),
                            file=loc.file if loc else None,
                            line=loc.line if loc else None,
                            column=loc.column if loc else None,
                            expected=f"a CSV file at {label}",
                        )
                    )
                    data[key] = []
                    continue
                if isinstance(raw, Problem):
                    problems.append(raw)
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
                problems.extend(expand_tables(rows, smap, open_table, kpath, (*_within, label)))
            else:
                problems.extend(expand_tables(value, smap, open_table, kpath, _within))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            problems.extend(expand_tables(item, smap, open_table, (*path, i), _within))
    return problems

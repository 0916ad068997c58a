"""Load a scenario from a file or from the embedded catalogue, validating it completely.

Validation runs in three layers and reports every problem of every layer at once:

1. reading: the file exists, is text, is YAML, has no duplicate keys; CSV tables beside it exist;
2. fields: the pydantic model (types, ranges, date order, unknown fields, clause kinds);
3. the whole: :mod:`stargate.scenario.integrity` (ids, references, power, amendments).

Layer 3 also runs on the items that passed layer 2, so one broken party does not hide an
unknown accelerator elsewhere. Nothing is returned unless all three layers pass.

One module over 600 lines because it is one concept, loading: most of it translates
pydantic's errors into located Problems, which needs the data, the source map and the model
together.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from stargate.domain.limits import GivenBoolean
from stargate.domain.model import CLAUSE_KINDS, Scenario
from stargate.errors import InputError, Problem, ScenarioError, did_you_mean
from stargate.files import read_input
from stargate.scenario.integrity import (
    Namespaces,
    check_integrity,
    ids_in,
    integrity_warnings,
)
from stargate.scenario.migrate import version_1_problem, version_1_steps
from stargate.scenario.yamlsrc import (
    MAX_FILE_BYTES,
    OpenTable,
    PathKey,
    SourceMap,
    expand_tables,
    format_path,
    read_text,
    read_yaml,
)

DEFAULT_SCENARIO = "stargate-2025"
_DATA = "stargate.scenario.data"


def embedded_scenarios() -> list[str]:
    """Names of the scenarios shipped inside the package."""
    root = resources.files(_DATA)
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


@dataclass
class LoadResult:
    """A validated scenario, or the problems that stop it; plus warnings either way."""

    label: str
    scenario: Scenario | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.problems


def _is_path_like(ref: str) -> bool:
    return ref.endswith((".yaml", ".yml", ".json")) or "/" in ref or "\\" in ref


def check_scenario(ref: str | Path | None = None) -> LoadResult:
    """Load and validate ``ref``: None (the default), an embedded name, or a file path."""
    if ref is None:
        ref = DEFAULT_SCENARIO
    if isinstance(ref, str) and not _is_path_like(ref) and not Path(ref).exists():
        if ref in embedded_scenarios():
            root = resources.files(_DATA)
            raw = root.joinpath(f"{ref}.yaml").read_bytes()

            def open_embedded(name: str) -> tuple[str, bytes | Problem | None]:
                item = root.joinpath(name)
                label = f"<embedded>/{name}"
                return label, item.read_bytes() if item.is_file() else None

            return _load_bytes(raw, f"<embedded>/{ref}.yaml", open_embedded)
        return LoadResult(
            ref,
            None,
            [
                Problem(
                    f"no scenario named '{ref}' and no such file",
                    expected="a path to a .yaml file or an embedded scenario name",
                    hint=did_you_mean(ref, embedded_scenarios()),
                )
            ],
        )
    path = Path(ref)
    label = str(path)
    # Through the one reader of users' files: a FIFO, a device (/dev/zero), a folder or an
    # oversized file is refused from its metadata, before a byte is read (so none can hang).
    try:
        raw = read_input(path, "a scenario", MAX_FILE_BYTES)
    except InputError as exc:
        return LoadResult(label, None, list(exc.problems))
    base = path.parent

    def open_file(name: str) -> tuple[str, bytes | Problem | None]:
        target = base / name
        shown = str(target)
        if not os.path.lexists(target):
            return shown, None  # reported as "CSV table 'x' not found" where it is named
        try:
            return shown, read_input(target, "a CSV table", MAX_FILE_BYTES)
        except InputError as exc:
            return shown, exc.problems[0]

    return _load_bytes(raw, label, open_file)


def load_scenario(ref: str | Path | None = None) -> Scenario:
    """The validated scenario; raises :class:`ScenarioError` listing every problem."""
    result = check_scenario(ref)
    if not result.ok or result.scenario is None:
        raise ScenarioError(result.problems, source=result.label)
    return result.scenario


def load_scenario_text(text: str, label: str = "<string>") -> Scenario:
    """Validate a scenario given as YAML text (CSV tables are not available)."""

    def no_tables(name: str) -> tuple[str, bytes | Problem | None]:
        return name, None

    result = _load_bytes(text.encode(), label, no_tables)
    if not result.ok or result.scenario is None:
        raise ScenarioError(result.problems, source=label)
    return result.scenario


def _load_bytes(raw: bytes, label: str, open_table: OpenTable) -> LoadResult:
    text, problems = read_text(label, raw)
    if text is None:
        return LoadResult(label, None, problems)
    data, smap, problems = read_yaml(text, label)
    if problems:
        return LoadResult(label, None, problems)
    if data is None:
        return LoadResult(
            label,
            None,
            [
                Problem(
                    "scenario file is empty",
                    file=label,
                    line=1,
                    expected="a YAML mapping with 'version: 2', "
                    "'id', 'parties', 'accelerators', ...",
                )
            ],
        )
    if not isinstance(data, dict):
        return LoadResult(
            label,
            None,
            [
                Problem(
                    "a scenario must be a YAML mapping at the top level",
                    file=label,
                    line=1,
                    expected="keys such as 'version', 'id', 'parties'",
                    found=_describe(data),
                )
            ],
        )
    if data.get("version") == 1 and not isinstance(data.get("version"), bool):
        return _version_1(data, label, smap, open_table)
    # 'x-' keys at the top level hold YAML anchors and user notes (as in OpenAPI and Compose).
    data = {k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))}
    problems.extend(expand_tables(data, smap, open_table))
    return validate_data(data, label, smap, problems)


def _version_1(
    data: dict[str, Any], label: str, smap: SourceMap, open_table: OpenTable
) -> LoadResult:
    """A version-1 file: refused at its ``version`` line with the steps to migrate
    (:mod:`stargate.scenario.migrate`), each also a warning located where it applies. The rest
    of the file is validated as version 2, so what would still be wrong after the version is
    changed is reported now, with the rest."""
    loc = smap.locate(("version",))
    problem = version_1_problem(loc.line if loc else 1, loc.column if loc else None, label)
    as_2: dict[str, Any] = {
        k: v for k, v in data.items() if not (isinstance(k, str) and k.startswith("x-"))
    }
    as_2["version"] = 2
    second = validate_data(as_2, label, smap, expand_tables(as_2, smap, open_table))
    steps = [_place(w, smap, label) for w in version_1_steps(as_2, second.scenario)]
    return LoadResult(label, None, [problem, *second.problems], steps)


def validate_data(
    data: Mapping[str, Any],
    label: str = "<data>",
    smap: SourceMap | None = None,
    problems: list[Problem] | None = None,
) -> LoadResult:
    """Validate already-parsed scenario data (layers 2 and 3)."""
    smap = smap or SourceMap()
    problems = list(problems or [])
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        problems.extend(translate(exc, data, smap, label))
        partial, present, kept = _partial(data)
        known = ids_in(data)
        for p in check_integrity(partial, known, present=present):
            problems.append(_place(_renumber(p, kept), smap, label))
        return LoadResult(label, None, _dedupe(problems), _warnings(None))
    for p in check_integrity(scenario, Namespaces()):
        problems.append(_place(p, smap, label))
    if problems:
        return LoadResult(label, None, _dedupe(problems))
    return LoadResult(label, scenario, [], _warnings(scenario, smap, label))


def _warnings(
    scenario: Scenario | None, smap: SourceMap | None = None, label: str = "<data>"
) -> list[Problem]:
    """One warning per figure-bearing item without a ``source`` (the first 20, then a count),
    then the integrity checks' advice (legal, but probably not meant)."""
    if scenario is None:
        return []
    missing = _figure_paths(scenario)
    out = [
        _place(
            Problem(
                "no 'source' for this item's figures",
                path=path,
                severity="warning",
                hint="give a URL, 'announcement', or 'assumption: why'",
            ),
            smap or SourceMap(),
            label,
        )
        for path in missing[:20]
    ]
    if len(missing) > 20:
        out.append(
            Problem(
                f"... and {len(missing) - 20} more items without a 'source'",
                file=label,
                severity="warning",
            )
        )
    out += [_place(p, smap or SourceMap(), label) for p in integrity_warnings(scenario)]
    return out


def _figure_paths(s: Scenario) -> list[str]:
    out: list[str] = []
    for i, a in enumerate(s.accelerators):
        if not a.source:
            out.append(f"accelerators[{i}]")
    for i, site in enumerate(s.sites):
        if not site.source:
            out.append(f"sites[{i}]")
        for j, pool in enumerate(site.pools):
            if not pool.source:
                out.append(f"sites[{i}].pools[{j}]")
    for i, prov in enumerate(s.providers):
        for j, row in enumerate(prov.capacity_model):
            if not row.source:
                out.append(f"providers[{i}].capacity_model[{j}]")
    for i, site in enumerate(s.sites):
        if site.lease is not None and not site.lease.source:
            out.append(f"sites[{i}].lease")
    for where, prices in [
        *((f"providers[{i}].prices", p.prices) for i, p in enumerate(s.providers)),
        *((f"sites[{i}].prices", site.prices) for i, site in enumerate(s.sites)),
    ]:
        for j, price in enumerate(prices):
            for k, cp in enumerate(price.contract_prices):
                if not cp.source:
                    out.append(f"{where}[{j}].contract_prices[{k}]")
    for i, c in enumerate(s.contracts):
        for j, cl in enumerate(c.clauses):
            if not cl.source:
                out.append(f"contracts[{i}].clauses[{j}]")
    out += [f"reservations[{i}]" for i, r in enumerate(s.reservations) if not r.source]
    out += [f"capacity_requests[{i}]" for i, r in enumerate(s.capacity_requests) if not r.source]
    return out


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, ...]] = set()
    out: list[Problem] = []
    for p in problems:
        key = (p.file, p.line, p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _place(p: Problem, smap: SourceMap, label: str) -> Problem:
    """Attach file and line to a problem found by the integrity checks (path only)."""
    loc = smap.locate(_parse_path(p.path))
    return Problem(
        message=p.message,
        path=p.path,
        file=loc.file if loc else label,
        line=loc.line if loc else None,
        column=loc.column if loc else None,
        expected=p.expected,
        found=p.found,
        hint=p.hint,
        severity=p.severity,
    )


def _parse_path(path: str) -> PathKey:
    out: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if not part:
            continue
        if part.startswith("[") and part.endswith("]"):
            try:
                out.append(int(part[1:-1]))
            except ValueError:
                out.append(part)
        else:
            out.append(part)
    return tuple(out)


# --------------------------------------------------------------------------- partial scenario

_LIST_SECTIONS = (
    "parties",
    "accelerators",
    "providers",
    "sites",
    "contracts",
    "reservations",
    "capacity_requests",
    "workload_classes",
    "workload_sources",
    "figures",
)


def _renumber(p: Problem, kept: dict[str, list[int]]) -> Problem:
    """Give a problem found in the partial scenario the index its item has in the file."""
    m = re.match(r"^([a-z_]+)\[(\d+)\]", p.path)
    if m is None or m.group(1) not in kept:
        return p
    index = kept[m.group(1)][int(m.group(2))]
    return replace(p, path=f"{m.group(1)}[{index}]{p.path[m.end() :]}")


def _partial(data: Mapping[str, Any]) -> tuple[Scenario, set[str], dict[str, list[int]]]:
    """The valid parts of invalid data, for the integrity checks, with the index in the file
    of each list item kept (``kept[section][k]``: the file index of the partial's item k)."""
    values: dict[str, Any] = {}
    present: set[str] = set()
    kept: dict[str, list[int]] = {}
    for name, finfo in Scenario.model_fields.items():
        if name in _LIST_SECTIONS:
            item_type = get_args(finfo.annotation)[0]
            good = []
            kept[name] = []
            raw = data.get(name)
            if isinstance(raw, list):
                for n, item in enumerate(raw):
                    try:
                        good.append(item_type.model_validate(item))
                    except (ValidationError, TypeError, AttributeError):
                        continue
                    kept[name].append(n)
            values[name] = good
            # A section that is not a list (or is missing though required) defines no ids we
            # know, so references into it are not checked: that would only repeat its error.
            if isinstance(raw, list) or (name not in data and not finfo.is_required()):
                present.add(name)
        elif name in data:
            try:
                # rebuild_annotation() keeps constraints (e.g. the id pattern) and, unlike
                # Annotated[t, *metadata], also works for fields that have no metadata.
                adapter: TypeAdapter[Any] = TypeAdapter(finfo.rebuild_annotation())
                values[name] = adapter.validate_python(data[name])
                present.add(name)
            except (ValidationError, TypeError):
                continue
    partial = Scenario.model_construct(**values)
    return partial, present, kept


# --------------------------------------------------------------------------- pydantic errors


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, GivenBoolean):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):  # a datetime too: YAML reads `2026-01-01 10:00` as one
        return f"{type(value).__name__} {value.isoformat()}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _normalise(loc: tuple[str | int, ...], data: Any) -> PathKey:
    """Drop the parts of a pydantic location that are not in the data (union tags,
    validator names), keeping the last one when it names a missing field."""
    out: list[str | int] = []
    cur = data
    for n, part in enumerate(loc):
        last = n == len(loc) - 1
        if isinstance(cur, dict) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and last:
            out.append(part)
        # anything else is a union tag ('right_of_first_refusal') or a validator name
    return tuple(out)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated/Optional wrappers from a type."""
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(args) == 1:
                tp = args[0]
                continue
            if models:
                return tuple(models)
        return tp


def _model_at(path: PathKey, data: Any) -> type[BaseModel] | None:
    """The model class that the data at ``path`` should be (for 'did you mean' on fields)."""
    tp: Any = Scenario
    cur = data
    for part in path:
        tp = _unwrap(tp)
        if isinstance(tp, tuple):  # a union of models: pick by 'kind'
            kind = cur.get("kind") if isinstance(cur, dict) else None
            tp = next((m for m in tp if _kind_of(m) == kind), None)
            if tp is None:
                return None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            f = tp.model_fields.get(str(part))
            if f is None:
                return None
            tp = f.annotation
        elif get_origin(tp) in (list, dict):
            tp = get_args(tp)[-1]
        else:
            return None
        if isinstance(cur, dict):
            cur = cur.get(part)
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
        else:
            cur = None
    tp = _unwrap(tp)
    if isinstance(tp, tuple):
        kind = cur.get("kind") if isinstance(cur, dict) else None
        tp = next((m for m in tp if _kind_of(m) == kind), None)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _kind_of(model: type[BaseModel]) -> str | None:
    f = model.model_fields.get("kind")
    if f is None:
        return None
    args = get_args(f.annotation)
    return str(args[0]) if args else None


_EXPECTED = {
    "missing": "a value",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "string_pattern_mismatch": "a lowercase id (a-z, 0-9 and '-', e.g. 'abilene')",
}

#: Fields that are yearly rates (fractions), for the hint on a percentage given as a number.
_RATES = frozenset({"wacc", "discount_rate"})

_ONE_OF = re.compile(r"give exactly one of '(\w+)'[^']*or '(\w+)'")


def _one_of_found(message: str, path: PathKey, data: Any) -> str | None:
    """For "give exactly one of 'a' or 'b'": whether the item has both or neither."""
    m = _ONE_OF.search(message)
    if m is None:
        return None
    item: Any = data
    for part in path:
        if isinstance(item, dict):
            item = item.get(part)
        elif isinstance(item, list) and isinstance(part, int) and 0 <= part < len(item):
            item = item[part]
        else:
            return None
    if not isinstance(item, dict):
        return None
    given = [k for k in m.groups() if item.get(k) is not None]
    if len(given) == 2:
        return f"both '{given[0]}' and '{given[1]}'"
    return "neither" if not given else None


_DATE_ERRORS = frozenset(
    {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"}
)


def translate(
    exc: ValidationError, data: Mapping[str, Any], smap: SourceMap, label: str
) -> list[Problem]:
    """pydantic's errors as Problems with file, line, field path and hints."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        problem = _one(err, data, smap, label)
        if out and _alternatives(out[-1], problem):
            problem = _either(out.pop(), problem)
        out.append(problem)
    return out


_TYPE_MESSAGES = frozenset({"wrong type or format", "not an allowed value"})


def _alternatives(a: Problem, b: Problem) -> bool:
    """Two errors of one union field (``types``: a list, or 'any'), to be said as one."""
    return (
        a.path == b.path
        and a.line == b.line
        and a.message in _TYPE_MESSAGES
        and b.message in _TYPE_MESSAGES
        and a.found == b.found
    )


def _either(a: Problem, b: Problem) -> Problem:
    hint = a.hint or b.hint
    if "a list" in (a.expected or "") and (a.found or "").startswith("str "):
        hint = hint or f"write a list, e.g. [{(a.found or '')[4:].strip(chr(39))}]"
    return replace(
        a, message="wrong type or format", expected=f"{a.expected}, or {b.expected}", hint=hint
    )


def _one(err: ErrorDetails, data: Mapping[str, Any], smap: SourceMap, label: str) -> Problem:
    etype = err["type"]
    path = _normalise(tuple(err["loc"]), data)
    loc = smap.locate(path)
    base = Problem(
        "",
        path=format_path(path),
        file=loc.file if loc else label,
        line=loc.line if loc else None,
        column=loc.column if loc else None,
    )

    def where(
        message: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
    ) -> Problem:
        return replace(base, message=message, expected=expected, found=found, hint=hint)

    value = err.get("input")
    ctx = err.get("ctx") or {}
    if etype == "extra_forbidden":
        field_name = str(path[-1]) if path else "?"
        model = _model_at(path[:-1], data)
        choices = sorted(model.model_fields) if model else []
        return where(
            f"unknown field '{field_name}'",
            expected=f"one of: {', '.join(choices)}" if choices else None,
            hint=did_you_mean(field_name, choices, list_valid=False) if choices else None,
        )
    if etype == "missing":
        return where(f"required field '{path[-1] if path else '?'}' is missing")
    if etype == "union_tag_invalid":
        # Point at the 'kind' line itself rather than at the start of the clause.
        kind_path = (*path, "kind")
        kind_loc = smap.locate(kind_path) or loc
        tag = str(ctx.get("tag", value))
        return replace(
            base,
            message=f"unknown clause kind '{tag}'",
            path=format_path(kind_path),
            line=kind_loc.line if kind_loc else None,
            column=kind_loc.column if kind_loc else None,
            expected="one of: " + ", ".join(CLAUSE_KINDS),
            found=repr(tag),
            hint=did_you_mean(tag, CLAUSE_KINDS),
        )
    if etype == "union_tag_not_found":
        return replace(
            base,
            message="clause has no 'kind'",
            path=format_path((*path, "kind")),
            expected="one of: " + ", ".join(CLAUSE_KINDS),
            hint="add e.g. 'kind: right_of_first_refusal'",
        )
    if etype in _DATE_ERRORS:
        reason = ctx.get("error")
        timed = etype == "date_from_datetime_inexact" and not isinstance(value, int | float)
        return where(
            f"not a valid date{f': {reason}' if reason else ''}",
            expected="a date without a time of day (YYYY-MM-DD)"
            if timed
            else "a date in ISO form (YYYY-MM-DD)",
            found=_describe(value),
        )
    if etype in ("string_too_short", "string_too_long"):
        return where(
            "text is too short" if etype == "string_too_short" else "text is too long",
            expected=f"at least {ctx['min_length']} character(s)"
            if "min_length" in ctx
            else f"at most {ctx.get('max_length')} characters",
            found=_describe(value),
        )
    if etype == "enum":
        expected = str(ctx.get("expected", ""))
        options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        return where(
            "not one of the allowed values",
            expected=f"one of {expected}",
            found=_describe(value),
            hint=did_you_mean(str(value), options) if isinstance(value, str) else None,
        )
    if etype == "literal_error":
        expected = str(ctx.get("expected"))
        options = re.findall(r"'([^']*)'", expected)
        return where(
            "not an allowed value",
            expected=expected,
            found=_describe(value),
            hint=did_you_mean(value, options, list_valid=False)
            if isinstance(value, str) and options
            else None,
        )
    if etype in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[etype]
        bound = next(iter(ctx.values()), "?")
        name = str(path[-1]) if path else ""
        rate = name in _RATES and isinstance(value, int | float) and value >= 1
        return where(
            f"value out of range for '{name}'",
            expected=f"a number {words} {bound}",
            found=_describe(value),
            hint=f"a rate is a fraction: {value:g}% is {value / 100:g}" if rate else None,
        )
    if etype == "too_short":
        return where(
            "list is too short",
            expected=f"at least {ctx.get('min_length', 1)} item(s)",
            found=f"{ctx.get('actual_length', 0)} item(s)",
        )
    if etype == "value_error":
        msg = str(ctx.get("error", err["msg"]))
        return where(msg, found=_one_of_found(msg, path, data))
    if etype in ("finite_number",):
        return where("number must be finite", expected="a finite number", found=_describe(value))
    wanted = _EXPECTED.get(etype)
    message: str = err["msg"]
    if wanted:
        message = "wrong type or format" if etype != "string_pattern_mismatch" else "invalid id"
    return where(message, expected=wanted, found=_describe(value))

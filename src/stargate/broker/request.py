"""Requests for compute, and reading them from YAML or JSON files.

A file holds job requests and capacity requests, in any mix, decided in file order.

A *capacity request* (``kind: capacity``, read into
:class:`stargate.domain.model.CapacityRequest`) asks for capacity for a term: ``requester``,
the ``workload_classes`` it will serve, ``accelerators`` (``count``, ``types``, ``unit:
accelerators|reference``) or ``power_mw``, ``term: {start, end}`` or ``term_years``, and
optionally ``providers``, ``sites``, ``price_cap_usd_per_accelerator_hour``,
``price_cap_usd_per_reference_hour`` and a ``deadline`` (dates, not datetimes). Placed, it
becomes a reservation (:mod:`stargate.broker.capacity`).

A *job request* asks for ``accelerators.count`` accelerators (of some ``types``, or ``any``)
for a workload class:

* ``training``: for ``duration_h`` hours *on the scenario's reference accelerator*; on another
  type the duration scales by that type's relative throughput for the class (a type with
  throughput 0 cannot host it). The gang size (``count``) does not change.
* ``inference``: for a fixed ``period``; ``count`` is in reference accelerators, so a type with
  throughput 2.0 needs half as many (rounded up).

Times are ISO datetimes in UTC (a trailing ``Z`` or offset is converted; a bare date means
midnight), inside the range Stargate represents (:mod:`stargate.domain.limits`); counts and
durations are bounded the same way, and a boolean is never a number.

Reading is fast for large files: JSON is read with the :mod:`json` module and plain YAML with
libyaml when it is installed; only when that finds a problem (or the YAML uses tags, anchors or
aliases) is the file re-read with the locating reader, so every message still names the file,
line and field.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from stargate.domain.limits import Count, Hours, Money, check_hours, check_instant, refuse_booleans
from stargate.domain.model import SLUG_PATTERN, CapacityRequest, Scenario, WorkloadKind
from stargate.errors import InputError, Problem, did_you_mean
from stargate.files import read_input
from stargate.scenario.yamlsrc import (
    SourceMap,
    add_number_resolvers,
    format_path,
    misleading_number,
    read_text,
    read_yaml,
)

_ISO_EXAMPLE = "e.g. 2026-01-01T09:00:00Z"


def to_utc_naive(value: Any) -> datetime:
    """A naive UTC datetime from an ISO string (``Z`` or an offset is converted), a datetime or
    a date (midnight). Anything else — an integer (epoch seconds), a number, a boolean — is
    refused with "expected an ISO datetime", as is a time the conversion cannot represent."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"not an ISO date or datetime: '{value}' (expected an ISO datetime, {_ISO_EXAMPLE})"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            try:
                value = value.astimezone(UTC).replace(tzinfo=None)
            except OverflowError:  # 9999-12-31T23:00-05:00 is past datetime's last day in UTC
                raise ValueError(
                    f"time {value.isoformat()} is outside the range Stargate represents"
                ) from None
        moment: datetime = value
        return moment
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    kind = "a boolean" if isinstance(value, bool) else f"{type(value).__name__} {value!r}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        kind += " (epoch numbers are not taken: write the date)"
    raise ValueError(f"expected an ISO datetime ({_ISO_EXAMPLE}), found {kind}")


#: A moment in naive UTC, inside the range Stargate represents (1900-01-01 to 2199-12-31).
UtcDatetime = Annotated[datetime, BeforeValidator(to_utc_naive), AfterValidator(check_instant)]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=1, max_length=64)]


class _Model(BaseModel):
    """Base of the request models: unknown fields are errors, and a field that takes only
    numbers refuses booleans (``count: yes`` is not 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, data: Any) -> Any:
        return refuse_booleans(cls, data)


class AcceleratorAsk(_Model):
    count: Count = Field(description="How many accelerators (reference units for inference)")
    types: list[Slug] | Literal["any"] = Field(
        default="any", description="Acceptable accelerator types, or 'any'"
    )

    @model_validator(mode="after")
    def _non_empty(self) -> AcceleratorAsk:
        if isinstance(self.types, list) and not self.types:
            raise ValueError("'types' is an empty list: name at least one type, or use 'any'")
        return self


class TimeWindow(_Model):
    start: UtcDatetime
    end: UtcDatetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end <= self.start:
            raise ValueError(
                f"period ends before it starts: end {self.end.isoformat()} is not after "
                f"start {self.start.isoformat()}"
            )
        check_hours(self.hours, "period")
        return self

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0


class Request(_Model):
    """One request for compute."""

    id: Slug
    requester: Slug = Field(description="The party asking (e.g. openai)")
    workload_class: Slug = Field(alias="class", description="A workload class id")
    kind: WorkloadKind
    accelerators: AcceleratorAsk
    duration_h: Hours | None = Field(
        default=None, description="Training: hours on the reference accelerator"
    )
    period: TimeWindow | None = Field(default=None, description="Inference: when it runs")
    earliest_start: UtcDatetime | None = None
    deadline: UtcDatetime | None = Field(default=None, description="Must finish by then")
    max_price_usd_per_accelerator_hour: Annotated[Money, Field(gt=0)] | None = None
    price_cap_usd_per_reference_hour: Annotated[Money, Field(gt=0)] | None = Field(
        default=None,
        description="A cap per unit of work: price per accelerator-hour ÷ the type's "
        "throughput for the class (USD per reference-accelerator-hour)",
    )

    @model_validator(mode="after")
    def _by_kind(self) -> Request:
        if self.kind == WorkloadKind.training:
            if self.duration_h is None:
                raise ValueError("a training request needs 'duration_h'")
            if self.period is not None:
                raise ValueError("a training request takes 'duration_h', not 'period'")
        else:
            if self.period is None:
                raise ValueError("an inference request needs a 'period' {start, end}")
            if self.duration_h is not None:
                raise ValueError("an inference request takes 'period', not 'duration_h'")
        if (
            self.earliest_start is not None
            and self.deadline is not None
            and self.deadline <= self.earliest_start
        ):
            raise ValueError(
                f"deadline {self.deadline.isoformat()} is not after earliest_start "
                f"{self.earliest_start.isoformat()}"
            )
        if (
            self.period is not None
            and self.deadline is not None
            and (self.period.end > self.deadline)
        ):
            raise ValueError("the inference period ends after the deadline")
        return self

    def types_allowed(self) -> list[str] | None:
        """The allowed types, or None for any."""
        return None if self.accelerators.types == "any" else list(self.accelerators.types)


#: A request of either kind, as a requests file holds them.
AnyRequest = Request | CapacityRequest


class _Names:
    """A scenario's party, class, accelerator, provider and site ids, gathered once for a
    whole file."""

    __slots__ = ("accs", "classes", "parties", "providers", "sites")

    def __init__(self, scenario: Scenario) -> None:
        self.parties = {p.id for p in scenario.parties}
        self.classes = {c.id: c for c in scenario.workload_classes}
        self.accs = {a.id for a in scenario.accelerators}
        self.providers = {p.id for p in scenario.providers}
        self.sites = {s.id for s in scenario.sites}

    def known(self, r: AnyRequest) -> bool:
        """Whether every name a valid request uses is the scenario's (the common case)."""
        if isinstance(r, CapacityRequest):
            types = "any" if r.accelerators is None else r.accelerators.types
            return (
                r.requester in self.parties
                and all(c in self.classes for c in r.workload_classes)
                and (types == "any" or all(t in self.accs for t in types))
                and all(p in self.providers for p in r.providers)
                and all(s in self.sites for s in r.sites)
            )
        cls = self.classes.get(r.workload_class)
        return (
            r.requester in self.parties
            and cls is not None
            and cls.kind == r.kind
            and (r.accelerators.types == "any" or all(t in self.accs for t in r.accelerators.types))
        )


def check_against(
    scenario: Scenario, item: Any, names: _Names | None = None
) -> list[tuple[str, str, str | None]]:
    """Problems (field, message, hint) of a request's names against a scenario. Works on raw
    data too, so that unknown names are reported even when other fields are malformed."""
    if isinstance(item, Request | CapacityRequest):
        item = item.model_dump(by_alias=True)
    if not isinstance(item, dict):
        return []
    out: list[tuple[str, str, str | None]] = []
    names = names or _Names(scenario)
    if item.get("kind") == "capacity":
        return _check_capacity(item, names)
    parties = names.parties
    classes = names.classes
    accs = names.accs
    requester = item.get("requester")
    if isinstance(requester, str) and requester not in parties:
        out.append(("requester", f"unknown party '{requester}'", did_you_mean(requester, parties)))
    cls_id = item.get("class")
    if isinstance(cls_id, str):
        cls = classes.get(cls_id)
        if cls is None:
            out.append(
                ("class", f"unknown workload class '{cls_id}'", did_you_mean(cls_id, classes))
            )
        elif item.get("kind") in ("training", "inference") and cls.kind != item["kind"]:
            out.append(
                (
                    "kind",
                    f"kind '{item['kind']}' does not match class '{cls.id}', which is '{cls.kind}'",
                    None,
                )
            )
    ask = item.get("accelerators")
    types = ask.get("types") if isinstance(ask, dict) else None
    if isinstance(types, list):
        for i, t in enumerate(types):
            if isinstance(t, str) and t not in accs:
                out.append(
                    (
                        f"accelerators.types[{i}]",
                        f"unknown accelerator '{t}'",
                        did_you_mean(t, accs),
                    )
                )
    return out


def _check_capacity(item: dict[str, Any], names: _Names) -> list[tuple[str, str, str | None]]:
    """The names of a capacity request (raw data) that the scenario does not know."""
    out: list[tuple[str, str, str | None]] = []
    requester = item.get("requester")
    if isinstance(requester, str) and requester not in names.parties:
        out.append(
            ("requester", f"unknown party '{requester}'", did_you_mean(requester, names.parties))
        )

    def each(key: str, known: Iterable[str], what: str, at: str | None = None) -> None:
        values = item.get(key) if at is None else item.get(at)
        if at is not None:
            values = values.get(key) if isinstance(values, dict) else None
        if not isinstance(values, list):
            return
        pool = set(known)
        for i, v in enumerate(values):
            if isinstance(v, str) and v not in pool:
                field = f"{at}.{key}[{i}]" if at else f"{key}[{i}]"
                out.append((field, f"unknown {what} '{v}'", did_you_mean(v, pool)))

    each("workload_classes", names.classes, "workload class")
    each("types", names.accs, "accelerator", at="accelerators")
    each("providers", names.providers, "provider")
    each("sites", names.sites, "site")
    return out


_FIELDS = ("duration_h", "period", "deadline", "earliest_start", "accelerators", "kind")
#: The fields a capacity request's cross-field messages can name.
_CAPACITY_FIELDS = ("accelerators", "power_mw", "term", "term_years", "deadline")


def _field_of(message: str, fields: tuple[str, ...] = _FIELDS) -> str | None:
    """The request field a cross-field message is about (the first field it names)."""
    best: tuple[int, str] | None = None
    for name in fields:
        pos = message.find(name)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, name)
    return best[1] if best else None


def parse_requests(
    data: Any, scenario: Scenario, label: str = "<requests>", smap: SourceMap | None = None
) -> tuple[list[AnyRequest], bool]:
    """Validate request data: one mapping, a list, or ``{requests: [...]}``; each item a job
    request or (``kind: capacity``) a capacity request. Returns the requests and whether the
    input was a single request. Raises InputError listing every problem with file, line,
    request id and field."""
    smap = smap or SourceMap()
    single = isinstance(data, dict) and "requests" not in data
    prefix: tuple[str | int, ...] = ()
    if isinstance(data, dict) and "requests" in data:
        items, prefix = data["requests"], ("requests",)
        extra = sorted(set(data) - {"requests"})
        if extra:
            raise InputError(
                Problem(
                    f"unknown top-level key '{extra[0]}'", file=label, expected="only 'requests'"
                )
            )
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        items = [data]
    else:
        raise InputError(
            Problem(
                "expected a request, a list of requests or {requests: [...]}",
                file=label,
                found=type(data).__name__,
            )
        )
    if not isinstance(items, list) or not items:
        raise InputError(Problem("no requests found", file=label, expected="at least one request"))
    problems: list[Problem] = []
    requests: list[AnyRequest] = []
    seen: dict[str, int] = {}
    names = _Names(scenario)
    for i, item in enumerate(items):
        capacity = isinstance(item, dict) and item.get("kind") == "capacity"
        model: type[Request] | type[CapacityRequest] = CapacityRequest if capacity else Request
        if not problems:  # the fast path: a valid request with known names
            try:
                fast: AnyRequest = model.model_validate(item)
            except ValidationError:
                pass
            else:
                if names.known(fast) and fast.id not in seen:
                    seen[fast.id] = i
                    requests.append(fast)
                    continue
        base: tuple[str | int, ...] = (*prefix, i) if not single else ()
        rid = item.get("id") if isinstance(item, dict) else None
        who = f"request '{rid}'" if isinstance(rid, str) else f"request #{i + 1}"

        def problem(
            rel: tuple[str | int, ...],
            msg: str,
            hint: str | None = None,
            found: str | None = None,
            base: tuple[str | int, ...] = base,
            who: str = who,
        ) -> Problem:
            path = (*base, *rel)
            loc = smap.locate(path) if smap else None
            return Problem(
                f"{who}: {msg}",
                path=format_path(path) or "(request)",
                file=loc.file if loc else label,
                line=loc.line if loc else None,
                column=loc.column if loc else None,
                hint=hint,
                found=found,
            )

        for field, msg, hint in check_against(scenario, item, names):
            rel = tuple(
                int(p) if p.isdigit() else p
                for p in field.replace("[", ".").replace("]", "").split(".")
            )
            problems.append(problem(rel, msg, hint))
        try:
            req: AnyRequest = model.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
                msg = err["msg"].removeprefix("Value error, ")
                if not loc and err["type"] == "value_error":
                    named = _field_of(msg, _CAPACITY_FIELDS if capacity else _FIELDS)
                    loc = (named,) if named else loc
                if err["type"] == "missing":
                    msg = f"required field '{loc[-1]}' is missing"
                elif err["type"] == "extra_forbidden":
                    fields = {f.alias or n for n, f in model.model_fields.items()}
                    problems.append(
                        problem(
                            loc,
                            f"unknown field '{loc[-1]}'",
                            did_you_mean(str(loc[-1]), fields, list_valid=False),
                        )
                    )
                    continue
                inp = err.get("input")
                found = None if isinstance(inp, dict | list) else repr(inp)
                problems.append(problem(loc, msg, found=found))
            continue
        if req.id in seen:
            problems.append(
                problem(("id",), f"duplicate request id (also request #{seen[req.id] + 1})")
            )
        seen.setdefault(req.id, i)
        requests.append(req)
    if problems:
        raise InputError(problems)
    return requests, single


#: What a requests file is called in messages.
_WHAT = "a requests file (YAML or JSON)"


class _Duplicate(Exception):
    """A repeated key in a mapping: the fast readers give up and the locating one reports it."""


#: What the fast readers raise on text they cannot read as meant: a repeated key or a form
#: left to the locating reader (``_Duplicate``), YAML's own errors, a value PyYAML or json
#: cannot construct (``ValueError``: a bad timestamp, an integer past Python's digit limit;
#: ``TypeError``: a list or mapping used as a key; ``OverflowError``), and nesting deeper than
#: the recursion limit. Any of these falls back to the locating reader, which reports it at
#: its line; anything else is a bug and propagates.
_FAST_READER_GIVES_UP: tuple[type[BaseException], ...] = (
    _Duplicate,
    yaml.YAMLError,
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,
)


def _no_duplicates(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


def _no_constant(name: str) -> Any:
    raise _Duplicate  # NaN / Infinity are not JSON: let the locating reader report them


def _fast_json(text: str) -> Any:
    """JSON read with the json module; raises on anything the locating reader must report."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


#: Text that makes the fast YAML reader give up: tags, anchors, aliases and merge keys are
#: rare in request files and are only read by the locating reader, which checks them.
_SLOW_YAML_MARKS = ("!", "&", "*", "<<")


def _fast_yaml(text: str) -> Any:
    """Plain YAML read with libyaml (PyYAML's C loader) when it is installed; raises on anything
    the locating reader must report (a duplicate key, a scalar that cannot be constructed)."""
    if any(mark in text for mark in _SLOW_YAML_MARKS):
        raise _Duplicate
    loader_base = getattr(yaml, "CSafeLoader", None)
    if loader_base is None:
        raise _Duplicate

    class _Loader(loader_base):  # type: ignore[misc, valid-type]
        pass

    def mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
        pairs = [
            (loader.construct_object(k, deep=True), loader.construct_object(v, deep=True))
            for k, v in node.value
        ]
        return _no_duplicates(pairs)

    def number(base: Any) -> Any:
        # the same reading as the locating reader: YAML 1.1's octal and base-60 forms are
        # left to it (it refuses them, located); everything else is PyYAML's own constructor
        def construct(loader: Any, node: yaml.ScalarNode) -> Any:
            if misleading_number(node) is not None:
                raise _Duplicate
            return base(loader, node)

        return construct

    _Loader.add_constructor("tag:yaml.org,2002:map", mapping)
    for tag, base in (
        ("tag:yaml.org,2002:int", yaml.SafeLoader.construct_yaml_int),
        ("tag:yaml.org,2002:float", yaml.SafeLoader.construct_yaml_float),
    ):
        _Loader.add_constructor(tag, number(base))
    add_number_resolvers(_Loader)
    return yaml.load(text, Loader=_Loader)


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while a file's objects are built: they are all kept, and
    collecting while hundreds of thousands are created makes reading several times slower.
    The work is bounded by the input's size limit (:data:`stargate.files.MAX_INPUT_BYTES`)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_requests(path: str | Path, scenario: Scenario) -> tuple[list[AnyRequest], bool]:
    """Read requests from a YAML or JSON file; see :func:`parse_requests`.

    The file is opened through :func:`stargate.files.read_input` (a FIFO, a device or an
    oversized file is refused before reading). A fast reader runs first (json for ``.json``,
    libyaml for plain YAML); when it or the validation finds anything wrong, the file is
    re-read with the locating YAML reader so every problem is reported with its line."""
    p = Path(path)
    label = str(p)
    raw = read_input(p, _WHAT)
    text, problems = read_text(label, raw)
    if text is None:
        raise InputError(problems)
    is_json = p.suffix.lower() == ".json"
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                Problem(f"not valid JSON: {exc.msg}", file=label, line=exc.lineno, column=exc.colno)
            ) from None
        except (ValueError, RecursionError):
            pass  # too deep, or an integer past the digit limit: the locating reader says where
    with _bulk():
        try:
            data = _fast_json(text) if is_json else _fast_yaml(text)
        except _FAST_READER_GIVES_UP:  # the locating reader decides, and says where
            data = None
        else:
            if data is not None:
                try:
                    return parse_requests(data, scenario, label)
                except InputError:
                    pass  # re-read below to place every message at its line
    data, smap, problems = read_yaml(text, label)
    if problems:
        raise InputError(problems)
    if data is None:
        raise InputError(Problem("requests file is empty", file=label, line=1))
    return parse_requests(data, scenario, label, smap)

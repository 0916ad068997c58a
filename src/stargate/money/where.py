"""Where a clause is written in the scenario, so a problem with it names the field; and
:func:`locate`, which adds the file and line from the scenario's source map."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

from stargate.domain.model import Scenario
from stargate.errors import InputError, Problem
from stargate.scenario.yamlsrc import PathKey, SourceMap, format_path, read_yaml


class ClausePaths:
    """Clause id → its field path: ``contracts[i].clauses[j]`` or, for a clause an agreement
    added, ``contracts[i].agreements[k].adds[m]``."""

    def __init__(self, scenario: Scenario) -> None:
        self.paths: dict[str, PathKey] = {}
        for i, c in enumerate(scenario.contracts):
            for j, cl in enumerate(c.clauses):
                self.paths[cl.id] = ("contracts", i, "clauses", j)
            for k, ag in enumerate(c.agreements):
                for m, cl in enumerate(ag.adds):
                    self.paths[cl.id] = ("contracts", i, "agreements", k, "adds", m)

    def path(self, clause_id: str, field: str) -> str:
        base = self.paths.get(clause_id)
        return format_path((*base, field)) if base is not None else f"{clause_id}.{field}"

    def problem(
        self,
        clause_id: str,
        field: str,
        message: str,
        *,
        expected: str | None = None,
        hint: str | None = None,
    ) -> Problem:
        return Problem(
            f"clause '{clause_id}': {message}",
            path=self.path(clause_id, field),
            expected=expected,
            hint=hint,
        )


def _parse_path(text: str) -> PathKey:
    """``contracts[2].clauses[0].holder`` → ``("contracts", 2, "clauses", 0, "holder")``."""
    out: list[str | int] = []
    for part in text.split("."):
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        for idx in rest.split("[") if rest else []:
            digits = idx.rstrip("]")
            if digits.isdigit():
                out.append(int(digits))
    return tuple(out)


def _source(ref: str | Path | None) -> tuple[str, str] | None:
    """(label, text) of the scenario named as the loader names it, or None."""
    from stargate.scenario.loader import DEFAULT_SCENARIO, embedded_scenarios

    name = DEFAULT_SCENARIO if ref is None else str(ref)
    path = Path(name)
    if path.is_file():
        from stargate.files import read_input

        try:
            return name, read_input(path, "a scenario").decode("utf-8", errors="replace")
        except InputError:
            return None
    if name in embedded_scenarios():
        root = resources.files("stargate.scenario.data")
        text = root.joinpath(f"{name}.yaml").read_text(encoding="utf-8")
        return f"<embedded>/{name}.yaml", text
    return None


def locate(exc: InputError, ref: str | Path | None) -> InputError:
    """``exc`` with the file, line and column of each problem whose field path is in the
    scenario ``ref`` (a file or an embedded name) and that has no file yet."""
    if all(p.file is not None or not p.path for p in exc.problems):
        return exc
    src = _source(ref)
    if src is None:
        return exc
    label, text = src
    _, smap, _ = read_yaml(text, label)
    return InputError([_at(p, smap, label) for p in exc.problems])


def _at(p: Problem, smap: SourceMap, label: str) -> Problem:
    if p.file is not None or not p.path or not p.path[0].isalpha():
        return p
    key = _parse_path(p.path)
    if not key or (key[0],) not in smap.entries:  # not a field of the scenario (an option)
        return p
    loc = smap.locate(key)
    if loc is None:
        return replace(p, file=label)
    return replace(p, file=loc.file, line=loc.line, column=loc.column)

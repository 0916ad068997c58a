"""Where a result came from: carried by every result Stargate writes (summary.json,
plan.json, ``--json`` output), so that a number can be traced to the scenario, the version and
the seed that produced it, and to the clauses that were switched off."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

from pydantic import BaseModel, ConfigDict, Field

#: The version of Stargate's output formats; raised when a field's meaning changes
#: (CHANGELOG.md says how).
SCHEMA_VERSION = 1


def stargate_version() -> str:
    try:
        return metadata.version("stargate")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def content_hash(data: object) -> str:
    """SHA-256 of canonical JSON (sorted keys, no spaces): the same content, the same hash."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = SCHEMA_VERSION
    stargate_version: str = Field(default_factory=stargate_version)
    scenario_id: str | None = None
    scenario_sha256: str | None = Field(
        default=None, description="SHA-256 of the scenario's canonical JSON"
    )
    seed: int | None = None
    clauses_off: list[str] = Field(default_factory=list)
    amendments_off: list[str] = Field(default_factory=list)


def for_scenario(
    scenario: BaseModel,
    *,
    seed: int | None = None,
    clauses_off: list[str] | tuple[str, ...] = (),
    amendments_off: list[str] | tuple[str, ...] = (),
) -> Provenance:
    """The provenance of a result computed from ``scenario`` (any pydantic model with an
    ``id``): its id, the hash of its canonical JSON, the seed and what was switched off."""
    return Provenance(
        scenario_id=str(getattr(scenario, "id", "")) or None,
        scenario_sha256=content_hash(scenario.model_dump(mode="json")),
        seed=seed,
        clauses_off=sorted(clauses_off),
        amendments_off=sorted(amendments_off),
    )

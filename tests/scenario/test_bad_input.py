"""Malformed scenarios: every one gets a clear, located message and exit code 2, never a traceback.

Each case breaks the small valid scenario of ``conftest.minimal()`` (or writes a broken file) and
runs ``stargate validate`` in-process. A case lists the words the message must contain (the field
path, what was expected and found, the "did you mean") and, where YAML gives one, the text on the
offending line, whose line number the message must name.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.errors import EXIT_INPUT, EXIT_INTERNAL, ScenarioError
from stargate.scenario.loader import check_scenario, load_scenario, load_scenario_text
from stargate.scenario.yamlsrc import MAX_ALIAS_VALUES, MAX_FILE_BYTES
from tests.conftest import minimal, write_scenario

runner = CliRunner()

Data = dict[str, Any]
Build = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    """One malformed input: how to make it, and what the message must say."""

    id: str
    build: Build  # writes the input under tmp_path; returns the CLI arguments
    expect: tuple[str, ...]  # all must appear in the output
    line_of: str | None = None  # text on the offending line of s.yaml (its line must be named)
    occurrence: int = 1  # which occurrence of line_of, when the text appears more than once


# --------------------------------------------------------------------------- builders


def broken(mutate: Callable[[Data], object]) -> Build:
    """The minimal scenario with ``mutate`` applied, written to s.yaml."""

    def build(tmp_path: Path) -> list[str]:
        data = minimal()
        mutate(data)
        return ["validate", str(write_scenario(tmp_path, data))]

    return build


def text(content: str) -> Build:
    def build(tmp_path: Path) -> list[str]:
        return ["validate", str(write_scenario(tmp_path, content))]

    return build


def raw(content: bytes) -> Build:
    def build(tmp_path: Path) -> list[str]:
        path = tmp_path / "s.yaml"
        path.write_bytes(content)
        return ["validate", str(path)]

    return build


def edited(old: str, new: str) -> Build:
    """The minimal scenario's YAML text with ``old`` replaced by ``new`` (once)."""

    def build(tmp_path: Path) -> list[str]:
        dumped = yaml.safe_dump(minimal(), sort_keys=False)
        assert old in dumped, old
        return ["validate", str(write_scenario(tmp_path, dumped.replace(old, new, 1)))]

    return build


def with_pools_csv(table: str | bytes | None) -> Build:
    """The minimal scenario whose first site reads its pools from pools.csv (None: no file)."""

    def build(tmp_path: Path) -> list[str]:
        data = minimal()
        data["sites"][0]["pools"] = "pools.csv" if table is not None else "missing.csv"
        if table is not None:
            csv_path = tmp_path / "pools.csv"
            csv_path.write_bytes(table if isinstance(table, bytes) else table.encode())
        return ["validate", str(write_scenario(tmp_path, data))]

    return build


def args(*argv: str) -> Build:
    def build(tmp_path: Path) -> list[str]:
        return [a.replace("{tmp}", str(tmp_path)) for a in argv]

    return build


def rofr(data: Data) -> Data:
    clause: Data = data["contracts"][0]["clauses"][0]
    return clause


def amend(*amendments: Data) -> Callable[[Data], object]:
    def mutate(data: Data) -> None:
        rofr(data)["amendments"] = list(amendments)

    return mutate


def add_party(data: Data, party_id: str) -> None:
    data["parties"].append({"id": party_id, "name": party_id.title(), "roles": ["investor"]})


def party_outside_the_contract(data: Data, party_id: str) -> None:
    """A new party of the scenario (not of the contract) named by the contract's second clause."""
    add_party(data, party_id)
    data["contracts"][0]["clauses"][1].update(party=party_id)


def request(**changes: object) -> Data:
    """A valid dated capacity request of the minimal scenario, with ``changes``."""
    req: Data = {
        "id": "deal-2026",
        "date": "2026-01-15",
        "requester": "lab",
        "workload_classes": ["training"],
        "accelerators": {"count": 500, "types": ["h100"]},
        "term": {"start": "2026-03-01", "end": "2027-12-31"},
        "source": "assumption",
    }
    req.update(changes)
    return req


def reservation(**changes: object) -> Data:
    """A valid starting reservation of the minimal scenario, with ``changes``."""
    res: Data = {
        "id": "held",
        "holder": "lab",
        "provider": "cloud",
        "site": "cloud-east",
        "accelerator": "h100",
        "accelerators": 500,
        "term": {"start": "2024-01-01", "end": "2026-12-31"},
        "source": "assumption",
    }
    res.update(changes)
    return res


def capacity_row(**changes: object) -> Data:
    """A valid capacity model row of the minimal scenario's cloud, with ``changes``."""
    row: Data = {"accelerator": "h100", "start": "2025-01-01", "accelerators": 100}
    row.update(changes)
    return row


def requests_(*items: Data) -> Callable[[Data], object]:
    return lambda d: d.update(capacity_requests=list(items))


def reservations_(*items: Data) -> Callable[[Data], object]:
    return lambda d: d.update(reservations=list(items))


def capacity_model(*rows: Data) -> Callable[[Data], object]:
    return lambda d: d["providers"][0].update(capacity_model=list(rows))


def contract_price(party: str, *more: str) -> Callable[[Data], object]:
    def mutate(data: Data) -> None:
        prices = [{"party": p, "usd_per_accelerator_hour": 8} for p in (party, *more)]
        data["providers"][0]["prices"][0]["contract_prices"] = prices

    return mutate


def leased(developer: str | None) -> Callable[[Data], object]:
    def mutate(data: Data) -> None:
        site = data["sites"][1]
        if developer is not None:
            site["developer"] = developer
        site["lease"] = {"start": "2025-01-01", "term_years": 15}

    return mutate


def planned_phase(data: Data) -> None:
    data["sites"][1]["phases"][0]["status"] = "planned"
    # a pool that gives no status takes its phase's; one that says operational is refused
    data["sites"][1]["pools"][0]["status"] = "operational"


def unpriced_reservation(data: Data) -> None:
    """A reservation at the campus, once the campus has no cost basis (and so no pools)."""
    campus = data["sites"][1]
    campus.pop("costs")
    campus["pools"] = []
    data["reservations"] = [reservation(provider="own", site="campus")]


def spare_provider(data: Data) -> None:
    """A cloud with a capacity model and no site."""
    data["providers"].append(
        {
            "id": "spare",
            "name": "Spare",
            "kind": "cloud",
            "owner": "cloudco",
            "capacity_model": [capacity_row()],
        }
    )


CSV_HEADER = "id,accelerator,count,available_from\n"

# --------------------------------------------------------------------------- the cases

CASES = [
    # -- wrong types and values (layer 2: the pydantic model) ------------------------------
    Case(
        "string-for-number",
        broken(lambda d: d["accelerators"][0].update(tdp_w="lots")),
        ("accelerators[0].tdp_w", "expected a number", "found str 'lots'"),
        line_of="tdp_w: lots",
    ),
    Case(
        "list-for-mapping",
        broken(lambda d: d.update(settings=["h100"])),
        ("settings:", "expected a mapping", "found a list"),
        line_of="settings:",
    ),
    Case(
        "mapping-for-list",
        broken(lambda d: d["parties"][0].update(roles={"operator": True})),
        ("parties[0].roles", "expected a list", "found a mapping"),
        line_of="roles:",
    ),
    Case(
        "negative-site-power",
        broken(lambda d: d["sites"][1].update(power_capacity_mw=-5)),
        ("sites[1].power_capacity_mw", "greater than 0", "found int -5"),
        line_of="power_capacity_mw: -5",
    ),
    Case(
        "zero-phase-power",
        broken(lambda d: d["sites"][1]["phases"][0].update(power_mw=0)),
        ("sites[1].phases[0].power_mw", "greater than 0", "found int 0"),
        line_of="power_mw: 0",
    ),
    Case(
        "negative-pool-count",
        broken(lambda d: d["sites"][0]["pools"][0].update(count=-3)),
        ("sites[0].pools[0].count", "greater than 0", "found int -3"),
        line_of="count: -3",
    ),
    Case(
        "fractional-pool-count",
        broken(lambda d: d["sites"][0]["pools"][0].update(count=1.5)),
        ("sites[0].pools[0].count", "expected a whole number", "found float 1.5"),
        line_of="count: 1.5",
    ),
    Case(
        "infinite-power",
        broken(lambda d: d["sites"][1].update(power_capacity_mw=float("inf"))),
        ("sites[1].power_capacity_mw", "finite"),
        line_of="power_capacity_mw: .inf",
    ),
    Case(
        "number-for-text",
        broken(lambda d: d["parties"][1].update(name=12)),
        ("parties[1].name", "expected text", "found int 12"),
        line_of="name: 12",
    ),
    Case(
        "unknown-enum-value",
        broken(lambda d: d["providers"][0].update(kind="clod")),
        ("providers[0].kind", "'colocation'", "did you mean 'cloud'?"),
        line_of="kind: clod",
    ),
    Case(
        "wrong-format-version",
        broken(lambda d: d.update(version=3)),
        ("version", "not an allowed value", "expected 2", "found int 3"),
        line_of="version: 3",
    ),
    Case(
        "format-version-1-says-how-to-migrate",
        broken(lambda d: d.update(version=1)),
        ("version", "format version 1", "status: planned", "reservations"),
        line_of="version: 1",
    ),
    # -- ids ------------------------------------------------------------------------------
    Case(
        "id-with-uppercase-and-spaces",
        broken(lambda d: d["sites"][0].update(id="Cloud East")),
        ("sites[0].id", "invalid id", "a lowercase id", "'Cloud East'"),
        line_of="id: Cloud East",
    ),
    Case(
        "id-too-long",
        broken(lambda d: d["workload_classes"][0].update(id="t" * 65)),
        ("workload_classes[0].id", "at most 64 characters"),
        line_of="id: " + "t" * 65,
    ),
    Case(
        "duplicate-party-id",
        broken(lambda d: d["parties"].append(copy.deepcopy(d["parties"][0]))),
        ("parties[2].id", "duplicate party id 'lab'", "first defined at parties[0]"),
        line_of="- id: lab",
        occurrence=2,
    ),
    Case(
        "duplicate-pool-id",
        broken(lambda d: d["sites"][1]["pools"][0].update(id="east-h100")),
        ("sites[1].pools[0].id", "duplicate pool id 'east-h100'", "sites[0].pools[0]"),
        line_of="id: east-h100",
        occurrence=2,
    ),
    # -- unknown names: did you mean ---------------------------------------------------------
    Case(
        "unknown-top-level-field",
        broken(lambda d: d.update(partys=[])),
        ("partys", "unknown field 'partys'", "did you mean 'parties'?"),
        line_of="partys:",
    ),
    Case(
        "unknown-field-in-clause",
        broken(lambda d: rofr(d).update(hodler="cloudco")),
        ("contracts[0].clauses[0].hodler", "unknown field 'hodler'", "did you mean 'holder'?"),
        line_of="hodler: cloudco",
    ),
    Case(
        "unknown-clause-kind",
        broken(lambda d: rofr(d).update(kind="right_of_first_refusl")),
        (
            "contracts[0].clauses[0].kind",
            "unknown clause kind 'right_of_first_refusl'",
            "did you mean 'right_of_first_refusal'?",
        ),
        line_of="kind: right_of_first_refusl",
    ),
    Case(
        "clause-without-kind",
        broken(lambda d: rofr(d).pop("kind")),
        ("contracts[0].clauses[0].kind", "clause has no 'kind'", "right_of_first_refusal"),
        line_of="- id: rofr",
    ),
    Case(
        "unknown-party-in-clause",
        broken(lambda d: rofr(d).update(holder="cloudc")),
        ("contracts[0].clauses[0].holder", "unknown party 'cloudc'", "did you mean 'cloudco'?"),
        line_of="holder: cloudc",
    ),
    Case(
        "pool-with-unknown-accelerator",
        broken(lambda d: d["sites"][0]["pools"][0].update(accelerator="h10")),
        (
            "sites[0].pools[0].accelerator",
            "unknown accelerator 'h10'",
            "the id of an accelerator",
            "did you mean 'h100'?",
        ),
        line_of="accelerator: h10",
    ),
    Case(
        "site-with-unknown-provider",
        broken(lambda d: d["sites"][0].update(provider="clod")),
        ("sites[0].provider", "unknown provider 'clod'", "did you mean 'cloud'?"),
        line_of="provider: clod",
    ),
    Case(
        "unknown-reference-accelerator",
        broken(lambda d: d["settings"].update(reference_accelerator="h1000")),
        ("settings.reference_accelerator", "unknown accelerator 'h1000'", "'h100'"),
        line_of="reference_accelerator: h1000",
    ),
    Case(
        "pool-with-unknown-phase",
        broken(lambda d: d["sites"][1]["pools"][0].update(phase="campus-2")),
        ("sites[1].pools[0].phase", "unknown phase 'campus-2'", "did you mean 'campus-1'?"),
        line_of="phase: campus-2",
    ),
    Case(
        "missing-required-field",
        broken(lambda d: d["parties"][0].pop("name")),
        ("parties[0].name", "required field 'name' is missing"),
        line_of="- id: lab",
    ),
    Case(
        "missing-required-section",
        broken(lambda d: d.pop("settings")),
        ("settings", "required field 'settings' is missing"),
    ),
    # -- power ------------------------------------------------------------------------------
    Case(
        "phase-larger-than-site",
        broken(lambda d: d["sites"][1]["phases"][0].update(power_mw=150)),
        ("sites[1].phases[0].power_mw", "larger than its site's power", "at most 100 MW"),
        line_of="power_mw: 150",
    ),
    Case(
        "phases-sum-over-site",
        broken(
            lambda d: d["sites"][1]["phases"].append(
                {"id": "campus-2", "power_mw": 60, "online": "2026-01-01"}
            )
        ),
        ("sites[1].phases", "add up to more than its power", "found 110 MW"),
        line_of="phases:",
    ),
    Case(
        "pools-draw-more-than-site",
        broken(lambda d: d["sites"][1]["pools"][0].update(count=200_000)),
        ("sites[1].pools", "draw more power than the site has", "at most 100 MW"),
        line_of="pools:",
        occurrence=2,
    ),
    # -- contracts and amendments -----------------------------------------------------------
    Case(
        "clause-party-not-in-contract",
        broken(lambda d: party_outside_the_contract(d, "other")),
        ("contracts[0].clauses[1].party", "'other' is not a party to this contract"),
        line_of="party: other",
    ),
    Case(
        "overlapping-amendments",
        broken(
            amend(
                {
                    "id": "a1",
                    "effective": {"start": "2026-01-01", "end": "2026-12-31"},
                    "action": "modify",
                    "changes": {"response_window_h": 48},
                },
                {
                    "id": "a2",
                    "effective": {"start": "2026-06-01", "end": "2027-06-30"},
                    "action": "modify",
                    "changes": {"response_window_h": 12},
                },
            )
        ),
        ("contracts[0].clauses[0].amendments[1].effective", "'a2' overlaps amendment 'a1'"),
        line_of="effective:",
        occurrence=3,  # the clause's own, then a1's, then a2's
    ),
    Case(
        "amendment-changes-unknown-field",
        broken(
            amend(
                {
                    "id": "a1",
                    "effective": {"start": "2026-01-01"},
                    "action": "modify",
                    "changes": {"respons_window_h": 48},
                }
            )
        ),
        (
            "contracts[0].clauses[0].amendments[0].changes.respons_window_h",
            "no field 'respons_window_h'",
            "did you mean 'response_window_h'?",
        ),
        line_of="respons_window_h: 48",
    ),
    Case(
        "amendment-changes-id",
        broken(
            amend(
                {
                    "id": "a1",
                    "effective": {"start": "2026-01-01"},
                    "action": "modify",
                    "changes": {"id": "other"},
                }
            )
        ),
        ("amendments[0].changes.id", "an amendment cannot change 'id'"),
        line_of="id: other",
    ),
    Case(
        "amendment-makes-clause-invalid",
        broken(
            amend(
                {
                    "id": "a1",
                    "effective": {"start": "2026-01-01"},
                    "action": "modify",
                    "changes": {"response_window_h": -1},
                }
            )
        ),
        ("amendments[0].changes.response_window_h", "amended clause is invalid", "-1"),
        line_of="response_window_h: -1",
    ),
    Case(
        "terminate-amendment-with-changes",
        broken(
            amend(
                {
                    "id": "a1",
                    "effective": {"start": "2026-01-01"},
                    "action": "terminate",
                    "changes": {"response_window_h": 48},
                }
            )
        ),
        ("contracts[0].clauses[0].amendments[0]", "'terminate' amendment takes no 'changes'"),
        line_of="- id: a1",
    ),
    Case(
        "amendment-before-its-clause",
        broken(
            amend(
                {
                    "id": "a1",
                    "effective": {"start": "2024-01-01"},
                    "action": "terminate",
                }
            )
        ),
        ("amendments[0].effective.start", "outside its clause's effective period"),
        line_of="start: '2024-01-01'",
    ),
    # -- dates ------------------------------------------------------------------------------
    Case(
        "clause-effective-ends-before-start",
        broken(lambda d: rofr(d).update(effective={"start": "2027-01-01", "end": "2026-01-01"})),
        (
            "contracts[0].clauses[0].effective",
            "ends before it starts",
            "end 2026-01-01 is before start 2027-01-01",
        ),
        line_of="effective:",
    ),
    Case(
        "horizon-ends-before-start",
        broken(lambda d: d.update(horizon={"start": "2030-01-01", "end": "2025-01-01"})),
        ("horizon", "ends before it starts"),
        line_of="horizon:",
    ),
    Case(
        "outage-ends-before-start",
        broken(
            lambda d: d["sites"][0].update(outages=[{"start": "2026-02-01", "end": "2026-01-01"}])
        ),
        ("sites[0].outages[0]", "ends before it starts"),
        line_of="- start: '2026-02-01'",
    ),
    Case(
        "malformed-date",
        broken(lambda d: d.update(as_of="2026-13-45")),
        ("as_of", "not a valid date", "YYYY-MM-DD", "found str '2026-13-45'"),
        line_of="as_of: '2026-13-45'",
    ),
    Case(
        "date-with-time-of-day",
        edited("as_of: '2026-01-01'", "as_of: 2026-01-01 10:30:00"),
        ("as_of", "not a valid date", "without a time of day"),
        line_of="as_of: 2026-01-01 10:30:00",
    ),
    Case(
        "as-of-outside-horizon",
        broken(lambda d: d.update(as_of="2035-01-01")),
        ("as_of", "outside the scenario horizon"),
        line_of="as_of:",
    ),
    Case(
        "pool-before-its-accelerator-exists",
        broken(lambda d: d["sites"][0]["pools"][0].update(available_from="2020-01-01")),
        (
            "sites[0].pools[0].available_from",
            "available before accelerator 'h100' exists",
            "on or after 2022-09-20",
        ),
        line_of="available_from: '2020-01-01'",
    ),
    Case(
        "cloud-pool-without-price",
        broken(lambda d: d["providers"][0].update(prices=[])),
        ("sites[0].pools[0].accelerator", "cloud 'cloud' has no price for accelerator 'h100'"),
        line_of="accelerator: h100",  # the pool's (providers[0].prices is now empty)
    ),
    # -- format 2: capacity models ----------------------------------------------------------
    Case(
        "capacity-model-unknown-type",
        broken(capacity_model(capacity_row(accelerator="h10"))),
        (
            "providers[0].capacity_model[0].accelerator",
            "unknown accelerator 'h10'",
            "did you mean 'h100'?",
        ),
        line_of="- accelerator: h10",
    ),
    Case(
        "capacity-model-unknown-site",
        broken(capacity_model(capacity_row(site="cloud-est"))),
        ("providers[0].capacity_model[0].site", "unknown site 'cloud-est'", "'cloud-east'"),
        line_of="site: cloud-est",
    ),
    Case(
        "capacity-model-site-of-another-provider",
        broken(capacity_model(capacity_row(site="campus"))),
        (
            "providers[0].capacity_model[0].site",
            "site 'campus' is run by provider 'own', not by 'cloud'",
            "expected a site of 'cloud': cloud-east",
        ),
        line_of="site: campus",
    ),
    Case(
        "capacity-model-overlapping-periods",
        broken(
            capacity_model(
                capacity_row(end="2026-12-31"), capacity_row(start="2026-06-01", per="quarter")
            )
        ),
        (
            "providers[0].capacity_model[1]",
            "rows 0 and 1 of provider 'cloud' for 'h100' at site 'cloud-east' overlap in time",
            "expected periods apart: row 0 runs 2025-01-01..2026-12-31",
            "found row 1 runs 2026-06-01..open",
        ),
        line_of="- accelerator: h100",
        occurrence=3,  # the price row's, then the two capacity rows'
    ),
    Case(
        "capacity-model-ends-before-start",
        broken(capacity_model(capacity_row(end="2024-12-31"))),
        ("providers[0].capacity_model[0]", "ends before it starts", "2024-12-31"),
        line_of="- accelerator: h100",
        occurrence=2,
    ),
    Case(
        "capacity-model-unknown-period",
        broken(capacity_model(capacity_row(per="week"))),
        ("providers[0].capacity_model[0].per", "'month', 'quarter' or 'year'", "found str 'week'"),
        line_of="per: week",
    ),
    Case(
        "capacity-model-with-nowhere-to-deliver",
        broken(spare_provider),
        ("providers[2].capacity_model", "'spare' has a capacity model but no site"),
        line_of="capacity_model:",
    ),
    # -- format 2: reservations ---------------------------------------------------------------
    Case(
        "reservation-holder-not-a-party",
        broken(reservations_(reservation(holder="labb"))),
        ("reservations[0].holder", "unknown party 'labb'", "did you mean 'lab'?"),
        line_of="holder: labb",
    ),
    Case(
        "reservation-unknown-provider",
        broken(reservations_(reservation(provider="clod", site=None))),
        ("reservations[0].provider", "unknown provider 'clod'", "did you mean 'cloud'?"),
        line_of="provider: clod",
    ),
    Case(
        "reservation-site-of-another-provider",
        broken(reservations_(reservation(site="campus"))),
        ("reservations[0].site", "site 'campus' is run by provider 'own', not by 'cloud'"),
        line_of="site: campus",
    ),
    Case(
        "reservation-unknown-type",
        broken(reservations_(reservation(accelerator="gb200"))),
        ("reservations[0].accelerator", "unknown accelerator 'gb200'"),
        line_of="accelerator: gb200",
    ),
    Case(
        "reservation-unknown-class",
        broken(reservations_(reservation(workload_classes=["trainin"]))),
        (
            "reservations[0].workload_classes[0]",
            "unknown workload class 'trainin'",
            "did you mean 'training'?",
        ),
        line_of="- trainin",
    ),
    Case(
        "reservation-without-term",
        broken(lambda d: d.update(reservations=[{**reservation(), "term": None}])),
        ("reservations[0].term", "wrong type or format", "expected a mapping"),
        line_of="term: null",
    ),
    Case(
        "reservation-term-ends-before-it-starts",
        broken(reservations_(reservation(term={"start": "2026-01-01", "end": "2025-01-01"}))),
        ("reservations[0].term", "term ends before it starts", "end 2025-01-01"),
        line_of="term:",
    ),
    Case(
        "reservation-ends-before-the-horizon",
        broken(reservations_(reservation(term={"start": "2023-01-01", "end": "2024-06-30"}))),
        ("reservations[0].term.end", "ends before the horizon starts", "found 2024-06-30"),
        line_of="end: '2024-06-30'",
    ),
    Case(
        "reservation-nothing-prices-it",
        broken(unpriced_reservation),
        ("reservations[0].price_usd_per_accelerator_hour", "nothing prices reservation 'held'"),
        line_of="- id: held",
    ),
    # -- format 2: dated capacity requests -----------------------------------------------------
    Case(
        "request-unknown-requester",
        broken(requests_(request(requester="labb"))),
        ("capacity_requests[0].requester", "unknown party 'labb'", "did you mean 'lab'?"),
        line_of="requester: labb",
    ),
    Case(
        "request-unknown-class",
        broken(requests_(request(workload_classes=["trainin"]))),
        ("capacity_requests[0].workload_classes[0]", "unknown workload class 'trainin'"),
        line_of="- trainin",
    ),
    Case(
        "request-unknown-type",
        broken(requests_(request(accelerators={"count": 10, "types": ["h10"]}))),
        ("capacity_requests[0].accelerators.types[0]", "unknown accelerator 'h10'", "'h100'"),
        line_of="- h10",
    ),
    Case(
        "request-types-not-a-list",
        broken(requests_(request(accelerators={"count": 10, "types": "h100"}))),
        (
            "capacity_requests[0].accelerators.types: wrong type or format",
            "expected a list, or 'any'",
            "write a list, e.g. [h100]",
        ),
        line_of="types: h100",
    ),
    Case(
        "request-unknown-provider",
        broken(requests_(request(providers=["clod"]))),
        ("capacity_requests[0].providers[0]", "unknown provider 'clod'", "'cloud'"),
        line_of="- clod",
    ),
    Case(
        "request-unknown-site",
        broken(requests_(request(sites=["campuss"]))),
        ("capacity_requests[0].sites[0]", "unknown site 'campuss'", "did you mean 'campus'?"),
        line_of="- campuss",
    ),
    Case(
        "request-site-not-of-its-providers",
        broken(requests_(request(providers=["cloud"], sites=["campus"]))),
        (
            "capacity_requests[0].sites[0]",
            "site 'campus' is run by provider 'own', which is not one of the request's providers",
        ),
        line_of="- campus",
    ),
    Case(
        "request-dated-outside-the-horizon",
        broken(requests_(request(date="2031-01-15"))),
        ("capacity_requests[0].date", "dated outside the scenario's horizon", "2025-01-01..2030"),
        line_of="date: '2031-01-15'",
    ),
    Case(
        "request-term-ends-before-it-starts",
        broken(requests_(request(term={"start": "2027-01-01", "end": "2026-01-01"}))),
        (
            "capacity_requests[0].term",
            "term ends before it starts: end 2026-01-01 is before start 2027-01-01",
        ),
        line_of="term:",
    ),
    Case(
        "request-term-ends-before-its-date",
        broken(requests_(request(term={"start": "2025-01-01", "end": "2025-12-31"}))),
        ("capacity_requests[0].term.end", "ends before the day it is placed", "2026-01-15"),
        line_of="end: '2025-12-31'",
    ),
    Case(
        "request-without-term",
        broken(requests_({k: v for k, v in request().items() if k != "term"})),
        ("capacity_requests[0]", "give exactly one of 'term'", "'term_years'", "found neither"),
        line_of="- id: deal-2026",
    ),
    Case(
        "request-with-term-and-term-years",
        broken(requests_(request(term_years=5))),
        ("capacity_requests[0]", "give exactly one of 'term'", "found both"),
        line_of="- id: deal-2026",
    ),
    Case(
        "request-with-accelerators-and-power",
        broken(requests_(request(power_mw=50))),
        ("capacity_requests[0]", "exactly one of 'accelerators' or 'power_mw'", "found both"),
        line_of="- id: deal-2026",
    ),
    Case(
        "request-with-neither-accelerators-nor-power",
        broken(requests_({k: v for k, v in request().items() if k != "accelerators"})),
        ("capacity_requests[0]", "exactly one of 'accelerators' or 'power_mw'", "found neither"),
        line_of="- id: deal-2026",
    ),
    Case(
        "request-deadline-before-its-date",
        broken(requests_(request(deadline="2025-06-30"))),
        ("capacity_requests[0].deadline", "deadline before the day it is placed"),
        line_of="deadline: '2025-06-30'",
    ),
    Case(
        "request-term-years-out-of-range",
        broken(requests_({**{k: v for k, v in request().items() if k != "term"}, "term_years": 0})),
        ("capacity_requests[0].term_years", "greater than 0", "found int 0"),
        line_of="term_years: 0",
    ),
    Case(
        "request-id-taken-by-a-reservation",
        broken(
            lambda d: d.update(reservations=[reservation()], capacity_requests=[request(id="held")])
        ),
        ("capacity_requests[0].id", "duplicate id 'held'", "first defined at reservations[0]"),
        line_of="- id: held",
        occurrence=2,
    ),
    Case(
        "request-type-that-cannot-run-its-classes",
        broken(
            lambda d: (
                d["accelerators"].append(
                    {**d["accelerators"][0], "id": "xpu", "throughput": {"inference": 2.0}}
                ),
                d.update(capacity_requests=[request(accelerators={"count": 5, "types": ["xpu"]})]),
            )
        ),
        ("capacity_requests[0].accelerators.types[0]", "type 'xpu' can run none of"),
        line_of="- xpu",
    ),
    Case(
        "request-in-reference-units-of-a-type-without-reference-work",
        broken(
            lambda d: (
                d["accelerators"].append(
                    {**d["accelerators"][0], "id": "xpu", "throughput": {"inference": 2.0}}
                ),
                d["settings"].update(reference_class="training"),
                d.update(
                    capacity_requests=[
                        request(
                            workload_classes=["inference"],
                            accelerators={"count": 5, "types": ["xpu"], "unit": "reference"},
                        )
                    ]
                ),
            )
        ),
        (
            "capacity_requests[0].accelerators.types[0]",
            "does no work of the reference class 'training'",
            "'unit: accelerators'",
        ),
        line_of="- xpu",
    ),
    Case(
        "reservation-of-a-type-that-cannot-run-its-class",
        broken(
            lambda d: (
                d["accelerators"][0]["throughput"].pop("inference"),
                d.update(reservations=[reservation(workload_classes=["inference"])]),
            )
        ),
        ("reservations[0].accelerator", "'h100', which cannot run class 'inference'"),
        line_of="accelerator: h100",
        occurrence=4,  # the price row's, two pools', then the reservation's
    ),
    Case(
        "misspelt-status",
        broken(lambda d: d["sites"][0]["pools"][0].update(status="planed")),
        ("sites[0].pools[0].status", "not an allowed value", "did you mean 'planned'?"),
        line_of="status: planed",
    ),
    # -- format 2: prices, sites, statuses, settings, the ROFR --------------------------------
    Case(
        "contract-price-for-an-unknown-party",
        broken(contract_price("labb")),
        (
            "providers[0].prices[0].contract_prices[0].party",
            "unknown party 'labb'",
            "did you mean 'lab'?",
        ),
        line_of="- party: labb",
    ),
    Case(
        "two-contract-prices-for-one-party",
        broken(contract_price("lab", "lab")),
        ("contract_prices[1].party", "two contract prices for party 'lab'"),
        line_of="- party: lab",
        occurrence=2,
    ),
    Case(
        "wacc-of-one-or-more",
        broken(lambda d: d["sites"][1].update(wacc=8)),
        ("sites[1].wacc", "a number less than 1", "found int 8", "a rate is a fraction"),
        line_of="wacc: 8",
    ),
    Case(
        "negative-wacc",
        broken(lambda d: d["sites"][1].update(wacc=-0.05)),
        ("sites[1].wacc", "a number at least 0", "found float -0.05"),
        line_of="wacc: -0.05",
    ),
    Case(
        "unknown-reference-class",
        broken(lambda d: d["settings"].update(reference_class="trainng")),
        ("settings.reference_class", "unknown workload class 'trainng'", "'training'"),
        line_of="reference_class: trainng",
    ),
    Case(
        "unknown-developer",
        broken(leased("crusoee")),
        ("sites[1].developer", "unknown party 'crusoee'"),
        line_of="developer: crusoee",
    ),
    Case(
        "lease-without-developer",
        broken(leased(None)),
        ("sites[1].lease", "is leased, but from whom", "'developer'"),
        line_of="lease:",
    ),
    Case(
        "stock-pool-on-a-planned-phase",
        broken(planned_phase),
        (
            "sites[1].pools[0].status",
            "pool 'campus-h100' is 'operational' but its phase 'campus-1' is only planned",
            "'status: planned' on the pool too",
        ),
        line_of="status: operational",
    ),
    Case(
        "unknown-status",
        broken(lambda d: d["sites"][1]["phases"][0].update(status="built")),
        ("sites[1].phases[0].status", "'under_construction'", "found str 'built'"),
        line_of="status: built",
    ),
    Case(
        "install-only-listed-types-without-pools",
        broken(lambda d: d["sites"][0].update(pools=[], install_only_listed_types=True)),
        ("sites[0].install_only_listed_types", "may install only the types its pools name"),
        line_of="install_only_listed_types: true",
    ),
    Case(
        "rofr-cap-per-reference-hour-not-positive",
        broken(lambda d: rofr(d).update(price_cap_usd_per_reference_hour=0)),
        ("contracts[0].clauses[0].price_cap_usd_per_reference_hour", "greater than 0"),
        line_of="price_cap_usd_per_reference_hour: 0",
    ),
    Case(
        "rofr-cap-misspelt",
        broken(lambda d: rofr(d).update(price_cap_usd_per_reference_hours=7)),
        ("unknown field", "did you mean 'price_cap_usd_per_reference_hour'?"),
        line_of="price_cap_usd_per_reference_hours: 7",
    ),
    # -- the file itself (layer 1: reading) ----------------------------------------------------
    Case(
        "duplicate-yaml-key",
        edited("name: Minimal\n", "name: Minimal\nname: Again\n"),
        ("duplicate key 'name'", "silently replace"),
        line_of="name: Again",
    ),
    Case("empty-file", text(""), ("scenario file is empty",), line_of=None),
    Case("comments-only", text("# nothing here\n\n"), ("scenario file is empty",)),
    Case(
        "bad-indentation",
        text("version: 2\nid: x\n  name: y\n"),
        ("not valid YAML", "mapping values are not allowed here"),
        line_of="  name: y",
    ),
    Case(
        "unclosed-bracket",
        text("version: 2\nparties: [lab, cloudco\nid: x\n"),
        ("not valid YAML", "flow sequence", "expected ',' or ']'"),
        line_of="id: x",
    ),
    Case(
        "tab-indentation",
        text("version: 2\n\tid: x\n"),
        ("not valid YAML", "'\\t'"),
        line_of="\tid: x",
    ),
    Case(
        "two-yaml-documents",
        text("version: 2\n---\nversion: 3\n"),
        ("not valid YAML", "single document"),
        line_of="---",
    ),
    Case(
        "nul-bytes",
        raw(b"version: 2\nid: mini\x00\x01\x02\n"),
        ("file is binary", "NUL byte"),
        line_of="id: mini",
    ),
    Case(
        "invalid-utf8",
        raw(b"version: 2\nname: caf\xe9\n"),
        ("not UTF-8 text", "byte 0xe9"),
        line_of="name: caf",
    ),
    Case(
        "top-level-list",
        text("- version: 2\n- id: mini\n"),
        ("must be a YAML mapping at the top level", "found a list"),
        line_of="- version: 2",
    ),
    Case(
        "top-level-scalar",
        text("just some words\n"),
        ("must be a YAML mapping at the top level", "found str 'just some words'"),
        line_of="just some words",
    ),
    Case(
        "mapping-key-not-a-name",
        text("version: 2\n? [a, b]\n: 1\n"),
        ("mapping key must be a plain name", "found list"),
        line_of="? [a, b]",
    ),
    Case(
        "python-object-tag",
        text("version: 2\nsettings: !!python/object:os.system {}\n"),
        ("settings", "unsupported YAML tag '!!python/object:os.system'"),
        line_of="settings:",
    ),
    Case(
        "recursive-alias",
        text("version: 2\nparties: &p [*p]\n"),
        ("parties[0]", "recursive YAML alias"),
        line_of="parties:",
    ),
    Case(
        "alias-bomb",
        text(
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
        ),
        ("aliases expand to too many values", f"{MAX_ALIAS_VALUES:,}"),
    ),
    Case(
        "nested-too-deeply",
        text("version: " + "[" * 1100 + "]" * 1100 + "\n"),
        ("YAML is nested too deeply",),
        line_of="version:",
    ),
    # -- CSV tables beside the YAML -------------------------------------------------------
    Case(
        "missing-csv-table",
        with_pools_csv(None),
        ("sites[0].pools", "CSV table 'missing.csv' not found", "missing.csv"),
        line_of="pools: missing.csv",
    ),
    Case(
        "csv-bad-cell",
        with_pools_csv(
            CSV_HEADER + "east-h100,h100,1000,2024-01-01\neast-2,h100,lots,2024-01-01\n"
        ),
        ("pools.csv:3:3", "sites[0].pools[1].count", "expected a whole number", "'lots'"),
    ),
    Case(
        "csv-unknown-accelerator",
        with_pools_csv(CSV_HEADER + "east-h100,h10,1000,2024-01-01\n"),
        ("pools.csv:2:2", "sites[0].pools[0].accelerator", "did you mean 'h100'?"),
    ),
    Case(
        "csv-row-with-too-many-cells",
        with_pools_csv(CSV_HEADER + "east-h100,h100,1000,2024-01-01,extra\n"),
        ("pools.csv:2", "sites[0].pools", "more cells than the header", "found 5 cells"),
    ),
    Case(
        "csv-empty",
        with_pools_csv(""),
        ("pools.csv:1", "CSV table is empty"),
    ),
    Case(
        "csv-not-utf8",
        with_pools_csv(b"id,accelerator\nbad,caf\xe9\n"),
        ("pools.csv:2", "not UTF-8 text"),
    ),
    # -- what names the scenario -------------------------------------------------------------
    Case(
        "file-does-not-exist",
        args("validate", "{tmp}/nope.yaml"),
        ("nope.yaml", "file not found"),
    ),
    Case(
        "directory-as-scenario",
        args("validate", "{tmp}"),
        ("a folder, not a file",),
    ),
    Case(
        "unknown-embedded-scenario",
        args("validate", "stargate-2024"),
        ("no scenario named 'stargate-2024'", "did you mean 'stargate-2025'?"),
    ),
    Case(
        "show-unknown-embedded-scenario",
        args("scenario", "show", "stargate-2024"),
        ("no scenario named 'stargate-2024'", "did you mean 'stargate-2025'?"),
    ),
    Case(
        "show-with-bad-date",
        args("scenario", "show", "--at", "2026-02-30"),
        ("--at", "not a date: '2026-02-30'", "an ISO date"),
    ),
    Case(
        "show-with-words-for-date",
        args("scenario", "show", "--at", "tomorrow"),
        ("--at", "not a date: 'tomorrow'"),
    ),
]


def line_number(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line of ``path`` that starts with ``needle``
    (after its indentation and any "- " of a list item) and does not go on with more of a word
    (``accelerator: h10`` is not ``accelerator: h100``)."""
    pattern = re.compile(r"(- )?" + re.escape(needle) + r"(?![\w-])")
    seen = 0
    for n, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), 1):
        body = line if needle[:1].isspace() else line.lstrip(" ")
        if pattern.match(body):
            seen += 1
            if seen == occurrence:
                return n
    raise AssertionError(f"{needle!r} (occurrence {occurrence}) not in {path}")


def test_there_are_enough_cases() -> None:
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids), "case ids must be distinct"
    assert len(ids) >= 35


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_clearly(case: Case, tmp_path: Path) -> None:
    argv = case.build(tmp_path)
    result = runner.invoke(app, argv)
    out = result.output
    assert result.exit_code == EXIT_INPUT, out
    assert "Traceback" not in out
    assert "internal error" not in out
    for words in case.expect:
        assert words in out, f"{words!r} not in:\n{out}"
    if case.line_of is not None:
        path = tmp_path / "s.yaml"
        line = line_number(path, case.line_of, case.occurrence)
        assert re.search(re.escape(f"{path}:{line}") + r"(?![0-9])", out), (
            f"line {line} of {path} is not named in:\n{out}"
        )


def test_two_errors_of_one_union_field_are_one_problem(tmp_path: Path) -> None:
    data = minimal()
    data["capacity_requests"] = [request(accelerators={"count": 10, "types": "h100"})]
    result = check_scenario(write_scenario(tmp_path, data))
    assert [p.path for p in result.problems] == ["capacity_requests[0].accelerators.types"]


def test_every_problem_is_one_line_naming_its_file(tmp_path: Path) -> None:
    """Compiler-style lines, never wrapped, so editors and grep can read them."""
    data = minimal()
    data["accelerators"][0]["tdp_w"] = "a very long value " * 10
    data["sites"][0]["pools"][0]["accelerator"] = "h10"
    path = write_scenario(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == EXIT_INPUT
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}: 2 problems found"
    assert len(lines) == 3
    for line in lines[1:]:
        assert line.startswith(f"  {path}:")


def test_all_independent_errors_are_reported_at_once(tmp_path: Path) -> None:
    data = minimal()
    data["parties"][0]["roles"] = "operator"  # a bad type in one party
    data["sites"][0]["pools"][0]["accelerator"] = "h10"  # an unknown accelerator in a pool
    data["contracts"][0]["signed"] = "2025-02-30"  # a bad date
    data["sites"][1]["phases"][0]["power_mw"] = 150  # a phase larger than its site
    data["partys"] = []  # an unknown top-level field
    path = write_scenario(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == EXIT_INPUT
    out = result.output
    assert "5 problems found" in out
    for words in (
        "parties[0].roles",
        "sites[0].pools[0].accelerator: unknown accelerator 'h10'",
        "contracts[0].signed: not a valid date",
        "sites[1].phases[0].power_mw",
        "unknown field 'partys'",
    ):
        assert words in out, words
    # ... and the broken party does not make its references "unknown"
    assert "unknown party 'lab'" not in out


def test_a_broken_section_does_not_cascade(tmp_path: Path) -> None:
    """References into a section that is itself broken are not reported on top of it."""
    data = minimal()
    data["parties"] = None
    data["providers"][0]["kind"] = "clod"
    path = write_scenario(tmp_path, data)
    result = check_scenario(path)
    messages = [p.render() for p in result.problems]
    assert len(messages) == 2, messages
    assert "parties: wrong type or format" in messages[0]
    assert "providers[0].kind" in messages[1]


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    try:
        with path.open("wb") as f:  # sparse: costs no disk space or time
            f.truncate(MAX_FILE_BYTES + 1)
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code == EXIT_INPUT
        assert "Traceback" not in result.output
        assert f"{path}: file is too large to be a scenario" in result.output
        assert "at most 64 MiB" in result.output
        assert f"found {MAX_FILE_BYTES + 1:,} bytes" in result.output
    finally:
        path.unlink(missing_ok=True)


def test_huge_csv_table_is_refused(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["pools"] = "pools.csv"
    path = write_scenario(tmp_path, data)
    table = tmp_path / "pools.csv"
    try:
        with table.open("wb") as f:
            f.truncate(MAX_FILE_BYTES + 1)
        result = check_scenario(path)
        assert not result.ok
        assert any(
            p.file == str(table) and p.message == "file is too large to be a CSV table"
            for p in result.problems
        ), result.problems
    finally:
        table.unlink(missing_ok=True)


def test_internal_error_exits_1_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ref: object = None) -> object:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("stargate.scenario.loader.check_scenario", boom)
    monkeypatch.delenv("STARGATE_DEBUG", raising=False)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == EXIT_INTERNAL
    assert "internal error: RuntimeError: simulated bug" in result.output
    assert "STARGATE_DEBUG=1" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- Python API


def test_load_scenario_raises_with_every_problem(tmp_path: Path) -> None:
    data = minimal()
    data["sites"][0]["provider"] = "clod"
    rofr(data)["holder"] = "cloudc"
    path = write_scenario(tmp_path, data)
    with pytest.raises(ScenarioError, match=r"2 problems found") as info:
        load_scenario(path)
    err = info.value
    assert err.exit_code == EXIT_INPUT
    assert err.source == str(path)
    assert [p.path for p in err.problems] == [
        "sites[0].provider",
        "contracts[0].clauses[0].holder",
    ]
    assert all(p.file == str(path) and p.line is not None for p in err.problems)


def test_load_scenario_text_names_its_label() -> None:
    with pytest.raises(ScenarioError, match=r"notes\.yaml:1: a scenario must be a YAML mapping"):
        load_scenario_text("[1, 2]\n", label="notes.yaml")


def test_load_scenario_text_has_no_tables() -> None:
    data = minimal()
    data["sites"][0]["pools"] = "pools.csv"
    with pytest.raises(ScenarioError, match=r"CSV table 'pools\.csv' not found"):
        load_scenario_text(yaml.safe_dump(data, sort_keys=False))


# --------------------------------------------------------------------------- real processes


def _stargate(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from stargate.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )


def test_subprocess_bad_yaml_exits_2_without_traceback(tmp_path: Path) -> None:
    write_scenario(tmp_path, "version: 2\nparties: [a, b\nid: x\n", name="bad.yaml")
    proc = _stargate("validate", "bad.yaml", cwd=tmp_path)
    assert proc.returncode == EXIT_INPUT
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "bad.yaml:3:3: not valid YAML" in proc.stderr


def test_subprocess_binary_junk_exits_2(tmp_path: Path) -> None:
    (tmp_path / "junk.yaml").write_bytes(bytes(range(256)) * 4)
    proc = _stargate("validate", "junk.yaml", cwd=tmp_path)
    assert proc.returncode == EXIT_INPUT
    assert "Traceback" not in proc.stderr
    assert "junk.yaml:1: file is binary" in proc.stderr

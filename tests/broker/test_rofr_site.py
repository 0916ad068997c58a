"""The ``site`` requirement of a ROFR: listed, the holder can meet a request that names sites
only at those sites; not listed (the default), the request's sites bind only the rest.

The fleet (tests/broker/conftest.py): the holder sells new H100 through its capacity model at
holder-east; the rival sells its pools at rival-west. The request below is a contract for the
rival's campus (``sites: [rival-west]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stargate.broker import Broker
from stargate.broker.capacity import CapacityBook, decide_capacity
from stargate.domain.model import DEFAULT_REQUIREMENTS, Requirement, RightOfFirstRefusal, Scenario
from tests.broker.conftest import AT, DAY, creq, req

MakeFleet = Callable[[Callable[[dict[str, Any]], None]], Scenario]


def _with_site(data: dict[str, Any]) -> None:
    data["contracts"][0]["clauses"][0]["requirements"] = [
        "capacity",
        "accelerator_type",
        "deadline",
        "price",
        "site",
    ]


def _rows(sc: Scenario, **kw: Any) -> list[tuple[str | None, str, str, bool]]:
    request = creq(providers=["rival"], sites=["rival-west"], **kw)
    d = decide_capacity(sc, request, DAY, CapacityBook(sc))
    return [(r.provider, r.rofr, r.reason, r.placed) for r in d.rows]


def test_site_is_not_a_default_requirement(capacity_fleet: Scenario) -> None:
    assert Requirement.site not in DEFAULT_REQUIREMENTS
    rofr = next(cl for _, cl in capacity_fleet.clauses() if cl.id == "rofr")
    assert isinstance(rofr, RightOfFirstRefusal)
    assert Requirement.site not in rofr.requirements


def test_without_site_the_holder_may_meet_another_campus(capacity_fleet: Scenario) -> None:
    rows = _rows(capacity_fleet)
    assert ("holder", "accepted") in {(p, v) for p, v, _, _ in rows}


def test_with_site_another_campus_is_released_unmet(make_capacity_fleet: MakeFleet) -> None:
    sc = make_capacity_fleet(_with_site)
    rows = _rows(sc)
    assert {v for _, v, _, _ in rows} == {"released_unmet"}
    assert all("site" in reason for _, _, reason, _ in rows)
    assert {p for p, _, _, placed in rows if placed} == {"rival"}


def test_with_site_the_holders_own_campus_is_offered(make_capacity_fleet: MakeFleet) -> None:
    sc = make_capacity_fleet(_with_site)
    request = creq(sites=["holder-east"])
    d = decide_capacity(sc, request, DAY, CapacityBook(sc))
    assert "accepted" in {r.rofr for r in d.rows}


def _only(*reqs: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["contracts"][0]["clauses"][0]["requirements"] = list(reqs)

    return edit


@pytest.mark.parametrize(
    "listed",
    [
        (),
        ("capacity", "accelerator_type", "deadline", "price", "site"),
        ("capacity", "site"),
    ],
    ids=["default", "all-and-site", "capacity-and-site"],
)
def test_site_never_binds_a_job_request(make_fleet: MakeFleet, listed: tuple[str, ...]) -> None:
    """Job requests name no sites: listing ``site`` changes nothing at the job level."""
    if not listed:
        sc = plain = make_fleet(lambda d: None)
    else:
        sc = make_fleet(_only(*listed))
        plain = make_fleet(_only(*(r for r in listed if r != "site")))
    a = Broker(sc).decide(req(), AT)
    b = Broker(plain).decide(req(), AT)
    assert a.provider == b.provider
    assert a.rofr == b.rofr

"""Checkable figures in the scenario model: metric, subject, period, value (number, date or
'>=N'), tolerance, basis, confidence, use; display-only figures stay valid; provider groups,
revenue and usage sections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from stargate.domain.model import Figure, Scenario, figure_period, figure_value
from stargate.scenario.loader import load_scenario
from tests.conftest import minimal, write_scenario


def fig(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "f",
        "metric": "capacity_held_gw",
        "subject": "lab",
        "period": "2025",
        "value": 0.5,
        "unit": "GW",
        "tolerance": 0.2,
        "source": "assumption: test",
    }
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2025Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-09-30", date(2025, 9, 30), date(2025, 9, 30)),
        ("2023-01-01..2024-12-31", date(2023, 1, 1), date(2024, 12, 31)),
    ],
)
def test_periods(text: str, first: date, last: date) -> None:
    assert figure_period(text) == (first, last)


@pytest.mark.parametrize("text", ["mid-2026", "2025Q5", "2025-13-01", "2025-02-01..2025-01-01"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(ValueError, match="period"):
        figure_period(text)


def test_values() -> None:
    assert figure_value(Decimal("0.5")) == ("number", Decimal("0.5"))
    assert figure_value(">=1000000") == ("at_least", Decimal(1000000))
    assert figure_value("2025-10-28") == ("date", date(2025, 10, 28))
    with pytest.raises(ValueError, match="lower bound"):
        figure_value("about 5")


def test_checkable_figure_parses() -> None:
    f = Figure.model_validate(fig(value=">=1", basis="facility", confidence="low", use="fitted"))
    assert f.checkable()
    assert (f.confidence, f.use, f.basis) == ("low", "fitted", "facility")


def test_display_only_figure_stays_valid() -> None:
    f = Figure.model_validate({"id": "old", "value": 9.5, "unit": "USD bn", "source": "x"})
    assert not f.checkable()
    assert f.metric is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metric": "capacity_gw"}, "metric"),
        ({"period": None}, "needs a 'period'"),
        ({"tolerance": None}, "needs a 'tolerance'"),
        ({"period": "mid-2025"}, "period"),
        ({"value": "2025-01-01"}, "takes a number"),
        ({"metric": "clause_end_date", "value": 3, "unit": "date"}, "takes an ISO date"),
        ({"metric": "compute_spend_usd", "basis": "it"}, "'basis' is for power"),
        ({"tolerance": -1}, "tolerance"),
        ({"confidence": "sure"}, "confidence"),
        ({"use": "both"}, "use"),
    ],
)
def test_bad_figures(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Figure.model_validate(fig(**change))


def test_subject_needs_a_metric() -> None:
    with pytest.raises(ValueError, match="checkable figure"):
        Figure.model_validate({"id": "x", "value": 1, "unit": "GW", "subject": "lab"})


def test_sections_load(tmp_path: Any) -> None:
    data = minimal()
    data["figures"] = [fig()]
    data["provider_groups"] = [
        {"id": "grp", "name": "Group", "providers": ["cloud"], "sites": ["campus"]}
    ]
    data["revenue"] = [{"stream": "api", "year": 2025, "usd": 10, "exit_annualized_usd": 20}]
    data["usage"] = [
        {"metric": "weekly_active_users", "subject": "chat", "date": "2025-02-01", "value": 5}
    ]
    sc: Scenario = load_scenario(write_scenario(tmp_path, data))
    assert sc.provider_group("grp").sites == ["campus"]
    assert sc.revenue[0].exit_annualized_usd == Decimal(20)
    assert sc.usage[0].value == 5
    with pytest.raises(KeyError):
        sc.provider_group("nope")


def test_public_compute_costs_read_compute_spend_figures() -> None:
    """plan --json's public_figures: a compute_spend_usd figure about the lab over one year
    counts, as does an old-style compute-cost id; another subject, a range of years or another
    metric does not."""
    from stargate.domain.figures import public_compute_costs_by_year

    data = minimal()
    data["figures"] = [
        fig(id="spend-2026", metric="compute_spend_usd", period="2026", value=5e10, unit="USD"),
        fig(id="cloud-2027", metric="compute_spend_usd", subject="cloud", period="2027",
            value=1e9, unit="USD"),
        fig(id="spend-26-30", metric="compute_spend_usd", period="2026-01-01..2030-12-31",
            value=6e11, unit="USD"),
        fig(id="held-2028", period="2028", value=1, unit="GW"),
        {"id": "lab-compute-cost-2025", "value": 7, "unit": "USD bn", "source": "x"},
    ]  # fmt: skip
    sc = Scenario.model_validate(data)
    assert public_compute_costs_by_year(sc) == {"2025": 7e9, "2026": 5e10}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"figures": [fig(), fig()]}, "duplicate figure id 'f'"),
        ({"provider_groups": [{"id": "cloud", "name": "C", "providers": []}]}, "also a provider"),
        (
            {"provider_groups": [{"id": "g", "name": "G", "providers": ["nope"]}]},
            "unknown provider",
        ),
        ({"provider_groups": [{"id": "g", "name": "G", "sites": ["nope"]}]}, "unknown site"),
    ],
)
def test_figure_and_group_integrity(tmp_path: Any, change: dict[str, Any], message: str) -> None:
    from stargate.scenario.loader import check_scenario

    data = {**minimal(), **change}
    result = check_scenario(write_scenario(tmp_path, data))
    assert not result.ok
    assert any(message in p.message for p in result.problems), result.problems

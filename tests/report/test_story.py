"""The story of a scenario run: the generated headline (from the summary and the scenario, no
canned text), the agreements marked on the time axis where they fall, the facts table with
fitted and checked figures apart, one colour per provider across reports, and cost spread over
the months in which it was incurred."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from html import escape

import numpy as np
import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.model import Scenario
from stargate.facts.check import check_figures
from stargate.report import history
from stargate.report.sim_html import render_report
from stargate.report.story import Headline, headline, scenario_of
from stargate.scenario.loader import load_scenario
from stargate.sim.api import simulate
from stargate.sim.result import CapacityHeld, SimResult, SpendYear

ROFR_END = date(2025, 10, 28)


def _without_aws(sc: Scenario) -> Scenario:
    """The default with AWS's capacity requests (November 2025, February 2026) dropped and the
    2026 Azure GB200 request halved."""
    requests = []
    for r in sc.capacity_requests:
        if r.providers == ["aws"]:
            continue
        if r.id == "azure-2026-gb200":
            assert r.accelerators is not None
            acc = r.accelerators.model_copy(update={"count": r.accelerators.count // 2})
            r = r.model_copy(update={"accelerators": acc})
        requests.append(r)
    return sc.model_copy(update={"capacity_requests": requests})


@pytest.fixture(scope="module")
def default_run() -> SimResult:
    return simulate("stargate-2025", None, log_events=False)


@pytest.fixture(scope="module")
def modified_run() -> SimResult:
    return simulate(_without_aws(load_scenario("stargate-2025")), None, log_events=False)


@pytest.fixture(scope="module")
def default_headline(default_run: SimResult) -> Headline:
    return headline(default_run.summary, scenario_of(default_run))


# ----------------------------------------------------------------------------- the headline


def test_headline_of_the_default_reads_the_summary(
    default_run: SimResult, default_headline: Headline
) -> None:
    s = default_run.summary
    h = default_headline
    assert [ye.day for ye in h.year_ends] == [f"{y}-12-31" for y in range(2023, 2031)]
    for ye in h.year_ends:  # each year end's GW is the capacity held that day
        mw = sum(x.power_mw for x in s.capacity_held or [] if x.period_end == ye.day)
        assert ye.gw == pytest.approx(mw / 1000)
        assert sum(p.share for p in ye.providers) == pytest.approx(1.0)
        assert f"At end-{ye.day[:4]}" in h.text
    end_2024 = h.year_ends[1]
    assert [p.provider for p in end_2024.providers] == ["azure"]  # exclusive to 2025-01-21
    # the ROFR while it held: the summary's counts, and nothing offered after its end
    (rofr,) = [w for w in h.rofr if w.clause == "azure-rofr"]
    assert (rofr.start, rofr.end) == (date(2025, 1, 21), ROFR_END)
    offered = sum(len(rofr.requests.get(k, [])) for k in ("accepted", "declined", "expired"))
    assert offered == s.rofr.offered
    assert len(rofr.requests["released_unmet"]) == s.rofr.released_unmet
    assert "While azure-rofr held (2025-01-21 to 2025-10-28)" in h.text
    assert f"{s.rofr.offered} offers to azure" in h.text
    # what its end changed: requests placed after it without an offer (Azure's, AWS's)
    assert rofr.after
    assert set(rofr.after) <= {r.provider for r in s.procurement or []}
    assert "aws" in rofr.after
    assert "After it ended on 2025-10-28" in h.text
    # spend by year, and against every public spend figure
    assert h.spend_by_year == {
        y: pytest.approx(sum(float(x.committed_usd) for x in s.spend_by_year or [] if x.year == y))
        for y in range(2023, 2031)
    }
    sc = scenario_of(default_run)
    assert sc is not None
    ids = {f.id for f in sc.figures if f.metric == "compute_spend_usd"}
    assert {c.figure_id for c in h.spend_checks} == ids
    assert "Against the public figures" in h.text


def test_headline_changes_with_the_scenario(
    default_headline: Headline, modified_run: SimResult
) -> None:
    h = headline(modified_run.summary, scenario_of(modified_run))
    assert h.text != default_headline.text
    before = {ye.day: ye for ye in default_headline.year_ends}
    after = {ye.day: ye for ye in h.year_ends}
    # no AWS anywhere: not held, not placed after the ROFR's end
    assert all(p.provider != "aws" for ye in h.year_ends for p in ye.providers)
    assert "aws" in {p.provider for p in before["2027-12-31"].providers}
    (rofr,) = [w for w in h.rofr if w.clause == "azure-rofr"]
    assert "aws" not in rofr.after
    # the halved Azure request: less Azure capacity at end-2026, and the sentence says so
    azure = {
        d: next(p.gw for p in ye.providers if p.provider == "azure") for d, ye in after.items()
    }
    azure0 = {
        d: next(p.gw for p in ye.providers if p.provider == "azure") for d, ye in before.items()
    }
    assert azure["2026-12-31"] < azure0["2026-12-31"]
    assert f"azure {azure['2026-12-31']:,.2f} GW" in h.text
    assert sum(h.spend_by_year.values()) < sum(default_headline.spend_by_year.values())


def test_no_headline_without_procurement() -> None:
    fleet = simulate(None, ["synthetic?jobs=20&seed=1"], "pool:16")
    assert not headline(fleet.summary, scenario_of(fleet))
    assert 'id="headline"' not in render_report(fleet)


def test_simulate_prints_the_headline() -> None:
    res = CliRunner().invoke(app, ["simulate"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    head = text.index("In brief")
    assert head < text.index("jobs:")  # near the top
    assert "capacity held at each year end" in text
    assert "end-2025:" in text
    assert "end-2030:" in text
    assert "While azure-rofr held (2025-01-21 to 2025-10-28)" in text
    assert "Committed spend by year: 2023" in text


# ----------------------------------------------------------------------------- the report


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}".*?</section>', html, re.S)
    assert m, sid
    return m.group(0)


def test_report_opens_with_the_headline(default_run: SimResult, default_headline: Headline) -> None:
    html = render_report(default_run)
    assert html.index('id="headline"') < html.index('id="key-figures"')
    brief = _section(html, "headline")
    for sentence in default_headline.of("capacity") + default_headline.of("rofr"):
        assert escape(sentence) in brief
    for sid in ("procurement", "facts"):
        assert f'<section id="{sid}"' in html
    proc = _section(html, "procurement")
    for chart in ("held-gw", "held", "procured-provider", "procured-rofr", "spend-provider"):
        assert f'id="{chart}-title"' in proc
    assert "<script" not in html
    assert "<link" not in html


def test_agreements_are_marked_where_they_fall(default_run: SimResult) -> None:
    s = default_run.summary
    sc = scenario_of(default_run)
    t0 = datetime.fromisoformat(s.run.start)
    days = sorted({h.period_end for h in s.capacity_held or []})
    x0 = (datetime.fromisoformat(days[0]) - t0).days
    x1 = (datetime.fromisoformat(days[-1]) - t0).days
    charts = "".join(history.held_charts(s, sc, t0, {}, []))
    left, plot_w = 72.0, 880 - 72.0 - 16.0
    rules = re.findall(r'<g class="rule" data-x="([0-9.]+)"><title>([^<]*)</title>', charts)
    by_day = {tip.split(" · ")[1][:10]: float(x) for x, tip in rules}
    for day in ("2025-01-21", "2025-10-28", "2026-02-27", "2026-04-27"):
        want = left + ((datetime.fromisoformat(day) - t0).days - x0) / (x1 - x0) * plot_w
        assert by_day[day] == pytest.approx(want, abs=0.06)
    tips = {tip.split(" · ")[1][:10]: tip for _, tip in rules}
    assert "agreement microsoft-openai-2025-10" in tips["2025-10-28"]
    assert "azure-rofr ends" in tips["2025-10-28"]
    assert "api-exclusivity ends" in tips["2026-04-27"]
    assert "azure-rofr starts" in tips["2025-01-21"]
    # the key under the chart says what each letter marks, in date order
    key = re.findall(r"<li><b>([A-Z]+)</b> (\d{4}-\d\d-\d\d)", charts)
    assert [d for _, d in key] == sorted(d for _, d in key)
    assert [k for k, _ in key] == [chr(65 + i) for i in range(len(key))]


def test_voided_agreement_is_not_marked() -> None:
    sc = load_scenario("stargate-2025")
    from stargate.contracts.state import apply_without

    derived, _ = apply_without(sc, ["microsoft-openai-2025-10"])
    days = [
        d.isoformat()
        for d, _, _ in history.timeline_events(derived, date(2023, 1, 1), date(2030, 12, 31))
    ]
    assert "2025-10-28" not in days
    assert "2025-10-28" in [
        d.isoformat()
        for d, _, _ in history.timeline_events(sc, date(2023, 1, 1), date(2030, 12, 31))
    ]


def test_facts_table_separates_fitted_and_checked(default_run: SimResult) -> None:
    sc = scenario_of(default_run)
    assert sc is not None
    facts = check_figures(sc, default_run.summary)
    html = history.facts_section(facts)
    fitted, _, checked = html.partition('id="facts-checked"')
    assert 'id="facts-fitted"' in fitted
    for f in facts.facts:
        cell = f'<th scope="row">{f.figure.id}</th>'
        assert (cell in fitted) == (f.figure.use == "fitted"), f.figure.id
        assert (cell in checked) == (f.figure.use == "checked"), f.figure.id
    low = [f for f in facts.facts if f.soft]
    assert low
    assert html.count("low confidence</td>") == len(low)
    assert f"{facts.n_within} within" in html


def _legend_colors(html: str) -> dict[str, str]:
    """Provider → colour, from every legend item of every chart (each must agree)."""
    seen: dict[str, set[str]] = {}
    for color, name in re.findall(
        r'<g class="legend-item"><rect [^>]*fill="(#[0-9A-Fa-f]{6})"/><text [^>]*>([^<]+)</text>',
        html,
    ):
        seen.setdefault(name, set()).add(color)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1} | {
        k: "several" for k, v in seen.items() if len(v) > 1
    }


def test_a_provider_keeps_its_colour_across_reports(
    default_run: SimResult, modified_run: SimResult
) -> None:
    a = _legend_colors(render_report(default_run))
    b = _legend_colors(render_report(modified_run))
    providers = ["azure", "oci", "coreweave", "google-cloud", "stargate-campuses"]
    for p in providers:
        assert a[p] == b[p] != "several", p
    assert "aws" in a  # the subsets differ
    assert "aws" not in b
    assert len({a[p] for p in [*providers, "aws"]}) == 6


# ----------------------------------------------------------------------------- cost spread


def test_a_reservation_held_january_to_june_costs_in_each_of_those_months(
    default_run: SimResult,
) -> None:
    s = default_run.summary
    held = [
        CapacityHeld(
            period_end=d,
            provider="azure",
            accelerators=100 if d < "2026-07" else 0,
            reference_accelerators=100.0 if d < "2026-07" else 0.0,
            power_mw=1.0,
            by_site={},
        )
        for d in [
            f"2026-{m:02d}-{(date(2026 + m // 12, m % 12 + 1, 1) - date(2026, m, 1)).days:02d}"
            for m in range(1, 13)
        ]
    ]
    spend = [
        SpendYear(
            year=2026,
            provider="azure",
            committed_usd="1810.00",
            used_usd="0",
            idle_usd="1810.00",
            committed_by_site_usd={},
        )
    ]
    run = s.run.model_copy(update={"start": "2026-01-01T00:00:00"})
    one = s.model_copy(update={"capacity_held": held, "spend_by_year": spend, "run": run})
    spread = history.spread_committed(one, ["azure"])
    assert spread is not None
    m0, grid = spread
    assert m0 == (2026 - 1970) * 12
    days = np.array([31, 28, 31, 30, 31, 30])
    # 181 days held: $10 a day, each month by its days, nothing after June
    np.testing.assert_allclose(grid[0, :6], days * 10.0)
    assert not grid[0, 6:].any()
    assert grid.sum() == pytest.approx(float(Decimal("1810")))


def test_job_cost_is_spread_over_the_months_it_ran() -> None:
    t0 = datetime(2026, 1, 1)
    day = 86_400.0
    start = np.array([14 * day, 40 * day])  # Jan 15 → Mar 16; Feb 10, no time at all
    end = np.array([(31 + 28 + 15) * day, 40 * day])
    got = history.spread_jobs(start, end, np.array([60.0, 5.0]), np.array([0, 1]), 2, t0)
    assert got is not None
    m0, grid = got
    assert m0 == (2026 - 1970) * 12
    np.testing.assert_allclose(grid[0], [17.0, 28.0, 15.0])  # $1 a day, by days in each month
    np.testing.assert_allclose(grid[1], [0.0, 5.0, 0.0])

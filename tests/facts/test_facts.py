"""`stargate facts`: figures beside the model's values (inputs from the scenario's data,
outcomes from a simulate run's summary), within / outside / soft, exit codes, the JSON shape,
a perturbed input that moves an outcome, and the default scenario's figures all reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from stargate.cli.main import app
from stargate.domain.model import Figure, Scenario
from stargate.facts import METRICS, check_figures, run_facts
from stargate.sim.workload import JobTable
from tests.conftest import ROOT, minimal, write_scenario
from tests.sim.factory import world

runner = CliRunner()

JSON_KEYS = {
    "id",
    "metric",
    "subject",
    "period",
    "public",
    "model",
    "unit",
    "tolerance",
    "kind",
    "use",
    "confidence",
    "within",
    "source",
}


def fig(fid: str, metric: str, subject: str, period: str, value: Any, **kw: Any) -> dict[str, Any]:
    unit = "date" if metric.endswith("_date") else kw.pop("unit", "x")
    return {
        "id": fid,
        "metric": metric,
        "subject": subject,
        "period": period,
        "value": value,
        "unit": unit,
        "tolerance": kw.pop("tolerance", 0.1),
        "source": "assumption: a test",
        **kw,
    }


def inputs_scenario(**moved: Any) -> dict[str, Any]:
    """The minimal scenario with input figures, each within its tolerance unless ``moved``
    gives it another value."""
    data = minimal()
    data["revenue"] = [
        {"stream": "chat", "year": 2025, "usd": 10, "exit_annualized_usd": 30},
        {"stream": "api", "year": 2025, "usd": 5, "exit_annualized_usd": 10},
    ]
    data["usage"] = [
        {"metric": "weekly_active_users", "subject": "chat", "date": "2025-02-01", "value": 100},
        {"metric": "weekly_active_users", "subject": "chat", "date": "2025-09-01", "value": 200},
    ]
    figures = [
        fig("rofr-end", "clause_end_date", "rofr", "2027", "2027-12-31", tolerance=1),
        fig("excl-start", "clause_start_date", "excl", "2025", "2025-01-01", tolerance=0),
        fig("campus-mw", "site_planned_mw", "campus", "2025-01-01", 100, unit="MW"),
        fig("campus-gpus", "accelerators_ordered", "campus", "2025-01-01", 20000, unit="GPUs"),
        fig("arr", "annualized_revenue_usd", "lab", "2025", 40, unit="USD"),
        fig("api-arr", "annualized_revenue_usd", "api", "2025", ">=9", unit="USD", tolerance=0.5),
        fig("wau", "weekly_active_users", "chat", "2025-10-01", 200, unit="users"),
        fig("soft", "site_planned_mw", "campus", "2025", 1000, unit="MW", confidence="low"),
    ]
    for f in figures:
        if f["id"] in moved:
            f["value"] = moved[f["id"]]
    data["figures"] = figures
    return data


def facts_json(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    r = runner.invoke(app, ["facts", str(path), "--json", *args])
    return r.exit_code, json.loads(r.stdout) if r.stdout.strip() else {}


# ----------------------------------------------------------------------------- inputs and CLI


def test_inputs_within_and_the_json_shape(tmp_path: Path) -> None:
    code, data = facts_json(write_scenario(tmp_path, inputs_scenario()), "--check")
    assert code == 0
    assert set(data) == {"figures", "n_within", "n_outside", "n_soft"}
    assert (data["n_within"], data["n_outside"], data["n_soft"]) == (7, 0, 1)
    by = {f["id"]: f for f in data["figures"]}
    assert all(JSON_KEYS <= set(f) for f in data["figures"])
    assert by["rofr-end"]["model"] == "2027-12-31"
    assert by["arr"]["model"] == 40  # both streams' exit run rates
    assert by["wau"]["model"] == 200  # the latest row by the day
    assert by["api-arr"]["public"] == ">=9"
    assert by["campus-mw"]["kind"] == "input"
    assert by["soft"]["within"] is False  # outside, but low confidence: it does not fail
    assert by["soft"]["confidence"] == "low"


@pytest.mark.parametrize(
    ("moved", "value"),
    [
        ("rofr-end", "2027-12-29"),  # 2 days off, tolerance 1 day
        ("campus-mw", 120),  # +20% of 100 > 10%
        ("arr", 30),
        ("api-arr", ">=11"),  # the model (10) does not reach the bound
        ("api-arr", ">=5"),  # 10 ≥ 5 × 1.5: far above a lower bound is outside too
    ],
)
def test_a_figure_moved_outside_exits_3(tmp_path: Path, moved: str, value: Any) -> None:
    path = write_scenario(tmp_path, inputs_scenario(**{moved: value}))
    code, data = facts_json(path, "--check")
    assert code == 3
    assert [f["id"] for f in data["figures"] if not f["within"]] == [moved, "soft"]
    assert data["n_outside"] == 1
    code, _ = facts_json(path)  # without --check, the report is not a failure
    assert code == 0


def test_table_names_every_figure(tmp_path: Path) -> None:
    r = runner.invoke(app, ["facts", str(write_scenario(tmp_path, inputs_scenario()))])
    assert r.exit_code == 0
    for f in inputs_scenario()["figures"]:
        assert f["id"] in r.stdout
    assert "7 within, 0 outside, 1 low-confidence" in r.stdout


def test_unknown_subject_gives_a_reason_not_a_number(tmp_path: Path) -> None:
    data = inputs_scenario()
    data["figures"].append(fig("ghost", "clause_end_date", "no-such", "2025", "2025-01-01"))
    code, out = facts_json(write_scenario(tmp_path, data), "--check")
    ghost = next(f for f in out["figures"] if f["id"] == "ghost")
    assert ghost["model"] is None
    assert ghost["within"] is False
    assert "not a clause" in ghost["reason"]
    assert code == 3


def test_without_a_clause_selector_unknown_is_bad_input(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["facts", str(write_scenario(tmp_path, inputs_scenario())), "--without", "nope"]
    )
    assert r.exit_code == 2
    assert "--without" in r.stderr


def test_bad_figure_is_bad_input_with_its_line(tmp_path: Path) -> None:
    data = inputs_scenario()
    data["figures"][0]["period"] = "mid-2027"
    r = runner.invoke(app, ["facts", str(write_scenario(tmp_path, data))])
    assert r.exit_code == 2
    assert "figures[0]" in r.stderr
    assert "period" in r.stderr


# ----------------------------------------------------------------------------- outcomes

HOURS = 8760.0


def one_job(gpus: int) -> JobTable:
    return JobTable(
        arrival_s=np.array([0.0]),
        duration_s=np.array([365 * 86400.0]),
        gpus=np.array([float(gpus)]),
        allowed=[None],
        workload_class=["train"],
        source="hand",
    )


def outcome_world(cloud_pool: int = 1000) -> Scenario:
    sc = world(cloud_pool=cloud_pool, forecast=False, horizon=("2025-01-01", "2025-12-31"))
    figures = [
        # 110 accelerators of 1 kW (100 busy and 10% headroom), PUE 1, overhead 1
        fig("held", "capacity_held_gw", "lab", "2025", 0.00011, unit="GW", tolerance=0.05),
        fig(
            "gpus", "accelerators_held", "cloud", "2025-12-31", ">=100", unit="GPUs", tolerance=0.5
        ),
        # 110 × $3 reserved × 8,760 h
        fig("spend", "compute_spend_usd", "lab", "2025", 110 * 3 * HOURS, unit="USD"),
        fig("share", "provider_share_of_capacity", "cloud", "2025", 1.0, unit="share"),
        fig("later", "compute_spend_usd", "lab", "2030", 1, unit="USD"),
        fig("it", "capacity_held_gw", "lab", "2025", 0.00011, unit="GW", basis="it"),
    ]
    return sc.model_copy(update={"figures": [Figure.model_validate(f) for f in figures]})


def test_outcomes_from_the_run() -> None:
    res = run_facts(outcome_world(), workloads=[one_job(100)])
    by = {f.figure.id: f for f in res.facts}
    assert by["held"].model == pytest.approx(0.00011)
    assert by["gpus"].model == 110
    assert by["spend"].model == pytest.approx(110 * 3 * HOURS)
    assert by["share"].model == pytest.approx(1.0)
    assert all(by[k].within for k in ("held", "gpus", "spend", "share", "it"))
    assert by["held"].kind == "outcome"
    assert by["later"].model is None
    assert "2030" in (by["later"].reason or "")


def test_outcomes_without_a_run_say_so() -> None:
    res = check_figures(outcome_world(), None)
    assert all(f.model is None for f in res.facts)
    assert all("no simulation run" in (f.reason or "") for f in res.facts)


def test_a_perturbed_input_moves_the_outcomes() -> None:
    """Halve what the lab needs (the one job's size): capacity held and spend halve, and the
    figures fitted to the first run fall outside."""
    base = {f.figure.id: f for f in run_facts(outcome_world(), workloads=[one_job(100)]).facts}
    half = {f.figure.id: f for f in run_facts(outcome_world(), workloads=[one_job(50)]).facts}
    for fid in ("held", "spend"):
        assert base[fid].model is not None
        assert half[fid].model == pytest.approx(float(base[fid].model) * 55 / 110)  # type: ignore[arg-type]
        assert not half[fid].within


def test_the_share_of_a_provider_group_and_a_second_provider() -> None:
    sc = world(cloud_pool=60, other_pool=1000, forecast=False, horizon=("2025-01-01", "2025-12-31"))
    groups = [{"id": "both", "name": "Both", "providers": ["cloud", "other"]}]
    figures = [
        fig(
            "cloud-share",
            "provider_share_of_capacity",
            "cloud",
            "2025",
            0.5,
            unit="share",
            tolerance=1,
        ),
        fig(
            "both-share",
            "provider_share_of_capacity",
            "both",
            "2025",
            1.0,
            unit="share",
            tolerance=0.01,
        ),
    ]
    sc = Scenario.model_validate(
        {
            **sc.model_dump(mode="json", exclude_none=False),
            "provider_groups": groups,
            "figures": figures,
        }
    )
    by = {f.figure.id: f for f in run_facts(sc, workloads=[one_job(100)]).facts}
    assert by["both-share"].model == pytest.approx(1.0)
    assert by["cloud-share"].model is not None
    assert 0 < float(by["cloud-share"].model) < 1  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- vocabulary, default


def test_every_metric_of_the_reference_table_is_in_the_vocabulary_and_the_docs() -> None:
    csv = ROOT.parent / "shared" / "data" / "reference" / "calibration.csv"
    if not csv.is_file():
        pytest.skip("../shared/data/reference/calibration.csv is not present")
    import csv as csvmod

    with csv.open(newline="", encoding="utf-8") as fh:
        metrics = {row["metric"] for row in csvmod.DictReader(fh)}
    assert metrics <= set(METRICS)
    docs = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    for name, m in METRICS.items():
        assert f"| `{name}` | {m.kind} |" in docs, name


def test_the_default_scenario_reports_every_checkable_figure(default_scenario: Scenario) -> None:
    r = runner.invoke(app, ["facts", "--json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    want = [f.id for f in default_scenario.figures if f.metric is not None]
    assert [f["id"] for f in data["figures"]] == want
    assert data["n_within"] + data["n_outside"] + data["n_soft"] == len(want)


def test_contracted_capacity_and_declined_offers() -> None:
    """The cloud's ROFR declines everything: the 10 accelerators it could have given go to
    'other' at $4 for the year (declined, worth 10 × $4 × 8,760 h), and all 110 are placed by
    mid-year (110 kW facility)."""
    from tests.sim.factory import rofr

    sc = world(
        cloud_pool=10,
        other_pool=1000,
        forecast=False,
        horizon=("2025-01-01", "2025-12-31"),
        clauses=[rofr()],
    )
    figures = [
        fig("declined", "declined_option_value_usd", "cloud-rofr", "2025-12-31", 1, unit="USD"),
        fig("placed", "contracted_capacity_gw", "lab", "2025-06-30", 1, unit="GW"),
        fig("placed-cloud", "contracted_capacity_gw", "cloud", "2025-06-30", 1, unit="GW"),
        fig("not-a-rofr", "declined_option_value_usd", "nope", "2025", 1, unit="USD"),
    ]
    sc = sc.model_copy(update={"figures": [Figure.model_validate(f) for f in figures]})
    by = {
        f.figure.id: f
        for f in run_facts(sc, workloads=[one_job(100)], responder="decline-always").facts
    }
    assert by["declined"].model == pytest.approx(10 * 4 * HOURS)
    assert by["placed"].model == pytest.approx(0.00011)
    assert by["placed-cloud"].model == 0
    assert by["not-a-rofr"].model is None
    accepted = {f.figure.id: f for f in run_facts(sc, workloads=[one_job(100)]).facts}
    assert accepted["declined"].model == 0  # the holder had the 10 and took them
    assert accepted["placed-cloud"].model == pytest.approx(0.00001)


def test_the_default_checks_at_least_a_third_of_its_outcomes(default_scenario: Scenario) -> None:
    """Honesty: a third or more of the default's outcome figures were not calibrated to."""
    outcomes = [
        f for f in default_scenario.figures if f.metric and METRICS[f.metric].kind == "outcome"
    ]
    checked = [f for f in outcomes if f.use == "checked"]
    assert 3 * len(checked) >= len(outcomes)


def test_without_compares_with_the_run_that_keeps_every_term() -> None:
    from tests.sim.factory import rofr

    sc = world(
        cloud_pool=10,
        other_pool=1000,
        forecast=False,
        horizon=("2025-01-01", "2025-12-31"),
        clauses=[rofr()],
    )
    figures = [fig("cloud", "accelerators_held", "cloud", "2025", 10, unit="GPUs")]
    sc = sc.model_copy(update={"figures": [Figure.model_validate(f) for f in figures]})
    kw: dict[str, Any] = {"workloads": [one_job(100)], "responder": "decline-always"}
    res = run_facts(sc, ["cloud-rofr"], **kw)
    assert res.baseline is not None
    assert res.baseline.facts[0].model == 0  # the holder declined its 10
    assert res.facts[0].model == 10  # without the ROFR, the cheapest (cloud, $3) is used
    data = res.to_dict()
    assert data["without"] == ["cloud-rofr"]
    assert data["figures"][0]["baseline_model"] == 0
    assert data["figures"][0]["within"] is True
    assert data["figures"][0]["baseline_within"] is False
    assert "without" not in run_facts(sc, **kw).to_dict()


def test_the_table_without_a_term_shows_the_run_with_all_terms(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, inputs_scenario())
    r = runner.invoke(app, ["facts", str(path), "--without", "rofr"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "with all terms" in r.stdout
    assert "without rofr" in r.stdout
    code, data = facts_json(path, "--without", "rofr")
    assert code == 0
    assert data["without"] == ["rofr"]
    assert all("baseline_model" in f for f in data["figures"])


def test_site_planned_power_follows_the_announcement() -> None:
    data = minimal()
    data["sites"][1]["announced"] = "2025-03-01"
    data["figures"] = [
        fig("before", "site_planned_mw", "campus", "2025-02-01", 0, unit="MW", tolerance=0),
        fig("after", "site_planned_mw", "campus", "2025-03-01..2025-12-31", 100, unit="MW"),
    ]
    by = {f.figure.id: f for f in check_figures(Scenario.model_validate(data), None).facts}
    assert by["before"].model == 0
    assert by["after"].model == 100


def agreement_scenario() -> dict[str, Any]:
    """The minimal scenario with an agreement of 2026-06-01 that ends the ROFR and adds a $5B
    commitment (a clause's ``effective`` dates are not amendable: an agreement ends a clause or
    adds one)."""
    data = minimal()
    data["contracts"][0]["agreements"] = [
        {
            "id": "deal-2026",
            "date": "2026-06-01",
            "source": "assumption: a test",
            "changes": [
                {"clause": "rofr", "action": "terminate"},
            ],
            "adds": [
                {"id": "commit", "kind": "committed_spend", "buyer": "lab", "seller": "cloudco",
                 "amount_usd": 5000000000, "effective": {"start": "2026-06-01"},
                 "period": {"start": "2026-06-01", "end": "2030-12-31"}},
            ],
        }
    ]  # fmt: skip
    data["figures"] = [
        fig("rofr-end", "clause_end_date", "rofr", "2026", "2026-06-01", tolerance=1),
        fig("commit", "contract_value_usd", "commit", "2026-06-01", 5e9, unit="USD"),
    ]
    return data


def test_inputs_read_the_terms_as_agreements_changed_them(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, agreement_scenario())
    code, data = facts_json(path, "--check")
    assert code == 0, data
    by = {f["id"]: f for f in data["figures"]}
    assert by["rofr-end"]["model"] == "2026-06-01"
    assert by["commit"]["model"] == 5e9
    code, data = facts_json(path, "--check", "--without", "deal-2026")
    assert code == 3  # the terms before the agreement: the ROFR runs to 2027, no commitment
    by = {f["id"]: f for f in data["figures"]}
    assert by["rofr-end"]["model"] == "2027-12-31"
    assert by["commit"]["model"] is None
    assert by["commit"]["baseline_model"] == 5e9

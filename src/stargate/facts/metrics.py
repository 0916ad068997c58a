"""The metric vocabulary of checkable figures: for each metric its kind (an ``outcome`` of an
engine run or an ``input`` read from the scenario's data), its period rule, its unit and how
the model's value is computed. docs/facts.md is this table in prose; a test keeps them alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stargate.domain.model import FIGURE_METRICS

MetricKind = Literal["outcome", "input"]


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    kind: MetricKind
    period_rule: str
    unit: str
    computed: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "capacity_held_gw",
            "outcome",
            "level on the period's last day (a year: its year end)",
            "GW",
            "facility power of the capacity held (summary capacity_held power_mw, the last "
            "procurement period ending on or before the day) by the lab, a provider, a site "
            "(capacity_held by_site) or a provider group (a holding counts when its provider "
            "or its site is in the group); basis it: divided by the mean PUE of the sites of "
            "the subject's providers",
        ),
        Metric(
            "accelerators_held",
            "outcome",
            "level on the period's last day",
            "GPUs",
            "accelerators held (summary capacity_held accelerators), by the lab, a provider, "
            "a site or a provider group, counted as for capacity_held_gw",
        ),
        Metric(
            "provider_share_of_capacity",
            "outcome",
            "share of the reference-accelerator-hours held over the period",
            "share (0-1)",
            "the subject's reference accelerators held (a provider's, a site's, or a provider "
            "group's: its providers' and its sites'), summed over the procurement periods "
            "ending in the period, over everything the lab held then",
        ),
        Metric(
            "compute_spend_usd",
            "outcome",
            "sum over the period (whole years)",
            "USD",
            "summary spend_by_year committed_usd (take-or-pay reservations, own capacity at "
            "cost) over the period's years: the lab's, a provider's, a site's "
            "(committed_by_site_usd) or a provider group's (its providers' whole, its sites' "
            "part of the others')",
        ),
        Metric(
            "site_online_mw",
            "outcome",
            "level on the period's last day",
            "MW",
            "facility power of the site's phases online by the day (not planned); a site "
            "without phases: its power capacity once a pool is available",
        ),
        Metric(
            "site_planned_mw",
            "input",
            "level on the period's first day",
            "MW",
            "0 before the site is announced or once every phase is cancelled; else the site's "
            "power_capacity_mw, or the sum of its phases announced and not cancelled by the day",
        ),
        Metric(
            "accelerators_ordered",
            "input",
            "the day",
            "GPUs",
            "accelerators in the site's pools",
        ),
        Metric(
            "contracted_capacity_gw",
            "outcome",
            "level on the day",
            "GW",
            "facility power: for the lab, a provider, a site or a provider group, the campuses "
            "(sites with a power capacity or phases) of its members announced by the day and "
            "not cancelled, at their planned power, plus the capacity its members placed by the "
            "day at sites without a stated power (cloud regions) whose term has not ended "
            "(procurement power_mw), plus for the lab its "
            "supply agreements announced by the day less the planned power of their "
            "deployed_at sites; for a contract, the campuses its placed requests name, at "
            "their planned power (its requests elsewhere at their own power); basis it: "
            "divided by the mean PUE",
        ),
        Metric(
            "api_tokens_per_s",
            "outcome",
            "level on the day",
            "tokens/s",
            "tokens/s the run served for the inference class named by the subject in the "
            "month containing the day (summary inference by_month; the run's mean when it "
            "reports no months)",
        ),
        Metric(
            "declined_option_value_usd",
            "outcome",
            "the day",
            "USD",
            "offers the ROFR named by the subject saw declined, from its start to the day: "
            "accelerators × the placed price × the term's hours (procurement rows)",
        ),
        Metric(
            "contract_value_usd",
            "input",
            "-",
            "USD",
            "amount_usd of the committed_spend clause named by the subject (a contract: the "
            "sum of its committed_spend clauses), agreements applied",
        ),
        Metric(
            "clause_end_date",
            "input",
            "-",
            "date",
            "the day a terminate amendment (or agreement) ends the clause, else its last day "
            "in force as last amended (an ip_rights clause: its until)",
        ),
        Metric(
            "clause_start_date",
            "input",
            "-",
            "date",
            "the clause's effective.start",
        ),
        Metric(
            "equity_stake_share",
            "input",
            "-",
            "share (0-1)",
            "stake_percent / 100 of the investment clause named by the subject",
        ),
        Metric(
            "contract_reported_date",
            "input",
            "-",
            "date",
            "the contract's reported date, else its signed date",
        ),
        Metric(
            "weekly_active_users",
            "input",
            "the latest usage row on or before the period's last day",
            "users",
            "usage rows of metric weekly_active_users for the subject",
        ),
        Metric(
            "annualized_revenue_usd",
            "input",
            "year end",
            "USD",
            "sum of exit_annualized_usd of the year's revenue rows (the lab: every stream; "
            "else the stream named by the subject)",
        ),
        Metric(
            "budget_capex_usd",
            "input",
            "the budget milestone ending in the period",
            "USD",
            "the scenario budget's milestones up to the period's last day",
        ),
    )
}

assert tuple(METRICS) == FIGURE_METRICS, "METRICS and FIGURE_METRICS list the same metrics"

__all__ = ["METRICS", "Metric", "MetricKind"]

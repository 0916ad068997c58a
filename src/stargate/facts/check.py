"""The fidelity check: each checkable figure of a scenario beside the model's value.

Outcomes are read from a ``simulate`` run's summary (:class:`~stargate.sim.result.SimSummary`:
``capacity_held``, ``spend_by_year``, ``inference``), never from a second, different run;
inputs from the scenario's data, with agreements applied (``Scenario.clauses``). A metric the
model cannot compute for a subject gives no number but a reason (``model`` None, not within).

Comparison (docs/facts.md): a number is within when ``|model − public| ≤ tolerance ×
|public|``; a lower bound ``>=N`` when ``N ≤ model < N × (1 + tolerance)``; a date when it is at
most ``tolerance`` days off. Low-confidence figures are reported and never fail the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from stargate.contracts.state import apply_without
from stargate.domain.model import (
    ClauseBase,
    CommittedSpend,
    Contract,
    Figure,
    Investment,
    Scenario,
    Site,
    figure_period,
    figure_value,
)
from stargate.facts.metrics import METRICS
from stargate.sim.result import CapacityHeld, SimSummary
from stargate.sim.workload import JobTable

EXIT_OUTSIDE = 3

#: default-workload runs of :func:`run_facts`, by (scenario content hash, terms off, seed,
#: responder); the summaries are immutable, so they may be shared
_RUNS: dict[tuple[str, tuple[str, ...], int, str | None], SimSummary] = {}
_RUNS_KEPT = 8


@dataclass(frozen=True, slots=True)
class Fact:
    """One figure beside the model's value."""

    figure: Figure
    kind: str
    model: float | date | None
    reason: str | None
    ratio: float | None
    within: bool

    @property
    def soft(self) -> bool:
        return self.figure.confidence == "low"

    def public_json(self) -> Any:
        what, v = figure_value(self.figure.value)
        if what == "number":
            return float(v)
        if what == "date":
            return v.isoformat()
        return str(self.figure.value).replace(" ", "")

    def to_dict(self) -> dict[str, Any]:
        f = self.figure
        model: Any = self.model.isoformat() if isinstance(self.model, date) else self.model
        return {
            "id": f.id,
            "metric": f.metric,
            "subject": f.subject,
            "period": f.period,
            "public": self.public_json(),
            "model": model,
            "unit": f.unit,
            "tolerance": f.tolerance,
            "kind": self.kind,
            "use": f.use,
            "confidence": f.confidence,
            "within": self.within,
            "source": f.source,
            "basis": f.basis,
            "ratio": self.ratio,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Facts:
    scenario_id: str
    without: tuple[str, ...]
    facts: list[Fact]
    #: with ``without``: the check of the scenario with every term kept, to compare
    baseline: Facts | None = None

    @property
    def n_soft(self) -> int:
        return sum(1 for f in self.facts if f.soft)

    @property
    def n_within(self) -> int:
        return sum(1 for f in self.facts if not f.soft and f.within)

    @property
    def n_outside(self) -> int:
        return sum(1 for f in self.facts if not f.soft and not f.within)

    def baseline_of(self, figure_id: str) -> Fact | None:
        if self.baseline is None:
            return None
        return next((f for f in self.baseline.facts if f.figure.id == figure_id), None)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` output; with ``without``, each figure also has ``baseline_model``
        and ``baseline_within`` (the run with every term kept) and the top level ``without``."""
        rows = []
        for f in self.facts:
            row = f.to_dict()
            base = self.baseline_of(f.figure.id)
            if self.baseline is not None:
                row["baseline_model"] = None if base is None else base.to_dict()["model"]
                row["baseline_within"] = None if base is None else base.within
            rows.append(row)
        out: dict[str, Any] = {
            "figures": rows,
            "n_within": self.n_within,
            "n_outside": self.n_outside,
            "n_soft": self.n_soft,
        }
        if self.without:
            out["without"] = list(self.without)
        return out


class _Unknown(Exception):
    """The model has no value for this figure; the message says why."""


# ----------------------------------------------------------------------------- the entry points


def needs_run(scenario: Scenario) -> bool:
    """Whether any checkable figure is an outcome (so a simulation must run)."""
    return any(
        f.metric is not None and METRICS[f.metric].kind == "outcome" for f in scenario.figures
    )


def run_facts(
    scenario: Scenario,
    without: Sequence[str] = (),
    *,
    seed: int = 0,
    workloads: Sequence[str | JobTable] | None = None,
    responder: str | None = None,
) -> Facts:
    """Check the scenario's figures against a default ``simulate`` run (the one the CLI's
    ``stargate simulate`` does: its default workload, and the holder's answers on the record
    else ``capacity-limited``, unless ``workloads`` or ``responder`` name others), with
    ``without`` applied (agreements voided, clauses off)."""
    from stargate.sim.api import DEFAULT_SCENARIO_WORKLOAD, simulate

    baseline = None
    if without:
        baseline = run_facts(scenario, (), seed=seed, workloads=workloads, responder=responder)
    derived, off = apply_without(scenario, without)
    summary = None
    if needs_run(derived):
        # the default run is a pure function of the scenario's content, the terms off, the
        # seed and the responder: kept for the process's next check of the same (the CLI's
        # --without runs the baseline too; docs and tests check the default many times)
        key = None
        if not workloads:
            from stargate.domain.provenance import content_hash

            key = (content_hash(derived.model_dump(mode="json")), tuple(sorted(off)), seed,
                   responder)  # fmt: skip
            summary = _RUNS.get(key)
        if summary is None:
            sources: list[str | JobTable] = (
                list(workloads) if workloads else [DEFAULT_SCENARIO_WORKLOAD]
            )
            result = simulate(
                derived,
                sources,
                without=sorted(off),
                seed=seed,
                log_events=False,
                responder=responder,
            )
            summary = result.summary
            if key is not None:
                _RUNS[key] = summary
                while len(_RUNS) > _RUNS_KEPT:
                    _RUNS.pop(next(iter(_RUNS)))
    checked = check_figures(derived, summary, without=without)
    return Facts(checked.scenario_id, checked.without, checked.facts, baseline)


def check_figures(
    scenario: Scenario, summary: SimSummary | None, *, without: Iterable[str] = ()
) -> Facts:
    """Every checkable figure of ``scenario`` beside its value in the scenario's data or in
    ``summary`` (a run of that scenario; None: outcomes are reported as not computed)."""
    facts = [_fact(scenario, summary, f) for f in scenario.figures if f.metric is not None]
    return Facts(scenario.id, tuple(without), facts)


# ----------------------------------------------------------------------------- comparing


def _fact(scenario: Scenario, summary: SimSummary | None, f: Figure) -> Fact:
    assert f.metric is not None
    assert f.period is not None
    metric = METRICS[f.metric]
    try:
        if metric.kind == "outcome":
            if summary is None:
                raise _Unknown("no simulation run (outcome metric)")
            model: float | date = _outcome(scenario, summary, f)
        else:
            model = _input(scenario, f)
    except _Unknown as why:
        return Fact(f, metric.kind, None, str(why), None, False)
    ratio, within = compare(f, model)
    return Fact(f, metric.kind, model, None, ratio, within)


def compare(f: Figure, model: float | date) -> tuple[float | None, bool]:
    """The ratio model ÷ public (None for dates) and whether the model is within tolerance."""
    tol = float(f.tolerance or 0.0)
    what, v = figure_value(f.value)
    if what == "date":
        if not isinstance(model, date):
            return None, False
        return None, abs((model - v).days) <= tol
    if isinstance(model, date):
        return None, False
    public = float(v)
    ratio = model / public if public != 0 else None
    if what == "at_least":
        return ratio, public <= model < public * (1 + tol) or (public == 0 and model >= 0)
    return ratio, abs(model - public) <= tol * abs(public) + 1e-12


# ----------------------------------------------------------------------------- outcomes


def _providers_of(scenario: Scenario, subject: str) -> set[str] | None:
    """The providers a subject stands for: None for the lab (everything), a provider, or a
    provider group's providers (its sites' providers too; see :func:`_group_note`)."""
    members = _members(scenario, subject)
    if members is None:
        return None
    providers, sites = members
    return providers | {scenario.site(x).provider for x in sites}


def _members(scenario: Scenario, subject: str) -> tuple[set[str], set[str]] | None:
    """What a subject counts: None for the lab (everything), else (providers, sites): a
    provider is itself; a site is itself; a provider group is its providers and its sites
    (a holding belongs to it when its provider or its site is the group's)."""
    if subject == scenario.lab_id():
        return None
    if any(p.id == subject for p in scenario.providers):
        return {subject}, set()
    if any(s.id == subject for s in scenario.sites):
        return set(), {subject}
    for g in scenario.provider_groups:
        if g.id == subject:
            return set(g.providers), {x for x in g.sites if any(s.id == x for s in scenario.sites)}
    raise _Unknown(
        f"subject '{subject}' is not the lab ({scenario.lab_id()}), a provider, a site or a "
        "provider group"
    )


def _held_sum(
    members: tuple[set[str], set[str]] | None, rows: Iterable[CapacityHeld], field: str
) -> float:
    """The sum of a field of capacity-held rows (accelerators, reference accelerators, MW)
    over what a subject's members count."""
    return float(
        sum(
            _part(
                members,
                h.provider,
                float(getattr(h, field)),
                {k: float(getattr(v, field)) for k, v in h.by_site.items()},
            )
            for h in rows
        )
    )


def _part(
    members: tuple[set[str], set[str]] | None,
    provider: str,
    whole: float,
    by_site: dict[str, float],
) -> float:
    """The part of a provider's amount (``whole``; ``by_site`` its split by site) that a
    subject's members count."""
    if members is None:
        return whole
    providers, sites = members
    if provider in providers:
        return whole
    return sum(v for site, v in by_site.items() if site in sites)


def _held_days(summary: SimSummary) -> list[date]:
    return sorted({date.fromisoformat(h.period_end) for h in summary.capacity_held or []})


def _day_on_or_before(summary: SimSummary, day: date) -> date:
    days = [d for d in _held_days(summary) if d <= day]
    if not days:
        raise _Unknown(f"the run holds nothing on or before {day.isoformat()}")
    return days[-1]


def _outcome(scenario: Scenario, summary: SimSummary, f: Figure) -> float:
    assert f.period is not None
    assert f.subject is not None
    first, last = figure_period(f.period)
    m = f.metric
    if m in ("site_online_mw",):
        return _site_online_mw(scenario, f.subject, last)
    if m == "api_tokens_per_s":
        inf = summary.inference
        for c in inf.classes if inf is not None else []:
            if c.workload_class == f.subject:
                month = f"{last.year:04d}-{last.month:02d}"
                for row in c.by_month or []:
                    if row.month == month:
                        return row.served_tokens_per_s
                if c.by_month:
                    raise _Unknown(f"the run served '{f.subject}' in no month {month}")
                return c.mean_tokens_per_s
        raise _Unknown(f"the run served no inference class '{f.subject}'")
    if m == "contracted_capacity_gw":
        return _contracted_gw(scenario, summary, f, last)
    if m == "declined_option_value_usd":
        return _declined_usd(scenario, summary, f.subject, last)
    if summary.capacity_held is None:
        raise _Unknown("the run replayed no procurement (not a scenario run)")
    if m in ("capacity_held_gw", "accelerators_held"):
        members = _members(scenario, f.subject)
        day = _day_on_or_before(summary, last)
        rows = [h for h in summary.capacity_held if h.period_end == day.isoformat()]
        if m == "accelerators_held":
            return _held_sum(members, rows, "accelerators")
        mw = _held_sum(members, rows, "power_mw")
        if f.basis == "it":
            mw /= _mean_pue(scenario, _providers_of(scenario, f.subject))
        return mw / 1000.0
    if m == "provider_share_of_capacity":
        members = _members(scenario, f.subject)
        days = {d.isoformat() for d in _held_days(summary) if first <= d <= last}
        if not days:
            raise _Unknown(f"no procurement period ends in {f.period}")
        rows = [h for h in summary.capacity_held if h.period_end in days]
        total = sum(h.reference_accelerators for h in rows)
        if total <= 0:
            raise _Unknown(f"the run holds nothing in {f.period}")
        return _held_sum(members, rows, "reference_accelerators") / total
    if m == "compute_spend_usd":
        if first.month != 1 or first.day != 1 or last.month != 12 or last.day != 31:
            raise _Unknown("spend is kept by whole years: give a year or a range of years")
        members = _members(scenario, f.subject)
        years = set(range(first.year, last.year + 1))
        spend = summary.spend_by_year or []
        got = {s.year for s in spend}
        if not years <= got:
            missing = ", ".join(str(y) for y in sorted(years - got))
            raise _Unknown(f"the run has no spend for {missing} (outside its horizon?)")
        usd = Decimal(0)
        for year_row in spend:
            if year_row.year not in years:
                continue
            if members is None or year_row.provider in members[0]:
                usd += Decimal(year_row.committed_usd)
            else:
                usd += sum(
                    (
                        Decimal(v)
                        for k, v in year_row.committed_by_site_usd.items()
                        if k in members[1]
                    ),
                    Decimal(0),
                )
        return float(usd)
    raise _Unknown(f"'{m}' is not an outcome this version computes")


def _placed_rows(summary: SimSummary) -> list[Any]:
    if summary.procurement is None:
        raise _Unknown("the run replayed no procurement (not a scenario run)")
    return [r for r in summary.procurement if r.placed]


def _site_has_power(site: Site) -> bool:
    return site.power_capacity_mw is not None or bool(site.phases)


def _contracted_gw(scenario: Scenario, summary: SimSummary, f: Figure, day: date) -> float:
    """Facility power contracted on ``day`` (docs/facts.md#contracted-capacity):

    * a **contract**: the sites its placed requests name, at each site's planned power (a
      campus is contracted whole), and its requests elsewhere at their own power;
    * the **lab**, a **provider** or a **group**: the sites of its members (a group's sites,
      and its providers' sites) that have a power capacity or phases, announced by the day
      and not cancelled, at their planned power (a campus counts from its announcement, never
      by the requests placed at it); plus the capacity placed by the day, whose term has not
      ended, with its members at sites without a stated power; for the lab, plus its **supply
      agreements** announced by the day, less the sites they are deployed at (not counted
      twice)."""
    assert f.subject is not None
    subject = f.subject
    placed = [
        r
        for r in _placed_rows(summary)
        if date.fromisoformat(r.date) <= day <= date.fromisoformat(r.term_end)
    ]
    mw = 0.0
    if any(c.id == subject for c in scenario.contracts):
        requests = {
            r.id for r in scenario.capacity_requests if getattr(r, "contract", None) == subject
        }
        if not requests:
            raise _Unknown(f"no dated capacity request names contract '{subject}'")
        sites: set[str] = set()
        for r in placed:
            if r.request not in requests:
                continue
            site = scenario.site(r.site) if r.site is not None else None
            if site is not None and _site_has_power(site):
                sites.add(site.id)
            else:
                mw += r.power_mw
        for site_id in sites:
            site = scenario.site(site_id)
            mw += _site_planned_mw(site, max(day, site.announced or day))
    else:
        members = _members(scenario, subject)
        counted: set[str] = set()
        for site in scenario.sites:
            if not _site_has_power(site):
                continue
            if members is not None and not (site.provider in members[0] or site.id in members[1]):
                continue
            planned = _site_planned_mw(site, day)
            if planned > 0:
                counted.add(site.id)
                mw += planned
        for r in placed:
            if r.site is not None and (r.site in counted or _site_has_power(scenario.site(r.site))):
                continue  # a campus counts whole once announced, never by its requests
            if members is not None and not (r.provider in members[0] or r.site in members[1]):
                continue
            mw += r.power_mw
        if members is None:
            for a in scenario.supply_agreements:
                if a.announced > day or a.buyer != subject:
                    continue
                deployed = sum(_site_planned_mw(scenario.site(x), day) for x in a.deployed_at)
                mw += max(0.0, a.power_gw * 1000.0 - deployed)
    if f.basis == "it":
        mw /= _mean_pue(scenario, _providers_of(scenario, subject))
    return mw / 1000.0


def _declined_usd(scenario: Scenario, summary: SimSummary, subject: str, day: date) -> float:
    """What the offers a right of first refusal's holder declined (from the clause's start to
    ``day``) were worth: accelerators × the placed price × the term's hours."""
    _, clause = _clause(scenario, subject)
    if clause.kind != "right_of_first_refusal":
        raise _Unknown(f"clause '{subject}' is a {clause.kind} clause, not a ROFR")
    total = Decimal(0)
    for r in summary.procurement or []:
        when = date.fromisoformat(r.date)
        if r.rofr != "declined" or when > day or when < clause.effective.start:
            continue
        if r.price_usd_per_accelerator_hour is None:
            raise _Unknown(f"declined request '{r.request}' has no price")
        hours = (date.fromisoformat(r.term_end) - date.fromisoformat(r.term_start)).days + 1
        total += Decimal(r.price_usd_per_accelerator_hour) * r.accelerators * hours * 24
    return float(total)


def _mean_pue(scenario: Scenario, providers: set[str] | None) -> float:
    pues = [s.pue for s in scenario.sites if providers is None or s.provider in providers]
    return sum(pues) / len(pues) if pues else 1.0


def _site_online_mw(scenario: Scenario, site_id: str, day: date) -> float:
    site = _site(scenario, site_id)
    if site.phases:
        return sum(ph.power_mw for ph in site.phases if ph.status != "planned" and ph.online <= day)
    if site.power_capacity_mw is not None and any(
        p.available_from <= day and p.status != "planned" for p in site.pools
    ):
        return float(site.power_capacity_mw)
    if site.power_capacity_mw is None:
        raise _Unknown(f"site '{site_id}' has neither phases nor a power capacity")
    return 0.0


def _site_planned_mw(site: Site, day: date) -> float:
    """The power planned at a site on ``day``: nothing before the site (or every phase) was
    announced or once every phase is cancelled; else its power capacity, or the sum of the
    phases announced and not cancelled (a phase's ``announced``/``cancelled``, where the
    scenario gives them)."""
    if site.announced is not None and day < site.announced:
        return 0.0
    live = []
    for ph in site.phases:
        announced = getattr(ph, "announced", None) or site.announced
        cancelled = getattr(ph, "cancelled", None)
        if (announced is None or announced <= day) and (cancelled is None or day < cancelled):
            live.append(ph)
    if site.phases and not live:
        return 0.0
    if site.power_capacity_mw is not None:
        return float(site.power_capacity_mw)
    if live:
        return float(sum(ph.power_mw for ph in live))
    raise _Unknown(f"site '{site.id}' has neither phases nor a power capacity")


def _site(scenario: Scenario, site_id: str) -> Site:
    try:
        return scenario.site(site_id)
    except KeyError:
        raise _Unknown(f"subject '{site_id}' is not a site") from None


# ----------------------------------------------------------------------------- inputs


def _clause(scenario: Scenario, clause_id: str) -> tuple[Contract, ClauseBase]:
    for c, cl in scenario.clauses():
        if cl.id == clause_id:
            return c, cl
    raise _Unknown(f"subject '{clause_id}' is not a clause of the scenario")


def _last_version(clause: ClauseBase) -> ClauseBase:
    mods = sorted(
        (a for a in clause.amendments if a.action != "terminate"), key=lambda a: a.effective.start
    )
    return clause.amended(mods[-1]) if mods else clause


def _input(scenario: Scenario, f: Figure) -> float | date:
    assert f.period is not None
    assert f.subject is not None
    _first, last = figure_period(f.period)
    m, subject = f.metric, f.subject
    if m == "clause_end_date":
        _, cl = _clause(scenario, subject)
        ends = sorted(a.effective.start for a in cl.amendments if a.action == "terminate")
        if ends:
            return ends[0]
        end = _last_version(cl).end_date()
        if end is None:
            raise _Unknown(f"clause '{subject}' has no end (open-ended)")
        return end
    if m == "clause_start_date":
        return _clause(scenario, subject)[1].effective.start
    if m == "contract_value_usd":
        for c in scenario.contracts:
            if c.id == subject:
                versions = [_last_version(cl) for cl in c.terms()]
                amounts = [v.amount_usd for v in versions if isinstance(v, CommittedSpend)]
                if not amounts:
                    raise _Unknown(f"contract '{subject}' has no committed_spend clause")
                return float(sum(amounts))
        _, cl = _clause(scenario, subject)
        cl = _last_version(cl)
        if not isinstance(cl, CommittedSpend):
            raise _Unknown(f"clause '{subject}' is a {cl.kind} clause, not committed_spend")
        return float(cl.amount_usd)
    if m == "equity_stake_share":
        _, cl = _clause(scenario, subject)
        cl = _last_version(cl)
        if not isinstance(cl, Investment) or cl.stake_percent is None:
            raise _Unknown(f"clause '{subject}' is not an investment with a stake_percent")
        return float(cl.stake_percent) / 100.0
    if m == "contract_reported_date":
        for c in scenario.contracts:
            if c.id == subject:
                reported = getattr(c, "reported", None)
                return reported if isinstance(reported, date) else c.signed
        raise _Unknown(f"subject '{subject}' is not a contract")
    if m == "site_planned_mw":
        return _site_planned_mw(_site(scenario, subject), figure_period(f.period)[0])
    if m == "accelerators_ordered":
        site = _site(scenario, subject)
        return float(sum(p.count for p in site.pools))
    if m == "weekly_active_users":
        rows = [
            u
            for u in scenario.usage
            if u.metric == "weekly_active_users" and u.subject == subject and u.date <= last
        ]
        if not rows:
            raise _Unknown(f"no weekly_active_users usage row for '{subject}' by {last}")
        return max(rows, key=lambda u: u.date).value
    if m == "annualized_revenue_usd":
        lab = subject == scenario.lab_id()
        streams = [
            r for r in scenario.revenue if r.year == last.year and (lab or r.stream == subject)
        ]
        rates = [r.exit_annualized_usd for r in streams if r.exit_annualized_usd is not None]
        if not rates:
            raise _Unknown(
                f"no revenue row with exit_annualized_usd for '{subject}' in {last.year}"
            )
        return float(sum(rates))
    if m == "budget_capex_usd":
        ms = [x for x in scenario.budget.milestones if x.by <= last]
        if not ms:
            raise _Unknown(f"no budget milestone by {last.isoformat()}")
        return float(max(ms, key=lambda x: x.by).capex_usd)
    raise _Unknown(f"'{m}' is not an input this version reads")


__all__ = ["EXIT_OUTSIDE", "Fact", "Facts", "check_figures", "compare", "needs_run", "run_facts"]

"""The clauses in force, as the planner's masks: exclusivity and the right of first refusal.

Clauses are read at each period's midpoint through :func:`stargate.contracts.state.
clauses_in_force`, as the broker and the simulator read them on a day. Exclusivity becomes a
mask per capacity axis (owned sites, clouds rented by the hour, held reservations, capacity
model rows): a bound class may use only the named provider's capacity. A ROFR becomes a
:class:`Rofr`: its scope, the holder's providers, its caps and the periods it is in force.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from stargate.contracts.state import clauses_in_force
from stargate.domain.model import Exclusivity, Requirement, RightOfFirstRefusal, Scenario

__all__ = ["Clauses", "Rofr", "read_clauses"]


@dataclass(frozen=True, slots=True)
class Rofr:
    """One ROFR in force in some periods: scope, the holder's providers and its price caps
    (per accelerator-hour, and per reference-accelerator-hour of work); ``priced``: the clause
    lists the ``price`` requirement, so its caps apply."""

    clause_id: str
    classes: tuple[str, ...]
    holder_providers: frozenset[str]
    price_cap_usd: float | None
    periods: tuple[int, ...]
    price_cap_usd_per_reference_hour: float | None = None
    priced: bool = True


@dataclass
class Clauses:
    """The masks and clauses the model needs."""

    #: axis name -> [class, item, period]: False where exclusivity bars the class from the
    #: item's provider
    allowed: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    exclusivity_by: dict[tuple[str, int], str] = field(default_factory=dict)
    rofrs: list[Rofr] = field(default_factory=list)


def read_clauses(
    scenario: Scenario,
    mids: Sequence[date],
    without: frozenset[str],
    classes: Sequence[str],
    axes: Mapping[str, Sequence[str]],
) -> Clauses:
    """Exclusivity masks for each axis (its items' providers) and the ROFRs, for the periods
    whose midpoints are ``mids``, with the clause ids ``without`` switched off."""
    n_c, n_p = len(classes), len(mids)
    out = Clauses(
        {name: np.ones((n_c, len(provs), n_p), dtype=bool) for name, provs in axes.items()}
    )
    rofr_periods: dict[str, list[int]] = {}
    rofr_text: dict[str, RightOfFirstRefusal] = {}
    for p, m in enumerate(mids):
        for st in clauses_in_force(scenario, m, without=without):
            v = st.version
            if isinstance(v, Exclusivity):
                for cid in v.workload_classes:
                    if cid not in classes:
                        continue
                    c = classes.index(cid)
                    out.exclusivity_by[(cid, p)] = v.id
                    for name, provs in axes.items():
                        other = np.array([pr != v.provider for pr in provs], dtype=bool)
                        out.allowed[name][c, other, p] = False
            elif isinstance(v, RightOfFirstRefusal):
                rofr_periods.setdefault(v.id, []).append(p)
                rofr_text.setdefault(v.id, v)
    for cid, ps in rofr_periods.items():
        v = rofr_text[cid]
        holders = frozenset(v.holder_providers) or frozenset(
            pr.id for pr in scenario.providers if pr.owner == v.holder
        )
        cap = v.price_cap_usd_per_accelerator_hour
        cap_ref = v.price_cap_usd_per_reference_hour
        out.rofrs.append(
            Rofr(
                cid,
                tuple(c for c in v.workload_classes if c in classes),
                holders,
                float(cap) if cap is not None else None,
                tuple(ps),
                float(cap_ref) if cap_ref is not None else None,
                Requirement.price in v.requirements,
            )
        )
    return out

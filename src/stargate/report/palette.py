"""One colour per provider in every report.

A provider's colour is fixed by its place in the scenario's ``providers`` list, so the
simulation and plan reports of one scenario (and a run beside its ``--without`` run) give
each provider the same colour. Names that are not providers of the scenario (a ``--fleet``
name, "unplaced") take the colours after the scenario's, in the order given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from stargate.report import svg


def provider_colors(scenario_providers: Sequence[str], shown: Iterable[str] = ()) -> dict[str, str]:
    """Colour by provider id: the scenario's providers in their order, then any other id of
    ``shown`` (first seen first)."""
    out = {p: svg.color_for(i) for i, p in enumerate(scenario_providers)}
    for p in shown:
        if p not in out:
            out[p] = svg.color_for(len(out))
    return out


__all__ = ["provider_colors"]

"""Where the broker's floats become money (see docs/design.md, "Money").

The broker ranks pools with float arrays (numpy: an analysis, never written down as money).
Every amount a party could dispute — a decision's cost, a candidate's price and cost, an
offer's cost — is a :class:`~decimal.Decimal` computed here from the pool's Decimal price:

- hours (a float from the throughput arithmetic) enter as the Decimal of their shortest
  repr (``Decimal(repr(h))``: 2.5 h is exactly ``Decimal("2.5")``, not the binary expansion);
- a cost is price × accelerators × hours, exact in Decimal, then rounded once to the cent,
  half up (``ROUND_HALF_UP``: $0.005 → $0.01);
- a price shown per accelerator-hour is rounded to $0.0001, half even (Decimal's default).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
#: A price per accelerator-hour is written to four decimals.
PRICE_STEP = Decimal("0.0001")


def hours_decimal(hours: float) -> Decimal:
    """A float number of hours as the Decimal of its shortest repr."""
    return Decimal(repr(float(hours)))


def cost_usd(price_usd_per_accelerator_hour: Decimal, accelerators: int, hours: float) -> Decimal:
    """Price × accelerators × hours, exact, rounded once to the cent (half up)."""
    exact = price_usd_per_accelerator_hour * accelerators * hours_decimal(hours)
    return exact.quantize(CENT, ROUND_HALF_UP)


def price_usd(price_usd_per_accelerator_hour: Decimal) -> Decimal:
    """A price per accelerator-hour as written in a decision: to $0.0001 (half even)."""
    return price_usd_per_accelerator_hour.quantize(PRICE_STEP, ROUND_HALF_EVEN)

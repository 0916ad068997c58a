"""What the engines' results write into the ledger: the adapters from an engine's result
(``SimResult``, the broker's decisions) to the ledger's plain inputs
(:class:`stargate.ledger.charges.ChargeInputs`). The ledger imports no engine and no engine
imports the ledger (the engines are independent layers); this package, above them, joins them
for ``stargate simulate --db`` and ``stargate place --db``. docs/ledger.md "Charges"."""

from __future__ import annotations

from stargate.recording.sim import charge_inputs, sim_record

__all__ = ["charge_inputs", "sim_record"]

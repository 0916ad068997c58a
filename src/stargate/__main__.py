"""``python -m stargate``: the same as the ``stargate`` command."""

from __future__ import annotations

from stargate.cli.main import main

if __name__ == "__main__":
    main()

"""The web dashboard (server-rendered pages, same process as the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:
    from stargate.service.app import Context


def mount_dashboard(app: FastAPI, ctx: Context) -> None:
    """Add the dashboard's pages to ``app``."""
    return None

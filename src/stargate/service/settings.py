"""The service's settings, validated when it starts (``stargate serve`` reads them from its
options; ``create_app`` takes them). Nothing is opened or started when this module is
imported."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stargate.service.clock import Clock, RealClock, ShiftedClock


class Settings(BaseModel):
    """``stargate serve``'s options as a validated record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str | None = Field(
        default=None, description="Scenario name or file (default: the embedded default)"
    )
    db: str | None = Field(default=None, description="Database URL (default: the ledger's)")
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    start_at: date | None = Field(default=None, description="Scenario time at start-up")
    objective: str = "cost"
    sweep_interval_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    max_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = 64 * 1024
    log_level: str = "info"

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if v == "localhost":
            return v
        try:
            ipaddress.ip_address(v)
        except ValueError:
            raise ValueError("expected an IP address such as 127.0.0.1 (or localhost)") from None
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v not in ("critical", "error", "warning", "info", "debug"):
            raise ValueError("expected critical, error, warning, info or debug")
        return v

    def make_clock(self) -> Clock:
        return RealClock() if self.start_at is None else ShiftedClock(self.start_at)

"""The event kernel: one heap of (time, priority, sequence, kind, payload).

Simultaneous events are ordered by ``priority`` (capacity changes before finishes before
arrivals, so a job arriving at the instant another ends sees the freed accelerators), then by
``sequence`` (the order they were scheduled), so a run is deterministic. There is no ticking:
time jumps from event to event.
"""

from __future__ import annotations

import heapq
from typing import Any

# priorities: lower runs first among events at the same time
P_CAPACITY = 0  # pools online, outages start and end
P_FINISH = 1
P_READY = 2  # a routed job joins its pool's queue (after a ROFR answer, say)
P_ARRIVAL = 3

Event = tuple[float, int, int, int, Any]


class Kernel:
    """A minimal discrete-event kernel."""

    __slots__ = ("_heap", "_seq", "events", "now")

    def __init__(self, start_s: float = 0.0) -> None:
        self._heap: list[Event] = []
        self._seq = 0
        self.now = start_s
        self.events = 0

    def schedule(self, time_s: float, priority: int, kind: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (time_s, priority, self._seq, kind, payload))

    def pop(self) -> Event | None:
        if not self._heap:
            return None
        ev = heapq.heappop(self._heap)
        self.now = ev[0]
        self.events += 1
        return ev

    def peek_time(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def peek(self) -> tuple[float, int] | None:
        """(time, priority) of the next event."""
        if not self._heap:
            return None
        head = self._heap[0]
        return head[0], head[1]

    def __len__(self) -> int:
        return len(self._heap)

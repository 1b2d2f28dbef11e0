"""A bounded ring of recent live events, numbered so an SSE client can resume after ``Last-Event-ID``."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LiveItem:
    seq: int
    event_id: str
    jurisdiction: str
    payload: dict[str, Any]


class Ring:
    """Keeps the last ``capacity`` items; a repeated event id (a redelivery) is not added twice."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._items: deque[LiveItem] = deque(maxlen=capacity)
        self._ids: set[str] = set()
        self.last_seq = 0

    def append(self, event_id: str, jurisdiction: str, payload: dict[str, Any]) -> LiveItem | None:
        if event_id in self._ids:
            return None
        if len(self._items) == self.capacity:
            self._ids.discard(self._items[0].event_id)
        self.last_seq += 1
        item = LiveItem(self.last_seq, event_id, jurisdiction, payload)
        self._items.append(item)
        self._ids.add(event_id)
        return item

    @property
    def first_seq(self) -> int:
        return self._items[0].seq if self._items else self.last_seq + 1

    def after(self, seq: int, *, prefix: str, limit: int | None = None) -> list[LiveItem]:
        """Items numbered above ``seq`` whose jurisdiction lies under ``prefix``, oldest first."""
        start = max(0, seq + 1 - self.first_seq)
        out: list[LiveItem] = []
        for index in range(start, len(self._items)):
            item = self._items[index]
            if item.jurisdiction.startswith(prefix):
                out.append(item)
                if limit is not None and len(out) >= limit:
                    break
        return out

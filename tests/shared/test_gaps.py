"""The offset-gap guard's rules (pure logic; the race it answers is tested on the real broker in test_bus)."""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka import TopicPartition

from shared.bus.gaps import GapGuard

TP, OTHER = TopicPartition("t", 0), TopicPartition("t", 1)


class Reader:
    def __init__(self) -> None:
        self.seeks: list[tuple[TopicPartition, int]] = []

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))


def records(*offsets: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(offset=offset) for offset in offsets]


def offsets(batch) -> dict[TopicPartition, list[int]]:
    return {tp: [r.offset for r in recs] for tp, recs in batch.items()}


def test_contiguous_records_pass_and_the_first_batch_of_a_partition_sets_what_comes_next():
    guard, reader = GapGuard(), Reader()
    assert offsets(guard.contiguous(reader, {TP: records(7, 8, 9)})) == {TP: [7, 8, 9]}
    assert offsets(guard.contiguous(reader, {TP: records(10, 11)})) == {TP: [10, 11]}
    assert reader.seeks == [] and guard.gaps_waited == 0


def test_records_past_a_gap_are_held_back_and_the_reader_sent_back_to_it():
    guard, reader = GapGuard(), Reader()
    guard.contiguous(reader, {TP: records(0, 1)})
    kept = guard.contiguous(reader, {TP: records(2, 4, 5), OTHER: records(0, 1)})
    assert offsets(kept) == {TP: [2], OTHER: [0, 1]}
    assert reader.seeks == [(TP, 3)] and guard.gaps_waited == 1
    assert offsets(guard.contiguous(reader, {TP: records(4, 5)})) == {}  # still missing: back again
    assert reader.seeks[-1] == (TP, 3)
    assert offsets(guard.contiguous(reader, {TP: records(3, 4, 5)})) == {TP: [3, 4, 5]}


def test_a_gap_still_open_after_the_patience_is_accepted():
    guard, reader = GapGuard(patience=0.0), Reader()
    guard.contiguous(reader, {TP: records(0)})
    assert offsets(guard.contiguous(reader, {TP: records(3, 4)})) == {TP: [3, 4]}
    assert reader.seeks == []


def test_after_the_reader_moves_a_partition_itself_nothing_is_expected_of_it():
    guard, reader = GapGuard(), Reader()
    guard.contiguous(reader, {TP: records(0, 1)})
    guard.forget([TP])
    assert offsets(guard.contiguous(reader, {TP: records(500, 501)})) == {TP: [500, 501]}
    # A seek back (a log read again from its start) is followed without being told.
    assert offsets(guard.contiguous(reader, {TP: records(0, 1)})) == {TP: [0, 1]}
    assert reader.seeks == []


def test_a_reader_positioned_at_an_offset_waits_for_that_record_first():
    guard, reader = GapGuard(), Reader()
    guard.expect({TP: 0, OTHER: 40})
    kept = guard.contiguous(reader, {TP: records(1, 2), OTHER: records(40, 41)})
    assert offsets(kept) == {OTHER: [40, 41]}
    assert reader.seeks == [(TP, 0)]
    assert offsets(guard.contiguous(reader, {TP: records(0, 1, 2)})) == {TP: [0, 1, 2]}

"""The relay marks published rows sent by runs of consecutive sequence numbers (pure logic)."""

from shared.bus.relay import _runs


def test_consecutive_numbers_make_one_run_and_gaps_start_new_ones():
    assert _runs([]) == []
    assert _runs([7]) == [(7, 7)]
    assert _runs(list(range(10, 510))) == [(10, 509)]
    assert _runs([1, 2, 3, 5, 8, 9]) == [(1, 3), (5, 5), (8, 9)]


def test_runs_cover_exactly_the_given_numbers():
    seqs = sorted({3, 4, 5, 11, 12, 40, 41, 42, 43, 100})
    covered = [n for first, last in _runs(seqs) for n in range(first, last + 1)]
    assert covered == seqs

"""The live ring buffer behind the SSE stream."""

from __future__ import annotations

from services.analytics.domain.ring import Ring


def test_items_after_a_sequence_are_filtered_by_prefix() -> None:
    ring = Ring(10)
    ring.append("a", "330903001001001", {"n": 1})
    ring.append("b", "330903002001001", {"n": 2})
    ring.append("c", "330903001002001", {"n": 3})
    assert [i.payload["n"] for i in ring.after(0, prefix="330903001")] == [1, 3]
    assert [i.seq for i in ring.after(1, prefix="330903")] == [2, 3]


def test_redelivered_event_is_not_added_twice() -> None:
    ring = Ring(10)
    assert ring.append("a", "330903", {}) is not None
    assert ring.append("a", "330903", {}) is None
    assert ring.last_seq == 1


def test_old_items_fall_out_and_resume_starts_at_the_oldest_kept() -> None:
    ring = Ring(3)
    for n in range(5):
        ring.append(f"e{n}", "330903", {"n": n})
    assert ring.first_seq == 3
    assert [i.payload["n"] for i in ring.after(1, prefix="")] == [2, 3, 4]
    assert ring.append("e0", "330903", {"n": 0}) is not None  # its id was forgotten with it
    assert [i.seq for i in ring.after(0, prefix="", limit=2)] == [4, 5]

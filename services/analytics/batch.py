"""Per-transaction accumulation of facts and counter deltas, written once per consumed batch.

The consumer handles a whole batch of events in one transaction. Instead of one counter upsert per bucket key
per event (~180 rows each), handlers fold facts and deltas into a :class:`Pending` kept in the unit of work's
scratch; one bulk upsert of facts and one of counters run just before the commit. Reads made by later events
of the same batch (a ticket's fact, recent complaints, the day series of the spike test) see the pending state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from services.analytics import bulk, store
from services.analytics.domain.facts import TicketFact
from services.analytics.domain.measures import Counter, add
from services.analytics.domain.readmodel import BucketKey, Dimension, Period
from services.analytics.domain.warning import Complaint
from shared.db import UnitOfWork
from shared.events.ticket import batch_ticket_ids

SCRATCH = "analytics.readmodel"
_UNKNOWN = object()


@dataclass
class Pending:
    """Facts (latest per ticket; None when the ticket has none yet) and merged counter deltas of one transaction.

    ``series`` indexes the same counter dicts by (prefix, period, dim, value) and bucket start.
    """

    facts: dict[str, TicketFact | None] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    counters: dict[BucketKey, Counter] = field(default_factory=dict)
    series: dict[tuple[str, str, str, str], dict[date, Counter]] = field(default_factory=dict)
    classes: dict[str, str | None] = field(default_factory=dict)
    # Stored complaints per (area, category), loaded once per batch from the earliest ``since`` asked for.
    complaints: dict[tuple[str, str], tuple[datetime, list[Complaint]]] = field(default_factory=dict)
    # Stored series per (prefix, period, dim, value) read ahead for the whole batch, with the range they cover.
    stored_series: dict[tuple[str, str, str, str], tuple[date, date, dict[date, Counter]]] = field(
        default_factory=dict)
    read_ahead: bool = False  # the batch's receipts' complaints and day series were read ahead


def pending(uow: UnitOfWork) -> Pending:
    """The transaction's pending state; registers the flush hook on first use."""
    scratch = uow.once_before_commit(SCRATCH, flush)
    state: Pending = scratch.setdefault("pending", Pending())
    return state


async def flush(uow: UnitOfWork) -> None:
    """Write the pending facts and counters: one bulk upsert each."""
    state: Pending | None = uow.scratch.get(SCRATCH, {}).get("pending")
    if state is None:
        return
    facts = [fact for ticket_id in sorted(state.dirty) if (fact := state.facts[ticket_id]) is not None]
    await bulk.upsert_facts(uow, facts)
    await bulk.add_counters(uow, state.counters)


async def get_fact(uow: UnitOfWork, ticket_id: str) -> TicketFact | None:
    """The ticket's fact as of the previous event, pending or stored; the first miss in a consumed batch loads the
    facts of every ticket of the batch in one query."""
    state = pending(uow)
    if ticket_id not in state.facts:
        missing = ({ticket_id} | batch_ticket_ids(uow.batch)) - state.facts.keys()
        stored = await store.get_facts(uow, missing)
        state.facts.update({other: stored.get(other) for other in missing})
    return state.facts[ticket_id]


def save_fact(uow: UnitOfWork, fact: TicketFact) -> None:
    state = pending(uow)
    state.facts[fact.ticket_id] = fact
    state.dirty.add(fact.ticket_id)


def add_counters(uow: UnitOfWork, deltas: Mapping[BucketKey, Counter]) -> None:
    """Merge one event's deltas into the batch's (names that cancel out are dropped)."""
    state = pending(uow)
    for key, delta in deltas.items():
        counter = state.counters.get(key)
        if counter is None:
            counter = state.counters[key] = {}
            state.series.setdefault((key.prefix, key.period, key.dim, key.value), {})[key.start] = counter
        add(counter, delta)


async def community_class(uow: UnitOfWork, jurisdiction: str) -> str | None:
    """The community class of the code, looked up once per transaction and grid."""
    classes = pending(uow).classes
    area = jurisdiction[:15]
    found = classes.get(area, _UNKNOWN)
    if found is _UNKNOWN:
        found = classes[area] = await store.community_class(uow, jurisdiction)
    return found  # type: ignore[return-value]


async def recent_complaints_ahead(uow: UnitOfWork, *, pairs: set[tuple[str, str]], since: datetime) -> None:
    """Read the stored complaints of every (area, category) pair the batch will ask for, in one query."""
    state = pending(uow)
    missing = {pair for pair in pairs if (loaded := state.complaints.get(pair)) is None or loaded[0] > since}
    if missing:
        found = await store.recent_complaints_many(uow, pairs=missing, since=since)
        state.complaints.update({pair: (since, complaints) for pair, complaints in found.items()})


async def recent_complaints(uow: UnitOfWork, *, area: str, category: str, since: datetime) -> list[Complaint]:
    """Stored complaints overlaid with the ones received earlier in this batch."""
    state = pending(uow)
    loaded = state.complaints.get((area, category))
    if loaded is None or loaded[0] > since:
        loaded = state.complaints[(area, category)] = (
            since, await store.recent_complaints(uow, area=area, category=category, since=since))
    result = [c for c in loaded[1] if c.ticket_id not in state.dirty and c.received_at >= since]
    for ticket_id in sorted(state.dirty):
        fact = state.facts[ticket_id]
        if (fact is not None and fact.received_at is not None and fact.category == category
                and fact.received_at >= since and fact.jurisdiction.startswith(area)):
            result.append(Complaint(fact.ticket_id, fact.received_at, fact.category, fact.jurisdiction,
                                    fact.lon, fact.lat))
    return sorted(result, key=lambda c: (c.received_at, c.ticket_id))


async def read_series_ahead(uow: UnitOfWork, *, period: Period, dim: Dimension, pairs: set[tuple[str, str]],
                            since: date, until: date) -> None:
    """Read the stored series of every (prefix, value) pair the batch will ask for, in one query."""
    state = pending(uow)
    missing = {(prefix, value) for prefix, value in pairs
               if not _covered(state.stored_series.get((prefix, period, dim, value)), since, until)}
    if not missing:
        return
    found = await store.read_series_many(uow, period=period, dim=dim, prefixes={p for p, _ in missing},
                                         values={v for _, v in missing}, since=since, until=until)
    for prefix, value in missing:
        state.stored_series[(prefix, period, dim, value)] = (since, until, found.get((prefix, value), {}))


def _covered(stored: tuple[date, date, dict[date, Counter]] | None, since: date, until: date) -> bool:
    return stored is not None and stored[0] <= since and until <= stored[1]


async def read_series(uow: UnitOfWork, *, prefix: str, period: Period, since: date, until: date,
                      dim: Dimension = "all", value: str = "") -> dict[date, Counter]:
    """Stored series (read ahead for the batch, or now) plus the batch's pending deltas for the same buckets."""
    ahead = pending(uow).stored_series.get((prefix, period, dim, value))
    if ahead is not None and _covered(ahead, since, until):
        series = {start: dict(counter) for start, counter in ahead[2].items() if since <= start <= until}
    else:
        series = await store.read_series(uow, prefix=prefix, period=period, since=since, until=until, dim=dim,
                                         value=value)
    for start, delta in pending(uow).series.get((prefix, period, dim, value), {}).items():
        if since <= start <= until and not add(series.setdefault(start, {}), delta):
            series.pop(start)
    return series

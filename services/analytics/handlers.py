"""Analytics's reactions to ticket and registry events: facts, counters, early warnings, the live tail."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from services.analytics import batch, store
from services.analytics.domain.facts import TicketFact, apply
from services.analytics.domain.readmodel import deltas, local_day
from services.analytics.domain.warning import (
    Complaint,
    SpikeParams,
    cluster_alert,
    repeat_cluster,
    repeat_of,
    spike_alert,
    spike_test,
)
from services.analytics.live import LiveHub, category_name
from shared.db import UnitOfWork
from shared.events.alert import AlertRaised
from shared.events.base import EVENT_TYPES, Event
from shared.events.registry import DivisionUpserted, GridRemoved, GridUpserted, UnitUpserted
from shared.events.ticket import TicketEvent, TicketReceived

REPEAT_WINDOW = timedelta(days=30)
CLUSTER_WINDOW = timedelta(days=7)
SPIKE = SpikeParams()


async def on_ticket_event(event: TicketEvent, uow: UnitOfWork) -> None:
    """Fold a ticket event into its fact and the batch's counter deltas; on receipt, look for repeats and spikes."""
    old = await batch.get_fact(uow, event.ticket_id)
    new = apply(old, event)
    klass = await batch.community_class(uow, new.jurisdiction)
    if klass is not None and klass != new.community_class:
        new = replace(new, community_class=klass)
    if isinstance(event, TicketReceived) and new.category:
        await _read_ahead(uow)
        new = await _watch_repeats(uow, new)
    batch.save_fact(uow, new)
    batch.add_counters(uow, deltas(old, new))
    if isinstance(event, TicketReceived) and new.category:
        await _watch_spikes(uow, new)


def _complaint(fact: TicketFact) -> Complaint:
    assert fact.received_at is not None
    return Complaint(fact.ticket_id, fact.received_at, fact.category, fact.jurisdiction, fact.lon, fact.lat)


async def _watch_repeats(uow: UnitOfWork, fact: TicketFact) -> TicketFact:
    assert fact.received_at is not None
    recent = await batch.recent_complaints(uow, area=fact.jurisdiction[:12], category=fact.category,
                                           since=fact.received_at - REPEAT_WINDOW)
    complaint = _complaint(fact)
    cluster = repeat_cluster(complaint, recent, window=CLUSTER_WINDOW)
    if cluster:
        await _raise(uow, cluster_alert(cluster, now=fact.received_at, category_name=category_name(fact.category)))
    return replace(fact, repeat_of=repeat_of(complaint, recent, window=REPEAT_WINDOW))


async def _watch_spikes(uow: UnitOfWork, fact: TicketFact) -> None:
    """Test the receipt day of the ticket's community and grid for this category against their baselines."""
    assert fact.received_at is not None
    day = local_day(fact.received_at)
    for area in _spike_areas(fact.jurisdiction):
        series = await batch.read_series(uow, prefix=area, period="day", dim="category", value=fact.category,
                                         since=day - timedelta(days=SPIKE.window_days), until=day)
        history = [series.get(day - timedelta(days=d), {}).get("received", 0)
                   for d in range(SPIKE.window_days, 0, -1)]
        test = spike_test(history, series.get(day, {}).get("received", 0), params=SPIKE)
        if test.spike:
            await _raise(uow, spike_alert(test, area, category=fact.category, day=day, now=fact.received_at,
                                          category_name=category_name(fact.category)))


def _spike_areas(jurisdiction: str) -> list[str]:
    return sorted({jurisdiction[:n] for n in (12, 15) if len(jurisdiction) >= n})


async def _read_ahead(uow: UnitOfWork) -> None:
    """Once per consumed batch: the stored complaints and day series every receipt of the batch will look at,
    one query each (instead of three per receipt)."""
    state = batch.pending(uow)
    if state.read_ahead:
        return
    state.read_ahead = True
    received = [env.data for env in uow.batch if isinstance(env.data, TicketReceived) and env.data.category]
    if not received:
        return
    await batch.recent_complaints_ahead(uow, pairs={(event.jurisdiction[:12], event.category) for event in received},
                                        since=min(event.occurred_at for event in received) - REPEAT_WINDOW)
    days = [local_day(event.occurred_at) for event in received]
    pairs = {(area, event.category) for event in received for area in _spike_areas(event.jurisdiction)}
    await batch.read_series_ahead(uow, period="day", dim="category", pairs=pairs,
                                  since=min(days) - timedelta(days=SPIKE.window_days), until=max(days))


async def _raise(uow: UnitOfWork, alert: AlertRaised) -> None:
    """Store the alert and publish it on gridgov.alerts, once per alert id."""
    row = store.AlertRow(alert_id=alert.alert_id, occurred_at=alert.occurred_at, jurisdiction=alert.jurisdiction,
                         kind=alert.kind, category=alert.category, title=alert.title, evidence=alert.evidence)
    if await store.add_alert(uow, row):
        uow.publish(alert, key=alert.alert_id, jurisdiction=alert.jurisdiction)


async def on_division_upserted(event: DivisionUpserted, uow: UnitOfWork) -> None:
    """Replicate a division (name, level and community class A/B/C)."""
    uow.forget(store.CLASSES)
    await store.upsert(uow, store.DivisionRow(code=event.code, name=event.name, level=event.level,
                                              parent_code=event.parent_code, community_class=event.community_class))


async def on_grid_upserted(event: GridUpserted, uow: UnitOfWork) -> None:
    """Replicate a grid with its polygon for the heatmap."""
    uow.forget(store.CLASSES)
    await store.upsert(uow, store.GridRow(code=event.code, name=event.name, kind=event.kind,
                                          grid_class=event.grid_class, community_code=event.community_code,
                                          polygon=event.polygon))


async def on_grid_removed(event: GridRemoved, uow: UnitOfWork) -> None:
    """Drop a removed grid from the replica."""
    uow.forget(store.CLASSES)
    await store.remove_grid(uow, event.code)


async def on_unit_upserted(event: UnitUpserted, uow: UnitOfWork) -> None:
    """Replicate a unit's name and level for the assessment table."""
    await store.upsert(uow, store.UnitRow(code=event.code, name=event.name, level=event.level,
                                          division_code=event.division_code))


Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
TICKET_EVENTS: list[type[Event]] = [cls for cls in EVENT_TYPES.values() if issubclass(cls, TicketEvent)]

SUBSCRIPTIONS: dict[type[Event], Handler] = {cls: on_ticket_event for cls in TICKET_EVENTS}
REGISTRY_SUBSCRIPTIONS: dict[type[Event], Handler] = {
    DivisionUpserted: on_division_upserted, GridUpserted: on_grid_upserted, GridRemoved: on_grid_removed,
    UnitUpserted: on_unit_upserted,
}


def live_handlers(hub: LiveHub) -> dict[type[Event], Handler]:
    """Handlers that feed the in-memory live tail with every ticket event and alert (no database writes)."""

    async def on_live(event: Event, uow: UnitOfWork) -> None:
        if uow.envelope is not None:
            hub.publish(uow.envelope)

    classes: list[type[Event]] = [*TICKET_EVENTS, AlertRaised]
    return {cls: on_live for cls in classes}

"""Escalation's reactions to ticket events and its commands (ladder upload, calendar overrides, deadline)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

from services.escalation import store
from services.escalation.domain.clock import recalculate
from services.escalation.domain.ladder import Ladder, default_ladder, ladder_to_dict, parse_ladder
from services.escalation.domain.lifecycle import Context, Track, apply, complaint_place, new_track
from services.escalation.domain.policy import PolicyBook, PolicyVersions, book_from_items
from services.escalation.domain.timers import plan_timers
from services.escalation.domain.triggers import ImmediateRules
from services.escalation.domain.workhours import WorkPeriods
from shared import codes
from shared.bus.consumer import Handler
from shared.db import Database, UnitOfWork
from shared.events.ticket import (
    TicketClosed,
    TicketEvaluated,
    TicketEvent,
    TicketExtended,
    TicketMerged,
    TicketNotAccepted,
    TicketReceived,
    TicketReopened,
    TicketReportedUp,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketRouted,
    TicketSigned,
    TicketSuspended,
    TicketVerified,
    batch_ticket_ids,
)
from shared.taxonomy import load_taxonomy
from shared.workcal import WorkCalendar

RULES = ImmediateRules()
DEFAULT_LADDER = default_ladder()


@lru_cache(maxsize=16)
def _book(version: str | None) -> PolicyBook:
    taxonomy = load_taxonomy(version)
    return book_from_items(taxonomy.items.values(), version=taxonomy.version)


def policies(version: str | None = None) -> PolicyVersions:
    """The current policy book, plus the one a ticket started with when it differs."""
    current = _book(None)
    try:
        started = _book(version) if version else current
    except LookupError:
        started = current
    return PolicyVersions([current] if started is current else [current, started], current=current.version)


async def calendar_for(uow: UnitOfWork, district: str, *, periods: WorkPeriods) -> WorkCalendar:
    """The district's working calendar: its working hours on the official days, plus its own overrides."""
    return WorkCalendar(work_periods=periods, overrides=await store.overrides_of(uow, district))


async def ladder_for(uow: UnitOfWork, district: str) -> Ladder:
    stored = await store.ladder_rules(uow, district)
    if stored is None:
        return DEFAULT_LADDER
    version, rules = stored
    parsed: dict[tuple[str, int], Ladder] = uow.db.cache.setdefault("escalation_parsed_ladders", {})
    if (district, version) not in parsed:  # a version is never edited in place: parse it once per process
        parsed[(district, version)] = parse_ladder(rules, version=version)
    return parsed[(district, version)]


async def _stored_track(uow: UnitOfWork, ticket_id: str) -> Track | None:
    """The ticket's track as this transaction sees it; the first call in a consumed batch loads every ticket of the
    batch at once (two queries instead of two per event)."""
    tracks: dict[str, Track | None] = uow.scratch.setdefault("escalation.tracks", {})
    if ticket_id not in tracks:
        tracks.update(await store.load_tracks(uow, ({ticket_id} | batch_ticket_ids(uow.batch)) - tracks.keys()))
    return tracks[ticket_id]


async def on_ticket_event(event: TicketEvent, uow: UnitOfWork, *, periods: WorkPeriods) -> None:
    """Move the ticket's clocks, re-arm their timers and publish any immediate escalation."""
    stored = await _stored_track(uow, event.ticket_id)
    versions = policies(stored.policy_version if stored else None)
    track = stored or new_track(event, policy_version=versions.current)
    district = codes.district_of(event.jurisdiction or track.jurisdiction)
    calendar, ladder = await calendar_for(uow, district, periods=periods), await ladder_for(uow, district)
    if isinstance(event, TicketReceived) and complaint_place(event):
        await store.record_complaint(uow, ticket_id=event.ticket_id, place=complaint_place(event),
                                     category=event.category, at=event.occurred_at, new_ticket=stored is None)
    similar = await _similar(uow, track, event=event)
    outcome = apply(track, event, context=Context(versions, calendar, RULES, similar))
    created = await store.save_track(uow, outcome.track, changed=outcome.changed, stored=stored)
    uow.scratch["escalation.tracks"][event.ticket_id] = outcome.track
    for clock in outcome.changed:
        await store.replace_timers(uow, clock, planned=plan_timers(clock, calendar=calendar, ladder=ladder),
                                   new_clock=clock.seq in created)
    for produced in outcome.events:
        uow.publish(produced, key=produced.ticket_id, jurisdiction=produced.jurisdiction)


async def _similar(uow: UnitOfWork, track: Track, *, event: TicketEvent) -> int:
    if not isinstance(event, TicketRouted) or not track.place:
        return 1
    return await store.count_similar(uow, ticket_id=track.ticket_id, place=track.place, category=event.category,
                                     at=event.occurred_at, window=RULES.repeat_window)


async def upload_ladder(db: Database, data: Mapping[str, Any], *, district: str, actor: str, now: datetime,
                        periods: WorkPeriods) -> Ladder:
    """Validate and store a district's ladder, then re-arm the timers of its running clocks."""
    parse_ladder(data)  # raises InvalidLadder listing every problem

    async def store_and_refresh(uow: UnitOfWork) -> Ladder:
        version = await store.put_ladder(uow, district=district, rules=dict(data), actor=actor, now=now)
        ladder = parse_ladder(data, version=version)
        await _refresh_running(uow, district, calendar=await calendar_for(uow, district, periods=periods), ladder=ladder,
                               now=now, note=f"ladder v{version}")
        await uow.commit()
        return ladder

    return await db.retrying(store_and_refresh)


async def set_override(db: Database, day: date, *, working: bool | None, district: str, note: str,
                       now: datetime, periods: WorkPeriods) -> dict[date, bool]:
    """Declare (or with ``working=None`` withdraw) a district working-day decision; running deadlines follow."""
    label = "working day" if working else "day off" if working is False else "official calendar"

    async def store_and_refresh(uow: UnitOfWork) -> dict[date, bool]:
        await store.put_override(uow, district=district, day=day, working=working, note=note)
        calendar = await calendar_for(uow, district, periods=periods)
        await _refresh_running(uow, district, calendar=calendar, ladder=await ladder_for(uow, district), now=now,
                               note=f"{day.isoformat()}: {label} {note}".strip())
        await uow.commit()
        return calendar.overrides

    return await db.retrying(store_and_refresh)


async def _refresh_running(uow: UnitOfWork, district: str, *, calendar: WorkCalendar, ladder: Ladder,
                           now: datetime, note: str) -> None:
    for ticket_id in await store.running_ticket_ids(uow, prefix=district):
        track = await store.get_track(uow, ticket_id)
        if track is None or track.current is None:
            continue
        clock = recalculate(track.current, at=now, calendar=calendar, note=note)
        if clock is not track.current:
            await store.save_track(uow, track, changed=[clock], stored=track)
        await store.replace_timers(uow, clock, planned=plan_timers(clock, calendar=calendar, ladder=ladder))


async def list_overrides(db: Database, *, district: str) -> dict[date, bool]:
    """The district's own working-day decisions."""
    async with db.uow() as uow:
        return await store.overrides_of(uow, district)


async def read_ladder(db: Database, *, district: str) -> dict[str, Any]:
    """The district's ladder as JSON (the default one until a district uploads its own)."""
    async with db.uow() as uow:
        return ladder_to_dict(await ladder_for(uow, district))


async def deadline(db: Database, *, start: datetime, amount: float, unit: str, district: str,
                   periods: WorkPeriods) -> datetime:
    """The deadline every time limit of ``district`` uses (ARCHITECTURE.md "Working-time arithmetic")."""
    async with db.uow() as uow:
        calendar = await calendar_for(uow, district, periods=periods)
    return calendar.add(start, amount, unit)


async def clock_history(db: Database, ticket_id: str) -> tuple[Track, list[dict[str, Any]]] | None:
    """A ticket's clocks with their histories, and its timers."""
    async with db.uow() as uow:
        track = await store.get_track(uow, ticket_id)
        return (track, await store.timers_of(uow, ticket_id)) if track else None


HANDLED = (
    TicketReceived, TicketRouted, TicketSigned, TicketResolved, TicketVerified, TicketReopened, TicketSuspended,
    TicketResumed, TicketExtended, TicketEvaluated, TicketReturned, TicketReportedUp, TicketClosed,
    TicketNotAccepted, TicketMerged,
)


def subscriptions(*, periods: WorkPeriods) -> dict[Any, Handler]:
    """The ticket events escalation reacts to, bound to this deployment's working hours."""
    return {cls: partial(on_ticket_event, periods=periods) for cls in HANDLED}

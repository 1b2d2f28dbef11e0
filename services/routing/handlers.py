"""Routing's reactions: ticket events in, ``TicketRouted`` out; registry events keep the local replica."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from services.routing import store
from services.routing.domain import lifecycle
from services.routing.domain.joint import joint
from services.routing.domain.lifecycle import TicketRouting, Transition
from services.routing.domain.place import TicketFacts
from services.routing.domain.plan import RoutingContext
from services.routing.domain.replica import Division, Grid, Unit, unit_function
from services.routing.domain.rule_data import RuleDataError, problem, version_from_dict
from services.routing.domain.rules import RuleVersion, default_version
from services.routing.domain.simulation import simulate
from services.routing.domain.validation import validate_version
from shared.db import UnitOfWork
from shared.events.base import Event
from shared.events.registry import DivisionUpserted, GridRemoved, GridUpserted, UnitUpserted
from shared.events.ticket import (
    TicketEscalated,
    TicketJointRequested,
    TicketLocated,
    TicketReceived,
    TicketReopened,
    TicketReportedUp,
    TicketReturned,
)
from shared.taxonomy import load_taxonomy
from shared.workcal import WorkCalendar

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1)
def _calendar() -> WorkCalendar:
    return WorkCalendar()


def builtin_version(district: str) -> RuleVersion:
    """What a district routes under before any version is uploaded: the taxonomy's own authority."""
    return default_version(district, load_taxonomy().items, effective_from=EPOCH)


async def context_for(uow: UnitOfWork, facts: TicketFacts, *, version: RuleVersion) -> RoutingContext:
    replica = await store.replica_around(uow, facts.grid_code or facts.jurisdiction)
    return RoutingContext(version=version, items=load_taxonomy().items, replica=replica, deadline=_calendar().add)


async def _version_in_force(uow: UnitOfWork, district: str, *, at: datetime) -> RuleVersion:
    return await store.version_at(uow, district, at=at) or builtin_version(district)


async def _pinned(uow: UnitOfWork, state: TicketRouting) -> RuleVersion:
    district = state.ticket.jurisdiction[:6]
    return await store.get_version(uow, district, version=state.rule_version) or builtin_version(district)


def _record(uow: UnitOfWork, row: store.TicketRoutingRow, *, transition: Transition) -> None:
    store.save_state(row, transition.state)
    for event in transition.events:
        if event is transition.routed:
            store.add_decision(uow, transition.routed)
        uow.publish(event, key=transition.state.ticket.ticket_id, jurisdiction=getattr(event, "jurisdiction", None))


async def _route_first(uow: UnitOfWork, row: store.TicketRoutingRow, *, facts: TicketFacts) -> None:
    version = await _version_in_force(uow, facts.jurisdiction[:6], at=facts.occurred_at)
    ctx = await context_for(uow, facts, version=version)
    # The version is the one in force when the ticket was received; the decision itself happens now.
    decided_at = max(facts.occurred_at, datetime.now(UTC))
    _record(uow, row, transition=lifecycle.start(facts, ctx, now=decided_at))


async def _already_known(uow: UnitOfWork, ticket_id: str) -> bool:
    """A repeated TicketReceived is ignored; the batch's tickets are looked up in one query, not one each."""
    known: set[str] | None = uow.scratch.get("routing_known")
    if known is None:
        ids = [env.data.ticket_id for env in uow.batch if isinstance(env.data, TicketReceived)] or [ticket_id]
        known = uow.scratch["routing_known"] = await store.existing_tickets(uow, ids)
    if ticket_id in known:
        return True
    known.add(ticket_id)
    return False


async def on_ticket_received(event: TicketReceived, uow: UnitOfWork) -> None:
    """Route a new ticket, or hold it until it is geocoded; a ticket fixed on the spot needs no routing."""
    if event.self_resolved or await _already_known(uow, event.ticket_id):
        return
    facts = TicketFacts.from_received(event)
    row = store.new_ticket_row(facts, pending=event.geocode_pending)
    store.add_ticket(uow, row)
    if not event.geocode_pending:
        await _route_first(uow, row, facts=facts)


async def on_ticket_located(event: TicketLocated, uow: UnitOfWork) -> None:
    """Route a ticket that was waiting for its geocode."""
    row = await store.get_ticket(uow, event.ticket_id)
    if row is None or not row.pending:
        return
    facts = replace(store.facts_from_dict(row.facts), grid_code=event.grid_code if event.inside else None,
                    jurisdiction=event.jurisdiction)
    await _route_first(uow, row, facts=facts)


async def _advance(uow: UnitOfWork, ticket_id: str, *, step: Any, **arguments: Any) -> None:
    row = await store.get_ticket(uow, ticket_id)
    state = store.state_from_row(row) if row is not None else None
    if row is None or state is None:
        return
    ctx = await context_for(uow, state.ticket, version=await _pinned(uow, state))
    _record(uow, row, transition=step(state, ctx, **arguments))


async def on_ticket_returned(event: TicketReturned, uow: UnitOfWork) -> None:
    """A unit returned the ticket: the next candidate, or arbitration by the district center."""
    await _advance(uow, event.ticket_id, step=lifecycle.return_ticket, unit_code=event.unit_code, reason=event.reason,
                   now=event.occurred_at)


async def on_ticket_reported_up(event: TicketReportedUp, uow: UnitOfWork) -> None:
    """Beyond the unit's authority: the next level up takes the ticket."""
    await _advance(uow, event.ticket_id, step=lifecycle.report_up, unit_code=event.unit_code, reason=event.reason,
                   now=event.occurred_at)


async def on_ticket_escalated(event: TicketEscalated, uow: UnitOfWork) -> None:
    """Escalated by the escalation service: the ticket moves up to the requested level."""
    await _advance(uow, event.ticket_id, step=lifecycle.escalate, to_level=event.to_level, now=event.occurred_at)


async def on_ticket_joint_requested(event: TicketJointRequested, uow: UnitOfWork) -> None:
    """吹哨报到: assign the lead and the co-units, each with its own time limit."""
    await _advance(uow, event.ticket_id, step=joint, lead_unit_code=event.lead_unit_code,
                   co_unit_codes=list(event.co_unit_codes), now=event.occurred_at)


async def on_ticket_reopened(event: TicketReopened, uow: UnitOfWork) -> None:
    """Reopened after an unsatisfied evaluation: back to the last lead with a new time limit."""
    await _advance(uow, event.ticket_id, step=lifecycle.reopen, reason=event.reason, now=event.occurred_at)


async def on_division_upserted(event: DivisionUpserted, uow: UnitOfWork) -> None:
    """Keep the replica's division (and its community class)."""
    await store.upsert_division(uow, Division(event.code, event.name, event.level, event.parent_code,
                                              event.community_class))


async def on_grid_upserted(event: GridUpserted, uow: UnitOfWork) -> None:
    """Keep the replica's grid kind and class."""
    await store.upsert_grid(uow, Grid(event.code, event.name, event.kind, event.grid_class, event.community_code))


async def on_grid_removed(event: GridRemoved, uow: UnitOfWork) -> None:
    """Drop a grid from the replica."""
    await store.remove_grid(uow, event.code)


async def on_unit_upserted(event: UnitUpserted, uow: UnitOfWork) -> None:
    """Keep the replica's handling unit."""
    await store.upsert_unit(uow, Unit(event.code, event.name, event.level, event.division_code,
                                      unit_function(event.code, event.function), event.kind, event.active))


def _snapshot_row(kind: str, item: dict[str, Any]) -> Division | Grid | Unit | None:
    if kind == "divisions":
        return Division(item["code"], item["name"], item["level"], item.get("parent_code"), item.get("community_class"))
    if kind == "grids":
        return Grid(item["code"], item["name"], item.get("kind", "comprehensive"), item.get("grid_class", "C"),
                    item.get("community_code") or item["code"][:12])
    if kind == "units":
        return Unit(item["code"], item["name"], item["level"], item["division_code"],
                    unit_function(item["code"], item.get("function", "")), item.get("kind", ""), item.get("active", True))
    return None


async def apply_snapshot(uow: UnitOfWork, kind: str, items: list[dict[str, Any]]) -> int:
    """Write one page of the registry's snapshot into the replica (bootstrap when routing starts empty)."""
    writers = {Division: store.upsert_division, Grid: store.upsert_grid, Unit: store.upsert_unit}
    written = 0
    for item in items:
        row = _snapshot_row(kind, item)
        if row is not None:
            await writers[type(row)](uow, row)  # type: ignore[operator]
            written += 1
    await uow.commit()
    return written


class VersionExists(LookupError):
    """A rule version with this name was already uploaded; versions are never edited in place."""


async def upload_version(uow: UnitOfWork, data: dict[str, Any], *, district: str, actor: str, now: datetime) -> RuleVersion:
    """Validate and store a new authority-list version; raises RuleDataError listing every problem."""
    version = version_from_dict(data)
    if version.district != district:
        raise RuleDataError([problem("wrong_district", "district", detail=f"this instance serves district {district}")])
    problems = validate_version(version, items=load_taxonomy().items, replica=await store.full_replica(uow))
    if problems:
        raise RuleDataError(problems)
    if await store.get_version(uow, district, version=version.version) is not None:
        raise VersionExists(f"rule version '{version.version}' already exists")
    await store.add_version(uow, version, actor=actor, now=now)
    await uow.commit()
    return version


async def simulate_draft(uow: UnitOfWork, draft: RuleVersion, *, district: str, since: datetime, now: datetime,
                         limit: int) -> dict[str, Any]:
    """Replay the tickets received since ``since`` under the draft and under the version in force now."""
    current = await _version_in_force(uow, district, at=now)
    replica = await store.full_replica(uow)
    items = load_taxonomy().items
    tickets = await store.tickets_since(uow, since, limit=limit)
    return simulate(tickets, current=RoutingContext(current, items, replica), draft=RoutingContext(draft, items, replica))


async def ensure_builtin_version(uow: UnitOfWork, *, district: str, now: datetime) -> None:
    """Store the taxonomy's default authority as version "default" when a district has none yet."""
    if not await store.list_versions(uow, district):
        await store.add_version(uow, builtin_version(district), actor="routing", now=now)
        await uow.commit()


TICKET_SUBSCRIPTIONS: dict[type[Event], Any] = {
    TicketReceived: on_ticket_received,
    TicketLocated: on_ticket_located,
    TicketReturned: on_ticket_returned,
    TicketReportedUp: on_ticket_reported_up,
    TicketEscalated: on_ticket_escalated,
    TicketJointRequested: on_ticket_joint_requested,
    TicketReopened: on_ticket_reopened,
}
REGISTRY_SUBSCRIPTIONS: dict[type[Event], Any] = {
    DivisionUpserted: on_division_upserted,
    GridUpserted: on_grid_upserted,
    GridRemoved: on_grid_removed,
    UnitUpserted: on_unit_upserted,
}
SUBSCRIPTIONS = {**TICKET_SUBSCRIPTIONS, **REGISTRY_SUBSCRIPTIONS}

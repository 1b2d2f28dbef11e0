"""Escalation's tables and queries: tickets' tracks, clocks, durable timers, ladders, complaints, overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, and_, bindparam, delete, func, select, tuple_, update
from sqlmodel import Field

from services.escalation.domain.clock import Clock, ClockEntry
from services.escalation.domain.lifecycle import Track
from services.escalation.domain.policy import Limit
from services.escalation.domain.timers import Timer
from shared.db import UnitOfWork, is_postgres, new_base

Base = new_base()


class TrackRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "tracks"

    ticket_id: str = Field(primary_key=True, max_length=40)
    jurisdiction: str = Field(index=True, max_length=20)
    policy_version: str = Field(max_length=40)
    category: str | None = Field(default=None, max_length=20)
    severity: str = Field(default="一般", max_length=10)
    place: str = Field(default="", max_length=40)
    unit_code: str | None = Field(default=None, max_length=60)
    level: str | None = Field(default=None, max_length=20)


class ClockRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "clocks"

    ticket_id: str = Field(primary_key=True, max_length=40)
    seq: int = Field(primary_key=True)
    kind: str = Field(max_length=20)
    state: str = Field(index=True, max_length=10)
    unit_code: str = Field(max_length=60)
    level: str = Field(max_length=20)
    jurisdiction: str = Field(max_length=20)
    limit_amount: float
    limit_unit: str = Field(max_length=20)
    policy_version: str = Field(max_length=40)
    started_at: datetime
    due_at: datetime
    budget_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    paused_at: datetime | None = None
    pauses: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON))
    stopped_at: datetime | None = None
    stop_reason: str = ""
    history: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))


class TimerRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    """A durable timer; ``status`` is pending until fired (published) or skipped (its clock moved on)."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "fire_at"),)

    ticket_id: str = Field(primary_key=True, max_length=40)
    clock_seq: int = Field(primary_key=True)
    step: str = Field(primary_key=True, max_length=60)
    clock: str = Field(max_length=20)
    fire_at: datetime
    status: str = Field(default="pending", max_length=10)
    claim: str | None = Field(default=None, max_length=40)
    fired_at: datetime | None = None


class LadderRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "ladders"

    district: str = Field(primary_key=True, max_length=6)
    version: int
    rules: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime
    updated_by: str = Field(default="", max_length=64)


class ComplaintRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_place", "place", "category", "at"),)

    ticket_id: str = Field(primary_key=True, max_length=40)
    place: str = Field(max_length=40)
    category: str = Field(max_length=20)
    at: datetime


class OverrideRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    """A district's own working-day decision (local holiday, typhoon day, extra working day)."""

    __tablename__ = "calendar_overrides"

    district: str = Field(primary_key=True, max_length=6)
    day: date = Field(primary_key=True)
    working: bool
    note: str = ""


def aware(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; every stored instant is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


TRACK_FIELDS = ("jurisdiction", "category", "severity", "place", "unit_code", "level")


async def get_track(uow: UnitOfWork, ticket_id: str) -> Track | None:
    return (await load_tracks(uow, {ticket_id}))[ticket_id]


def _track(row: Any, clocks: tuple[Clock, ...]) -> Track:
    return Track(ticket_id=row.ticket_id, jurisdiction=row.jurisdiction, policy_version=row.policy_version,
                 category=row.category, severity=row.severity, place=row.place,
                 unit_code=row.unit_code, level=row.level,
                 clocks=clocks)


async def load_tracks(uow: UnitOfWork, ticket_ids: set[str]) -> dict[str, Track | None]:
    """Several tickets' tracks in two queries (None for a ticket with no track yet)."""
    ids = sorted(ticket_ids)
    tracks_table, clocks_table = TrackRow.__table__, ClockRow.__table__
    rows = (await uow.session.execute(select(tracks_table).where(tracks_table.c.ticket_id.in_(ids)))).all()
    clock_rows = (await uow.session.execute(
        select(clocks_table).where(clocks_table.c.ticket_id.in_(ids))
        .order_by(clocks_table.c.ticket_id, clocks_table.c.seq))).all()
    clocks: dict[str, list[Clock]] = {}
    for clock_row in clock_rows:
        clocks.setdefault(clock_row.ticket_id, []).append(_clock(clock_row))
    tracks: dict[str, Track | None] = dict.fromkeys(ids)
    for row in rows:
        tracks[row.ticket_id] = _track(row, tuple(clocks.get(row.ticket_id, ())))
    return tracks


async def save_track(uow: UnitOfWork, track: Track, *, changed: list[Clock], stored: Track | None) -> set[int]:
    """Store the track and its changed clocks; the sequence numbers of the clocks stored for the first time.

    ``stored`` is the track as the database holds it (None: no track yet): rows absent from it are inserted without
    looking for them first, and an unchanged track row is not written. Core statements, not the ORM: this runs for
    every consumed ticket event, and a unit-of-work flush per event was the consumer's largest cost."""
    statements = _statements()
    fields = {name: getattr(track, name) for name in TRACK_FIELDS}
    if stored is None:
        await uow.session.execute(statements["insert_track"],
                                  {"ticket_id": track.ticket_id, "policy_version": track.policy_version, **fields})
    elif any(getattr(stored, name) != value for name, value in fields.items()):
        await uow.session.execute(statements["update_track"], {"b_ticket_id": track.ticket_id, **fields})
    stored_seqs = {clock.seq for clock in stored.clocks} if stored is not None else set()
    created = [clock for clock in changed if clock.seq not in stored_seqs]
    if created:
        await uow.session.execute(statements["insert_clock"], [_clock_values(clock) for clock in created])
    updated = [{"b_ticket_id": clock.ticket_id, "b_seq": clock.seq, **_clock_values(clock)}
               for clock in changed if clock.seq in stored_seqs]
    if updated:
        await uow.session.execute(statements["update_clock"], updated)
    return {clock.seq for clock in created}


@cache
def _statements() -> dict[str, Any]:
    """The statements run for every consumed event, built once with bound parameters: building one with the
    event's values each time (``.values(...)``, ``.where(col == value)``) and its cache key cost more than running
    it (py-spy: ~25 % of the escalation consumer)."""
    tracks, clocks, timers, complaints = TrackRow.__table__, ClockRow.__table__, TimerRow.__table__, ComplaintRow.__table__
    return {
        "insert_track": tracks.insert(),
        "update_track": update(tracks).where(tracks.c.ticket_id == bindparam("b_ticket_id")),
        "insert_clock": clocks.insert(),
        "update_clock": update(clocks).where(clocks.c.ticket_id == bindparam("b_ticket_id"),
                                             clocks.c.seq == bindparam("b_seq")),
        "done_steps": select(timers.c.step).where(timers.c.ticket_id == bindparam("b_ticket_id"),
                                                  timers.c.clock_seq == bindparam("b_seq"), timers.c.status != "pending"),
        "delete_pending": delete(timers).where(timers.c.ticket_id == bindparam("b_ticket_id"),
                                               timers.c.clock_seq == bindparam("b_seq"), timers.c.status == "pending"),
        "insert_timer": timers.insert(),
        "complaint_of": select(complaints.c.ticket_id).where(complaints.c.ticket_id == bindparam("b_ticket_id")),
        "insert_complaint": complaints.insert(),
        "count_similar": select(func.count()).select_from(complaints).where(
            complaints.c.place == bindparam("b_place"), complaints.c.category == bindparam("b_category"),
            complaints.c.ticket_id != bindparam("b_ticket_id"), complaints.c.at >= bindparam("b_since"),
            complaints.c.at <= bindparam("b_until")),
    }


async def replace_timers(uow: UnitOfWork, clock: Clock, *, planned: list[Timer], new_clock: bool = False) -> None:
    """Make the clock's pending timers exactly ``planned``; fired or skipped steps are never re-armed.

    ``new_clock``: the clock was stored for the first time in this transaction, so it has no timers yet."""
    statements = _statements()
    done: set[str] = set()
    if not new_clock:
        key = {"b_ticket_id": clock.ticket_id, "b_seq": clock.seq}
        done = set((await uow.session.execute(statements["done_steps"], key)).scalars())
        await uow.session.execute(statements["delete_pending"], key)
    rows = [{"ticket_id": t.ticket_id, "clock_seq": t.clock_seq, "step": t.step, "clock": t.clock,
             "fire_at": utc(t.fire_at), "status": "pending"} for t in planned if t.step not in done]
    if rows:
        await uow.session.execute(statements["insert_timer"], rows)


async def claim_due_timers(uow: UnitOfWork, *, now: datetime, limit: int, claim: str) -> list[Timer]:
    """Claim up to ``limit`` due timers for this transaction: SKIP LOCKED on PostgreSQL, the write lock on SQLite.

    The claimed keys are joined back by primary key (``UPDATE … FROM due``): a row-value ``IN (subquery)``
    makes PostgreSQL scan the whole table for every batch.
    """
    table = TimerRow.__table__
    due = (select(table.c.ticket_id, table.c.clock_seq, table.c.step)
           .where(table.c.status == "pending", table.c.fire_at <= utc(now)).order_by(table.c.fire_at).limit(limit))
    if is_postgres(uow.db.engine):
        due = due.with_for_update(skip_locked=True)
    # SQLite: the UPDATE takes the database write lock, held until commit, so claims never overlap.
    keys = due.cte("due")
    rows = (await uow.session.execute(
        update(table).where(table.c.ticket_id == keys.c.ticket_id, table.c.clock_seq == keys.c.clock_seq,
                            table.c.step == keys.c.step).values(claim=claim)
        .returning(table.c.ticket_id, table.c.clock_seq, table.c.clock, table.c.step, table.c.fire_at)
    )).all()
    timers = [Timer(ticket_id, seq, clock, step, aware(fire_at)) for ticket_id, seq, clock, step, fire_at in rows]
    return sorted(timers, key=lambda timer: timer.fire_at)


async def finish_claimed(uow: UnitOfWork, *, claim: str, timers: list[Timer], skipped: list[Timer],
                         now: datetime) -> None:
    """Mark this transaction's claimed ``timers`` fired, except ``skipped`` (their clock moved on)."""
    table = TimerRow.__table__
    mine = and_(table.c.claim == claim, table.c.status == "pending")
    for start in range(0, len(skipped), 500):  # bounded: SQLite allows ~32k bound parameters per statement
        part = skipped[start:start + 500]
        await uow.session.execute(update(table).where(
            mine, table.c.ticket_id.in_({t.ticket_id for t in part}), _keys(table).in_([t.identity for t in part]),
        ).values(status="skipped", fired_at=utc(now)))
    tickets = sorted({timer.ticket_id for timer in timers})  # narrows by primary key; claim has no index
    await uow.session.execute(update(table).where(mine, table.c.ticket_id.in_(tickets))
                              .values(status="fired", fired_at=utc(now)))


async def clocks_of(uow: UnitOfWork, keys: set[tuple[str, int]]) -> dict[tuple[str, int], Clock]:
    """The clocks with these (ticket_id, seq) keys, in one query by ticket (a row-value IN list scans)."""
    if not keys:
        return {}
    table = ClockRow.__table__
    rows = await uow.session.execute(select(table).where(table.c.ticket_id.in_(sorted({t for t, _ in keys}))))
    return {(row.ticket_id, row.seq): _clock(row) for row in rows if (row.ticket_id, row.seq) in keys}


def _keys(table: Any) -> Any:
    return tuple_(table.c.ticket_id, table.c.clock_seq, table.c.step)


async def timers_of(uow: UnitOfWork, ticket_id: str) -> list[dict[str, Any]]:
    table = TimerRow.__table__
    rows = (await uow.session.execute(select(table).where(table.c.ticket_id == ticket_id)
                                      .order_by(table.c.clock_seq, table.c.fire_at))).mappings().all()
    return [{**row, "fire_at": aware(row["fire_at"]),
             "fired_at": aware(row["fired_at"]) if row["fired_at"] else None} for row in rows]


async def running_ticket_ids(uow: UnitOfWork, *, prefix: str) -> list[str]:
    table = ClockRow.__table__
    rows = await uow.session.execute(select(table.c.ticket_id).distinct().where(
        table.c.state == "running", table.c.jurisdiction.startswith(prefix)))
    return list(rows.scalars())


async def record_complaint(uow: UnitOfWork, *, ticket_id: str, place: str, category: str, at: datetime,
                           new_ticket: bool = False) -> None:
    """Remember a complaint about ``place`` (``new_ticket``: the ticket has no track, so no complaint either)."""
    statements = _statements()
    if new_ticket or (await uow.session.execute(statements["complaint_of"], {"b_ticket_id": ticket_id})).first() is None:
        await uow.session.execute(statements["insert_complaint"],
                                  {"ticket_id": ticket_id, "place": place, "category": category, "at": utc(at)})


async def count_similar(uow: UnitOfWork, *, ticket_id: str, place: str, category: str, at: datetime,
                        window: timedelta) -> int:
    """Complaints about the same place and category within ``window`` before ``at``, this ticket included."""
    others = (await uow.session.execute(_statements()["count_similar"], {
        "b_place": place, "b_category": category, "b_ticket_id": ticket_id, "b_since": utc(at - window),
        "b_until": utc(at)})).scalar_one()
    return int(others) + 1


SETTINGS_TTL = 5.0  # seconds before a ladder or calendar change made through another process is used
DISTRICT_SETTINGS = ("escalation_ladders", "escalation_overrides")  # what a ladder or calendar change forgets


async def ladder_rules(uow: UnitOfWork, district: str) -> tuple[int, dict[str, Any]] | None:
    """The district's uploaded ladder as (version, rules), or None; read once per SETTINGS_TTL per process."""
    fresh, value, stamp = uow.db.recall("escalation_ladders", district)
    if not fresh:
        row = await uow.session.get(LadderRow, district)
        value = (row.version, row.rules) if row is not None else None
        uow.db.keep("escalation_ladders", district, value, ttl=SETTINGS_TTL, stamp=stamp)
    return value  # type: ignore[no-any-return]


async def put_ladder(uow: UnitOfWork, *, district: str, rules: dict[str, Any], actor: str, now: datetime) -> int:
    uow.forget(*DISTRICT_SETTINGS)
    row = await uow.session.get(LadderRow, district)
    if row is None:
        uow.session.add(LadderRow(district=district, version=1, rules=rules, updated_at=utc(now), updated_by=actor))
        return 1
    row.version, row.rules, row.updated_at, row.updated_by = row.version + 1, rules, utc(now), actor
    return row.version


async def overrides_of(uow: UnitOfWork, district: str) -> dict[date, bool]:
    """The district's working-day decisions; read once per SETTINGS_TTL per process."""
    fresh, overrides, stamp = uow.db.recall("escalation_overrides", district)
    if not fresh:
        table = OverrideRow.__table__
        query = select(table.c.day, table.c.working).where(table.c.district == district)
        overrides = {day: bool(working) for day, working in (await uow.session.execute(query)).all()}
        uow.db.keep("escalation_overrides", district, overrides, ttl=SETTINGS_TTL, stamp=stamp)
    return dict(overrides)


async def put_override(uow: UnitOfWork, *, district: str, day: date, working: bool | None, note: str) -> None:
    uow.forget(*DISTRICT_SETTINGS)
    row = await uow.session.get(OverrideRow, (district, day))
    if row is not None:
        await uow.session.delete(row)
        await uow.session.flush()
    if working is not None:
        uow.session.add(OverrideRow(district=district, day=day, working=working, note=note))
        await uow.session.flush()


def _clock_values(clock: Clock) -> dict[str, Any]:
    return {
        "ticket_id": clock.ticket_id, "seq": clock.seq, "kind": clock.kind, "state": clock.state,
        "unit_code": clock.unit_code, "level": clock.level, "jurisdiction": clock.jurisdiction,
        "limit_amount": clock.limit.amount, "limit_unit": clock.limit.unit, "policy_version": clock.policy_version,
        "started_at": utc(clock.started_at), "due_at": utc(clock.due_at), "budget_us": clock.budget // timedelta(microseconds=1),
        "paused_at": utc(clock.paused_at) if clock.paused_at else None,
        "pauses": [[a.isoformat(), b.isoformat()] for a, b in clock.pauses],
        "stopped_at": utc(clock.stopped_at) if clock.stopped_at else None, "stop_reason": clock.stop_reason,
        "history": [{"at": e.at.isoformat(), "action": e.action, "due_at": e.due_at.isoformat(), "note": e.note}
                    for e in clock.history],
    }


def _clock(row: Any) -> Clock:
    """A clock from its row (an ORM ``ClockRow`` or a Core row of ``clocks``)."""
    return Clock(
        ticket_id=row.ticket_id, seq=row.seq, kind=row.kind, unit_code=row.unit_code,  # type: ignore[arg-type]
        level=row.level, jurisdiction=row.jurisdiction,  # type: ignore[arg-type]
        limit=Limit(row.limit_amount, row.limit_unit),  # type: ignore[arg-type]
        policy_version=row.policy_version, started_at=aware(row.started_at), due_at=aware(row.due_at),
        budget=timedelta(microseconds=row.budget_us), state=row.state,  # type: ignore[arg-type]
        paused_at=aware(row.paused_at) if row.paused_at else None,
        pauses=tuple((datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in row.pauses),
        stopped_at=aware(row.stopped_at) if row.stopped_at else None, stop_reason=row.stop_reason,
        history=tuple(ClockEntry(datetime.fromisoformat(e["at"]), e["action"], datetime.fromisoformat(e["due_at"]),
                                 e["note"]) for e in row.history),
    )

"""Intake's tables and queries. Every write goes through a UnitOfWork (state + outbox + inbox in one transaction)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, Column, DateTime, Index, Integer, bindparam, func, select, text, update
from sqlmodel import Field

from services.intake.domain import duplicates
from services.intake.domain.lifecycle import TicketState
from shared.db import UnitOfWork, new_base

IntakeModel = new_base()
_TZ = DateTime(timezone=True)  # always written in UTC (SQLite keeps the wall time it is given)
# A ticket row's version: every ORM update checks it (``UPDATE … WHERE id = ? AND version = ?``) and raises
# StaleDataError when another transaction changed the row since it was read. On PostgreSQL the API, the consumer
# and geocoding can otherwise overwrite each other's changes (a merge erased a concurrent "located" timeline entry);
# SQLite's single writer reads inside its write lock, so it never conflicts there.
_VERSION = Column("version", Integer, nullable=False, server_default=text("1"))


class TicketRow(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "tickets"

    id: str = Field(primary_key=True, max_length=40)
    state: str = Field(index=True, max_length=20)
    channel: str = Field(max_length=20)
    category: str = Field(index=True, max_length=20)
    category_mapped: bool = True
    severity: str = Field(default="一般", max_length=10)
    jurisdiction: str = Field(index=True, max_length=20)
    grid_code: str | None = Field(default=None, max_length=20)
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    description: str = ""
    reporter_encrypted: str | None = None
    reporter_masked: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    external_id: str | None = Field(default=None, index=True, max_length=100)
    geocode_pending: bool = False
    created_by: str = Field(default="", max_length=64)
    assignment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    timeline: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(index=True, sa_type=_TZ)
    updated_at: datetime = Field(sa_type=_TZ)
    unit_code: str | None = Field(default=None, index=True, max_length=80)
    due_at: datetime | None = Field(default=None, sa_type=_TZ)
    overdue: bool = Field(default=False, index=True)
    master_id: str | None = Field(default=None, index=True, max_length=40)
    rating: str | None = Field(default=None, max_length=10)
    result: str = ""
    self_resolved: bool = False
    media_url: str | None = Field(default=None, max_length=1000)
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    hotline_client: str | None = Field(default=None, max_length=64)
    machine: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # Duplicate detection's neighbourhood keys (see save_state): the community (first 12 digits of the jurisdiction,
    # empty while the ticket is known only at a coarser level) and the category family (class code).
    community: str | None = Field(default=None, max_length=12)
    family: str | None = Field(default=None, max_length=20)

    version: int = Field(default=1, sa_column=_VERSION)

    __table_args__ = (Index("ix_tickets_neighbourhood", "community", "family", "created_at"),)
    __mapper_args__ = {"version_id_col": _VERSION}


class TicketSequence(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "ticket_sequences"

    district: str = Field(primary_key=True, max_length=6)
    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


class IdempotencyRecord(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "idempotency_keys"

    caller: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=200)
    ticket_id: str = Field(max_length=40)
    created_at: datetime = Field(sa_type=_TZ)


def state_of(row: TicketRow) -> TicketState:
    """The state machine's view of a stored ticket."""
    machine = row.machine or {}
    pending = machine.get("pending_extension")
    return TicketState(
        ticket_id=row.id, jurisdiction=row.jurisdiction, state=row.state, category=row.category,  # type: ignore[arg-type]
        unit_code=row.unit_code, co_unit_codes=tuple(machine.get("co_unit_codes", ())), due_at=aware(row.due_at),
        resume_to=machine.get("resume_to"), pending_extension=(pending[0], pending[1]) if pending else None,
        master_id=row.master_id, rating=row.rating, result=row.result, returns=machine.get("returns", 0),  # type: ignore[arg-type]
        reopens=machine.get("reopens", 0), supervisions=machine.get("supervisions", 0), overdue=row.overdue,
        timeline=tuple(row.timeline or ()),
    )


def save_state(row: TicketRow, state: TicketState, *, now: datetime) -> None:
    """Copy the state machine's view back onto the row (the caller's transaction writes it)."""
    row.state, row.jurisdiction, row.category = state.state, state.jurisdiction, state.category
    row.community, row.family = duplicates.community(state.jurisdiction), duplicates.family(state.category)
    row.unit_code, row.due_at, row.overdue = state.unit_code, utc(state.due_at), state.overdue
    row.master_id, row.rating, row.result = state.master_id, state.rating, state.result
    row.machine = {
        "co_unit_codes": list(state.co_unit_codes), "resume_to": state.resume_to, "returns": state.returns,
        "pending_extension": list(state.pending_extension) if state.pending_extension else None,
        "reopens": state.reopens, "supervisions": state.supervisions,
    }
    row.timeline = list(state.timeline)
    row.updated_at = utc(now)


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
def utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


async def next_sequence(uow: UnitOfWork, *, district: str, day: str) -> int:
    """Allocate the next ticket number of a district-day inside the caller's transaction.

    A transaction shared by several callers (group commit) reserves one block of numbers for all of them, so
    the counter row is written once per batch. Numbers a batch reserved but did not use leave a gap.
    """
    blocks: dict[tuple[str, str], list[int]] = uow.scratch.setdefault("intake.sequence_blocks", {})
    block = blocks.get((district, day))
    if not block or block[0] > block[1]:
        size = max(1, uow.size_hint)
        last = await _reserve(uow, district=district, day=day, size=size)
        block = blocks[(district, day)] = [last - size + 1, last]
    number = block[0]
    block[0] += 1
    return number


def _reserve_statement() -> Any:
    """Built once (composing it per batch cost more than running it)."""
    table = TicketSequence.__table__
    return (update(table).where(table.c.district == bindparam("b_district"), table.c.day == bindparam("b_day"))
            .values(last=table.c.last + bindparam("b_size")).returning(table.c.last))


_RESERVE = _reserve_statement()


async def _reserve(uow: UnitOfWork, *, district: str, day: str, size: int) -> int:
    result = await uow.session.execute(_RESERVE, {"b_district": district, "b_day": day, "b_size": size})
    value = result.scalar_one_or_none()
    if value is None:
        uow.session.add(TicketSequence(district=district, day=day, last=size))
        await uow.session.flush()
        return size
    return int(value)


async def get_ticket(uow: UnitOfWork, ticket_id: str) -> TicketRow | None:
    return await uow.session.get(TicketRow, ticket_id)


async def load_tickets(uow: UnitOfWork, ticket_ids: set[str]) -> list[TicketRow]:
    """Bring these tickets into the session in one query, so ``get_ticket`` answers them without another
    (while the caller keeps the returned list: the session's identity map holds its objects weakly)."""
    ids, rows = sorted(ticket_ids), []
    for start in range(0, len(ids), 500):
        query = select(TicketRow).where(TicketRow.id.in_(ids[start:start + 500]))  # type: ignore[attr-defined]
        rows += list((await uow.session.execute(query)).scalars())
    return rows


async def find_idempotent(uow: UnitOfWork, *, caller: str, key: str) -> str | None:
    row = await uow.session.get(IdempotencyRecord, (caller, key))
    return row.ticket_id if row else None


async def list_tickets(uow: UnitOfWork, *, prefix: str, limit: int, cursor: str | None,
                       filters: dict[str, Any]) -> list[TicketRow]:
    """Tickets under ``prefix``, newest id first, keyset-paginated by id."""
    query = select(TicketRow).where(TicketRow.jurisdiction.startswith(prefix))  # type: ignore[attr-defined]
    for column in ("state", "category", "channel"):
        if filters.get(column):
            query = query.where(getattr(TicketRow, column) == filters[column])
    if filters.get("since"):
        query = query.where(TicketRow.created_at >= filters["since"])
    if filters.get("until"):
        query = query.where(TicketRow.created_at < filters["until"])
    if filters.get("overdue") is not None:
        query = query.where(TicketRow.overdue == filters["overdue"])
    if cursor:
        query = query.where(TicketRow.id < cursor)
    query = query.order_by(TicketRow.id.desc()).limit(limit)  # type: ignore[attr-defined]
    return list((await uow.session.execute(query)).scalars())


async def open311_requests(
    uow: UnitOfWork, *, prefix: str, ids: tuple[str, ...], categories: tuple[str, ...], states: list[str],
    since: datetime | None, until: datetime | None, limit: int,
) -> list[TicketRow]:
    """GeoReport ``GET requests``: ids override every other filter; newest first."""
    query = select(TicketRow).where(TicketRow.jurisdiction.startswith(prefix))  # type: ignore[attr-defined]
    if ids:
        query = query.where(TicketRow.id.in_(ids))  # type: ignore[attr-defined]
    else:
        if categories:
            query = query.where(TicketRow.category.in_(categories))  # type: ignore[attr-defined]
        if states:
            query = query.where(TicketRow.state.in_(states))  # type: ignore[attr-defined]
        if since is not None:
            query = query.where(TicketRow.created_at >= utc(since))
        if until is not None:
            query = query.where(TicketRow.created_at <= utc(until))
    query = query.order_by(TicketRow.created_at.desc()).limit(limit)  # type: ignore[attr-defined]
    return list((await uow.session.execute(query)).scalars())


class DuplicateSuggestion(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    """A possible duplicate an operator should look at (high-confidence ones are merged at once)."""

    __tablename__ = "duplicate_suggestions"

    ticket_id: str = Field(primary_key=True, max_length=40)
    master_id: str = Field(primary_key=True, max_length=40)
    confidence: float
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(sa_type=_TZ)


_CANDIDATE_COLUMNS = ("id", "category", "grid_code", "created_at", "address", "description", "lon", "lat", "channel",
                      "master_id")


def _candidates_query(*, near: bool, in_community: bool) -> Any:
    """Built once: composing the statement per ticket cost more than running it.

    ``in_community``: the ticket's community is known, and the index ``(community, family, created_at)`` holds
    exactly the candidates (SQLite cannot use an index for a ``LIKE`` prefix, so that form scans the district's
    whole window); otherwise the candidates are the tickets under the coarser ``prefix``.
    """
    table = TicketRow.__table__
    where = ([table.c.community == bindparam("community"), table.c.family == bindparam("family")] if in_community
             else [table.c.jurisdiction.like(bindparam("prefix")), table.c.category.like(bindparam("family_prefix"))])
    query = select(*(table.c[name] for name in _CANDIDATE_COLUMNS)).where(
        *where, table.c.created_at >= bindparam("since"), table.c.created_at <= bindparam("until"),
        table.c.id != bindparam("exclude"), table.c.state != "not_accepted",
    )
    if near:
        query = query.where(table.c.lon.between(bindparam("lon_min"), bindparam("lon_max")),
                            table.c.lat.between(bindparam("lat_min"), bindparam("lat_max")))
    return query.order_by(table.c.created_at.desc()).limit(500)


_CANDIDATES = {(near, in_community): _candidates_query(near=near, in_community=in_community)
               for near in (False, True) for in_community in (False, True)}


async def duplicate_candidates(
    uow: UnitOfWork, *, jurisdiction: str, family: str, since: datetime, until: datetime, exclude: str,
    box: tuple[float, float, float, float] | None = None,
) -> list[Any]:
    """Tickets of the same category family received in the window near ``jurisdiction``, newest first: in its
    community when that is known, else anywhere under it.

    ``box`` (lon_min, lon_max, lat_min, lat_max) keeps only tickets with a point inside it: an ungridded
    ticket's prefix is its whole district, so its candidates are bounded by distance instead.
    Only the columns duplicate detection reads are loaded (rows with attributes named like TicketRow's).
    """
    community = duplicates.community(jurisdiction)
    params: dict[str, Any] = {"since": since, "until": until, "exclude": exclude}
    if community is not None:
        params.update(community=community, family=family)
    else:
        params.update(prefix=f"{jurisdiction}%", family_prefix=f"{family}%")
    if box is not None:
        params.update(zip(("lon_min", "lon_max", "lat_min", "lat_max"), box, strict=True))
    statement = _CANDIDATES[(box is not None, community is not None)]
    return list((await uow.session.execute(statement, params)).all())


async def suggestions_for(uow: UnitOfWork, *, prefix: str, limit: int = 100) -> list[DuplicateSuggestion]:
    query = (
        select(DuplicateSuggestion).join(TicketRow, TicketRow.id == DuplicateSuggestion.ticket_id)  # type: ignore[arg-type]
        .where(TicketRow.jurisdiction.startswith(prefix))  # type: ignore[attr-defined]
        .order_by(DuplicateSuggestion.created_at.desc()).limit(limit)  # type: ignore[attr-defined]
    )
    return list((await uow.session.execute(query)).scalars())


async def merged_into(uow: UnitOfWork, master_id: str) -> list[TicketRow]:
    query = select(TicketRow).where(TicketRow.master_id == master_id, TicketRow.state == "merged")
    return list((await uow.session.execute(query)).scalars())


class HotlineIntegration(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    """One 12345 platform allowed to push: its signing secret (encrypted) and where status goes back."""

    __tablename__ = "hotline_integrations"

    client_id: str = Field(primary_key=True, max_length=64)
    secret_encrypted: str
    callback_url: str | None = Field(default=None, max_length=500)
    scope: str = Field(max_length=18)
    label: str = ""
    created_at: datetime = Field(sa_type=_TZ)


class HotlineNonce(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "hotline_nonces"

    client_id: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(primary_key=True, max_length=128)
    seen_at: datetime = Field(index=True, sa_type=_TZ)


class HotlineOrder(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "hotline_orders"

    client_id: str = Field(primary_key=True, max_length=64)
    order_no: str = Field(primary_key=True, max_length=100)
    ticket_id: str = Field(index=True, max_length=40)
    created_at: datetime = Field(sa_type=_TZ)


class HotlineCallback(IntakeModel, table=True):  # type: ignore[call-arg, misc, valid-type]
    """The delivery log: one status push back to the hotline, delivered in order per ticket."""

    __tablename__ = "hotline_callbacks"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(index=True, max_length=64)
    ticket_id: str = Field(index=True, max_length=40)
    order_no: str = Field(max_length=100)
    sequence: int
    kind: str = Field(max_length=20)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default="pending", index=True, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(index=True, sa_type=_TZ)
    last_error: str | None = None
    delivered_at: datetime | None = Field(default=None, sa_type=_TZ)
    created_at: datetime = Field(sa_type=_TZ)


async def hotline_integrations(uow: UnitOfWork) -> list[HotlineIntegration]:
    return list((await uow.session.execute(select(HotlineIntegration))).scalars())


async def seen_nonces(uow: UnitOfWork, *, client_id: str, nonce: str) -> set[str]:
    row = await uow.session.get(HotlineNonce, (client_id, nonce))
    return {nonce} if row else set()


async def forget_nonces(uow: UnitOfWork, *, before: datetime) -> None:
    table = HotlineNonce.__table__
    await uow.session.execute(table.delete().where(table.c.seen_at < before))


async def next_callback_sequence(uow: UnitOfWork, ticket_id: str) -> int:
    query = select(func.max(HotlineCallback.sequence)).where(HotlineCallback.ticket_id == ticket_id)
    return int((await uow.session.execute(query)).scalar() or 0) + 1


async def pending_callbacks(uow: UnitOfWork, *, limit: int = 200) -> list[HotlineCallback]:
    """The first undelivered callback of each ticket (later ones wait for it: order per ticket)."""
    query = (
        select(HotlineCallback).where(HotlineCallback.status == "pending")
        .order_by(HotlineCallback.ticket_id, HotlineCallback.sequence).limit(limit)  # type: ignore[arg-type]
    )
    firsts: dict[str, HotlineCallback] = {}
    for row in (await uow.session.execute(query)).scalars():
        firsts.setdefault(row.ticket_id, row)
    return list(firsts.values())


async def callback_log(
    uow: UnitOfWork, *, client_id: str | None, ticket_id: str | None, order_no: str | None, limit: int
) -> list[HotlineCallback]:
    query = select(HotlineCallback)
    for column, value in (("client_id", client_id), ("ticket_id", ticket_id), ("order_no", order_no)):
        if value:
            query = query.where(getattr(HotlineCallback, column) == value)
    query = query.order_by(HotlineCallback.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list((await uow.session.execute(query)).scalars())

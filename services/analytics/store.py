"""Analytics's tables: ticket facts, pre-aggregated counters, alerts, and the registry replica it needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Date, Index, and_, func, or_, select
from sqlmodel import Field

from services.analytics.domain.facts import TicketFact
from services.analytics.domain.measures import Counter
from services.analytics.domain.readmodel import Dimension, Period, period_end, period_start, stored_period
from services.analytics.domain.warning import Complaint
from shared.db import UnitOfWork, new_base

Base = new_base()


class FactRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "facts"
    __table_args__ = (Index("ix_facts_category_received", "category", "received_at"),)

    ticket_id: str = Field(primary_key=True, max_length=40)
    jurisdiction: str = Field(index=True, max_length=20)
    category: str = Field(default="", max_length=20)
    received_at: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CounterRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    """One counter of one bucket; the primary key order serves 'prefix + dimension + period range' reads."""

    __tablename__ = "counters"

    prefix: str = Field(primary_key=True, max_length=20)
    dim: str = Field(primary_key=True, max_length=10)
    period: str = Field(primary_key=True, max_length=8)
    start: date = Field(sa_column=Column(Date, primary_key=True))
    value: str = Field(primary_key=True, max_length=40)
    name: str = Field(primary_key=True, max_length=24)
    amount: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class AlertRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "alerts"

    alert_id: str = Field(primary_key=True, max_length=120)
    occurred_at: datetime = Field(index=True)
    jurisdiction: str = Field(index=True, max_length=20)
    kind: str = Field(max_length=20)
    category: str | None = Field(default=None, max_length=20)
    title: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class DivisionRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "divisions"

    code: str = Field(primary_key=True, max_length=20)
    name: str
    level: str = Field(max_length=10)
    parent_code: str | None = Field(default=None, max_length=20)
    community_class: str | None = Field(default=None, max_length=1)


class GridRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "grids"

    code: str = Field(primary_key=True, max_length=20)
    name: str
    kind: str = Field(max_length=30)
    grid_class: str = Field(max_length=1)
    community_code: str = Field(index=True, max_length=20)
    polygon: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class UnitRow(Base, table=True):  # type: ignore[call-arg, misc, valid-type]
    __tablename__ = "units"

    code: str = Field(primary_key=True, max_length=60)
    name: str
    level: str = Field(max_length=10)
    division_code: str = Field(max_length=20)


_DATETIME_FIELDS = {f.name for f in fields(TicketFact) if "datetime" in str(f.type)}


def fact_to_json(fact: TicketFact) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(fact).items()}


def fact_from_json(data: Mapping[str, Any]) -> TicketFact:
    known = {f.name for f in fields(TicketFact)}
    values: dict[str, Any] = {k: datetime.fromisoformat(v) if k in _DATETIME_FIELDS and v else v
                              for k, v in data.items() if k in known}
    return TicketFact(**values)


async def get_fact(uow: UnitOfWork, ticket_id: str) -> TicketFact | None:
    table = FactRow.__table__
    data = (await uow.session.execute(select(table.c.data).where(table.c.ticket_id == ticket_id))).scalar()
    return fact_from_json(data) if data is not None else None


async def get_facts(uow: UnitOfWork, ticket_ids: set[str]) -> dict[str, TicketFact]:
    """The stored facts of several tickets (absent ones are missing from the result)."""
    table = FactRow.__table__
    query = select(table.c.ticket_id, table.c.data).where(table.c.ticket_id.in_(sorted(ticket_ids)))
    return {ticket_id: fact_from_json(data) for ticket_id, data in await uow.session.execute(query)}


async def recent_complaints(uow: UnitOfWork, *, area: str, category: str, since: datetime) -> list[Complaint]:
    """Facts of one category received since ``since`` under ``area`` (for repeat detection)."""
    c = FactRow.__table__.c
    # Only the fields a complaint needs, extracted in SQL: decoding each whole fact cost more than the query.
    query = select(c.ticket_id, c.data["received_at"].as_string(), c.category, c.jurisdiction,
                   c.data["lon"].as_float(), c.data["lat"].as_float()).where(
        c.category == category, c.received_at >= since, c.jurisdiction.startswith(area))
    return [Complaint(ticket_id, datetime.fromisoformat(received), category_, jurisdiction, lon, lat)
            for ticket_id, received, category_, jurisdiction, lon, lat in await uow.session.execute(query)]


async def recent_complaints_many(uow: UnitOfWork, *, pairs: set[tuple[str, str]],
                                 since: datetime) -> dict[tuple[str, str], list[Complaint]]:
    """:func:`recent_complaints` for every (area, category) pair in one query."""
    c = FactRow.__table__.c
    areas = sorted({area for area, _ in pairs})
    query = select(c.ticket_id, c.data["received_at"].as_string(), c.category, c.jurisdiction,
                   c.data["lon"].as_float(), c.data["lat"].as_float()).where(
        c.category.in_(sorted({category for _, category in pairs})), c.received_at >= since,
        or_(*[c.jurisdiction.startswith(area) for area in areas]))
    found: dict[tuple[str, str], list[Complaint]] = {pair: [] for pair in pairs}
    for ticket_id, received, category, jurisdiction, lon, lat in await uow.session.execute(query):
        complaint = Complaint(ticket_id, datetime.fromisoformat(received), category, jurisdiction, lon, lat)
        for area in areas:
            if jurisdiction.startswith(area) and (area, category) in found:
                found[(area, category)].append(complaint)
    return found


async def read_counters(
    uow: UnitOfWork, *, prefix: str, dim: Dimension, buckets: Iterable[tuple[Period, date]],
) -> dict[str, Counter]:
    """Counters summed over ``buckets``, per dimension value."""
    table = CounterRow.__table__
    wanted = [and_(table.c.period == p, table.c.start == s) for p, s in buckets]
    if not wanted:
        return {}
    query = (select(table.c.value, table.c.name, func.sum(table.c.amount))
             .where(table.c.prefix == prefix, table.c.dim == dim, or_(*wanted))
             .group_by(table.c.value, table.c.name))
    return _by_value(await uow.session.execute(query))


async def read_series(
    uow: UnitOfWork, *, prefix: str, period: Period, since: date, until: date, dim: Dimension = "all", value: str = "",
) -> dict[date, Counter]:
    """One counter map per bucket start of ``period`` within ``since``..``until`` (weeks and quarters summed from
    their stored days and months)."""
    found = await read_series_many(uow, period=period, dim=dim, prefixes=[prefix], values=[value], since=since,
                                   until=until)
    return found.get((prefix, value), {})


async def read_series_many(
    uow: UnitOfWork, *, period: Period, dim: Dimension, prefixes: Iterable[str], values: Iterable[str], since: date,
    until: date,
) -> dict[tuple[str, str], dict[date, Counter]]:
    """:func:`read_series` for every (prefix, value) pair of ``prefixes`` × ``values`` in one query."""
    table = CounterRow.__table__
    stored = stored_period(period)
    last = until if stored == period else period_end(period_start(until, period), period)
    query = (select(table.c.prefix, table.c.value, table.c.start, table.c.name, table.c.amount)
             .where(table.c.prefix.in_(sorted(prefixes)), table.c.dim == dim, table.c.period == stored,
                    table.c.start >= since, table.c.start <= last, table.c.value.in_(sorted(values))))
    found: dict[tuple[str, str], dict[date, Counter]] = {}
    for prefix, value, start, name, amount in await uow.session.execute(query):
        if not amount:
            continue
        if stored != period and not since <= (start := period_start(start, period)) <= until:
            continue
        counter = found.setdefault((prefix, value), {}).setdefault(start, {})
        counter[name] = counter.get(name, 0) + int(amount)
    return found


def _by_value(result: Any) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for value, name, amount in result:
        if amount:
            out.setdefault(value, {})[name] = int(amount)
    return out


async def children_counts(uow: UnitOfWork, *, prefix_length: int, under: str,
                          buckets: Iterable[tuple[Period, date]]) -> dict[str, int]:
    """Tickets received per child prefix (e.g. every grid under a street) over ``buckets``."""
    table = CounterRow.__table__
    wanted = [and_(table.c.period == p, table.c.start == s) for p, s in buckets]
    if not wanted:
        return {}
    query = (select(table.c.prefix, func.sum(table.c.amount))
             .where(table.c.prefix.startswith(under), func.length(table.c.prefix) == prefix_length,
                    table.c.dim == "all", table.c.name == "received", or_(*wanted))
             .group_by(table.c.prefix))
    return {prefix: int(total) for prefix, total in await uow.session.execute(query)}


CLASSES_TTL = 30.0  # seconds a community class read from the replica is reused (dropped at once on a local write)
CLASSES = "analytics_classes"


async def community_class(uow: UnitOfWork, jurisdiction: str) -> str | None:
    """Class A/B/C of the community the code lies in (the grid's class when the community has none)."""
    if len(jurisdiction) < 12:
        return None
    fresh, found, stamp = uow.db.recall(CLASSES, jurisdiction[:15])
    if not fresh:
        found = await _community_class(uow, jurisdiction)
        uow.db.keep(CLASSES, jurisdiction[:15], found, ttl=CLASSES_TTL, stamp=stamp)
    return found  # type: ignore[no-any-return]


async def _community_class(uow: UnitOfWork, jurisdiction: str) -> str | None:
    division = await uow.session.get(DivisionRow, jurisdiction[:12])
    if division is not None and division.community_class:
        return division.community_class
    grid = await uow.session.get(GridRow, jurisdiction[:15]) if len(jurisdiction) >= 15 else None
    return grid.grid_class if grid is not None else None


async def add_alert(uow: UnitOfWork, row: AlertRow) -> bool:
    """Store an alert once; False when an alert with that id exists already."""
    if await uow.session.get(AlertRow, row.alert_id) is not None:
        return False
    uow.session.add(row)
    await uow.session.flush()
    return True


async def list_alerts(uow: UnitOfWork, *, prefix: str, kind: str | None, since: datetime | None,
                      limit: int) -> list[AlertRow]:
    c = AlertRow.__table__.c
    query = select(AlertRow).where(c.jurisdiction.startswith(prefix))
    if kind:
        query = query.where(c.kind == kind)
    if since:
        query = query.where(c.occurred_at >= since)
    query = query.order_by(c.occurred_at.desc()).limit(limit)
    return list((await uow.session.execute(query)).scalars())


async def upsert(uow: UnitOfWork, row: Any) -> None:
    """Replace a registry replica row by primary key."""
    await uow.session.merge(row)


async def remove_grid(uow: UnitOfWork, code: str) -> None:
    row = await uow.session.get(GridRow, code)
    if row is not None:
        await uow.session.delete(row)


async def divisions_under(uow: UnitOfWork, prefix: str) -> list[DivisionRow]:
    c = DivisionRow.__table__.c
    query = select(DivisionRow).where(c.code.startswith(prefix)).order_by(c.code)
    return list((await uow.session.execute(query)).scalars())


async def grids_under(uow: UnitOfWork, prefix: str) -> list[GridRow]:
    c = GridRow.__table__.c
    query = select(GridRow).where(c.code.startswith(prefix)).order_by(c.code)
    return list((await uow.session.execute(query)).scalars())


async def names_of_units(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, str]:
    wanted = list(codes)
    if not wanted:
        return {}
    c = UnitRow.__table__.c
    rows = await uow.session.execute(select(c.code, c.name).where(c.code.in_(wanted)))
    return {code: name for code, name in rows}


async def community_classes(uow: UnitOfWork, prefix: str) -> dict[str, str]:
    c = DivisionRow.__table__.c
    query = select(c.code, c.community_class).where(c.code.startswith(prefix[:12]), c.community_class.is_not(None))
    return {code: cls for code, cls in await uow.session.execute(query)}

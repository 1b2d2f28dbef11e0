"""Bulk writes of one consumed batch: every counter delta in one upsert statement, every fact in another.

The rows travel as a few parameters, not one parameter set per row: PostgreSQL gets one array per column
(``INSERT ... SELECT unnest(...)``), SQLite one JSON array (``INSERT ... SELECT ... FROM json_each(...)``).
Both statements are SQLAlchemy dialect inserts with ``on_conflict_do_update``; counters add up
(``amount = counters.amount + excluded.amount``), facts are replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import orjson
from sqlalchemy import JSON, String, Text, bindparam, cast, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from services.analytics.domain.facts import TicketFact
from services.analytics.domain.measures import Counter
from services.analytics.domain.readmodel import BucketKey
from services.analytics.store import CounterRow, FactRow, fact_to_json
from shared.db import UnitOfWork

COUNTER_COLUMNS = ("prefix", "dim", "period", "start", "value", "name", "amount")
FACT_COLUMNS = ("ticket_id", "jurisdiction", "category", "received_at", "data")


def _source(dialect: str, table: Any, columns: tuple[str, ...]) -> Any:
    """A SELECT yielding one row per element of the bound column arrays (PostgreSQL) or JSON rows (SQLite)."""
    if dialect == "postgresql":
        return select(*[_unnest(table.c[c]) for c in columns])
    rows = func.json_each(bindparam("rows", type_=String)).table_valued("value")
    # ``WHERE true`` keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
    return select(*[func.json_extract(rows.c.value, f"$[{i}]").label(c) for i, c in enumerate(columns)]).where(true())


def _unnest(column: Any) -> Any:
    if isinstance(column.type, JSON):  # sent as JSON text, cast back in the database
        return cast(func.unnest(bindparam(column.name, type_=ARRAY(Text))), column.type).label(column.name)
    return func.unnest(bindparam(column.name, type_=ARRAY(column.type))).label(column.name)


@cache
def counter_upsert(dialect: str) -> Any:
    table = CounterRow.__table__
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table).from_select(
        list(COUNTER_COLUMNS), _source(dialect, table, COUNTER_COLUMNS))
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"amount": table.c.amount + statement.excluded.amount},
    )


@cache
def fact_upsert(dialect: str) -> Any:
    table = FactRow.__table__
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table).from_select(
        list(FACT_COLUMNS), _source(dialect, table, FACT_COLUMNS))
    return statement.on_conflict_do_update(
        index_elements=[table.c.ticket_id], set_={c: statement.excluded[c] for c in FACT_COLUMNS[1:]})


def _parameters(dialect: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    if dialect == "postgresql":
        return {c: [row[i] for row in rows] for i, c in enumerate(columns)}
    return {"rows": orjson.dumps(rows).decode()}


async def add_counters(uow: UnitOfWork, deltas: Mapping[BucketKey, Counter]) -> int:
    """Add the deltas (distinct keys); returns rows sent. On PostgreSQL the rows are sorted so concurrent writers
    lock them in one order; SQLite has one writer, and sorting a batch's ~6,000 keys cost more than building the
    rows (14 against 6 ms for a batch of 200 tickets)."""
    dialect = uow.db.engine.dialect.name
    ordered = dialect == "postgresql"
    rows = [(k.prefix, k.dim, k.period, k.start, k.value, name, amount)
            for k, counter in (sorted(deltas.items()) if ordered else deltas.items())
            for name, amount in (sorted(counter.items()) if ordered else counter.items()) if amount]
    if rows:
        await uow.session.execute(counter_upsert(dialect), _parameters(dialect, COUNTER_COLUMNS, rows))
    return len(rows)


async def upsert_facts(uow: UnitOfWork, facts: Iterable[TicketFact]) -> None:
    """Insert or replace the facts (one per ticket)."""
    dialect = uow.db.engine.dialect.name
    rows = [(f.ticket_id, f.jurisdiction, f.category, _time(f, dialect), _data(f, dialect)) for f in facts]
    if rows:
        await uow.session.execute(fact_upsert(dialect), _parameters(dialect, FACT_COLUMNS, rows))


def _time(fact: TicketFact, dialect: str) -> Any:
    if dialect == "postgresql" or fact.received_at is None:
        return fact.received_at
    return fact.received_at.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DateTime storage format


def _data(fact: TicketFact, dialect: str) -> Any:
    data = fact_to_json(fact)
    return orjson.dumps(data).decode() if dialect == "postgresql" else data

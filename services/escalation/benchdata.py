"""Bulk-loading timers for `gridgov bench timers`: COPY on PostgreSQL, executemany on SQLite, in bounded chunks."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

TIMER_COLUMNS = ("ticket_id", "clock_seq", "step", "clock", "fire_at", "status", "claim", "fired_at")
CLOCK_COLUMNS = ("ticket_id", "seq", "kind", "state", "unit_code", "level", "jurisdiction", "limit_amount",
                 "limit_unit", "policy_version", "started_at", "due_at", "budget_us", "paused_at", "pauses",
                 "stopped_at", "stop_reason", "history")
GRID, UNIT = "330903001001001", "330903001001-community"
CHUNK = 20_000
_TWO_HOURS_US = 2 * 3600 * 1_000_000


def background_timers(count: int, *, start: datetime) -> Iterator[tuple[Any, ...]]:
    """``count`` pending timers due over the next days (they never come due during the bench)."""
    for n in range(count):
        yield (f"330903-20261201-{n:07d}", 1, "notice-50", "handling",
               start + timedelta(days=1, seconds=n % 2_000_000), "pending", None, None)


def wave(prefix: str, due: list[datetime]) -> tuple[Iterator[tuple[Any, ...]], Iterator[tuple[Any, ...]]]:
    """One running 2-hour sign-off clock per ticket, with its notice-50 timer due at ``due[i]``."""
    ids = [f"330903-20261125-{prefix}{n:06d}" for n in range(len(due))]
    clocks: Iterator[tuple[Any, ...]] = ((ticket, 1, "sign_off", "running", UNIT, "community", GRID, 2.0, "hours", "bench",
               at - timedelta(hours=1), at + timedelta(hours=1), _TWO_HOURS_US, None, [], None, "", [])
              for ticket, at in zip(ids, due))
    timers = ((ticket, 1, "notice-50", "sign_off", at, "pending", None, None) for ticket, at in zip(ids, due))
    return clocks, timers


async def copy_pg(dsn: str, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY ``rows`` into ``table`` chunk by chunk; returns how many."""
    connection = await asyncpg.connect(dsn)
    total = 0
    try:
        for chunk in _chunks(rows):
            records = [tuple(json.dumps(v) if isinstance(v, list) else v for v in row) for row in chunk]
            await connection.copy_records_to_table(table, records=records, columns=list(columns))
            total += len(records)
    finally:
        await connection.close()
    return total


def insert_sqlite(path: str, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    """executemany ``rows`` into ``table`` in the text forms SQLAlchemy stores; returns how many."""
    connection = sqlite3.connect(path, timeout=30)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    total = 0
    try:
        for chunk in _chunks(rows):
            connection.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in chunk])
            connection.commit()
            total += len(chunk)
    finally:
        connection.close()
    return total


def sqlite_time(value: datetime) -> str:
    """The text form SQLAlchemy's SQLite DateTime stores (UTC, no offset)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return sqlite_time(value)
    return json.dumps(value) if isinstance(value, list) else value


def _chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        yield chunk

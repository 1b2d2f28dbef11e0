"""aiosqlite as SQLAlchemy drives it, with each statement in one trip to the connection's thread.

SQLAlchemy's aiosqlite adapter makes four trips per statement (open a cursor, execute, fetch, close), each a
queue hand-off to aiosqlite's thread and a wake-up of the event loop. Profiles of the consumers showed those
trips as the largest single cost per event. Here one function does all four inside the thread and hands back
the description, the rows, the row count and the last row id. Server-side (streaming) cursors keep the stock
behaviour. Used through ``create_async_engine(..., module=one_trip_dbapi())``.

Inside a write transaction (after ``BEGIN IMMEDIATE`` took SQLite's write lock) statements run in the event
loop's own thread, no trip at all. Such a statement cannot wait for a lock any more, and ours are small (by key);
what a trip cost was not the statement but the wait for the loop to wake again, behind every HTTP request and
consumer batch queued on it: a ticket's transaction made about six such waits while holding the write lock, and
the p99 of intake at 200 tickets/s on SQLite was mostly those waits. Every read outside a write transaction keeps
its trip (it may be long).

Nothing that cannot wait makes a trip either: ``BEGIN IMMEDIATE`` is first tried in the loop's thread without
waiting (``busy_timeout`` 0 for that one statement) and makes its trip, with the usual wait, only when another
process holds the lock; a deferred ``BEGIN`` takes no lock; and ending a transaction that wrote nothing (a read,
or the pool's reset of a connection whose transaction is already over) releases at most a read lock. A single-event
unit of work made two trips (``BEGIN IMMEDIATE`` and the pool's reset) and now makes none.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]
BEGIN_WRITE = "BEGIN IMMEDIATE"  # shared.db's begin hook opens every write transaction with it
BEGIN_READ = "BEGIN"  # and every other one with this (deferred: no lock until the first statement)


def _execute(connection: aiosqlite.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection._conn.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        return description, cursor.fetchall() if description else [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(connection: aiosqlite.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection._conn.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statements run, and whose rows are fetched, in one trip to the thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # nothing stays open between statements
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return  # the rows are already here and the sqlite3 cursor is closed

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        return

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._trip(_execute, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._trip(_executemany, operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, function: Any, operation: Any, parameters: Any) -> None:
        adapt: OneTripConnection = self._adapt_connection  # type: ignore[assignment]  # ours, see OneTripDBAPI
        async with adapt._execute_mutex:
            if adapt._writing or operation == BEGIN_READ:
                outcome: _Outcome = function(self._connection, operation, parameters)
            elif operation == BEGIN_WRITE:
                outcome = _begin_write_at_once(self._connection) or await self._connection._execute(
                    function, self._connection, operation, parameters)
                adapt._writing = True
            else:
                outcome = await self._connection._execute(function, self._connection, operation, parameters)
                adapt._wrote = adapt._wrote or not _reads_only(operation)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


def _begin_write_at_once(connection: Any) -> _Outcome | None:
    """``BEGIN IMMEDIATE`` in the calling thread if no other connection holds the write lock; None if one does."""
    raw = connection._conn
    timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute(BEGIN_WRITE)
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise
        return None
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(timeout)}")
    return None, [], -1, None


def _reads_only(operation: str) -> bool:
    return operation.lstrip()[:6].upper() in ("SELECT", "PRAGMA")


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_writing", "_wrote")
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass; the base annotates it invariantly

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._writing = False  # inside BEGIN IMMEDIATE … COMMIT/ROLLBACK: statements run in the loop's thread
        self._wrote = False  # a statement other than a read ran in a deferred transaction (it may hold the lock)

    def commit(self) -> None:
        self._end(super().commit, "commit")

    def rollback(self) -> None:
        self._end(super().rollback, "rollback")

    def _end(self, through_thread: Callable[[], None], name: str) -> None:
        """End the transaction in the loop's thread unless a deferred transaction wrote (its commit may wait)."""
        wrote_deferred = self._wrote and not self._writing
        self._wrote = self._writing = False
        if wrote_deferred:
            return through_thread()
        raw = self._connection._conn
        if not raw.in_transaction:
            return  # nothing to end (the pool resets every connection it takes back)
        try:
            getattr(raw, name)()
        except Exception as error:
            self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        # Write transactions use the sqlite3 connection from the loop's thread too (see OneTripCursor._trip).
        connection = aiosqlite.connect(*arg, **{**kw, "check_same_thread": False})
        connection._thread.daemon = True
        return OneTripConnection(self, await_(connection))


def one_trip_dbapi() -> OneTripDBAPI:
    """The DBAPI module to hand to ``create_async_engine(module=...)`` for a ``sqlite+aiosqlite`` URL."""
    return OneTripDBAPI(aiosqlite, sqlite3)

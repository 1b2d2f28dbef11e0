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
the p99 of intake at 200 tickets/s on SQLite was mostly those waits. ``BEGIN IMMEDIATE`` itself, which may wait
for a writer of another process, and every read outside a write transaction keep their trip.
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
            if adapt._writing:
                outcome: _Outcome = function(self._connection, operation, parameters)
            else:
                outcome = await self._connection._execute(function, self._connection, operation, parameters)
                adapt._writing = operation == BEGIN_WRITE
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_writing",)
    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass; the base annotates it invariantly

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._writing = False  # inside BEGIN IMMEDIATE … COMMIT/ROLLBACK: statements run in the loop's thread

    def commit(self) -> None:
        self._end(super().commit, "commit")

    def rollback(self) -> None:
        self._end(super().rollback, "rollback")

    def _end(self, through_thread: Callable[[], None], name: str) -> None:
        """End the transaction in the loop's thread if it is a write transaction, else by the usual trip."""
        if not self._writing:
            return through_thread()
        self._writing = False
        try:
            getattr(self._connection._conn, name)()
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

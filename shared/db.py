"""Database engines (SQLite embedded, PostgreSQL in production), per-service metadata and the unit of work.

The unit of work is the one place where a state change, the events it produces (outbox) and the handled
message ids (inbox) are written in one transaction.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text, func
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm import instrumentation as orm_instrumentation
from sqlalchemy.orm import registry as orm_registry
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import SQLModel

from shared import telemetry
from shared.groupcommit import GroupCommit
from shared.bus.envelope import Envelope, encode_data, header_pairs, new_event_id, source_for
from shared.events.base import Event
from shared.settings import SUPPORTED_DB_SCHEMES
from shared.sqlite_driver import BEGIN_READ, BEGIN_WRITE, one_trip_dbapi

log = logging.getLogger(__name__)
T = TypeVar("T")

WRITER_OPTION = "gridgov_writer"


class UnsupportedDatabase(ValueError):
    """A database URL whose scheme gridgov cannot use."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_base() -> type[SQLModel]:
    """A SQLModel base with its own metadata, so each service's tables stay in its own database."""

    class ServiceModel(SQLModel, registry=orm_registry(metadata=MetaData())):
        pass

    add_bus_tables(ServiceModel.metadata)
    return ServiceModel


M = TypeVar("M", bound=SQLModel)


def new_row(model: type[M], **values: Any) -> M:
    """A new, pending row of a SQLModel table, as ``model(**values)`` makes it, at a fraction of the cost.

    SQLModel's constructor sets every field through the ORM's attribute events (a ticket row of 37 fields: ~160 µs,
    a fifth of accepting a ticket in a group commit). The ORM inserts a pending row from its instance dict, so the
    values (and the fields' defaults) are placed there directly; changes made afterwards go through the events as
    usual. Values are not validated, as the constructor of a table model does not validate them either."""
    fields, required, defaults, factories = _row_shape(model)
    if unknown := values.keys() - fields:
        raise TypeError(f"unknown {model.__name__} fields: {sorted(unknown)}")
    if missing := required - values.keys():
        raise TypeError(f"missing {model.__name__} fields: {sorted(missing)}")
    manager = orm_instrumentation.manager_of_class(model)
    if not manager.mapper.configured:  # the constructor would configure it (reading a field needs that)
        configure_mappers()
    row: M = manager.new_instance()
    row.__dict__.update(defaults)
    row.__dict__.update({name: factory() for name, factory in factories.items() if name not in values})
    row.__dict__.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


@functools.cache
def _insert_of(table: Table) -> Any:
    return table.insert()


async def _insert_rows(uow: "UnitOfWork") -> None:
    for rows in uow.scratch["insert_at_commit"].values():
        table = type(rows[0]).__table__
        # An autoincrement key left unset is the database's to fill (the same for every row of one table here).
        columns = [column for column in table.columns
                   if not (column is table.autoincrement_column and rows[0].__dict__.get(column.key) is None)]
        await uow.session.execute(_insert_of(table), [{column.key: row.__dict__.get(column.key) for column in columns}
                                                       for row in rows])


@functools.cache
def _row_shape(model: type[SQLModel]) -> tuple[frozenset[str], frozenset[str], dict[str, Any],
                                               dict[str, Callable[[], Any]]]:
    """A table model's field names, required ones, plain defaults and default factories."""
    fields = model.model_fields
    return (frozenset(fields), frozenset(name for name, field in fields.items() if field.is_required()),
            {name: field.default for name, field in fields.items()
             if not field.is_required() and field.default_factory is None},
            {name: field.default_factory for name, field in fields.items()  # type: ignore[misc]
             if field.default_factory is not None})


def add_bus_tables(metadata: MetaData) -> None:
    """The outbox, inbox and credential replica every service keeps in its own database."""
    if "outbox" in metadata.tables:
        return
    Table(
        "outbox", metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("key", String(200), nullable=False),
        Column("ce_type", String(200), nullable=False),
        Column("headers", LargeBinary, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        Index("ix_outbox_unsent", "sent_at", "seq"),
    )
    Table(
        "inbox", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(100), primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "credentials", metadata,
        Column("key_id", String(64), primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("secret_hash", Text, nullable=False),
        Column("scope", String(20), nullable=False),
        Column("roles", Text, nullable=False),
        Column("label", Text, nullable=False, default=""),
        Column("expires_at", DateTime(timezone=True), nullable=True),
        Column("revoked", Integer, nullable=False, default=0),
    )


# A pooled PostgreSQL connection that sat unused this long is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


def make_engine(url: str, *, schema: str | None = None, pool_size: int = 10) -> AsyncEngine:
    """Build an engine; SQLite gets WAL and a busy timeout, PostgreSQL an optional search_path."""
    scheme = url.split("://", 1)[0]
    if scheme not in SUPPORTED_DB_SCHEMES:
        raise UnsupportedDatabase(f"database URL scheme '{scheme}' is not supported ({', '.join(SUPPORTED_DB_SCHEMES)})")
    if scheme.startswith("sqlite"):
        return _sqlite_engine(url)
    connect_args: dict[str, Any] = {"server_settings": {"search_path": schema}} if schema else {}
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, connect_args=connect_args)
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


def _ping_after_idle(engine: AsyncEngine, idle: float) -> None:
    """Pessimistic disconnect handling for connections that sat idle, instead of SQLAlchemy's ``pool_pre_ping``.

    Pre-ping costs a round trip on every checkout, two or three per ticket in intake (2-3 % of its event loop at
    100 tickets/s on PostgreSQL). Under load the pool's connections are checked in and out every few milliseconds,
    so only connections idle for ``idle`` seconds are pinged; a failed ping makes the pool replace the connection.
    A connection broken less than ``idle`` seconds after its last use (a database restarted under load) fails its
    next statement instead: SQLAlchemy then recycles every connection of the pool older than that failure, and the
    callers' retry paths (group commit retries each item alone, consumers retry once the database answers, the
    relay reconnects) run on fresh ones."""
    pool = engine.sync_engine.pool

    @sa_event.listens_for(pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa_event.listens_for(pool, "checkout")
    def _handed_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure means the connection is gone
            raise DisconnectionError(f"pooled connection failed its ping: {error}") from error
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def _sqlite_engine(url: str) -> AsyncEngine:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, module=one_trip_dbapi())

    @sa_event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # Let SQLAlchemy, not the driver, open transactions, so that "begin" below is the real BEGIN.
        dbapi_connection.isolation_level = None

    @sa_event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        # A unit of work reads then writes: started deferred, it fails with "database is locked" when another
        # writer commits in between (busy_timeout cannot help), so it takes the write lock up front. Plain reads
        # (credential lookups, the relay's scan, probes) stay deferred and never wait for writers (WAL).
        immediate = connection.get_execution_options().get(WRITER_OPTION, False)
        # Straight to the driver's cursor: exec_driver_sql's execution context cost more than the BEGIN itself.
        connection.connection.dbapi_connection.cursor().execute(BEGIN_WRITE if immediate else BEGIN_READ)

    return engine


# deadlock_detected, serialization_failure: PostgreSQL rolled the transaction back; running it again is safe.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def rolled_back_by_postgres(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) in TRANSIENT_SQLSTATES


# SQLSTATE classes of a database that is not there right now: connection exceptions (08), and PostgreSQL shutting
# down or starting up (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
UNAVAILABLE_STATE_PREFIXES = ("08", "57P")


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached (refused, dropped, restarting), as opposed to a statement failing.
    asyncpg raises a refused connect unwrapped (ConnectionRefusedError); the rest arrive as DBAPIError."""
    if isinstance(error, DBAPIError):
        state = str(getattr(error.orig, "sqlstate", None) or "")
        return (error.connection_invalidated or state.startswith(UNAVAILABLE_STATE_PREFIXES)
                or isinstance(error.orig, ConnectionError))
    return isinstance(error, ConnectionError)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"


async def create_schema(engine: AsyncEngine, metadata: MetaData) -> None:
    """Create missing tables (tests and the embedded default; production runs Alembic)."""
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


class WriterLock:
    """One SQLite writer at a time inside this process, queued in asyncio instead of SQLite's sleeping busy handler.

    Re-entrant per task, so a unit of work opened inside another one in the same task does not deadlock.
    PostgreSQL needs none of this (``enabled=False``).
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    async def acquire(self) -> None:
        if not self.enabled:
            return
        task = asyncio.current_task()
        if self._owner is task and task is not None:
            self._depth += 1
            return
        # A free lock is taken without yielding, and a write transaction makes no trip to a thread any more
        # (shared.sqlite_driver): without this turn, a task writing in a loop would starve every other one.
        await asyncio.sleep(0)
        await self._lock.acquire()
        self._owner, self._depth = task, 1

    def release(self) -> None:
        if not self.enabled or self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()


class Database:
    """An engine, its session factory and the identity used on published events."""

    def __init__(self, engine: AsyncEngine, metadata: MetaData, *, service: str, district: str,
                 topic_prefix: str = "") -> None:
        self.engine = engine
        self.metadata = metadata
        self.service = service
        self.source = source_for(service, district)
        self.topic_prefix = topic_prefix
        writer = engine.execution_options(**{WRITER_OPTION: True})
        self.sessions = async_sessionmaker(writer, expire_on_commit=False, class_=AsyncSession)
        self.read_sessions = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        dialect = postgresql if is_postgres(engine) else sqlite
        # handled_at is the database's clock, one value per statement: a datetime per row cost SQLite's bind
        # processor ~8 % of a consumer's CPU (it only decides when the row may be pruned).
        self.claim_statement = (dialect.insert(self.inbox).values(handled_at=func.current_timestamp())
                                .on_conflict_do_nothing().returning(self.inbox.c.event_id))
        self.outbox_insert, self.outbox_time = _outbox_insert(engine, self.outbox)
        self.on_commit: list[Callable[[], None]] = []
        self.cache: dict[str, Any] = {}
        self._forgotten: dict[str, int] = {}  # per kept name: how many times it was forgotten
        self.writer = WriterLock(enabled=not is_postgres(engine))
        self.group = GroupCommit(self)

    def recall(self, name: str, key: Any) -> tuple[bool, Any, int]:
        """A value this process kept with :meth:`keep` and whose time to live has not run out: (True, value, stamp);
        otherwise (False, None, stamp). Read the value afresh, then hand ``stamp`` to :meth:`keep`."""
        expires, value = self.cache.get(name, {}).get(key, (0.0, None))
        return expires > time.monotonic(), value, self._forgotten.get(name, 0)

    def keep(self, name: str, key: Any, value: Any, *, ttl: float, stamp: int) -> None:
        """Reuse ``value`` for ``ttl`` seconds (how long a change made through another process may go unseen).

        ``stamp`` is what :meth:`recall` returned before the value was read: if the name was forgotten since, the
        value may have been read before a change committed (readers run beside writers), and is not kept."""
        if stamp == self._forgotten.get(name, 0):
            self.cache.setdefault(name, {})[key] = (time.monotonic() + ttl, value)

    def forget(self, *names: str) -> None:
        """Drop kept values at once (a unit of work that changes their source calls :meth:`UnitOfWork.forget`)."""
        for name in names:
            self.cache.pop(name, None)
            self._forgotten[name] = self._forgotten.get(name, 0) + 1

    def uow(self) -> "UnitOfWork":
        return UnitOfWork(self)

    async def retrying(self, work: Callable[["UnitOfWork"], Awaitable[T]], *, attempts: int = 3) -> T:
        """Run ``work`` in a unit of work (it commits), again when PostgreSQL rolled it back as a deadlock's victim
        or a serialization failure (a command that touches many rows, such as every running clock of a district,
        meets the consumers updating the same rows in another order), or when a versioned row it updates was
        changed by another transaction since it read it (StaleDataError: the next attempt reads it again)."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.uow() as uow:
                    return await work(uow)
            except (DBAPIError, StaleDataError) as error:
                if attempt == attempts or (isinstance(error, DBAPIError) and not rolled_back_by_postgres(error)):
                    raise
                reason = getattr(error.orig, "sqlstate", None) if isinstance(error, DBAPIError) else "stale row"
                log.warning("transaction of %s rolled back (%s); running it again (attempt %d of %d)",
                            self.service, reason, attempt + 1, attempts)
                await asyncio.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def reader(self) -> "UnitOfWork":
        """A unit of work that only reads: outside the writer queue (SQLite WAL readers never wait), never commits."""
        return UnitOfWork(self, read_only=True)

    async def dispose(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """One transaction: state changes through ``session``, events through ``publish``, inbox through ``claim``."""

    def __init__(self, db: Database, *, read_only: bool = False) -> None:
        self.db = db
        self.read_only = read_only
        self.session: AsyncSession = db.read_sessions() if read_only else db.sessions()
        self.prepared: dict[str, Any] = {}  # what a subscription's prepare step worked out before this transaction
        self.envelope: Envelope | None = None
        self.batch: list[Envelope] = []
        self.scratch: dict[str, Any] = {}
        self.size_hint = 1  # how many callers' work shares this transaction (see shared.groupcommit)
        self.before_commit: list[Callable[["UnitOfWork"], Awaitable[None]]] = []
        self._rows: list[tuple[Any, ...]] = []  # outbox rows, in OUTBOX_COLUMNS order
        self._forget_at_end: set[str] = set()

    async def __aenter__(self) -> "UnitOfWork":
        if not self.read_only:
            await self.db.writer.acquire()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is not None or self.read_only:
                await self.session.rollback()
        finally:
            try:
                await self.session.close()
            finally:
                if not self.read_only:
                    self.db.writer.release()
                self.db.forget(*self._forget_at_end)

    def forget(self, *names: str) -> None:
        """Drop values kept on the database (:meth:`Database.keep`) because this transaction changes what they were
        read from: now, and again when the transaction ends, since others (and this one) may read the old or the
        uncommitted state in between."""
        self.db.forget(*names)
        self._forget_at_end.update(names)

    def publish(self, event: Event, *, key: str, subject: str | None = None, jurisdiction: str | None = None) -> str:
        """Queue ``event`` in the outbox of this transaction; returns its ce_id."""
        envelope = Envelope(
            id=new_event_id(), source=self.db.source, type=event.ce_type, time=utcnow(),
            subject=subject or key, jurisdiction=str(jurisdiction or getattr(event, "jurisdiction", "")),
            data=event, traceparent=telemetry.current_traceparent(),
        )
        self._rows.append((envelope.id, f"{self.db.topic_prefix}{event.topic}", key, event.ce_type,
                           orjson.dumps(header_pairs(envelope)), encode_data(event),
                           self.db.outbox_time(envelope.time)))
        return envelope.id

    def queued_keys(self) -> list[str]:
        """The keys of the events this transaction has queued in the outbox so far, in order."""
        return [row[2] for row in self._rows]

    async def already_handled(self, event_id: str, consumer: str) -> bool:
        inbox = self.db.inbox
        result = await self.session.execute(
            inbox.select().where(inbox.c.event_id == event_id, inbox.c.consumer == consumer)
        )
        return result.first() is not None

    async def claim(self, event_ids: list[str], consumer: str) -> set[str]:
        """Record ``event_ids`` as handled by ``consumer`` in this transaction; the ids it had not handled before.

        One ``INSERT … ON CONFLICT DO NOTHING RETURNING``: the inbox's primary key decides, whatever the planner
        would make of a ``SELECT … IN (…)`` on a young table (PostgreSQL scanned the whole inbox for each batch
        before its first ANALYZE), and a second consumer of the same event waits for the first to commit."""
        if not event_ids:
            return set()
        rows = [{"event_id": i, "consumer": consumer} for i in dict.fromkeys(event_ids)]
        # One cached statement run over the rows (SQLAlchemy sends it as multi-row VALUES pages): building a new
        # ``.values([...])`` statement for each batch cost three times as much (1.4 ms against 0.45 per batch on
        # SQLite, 2.5 against 0.9 on PostgreSQL).
        return set((await self.session.execute(self.db.claim_statement, rows)).scalars())

    def insert_at_commit(self, row: SQLModel) -> None:
        """Insert a new row as the transaction commits, with the rows of its table in one cached Core statement; the
        row stays out of the session (transient) and queries before the commit do not see it.

        The ORM's flush of pending rows (unit-of-work sort, attribute history, an insert per flush) cost intake about a
        tenth of its event loop at 200 tickets/s for the one new ticket row of each request. Changes to the object
        until the commit are written; later ones are not. An autoincrement key may be left to the database."""
        table = type(row).__table__  # type: ignore[attr-defined]
        if any(row.__dict__.get(column.key) is None and column is not table.autoincrement_column
               for column in table.primary_key):
            raise ValueError(f"insert_at_commit needs {table.name}'s primary key set")
        self.once_before_commit("insert_at_commit", _insert_rows).setdefault(table.name, []).append(row)

    def once_before_commit(self, name: str, hook: Callable[["UnitOfWork"], Awaitable[None]]) -> dict[str, Any]:
        """Register ``hook`` once per transaction under ``name``; returns a per-name scratch dict to accumulate into.

        Handlers of a consumed batch share one transaction, so work merged here is written once per batch.
        """
        if name not in self.scratch:
            self.scratch[name] = {}
            self.before_commit.append(hook)
        scratch: dict[str, Any] = self.scratch[name]
        return scratch

    async def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a reader unit of work cannot commit")
        for hook in self.before_commit:
            await hook(self)
        self.before_commit, self.scratch = [], {}
        if self._rows:
            await (await self.session.connection()).exec_driver_sql(self.db.outbox_insert, self._rows)
        await self.session.commit()
        published, self._rows = bool(self._rows), []
        if published:
            for callback in self.db.on_commit:
                callback()


# The columns of an outbox row as UnitOfWork.publish queues it (the rest take their defaults).
OUTBOX_COLUMNS = ("event_id", "topic", "key", "ce_type", "headers", "payload", "created_at")


def _outbox_insert(engine: AsyncEngine, outbox: Table) -> tuple[str, Callable[[datetime], Any]]:
    """The outbox's INSERT as the driver takes it (compiled once for the engine's dialect), and what makes a row's
    ``created_at`` value.

    Rows go to the driver as tuples in ``OUTBOX_COLUMNS`` order: through a Core ``insert()`` executed per commit,
    SQLAlchemy built a parameter dict per row and ran each value's bind processor, about a fifth of a publishing
    process's CPU in the bus bench (SQLite's DATETIME formatting alone 4 %). ``created_at`` still goes through its
    column type's processor, so it is stored exactly as SQLAlchemy stores and compares it (``gridgov outbox
    redrive --since``)."""
    compiled = outbox.insert().inline().compile(dialect=engine.dialect, column_keys=list(OUTBOX_COLUMNS))
    if tuple(compiled.positiontup or ()) != OUTBOX_COLUMNS:
        raise RuntimeError(f"outbox insert takes {compiled.positiontup}, not {OUTBOX_COLUMNS}")
    process = outbox.c.created_at.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return compiled.string, process or (lambda value: value)


def sqlite_url(path: str | os.PathLike[str]) -> str:
    return f"sqlite+aiosqlite:///{path}"

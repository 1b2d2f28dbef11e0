"""Group commit: small units of work from many concurrent callers written in one transaction.

A transaction costs a fixed price (BEGIN, COMMIT, on SQLite the single writer's turn, on PostgreSQL the
round trips and the WAL flush). Under load, work queued while one batch commits forms the next batch, so the
price is shared; a caller alone runs at once in a batch of one, so light load pays no extra latency.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from shared.db import Database, UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")
Work = Callable[["UnitOfWork"], Coroutine[Any, Any, T]]


@dataclass
class _Item(Generic[T]):
    work: Work[T]
    future: asyncio.Future[T]
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


class GroupCommit:
    """Run ``work(uow)`` for concurrent callers in shared transactions; each caller gets its own result or error.

    ``work`` writes through the given unit of work and must not commit it, nor open another one. It may run twice:
    when a batch fails, every item of it is retried alone, so one bad item fails only its own caller. Each item
    runs in its caller's context (trace, log fields), so events it publishes carry the caller's trace.
    """

    def __init__(self, db: "Database", *, max_batch: int = 64) -> None:
        self.db = db
        self.max_batch = max_batch
        self._pending: list[_Item[Any]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.batches = 0
        self.items = 0

    async def run(self, work: Work[T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append(_Item(work, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name=f"{self.db.service}-group-commit")
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            self.batches += 1
            self.items += len(batch)
            if len(batch) == 1 or not await self._together(batch):
                for item in batch:
                    await self._alone(item)

    async def _together(self, batch: list[_Item[Any]]) -> bool:
        try:
            async with self.db.uow() as uow:
                uow.size_hint = len(batch)
                results = [await _in_context(item, uow) for item in batch]
                await uow.commit()
        except Exception as error:  # noqa: BLE001 - every item is retried alone and gets its own outcome
            log.info("group commit of %d items failed (%s); retrying each alone", len(batch), type(error).__name__)
            return False
        for item, result in zip(batch, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)
        return True

    async def _alone(self, item: _Item[Any]) -> None:
        try:
            async with self.db.uow() as uow:
                result = await _in_context(item, uow)
                await uow.commit()
        except Exception as error:  # noqa: BLE001 - handed to the caller, who turns it into its answer
            if not item.future.done():
                item.future.set_exception(error)
        else:
            if not item.future.done():
                item.future.set_result(result)


async def _in_context(item: _Item[T], uow: "UnitOfWork") -> T:
    """Run the item's work here, with its caller's context variables (trace, log fields) set for the while.

    A task per item (``create_task(..., context=...)``) did the same, but each one waited for a turn of the event
    loop behind every request queued on it, while the batch held the transaction (and SQLite's write lock) open."""
    tokens = [(variable, variable.set(value)) for variable, value in item.context.items()]
    try:
        return await item.work(uow)
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)

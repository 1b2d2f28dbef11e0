"""Status pushes back to the 12345 hotline: queued in the ticket's transaction, delivered in order, retried."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.intake import store
from services.intake.domain import hotline
from shared.db import Database, UnitOfWork
from shared.events.ticket import TicketClosed, TicketEvaluated, TicketEvent, TicketReopened, TicketResolved

log = logging.getLogger(__name__)
# What a merged ticket's reporter hears of its master (合并办理: every reporter gets the outcome).
_SHARED_OUTCOMES = (TicketResolved, TicketClosed, TicketEvaluated, TicketReopened)
Send = Callable[[str, bytes, dict[str, str]], Awaitable[int]]


@dataclass(frozen=True)
class CallbackPolicy:
    interval: float = 0.5
    backoff: timedelta = timedelta(seconds=2)
    max_attempts: int = 12


async def enqueue_callbacks(uow: UnitOfWork, row: store.TicketRow, events: list[TicketEvent], *,
                            now: datetime) -> None:
    """Queue one callback per event the hotline hears of, for this ticket and tickets merged into it."""
    heard = [event for event in events if type(event) in hotline.CALLBACK_STATUS]
    if not heard:
        return
    if row.hotline_client and row.external_id:
        for event in heard:
            await _queue(uow, row, event, now=now)
    if any(isinstance(event, _SHARED_OUTCOMES) for event in heard):
        for merged in await store.merged_into(uow, row.id):
            if merged.hotline_client and merged.external_id:
                for event in heard:
                    if isinstance(event, _SHARED_OUTCOMES):
                        await _queue(uow, merged, event, now=now, master=row)


async def _queue(uow: UnitOfWork, row: store.TicketRow, event: TicketEvent, *, now: datetime,
                 master: store.TicketRow | None = None) -> None:
    assert row.hotline_client and row.external_id
    sequence = await store.next_callback_sequence(uow, row.id)
    payload = hotline.callback_for(event, order_no=row.external_id, result=(master or row).result,
                                   sequence=sequence)
    assert payload is not None
    if master is not None:
        payload.update(ticket_id=row.id, master_ticket_id=master.id)
    uow.session.add(store.HotlineCallback(
        client_id=row.hotline_client, ticket_id=row.id, order_no=row.external_id, sequence=sequence,
        kind=payload["kind"], payload=payload, next_attempt_at=now, created_at=now,
    ))
    await uow.session.flush()


@dataclass(frozen=True)
class _Due:
    id: int
    client_id: str
    payload: dict[str, Any]
    url: str | None
    secret: str


async def deliver_due(db: Database, send: Send, *, now: datetime, decrypt: Callable[[str], str],
                      policy: CallbackPolicy = CallbackPolicy()) -> int:
    """Try every ticket's first pending callback that is due; returns how many were delivered.

    The HTTP calls happen outside any transaction, so a slow hotline never holds the database.
    """
    async with db.uow() as uow:
        integrations = {row.client_id: row for row in await store.hotline_integrations(uow)}
        due = [_Due(c.id or 0, c.client_id, c.payload, getattr(integrations.get(c.client_id), "callback_url", None),
                    decrypt(integrations[c.client_id].secret_encrypted) if c.client_id in integrations else "")
               for c in await store.pending_callbacks(uow) if store.aware(c.next_attempt_at) <= now]
    outcomes = {item.id: await _attempt(item, send, now=now) for item in due}
    if not outcomes:
        return 0
    async with db.uow() as uow:
        for callback_id, error in outcomes.items():
            callback = await uow.session.get(store.HotlineCallback, callback_id)
            if callback is not None:
                _settle(callback, error, now=now, policy=policy)
        await uow.commit()
    return sum(error is None for error in outcomes.values())


async def _attempt(item: _Due, send: Send, *, now: datetime) -> str | None:
    """None when the hotline took it (2xx), else why not."""
    if not item.url:
        return "final: no callback URL configured"
    body = hotline.encode_body(item.payload)
    headers = hotline.signed_headers(item.secret, body, client_id=item.client_id, now=now,
                                     nonce=secrets.token_hex(12))
    try:
        status = await send(item.url, body, headers)
    except Exception as error:  # network failures are retried, never raised
        return f"{type(error).__name__}: {error}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def _settle(callback: store.HotlineCallback, error: str | None, *, now: datetime, policy: CallbackPolicy) -> None:
    if error is None:
        callback.status, callback.delivered_at, callback.attempts = "delivered", now, callback.attempts + 1
        return
    _failed(callback, error.removeprefix("final: "), now=now, policy=policy, final=error.startswith("final: "))


def _failed(callback: store.HotlineCallback, error: str, *, now: datetime, policy: CallbackPolicy,
            final: bool = False) -> None:
    callback.attempts += 1
    callback.last_error = error
    if final or hotline.gives_up(callback.attempts, max_attempts=policy.max_attempts):
        callback.status = "failed"
        log.warning("hotline callback %s for %s given up: %s", callback.id, callback.ticket_id, error)
        return
    callback.next_attempt_at = hotline.next_attempt_at(callback.attempts, now=now, base=policy.backoff)


def log_entry(row: store.HotlineCallback) -> dict[str, Any]:
    return {
        "id": row.id, "ticket_id": row.ticket_id, "order_no": row.order_no, "sequence": row.sequence,
        "kind": row.kind, "status": row.status, "attempts": row.attempts, "last_error": row.last_error,
        "next_attempt_at": store.aware(row.next_attempt_at), "delivered_at": store.aware(row.delivered_at),
        "payload": row.payload,
    }

"""The 12345 hotline channel: integrations, signed pushes of work orders (工单), and the return visit (回访)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from services.intake import store
from services.intake.domain import hotline
from services.intake.domain.model import NewTicket
from services.intake.handlers.tickets import create_ticket
from shared.db import UnitOfWork


@dataclass(frozen=True)
class SignedPush:
    client_id: str
    timestamp: str
    nonce: str
    signature: str
    body: bytes


@dataclass(frozen=True)
class Receipt:
    ticket_id: str
    duplicate: bool
    category_mapped: bool


async def register_integration(uow: UnitOfWork, *, scope: str, callback_url: str | None, label: str,
                               encrypt: Callable[[str], str], now: datetime) -> tuple[str, str]:
    """A new integration: its client id and signing secret (the secret is shown only this once)."""
    client_id, secret = f"hl-{secrets.token_hex(6)}", secrets.token_urlsafe(32)
    uow.session.add(store.HotlineIntegration(client_id=client_id, secret_encrypted=encrypt(secret),
                                             callback_url=callback_url, scope=scope, label=label, created_at=now))
    await uow.commit()
    return client_id, secret


async def authenticate_push(uow: UnitOfWork, push: SignedPush, *, decrypt: Callable[[str], str],
                            now: datetime) -> store.HotlineIntegration:
    """Check timestamp, signature and nonce; remember the nonce in the caller's transaction."""
    integration = await uow.session.get(store.HotlineIntegration, push.client_id)
    if integration is None:
        raise hotline.BadSignature("unknown client id")
    seen = await store.seen_nonces(uow, client_id=push.client_id, nonce=push.nonce)
    hotline.verify(decrypt(integration.secret_encrypted), push.signature, timestamp=push.timestamp,
                   nonce=push.nonce, body=push.body, now=now, seen_nonces=seen)
    uow.session.add(store.HotlineNonce(client_id=push.client_id, nonce=push.nonce, seen_at=now))
    try:
        await uow.session.flush()  # a concurrent replay of the same nonce fails here on the primary key
    except IntegrityError:
        raise hotline.ReplayedNonce("nonce already used") from None
    return integration


async def receive_order(uow: UnitOfWork, integration: store.HotlineIntegration, new: NewTicket, *,
                        order_no: str, district: str, now: datetime, reporter_encrypted: str | None,
                        reporter_masked: dict[str, str] | None) -> Receipt:
    """A work order becomes a ticket once: the same order number again answers the first ticket."""
    existing = await uow.session.get(store.HotlineOrder, (integration.client_id, order_no))
    if existing is not None:
        await uow.commit()  # keeps the nonce: a replayed push is still refused
        return Receipt(existing.ticket_id, duplicate=True, category_mapped=new.category_mapped)
    row = await create_ticket(uow, new, district=district, actor=integration.client_id, now=now,
                              reporter_encrypted=reporter_encrypted, reporter_masked=reporter_masked,
                              hotline_client=integration.client_id, commit=False)
    uow.session.add(store.HotlineOrder(client_id=integration.client_id, order_no=order_no, ticket_id=row.id,
                                       created_at=now))
    try:
        await uow.commit()
    except IntegrityError:  # the same order pushed twice at once: the other push created the ticket
        await uow.session.rollback()
        first = await uow.session.get(store.HotlineOrder, (integration.client_id, order_no))
        if first is None:
            raise
        return Receipt(first.ticket_id, duplicate=True, category_mapped=new.category_mapped)
    return Receipt(row.id, duplicate=False, category_mapped=new.category_mapped)


async def find_order(uow: UnitOfWork, *, client_id: str, order_no: str) -> store.TicketRow | None:
    order = await uow.session.get(store.HotlineOrder, (client_id, order_no))
    return await store.get_ticket(uow, order.ticket_id) if order else None


async def forget_old_nonces(uow: UnitOfWork, *, now: datetime) -> None:
    """Nonces older than the replay window can go: their pushes are refused as stale anyway."""
    await store.forget_nonces(uow, before=now - hotline.replay_window() - timedelta(minutes=1))
    await uow.commit()


"""12345 hotline integration: signed pushes, category mapping, urgency, and the callbacks we send back.

Follows the spirit of GB/T 33358 and 接诉即办: a receipt (受理回执) at once, every status change,
the handling result (办理结果) and the satisfaction return visit (回访).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.events.ticket import (
    Severity,
    TicketClosed,
    TicketEvaluated,
    TicketEvent,
    TicketExtended,
    TicketMerged,
    TicketNotAccepted,
    TicketReceived,
    TicketReopened,
    TicketResolved,
    TicketResumed,
    TicketReturned,
    TicketRouted,
    TicketSigned,
    TicketStarted,
    TicketSuspended,
)

MAX_SKEW = timedelta(seconds=300)
HEADER_CLIENT = "X-Client-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
Priority = Literal["urgent", "high", "normal", "low"]
CallbackKind = Literal["receipt", "status", "result", "visit"]


class HotlineRejected(Exception):
    """A push the hotline must not be answered with a ticket for (the API answers 401)."""


class BadSignature(HotlineRejected):
    """The HMAC does not match the body, timestamp and nonce."""


class StaleTimestamp(HotlineRejected):
    """The timestamp is further than ``MAX_SKEW`` from our clock (or not a number)."""


class ReplayedNonce(HotlineRejected):
    """A nonce already seen inside the replay window."""


def signing_string(*, timestamp: str, nonce: str, body: bytes | str) -> bytes:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return f"{timestamp}\n{nonce}\n{text}".encode()


def sign(secret: str | bytes, *, timestamp: str, nonce: str, body: bytes | str) -> str:
    """Hex HMAC-SHA256 over ``f"{timestamp}\\n{nonce}\\n{body}"`` with the integration's secret."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, signing_string(timestamp=timestamp, nonce=nonce, body=body), hashlib.sha256).hexdigest()


def check_timestamp(timestamp: str, *, now: datetime, max_skew: timedelta = MAX_SKEW) -> datetime:
    """The timestamp (Unix seconds) as a datetime, or ``StaleTimestamp`` when it is too far from ``now``."""
    try:
        sent = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        raise StaleTimestamp(f"timestamp '{timestamp}' is not Unix seconds") from None
    if abs(now - sent) > max_skew:
        raise StaleTimestamp(f"timestamp is {abs(now - sent).total_seconds():.0f} s away from server time")
    return sent


def check_nonce(nonce: str, *, seen: Container[str]) -> None:
    """Refuse a nonce already used; the store keeps used nonces for ``replay_window()``."""
    if not nonce or len(nonce) > 128:
        raise ReplayedNonce("nonce must be 1-128 characters")
    if nonce in seen:
        raise ReplayedNonce("nonce already used")


def replay_window(max_skew: timedelta = MAX_SKEW) -> timedelta:
    """How long a nonce must be remembered: any older push is refused as stale anyway."""
    return 2 * max_skew


def verify(
    secret: str | bytes, signature: str, *, timestamp: str, nonce: str, body: bytes | str, now: datetime,
    seen_nonces: Container[str] = (), max_skew: timedelta = MAX_SKEW,
) -> None:
    """Accept a push only with a fresh timestamp, a matching signature and an unused nonce."""
    check_timestamp(timestamp, now=now, max_skew=max_skew)
    expected = sign(secret, timestamp=timestamp, nonce=nonce, body=body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise BadSignature("signature does not match")
    check_nonce(nonce, seen=seen_nonces)


@dataclass(frozen=True)
class MappedCategory:
    code: str
    mapped: bool
    hotline_name: str


def _normal(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def map_category(name: str, mapping: Mapping[str, str], *, fallback: str) -> MappedCategory:
    """The taxonomy item for a hotline category name; unmapped names keep ``fallback`` and are flagged."""
    table = _lookup_table(mapping)
    wanted = _normal(name)
    for candidate in (wanted, *reversed(_path_parts(wanted))):  # "城市管理-市容环境-占道经营": the leaf next
        if candidate in table:
            return MappedCategory(code=table[candidate], mapped=True, hotline_name=name)
    return MappedCategory(code=fallback, mapped=False, hotline_name=name)


def _lookup_table(mapping: Mapping[str, str]) -> dict[str, str]:
    """Full names, plus each name's leaf ("占道经营" for "城市管理-占道经营") when no other name shares it."""
    full = {_normal(key): code for key, code in mapping.items()}
    leaves: dict[str, set[str]] = {}
    for key, code in full.items():
        leaves.setdefault(_path_parts(key)[-1] if _path_parts(key) else key, set()).add(code)
    unique = {leaf: next(iter(codes)) for leaf, codes in leaves.items() if len(codes) == 1}
    return {**unique, **full}


def _path_parts(name: str) -> list[str]:
    for separator in ("/", ">", "-", "—", "|", "｜", "／"):
        name = name.replace(separator, "/")
    return [part for part in name.split("/") if part]


@dataclass(frozen=True)
class Urgency:
    severity: Severity
    priority: Priority


URGENCY: dict[str, Urgency] = {
    "特急": Urgency("重大", "urgent"),
    "特别紧急": Urgency("重大", "urgent"),
    "紧急": Urgency("较大", "high"),
    "加急": Urgency("较大", "high"),
    "急": Urgency("较大", "high"),
    "一般": Urgency("一般", "normal"),
    "普通": Urgency("一般", "normal"),
    "不急": Urgency("一般", "low"),
}


def map_urgency(urgency: str | None) -> Urgency:
    """Hotline urgency (特急/紧急/一般 …) → ticket severity and priority; unknown means 一般/normal."""
    return URGENCY.get(_normal(urgency or ""), Urgency("一般", "normal"))


CALLBACK_STATUS: dict[type[Any], tuple[CallbackKind, str, str]] = {
    TicketReceived: ("receipt", "accepted", "已受理"),
    TicketNotAccepted: ("status", "not_accepted", "不予受理"),
    TicketRouted: ("status", "dispatched", "已派遣"),
    TicketSigned: ("status", "signed", "已签收"),
    TicketStarted: ("status", "in_progress", "处置中"),
    TicketReturned: ("status", "returned", "已退回，重新派遣中"),
    TicketSuspended: ("status", "suspended", "已挂起"),
    TicketResumed: ("status", "in_progress", "恢复办理"),
    TicketExtended: ("status", "extended", "已延期"),
    TicketResolved: ("status", "resolved", "已办结，待核查"),
    TicketReopened: ("status", "reopened", "重办"),
    TicketMerged: ("status", "merged", "已合并办理"),
    TicketClosed: ("result", "closed", "已办结"),
    TicketEvaluated: ("visit", "evaluated", "已回访"),
}


def callback_for(
    event: TicketEvent, *, order_no: str, result: str = "", sequence: int = 0
) -> dict[str, Any] | None:
    """The callback payload the hotline gets for ``event``, or None when it does not hear of it."""
    known = CALLBACK_STATUS.get(type(event))
    if known is None:
        return None
    kind, status, label = known
    payload: dict[str, Any] = {
        "kind": kind, "order_no": order_no, "ticket_id": event.ticket_id, "status": status,
        "status_label": label, "occurred_at": event.occurred_at.isoformat(), "sequence": sequence,
    }
    payload.update(_details(event, result=result))
    return payload


def _details(event: TicketEvent, *, result: str) -> dict[str, Any]:
    if isinstance(event, TicketRouted):
        due = event.assignment.due_at
        return {"unit_name": event.assignment.unit_name, "due_at": due.isoformat() if due else None}
    if isinstance(event, TicketNotAccepted | TicketReturned | TicketSuspended | TicketReopened):
        return {"reason": event.reason}
    if isinstance(event, TicketMerged):
        return {"master_ticket_id": event.master_id}
    if isinstance(event, TicketResolved | TicketClosed):
        return {"result": getattr(event, "result", "") or result}
    if isinstance(event, TicketEvaluated):
        return {"satisfaction": event.rating}
    return {}


def receipt(*, order_no: str, ticket_id: str, now: datetime, duplicate: bool = False) -> dict[str, Any]:
    """The synchronous answer to a push (受理回执); a repeated order number returns the same ticket id."""
    return {
        "kind": "receipt", "order_no": order_no, "ticket_id": ticket_id, "status": "accepted",
        "status_label": "已受理", "occurred_at": now.isoformat(), "duplicate": duplicate,
    }


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes: the exact bytes signed are the bytes sent."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signed_headers(
    secret: str | bytes, body: bytes, *, client_id: str, now: datetime, nonce: str
) -> dict[str, str]:
    """Headers for an outgoing callback, signed the same way the hotline signs its pushes."""
    timestamp = str(int(now.timestamp()))
    return {
        "Content-Type": "application/json; charset=utf-8", HEADER_CLIENT: client_id, HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce, HEADER_SIGNATURE: sign(secret, timestamp=timestamp, nonce=nonce, body=body),
    }


def next_attempt_at(
    attempt: int, *, now: datetime, base: timedelta = timedelta(seconds=2), cap: timedelta = timedelta(minutes=30)
) -> datetime:
    """Exponential backoff after failed attempt number ``attempt`` (1-based), capped."""
    delay = base * (1 << min(max(attempt - 1, 0), 20))
    return now + min(delay, cap)


def gives_up(attempt: int, *, max_attempts: int = 12) -> bool:
    return attempt >= max_attempts

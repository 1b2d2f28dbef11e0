"""The live tail: a ring of recent events fed by the consumer, fanned out to every SSE client."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from services.analytics.domain.ring import LiveItem, Ring
from shared.bus.envelope import Envelope
from shared.events.alert import AlertRaised
from shared.taxonomy import UnknownCategory, load_taxonomy

LABELS: dict[str, str] = {
    "received": "受理", "located": "定位", "routed": "派遣", "not_accepted": "不予受理", "signed": "签收",
    "started": "处置中", "resolved": "处置反馈", "verified": "核查", "closed": "结案", "evaluated": "评价",
    "returned": "退回", "reported_up": "上报", "extension_requested": "申请延期", "extended": "延期",
    "suspended": "挂起", "resumed": "恢复", "reopened": "重办", "merged": "合并", "joint_requested": "吹哨报到",
    "arbitration_requested": "争议仲裁", "reminded": "催办", "supervised": "督办", "escalated": "升级",
    "overdue": "超时", "raised": "预警",
}


def category_name(code: str | None) -> str:
    if not code:
        return ""
    try:
        return load_taxonomy().item(code).name
    except (UnknownCategory, LookupError):
        return code


def short_type(ce_type: str) -> str:
    """``cn.gridgov.ticket.routed.v1`` → ``routed``."""
    parts = ce_type.split(".")
    return parts[-2] if len(parts) >= 2 else ce_type


def payload_of(envelope: Envelope) -> dict[str, Any]:
    """What a dashboard row shows: type, Chinese label, ticket, place, time and a one-line note."""
    event, kind = envelope.data, short_type(envelope.type)
    data = event.model_dump(mode="json")
    note = ""
    if kind == "routed":
        note = data["assignment"]["unit_name"]
    elif kind == "received":
        note = category_name(data.get("category"))
    elif kind == "evaluated":
        note = data.get("rating", "")
    elif isinstance(event, AlertRaised):
        note = event.title
    return {
        "type": kind, "label": LABELS.get(kind, kind), "ce_type": envelope.type,
        "ticket_id": data.get("ticket_id") or data.get("alert_id"), "jurisdiction": envelope.jurisdiction,
        "time": data.get("occurred_at") or envelope.time.isoformat(), "note": note,
        "channel": data.get("channel"), "category": data.get("category"),
    }


def frame(item: LiveItem) -> str:
    """One Server-Sent Events frame: ``id`` (sequence), ``event`` (ticket|alert), ``data`` (JSON)."""
    kind = "alert" if item.payload.get("type") == "raised" else "ticket"
    return f"id: {item.seq}\nevent: {kind}\ndata: {orjson.dumps(item.payload).decode()}\n\n"


class LiveHub:
    """One per process. Writers append; each SSE client waits for news and reads the ring after its last id."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.ring = Ring(capacity)
        self._news = asyncio.Event()
        self._frames: dict[int, str] = {}

    def publish(self, envelope: Envelope) -> LiveItem | None:
        item = self.ring.append(envelope.id, envelope.jurisdiction, payload_of(envelope))
        if item is not None:
            self._frames[item.seq] = frame(item)
            self._frames.pop(item.seq - self.ring.capacity, None)
            news, self._news = self._news, asyncio.Event()
            news.set()
        return item

    def frame(self, item: LiveItem) -> str:
        """The SSE frame of an item, encoded once for all clients."""
        return self._frames.get(item.seq) or frame(item)

    async def wait(self, after: int, *, prefix: str, timeout: float) -> list[LiveItem]:
        """Items after ``after`` under ``prefix``; waits up to ``timeout`` s for some when there are none yet."""
        items = self.ring.after(after, prefix=prefix)
        while not items:
            news = self._news
            try:
                await asyncio.wait_for(news.wait(), timeout)
            except TimeoutError:
                return []
            items = self.ring.after(after, prefix=prefix)
        return items

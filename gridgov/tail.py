"""`gridgov tail`: follow the analytics live stream (Server-Sent Events) in the terminal."""

from __future__ import annotations

import time

import httpx
import orjson
from rich.console import Console


def follow(*, console: Console, url: str, jurisdiction: str, api_key: str) -> None:
    """Print each event as a line; reconnect with Last-Event-ID after a drop."""
    last_id: str | None = None
    headers = {"X-API-Key": api_key} if api_key.startswith("ggk_") else {"Authorization": f"Bearer {api_key}"}
    while True:
        try:
            last_id = _stream(console, url=url, jurisdiction=jurisdiction, headers=headers, last_id=last_id)
        except httpx.HTTPStatusError as error:
            console.print(f"[red]{error.response.status_code}[/] {error.response.text}")
            return
        except httpx.HTTPError as error:
            console.print(f"[yellow]disconnected ({type(error).__name__}); reconnecting…[/]")
            time.sleep(1)


def _stream(console: Console, *, url: str, jurisdiction: str, headers: dict[str, str], last_id: str | None) -> str | None:
    if last_id:
        headers = {**headers, "Last-Event-ID": last_id}
    with httpx.stream("GET", f"{url}/api/v1/stream", params={"jurisdiction": jurisdiction}, headers=headers,
                      timeout=httpx.Timeout(10, read=None)) as response:
        response.raise_for_status()
        event: dict[str, str] = {}
        for line in response.iter_lines():
            if line.startswith(("id:", "event:", "data:")):
                field, _, value = line.partition(":")
                event[field] = value.strip()
            elif not line and "data" in event:
                last_id = event.get("id", last_id)
                _print_event(console, event)
                event = {}
    return last_id


def _print_event(console: Console, event: dict[str, str]) -> None:
    try:
        data = orjson.loads(event["data"])
    except orjson.JSONDecodeError:
        data = {"raw": event["data"]}
    what = data.get("label") or data.get("type") or event.get("event", "message")
    console.print(f"[dim]{data.get('time', '')[:19]}[/] [bold]{what:<6}[/] {data.get('ticket_id', '')} "
                  f"[cyan]{data.get('jurisdiction', '')}[/] {data.get('note', '')}", highlight=False)

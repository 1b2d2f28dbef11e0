#!/usr/bin/env python3
"""Container healthcheck: ask a `gridgov serve <service>` process for /readyz on its port.

Installed in the image as `gridgov-healthcheck`. Given a URL it probes that URL. Otherwise it finds the
gridgov process in the container: `serve` is probed over HTTP; `relay`, `scheduler` and `migrate` have
no HTTP endpoint and count as healthy while they run.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

DEFAULT_PORTS = {"intake": 8001, "routing": 8002, "escalation": 8003, "registry": 8004, "analytics": 8005}
COMMANDS = ("serve", "relay", "migrate", "scheduler")


def gridgov_command(argv: list[str]) -> list[str] | None:
    """The gridgov sub-command and its arguments, if `argv` runs the gridgov CLI."""
    for index, arg in enumerate(argv):
        if Path(arg).name == "gridgov" and index + 1 < len(argv) and argv[index + 1] in COMMANDS:
            return argv[index + 1 :]
    return None


def port_for(service: str, env: Mapping[str, str]) -> int:
    return int(env.get(f"GRIDGOV_{service.upper()}_PORT", DEFAULT_PORTS[service]))


def probe_url(commands: Iterable[list[str]], env: Mapping[str, str]) -> str | None:
    """The URL to probe for the first `serve` command, or None when no process serves HTTP."""
    for command in commands:
        if command[0] == "serve" and len(command) > 1 and command[1] in DEFAULT_PORTS:
            return f"http://127.0.0.1:{port_for(command[1], env)}/readyz"
    return None


def _running_commands() -> list[list[str]]:
    commands = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = [part.decode() for part in cmdline.read_bytes().split(b"\0") if part]
        except OSError:
            continue
        command = gridgov_command(argv)
        if command:
            commands.append(command)
    return commands


def _get_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        return 0 if _get_ok(argv[1]) else 1
    commands = _running_commands()
    if not commands:
        return 1
    url = probe_url(commands, os.environ)
    return 0 if url is None or _get_ok(url) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

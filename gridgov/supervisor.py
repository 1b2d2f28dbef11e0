"""`gridgov run`: the embedded broker and every service as child processes, logs prefixed per service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from rich.console import Console

from gridgov.services import NAMES, settings_for
from shared.broker import EmbeddedBroker

COLORS = {"broker": "white", "registry": "cyan", "intake": "green", "routing": "magenta", "escalation": "yellow",
          "analytics": "blue"}


class Supervisor:
    """Starts children, pipes their output with a prefix, stops them all on Ctrl-C."""

    def __init__(self, console: Console, *, var_dir: Path, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.var_dir = var_dir
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self.broker: EmbeddedBroker | None = None

    def kill(self, name: str) -> None:
        """kill -9 one service (chaos tests)."""
        process = self.children[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def start_broker(self, port: int) -> str:
        self.broker = EmbeddedBroker(port=port, log_path=self.var_dir / "broker.log").start()
        # Create the topics with their partition counts before anything produces (Tansu would auto-create 4).
        import asyncio

        from shared.bus.kafka import ensure_topics
        from shared.settings import CommonSettings

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:  # callable from inside a running event loop too
            pool.submit(lambda: asyncio.run(ensure_topics(CommonSettings(broker_url=self.broker.url)))).result()
        self.console.print(f"[bold]broker[/] Tansu on {self.broker.url} (memory storage)")
        return self.broker.url

    def start_service(self, name: str, env: dict[str, str]) -> None:
        merged = {**os.environ, **env}
        self.ports[name] = int(merged.get(f"GRIDGOV_{name.upper()}_PORT") or settings_for(name).port)
        process = subprocess.Popen([sys.executable, "-m", "gridgov", "serve", name], env={**os.environ, **env},
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.children[name] = process
        threading.Thread(target=self._pipe, args=(name, process), daemon=True).start()

    def _pipe(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        log_file = open(self.var_dir / f"{name}.log", "a", encoding="utf-8") if self.quiet else None
        for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip()
            if log_file is not None:
                log_file.write(line + "\n")
            else:
                self.console.print(f"[{COLORS.get(name, 'white')}]{name:>10}[/] | {line}", markup=True,
                                   highlight=False, soft_wrap=True)
        if log_file is not None:
            log_file.close()

    def wait_healthy(self, names: tuple[str, ...] = NAMES, *, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            url = f"http://127.0.0.1:{self.ports[name]}/healthz"
            while True:
                self._check_alive(name)
                try:
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not become healthy at {url}")
                time.sleep(0.2)

    def _check_alive(self, name: str) -> None:
        process = self.children[name]
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode}; see its log lines above")

    def watch(self) -> None:
        """Block until Ctrl-C or a child dies."""
        while True:
            for name, process in self.children.items():
                if process.poll() is not None:
                    self.console.print(f"[red]{name} exited with code {process.returncode}[/]")
                    return
            time.sleep(0.5)

    def stop(self) -> None:
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.children.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.broker is not None:
            self.broker.stop()

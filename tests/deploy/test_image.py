"""The container image: multi-stage, non-root, healthchecked, labelled, no secrets, runs the real CLI."""

from __future__ import annotations

import importlib.util
import re
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType

import pytest

from tests.deploy.manifests import COMMANDS, ROOT, SERVICES, settings_class

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _instructions(keyword: str) -> list[str]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in text.splitlines() if line.upper().startswith(keyword + " ")]


@pytest.fixture(scope="module")
def healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gridgov_healthcheck", ROOT / "deploy/docker/healthcheck.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_image_is_built_in_stages_and_runs_as_a_non_root_user() -> None:
    stages = _instructions("FROM")
    assert len(stages) >= 2 and "AS build" in stages[0] and "AS runtime" in stages[-1]
    assert "--from=build" in " ".join(_instructions("COPY"))
    (user,) = _instructions("USER")
    assert user.split(":")[0] not in {"0", "root"}
    assert _instructions("HEALTHCHECK") and "gridgov-healthcheck" in _instructions("HEALTHCHECK")[0]


def test_the_image_carries_oci_labels() -> None:
    labels = " ".join(_instructions("LABEL"))
    for key in ("title", "description", "version", "revision", "created", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_no_secret_is_baked_into_the_image() -> None:
    settings = " ".join(_instructions("ENV") + _instructions("ARG"))
    assert not re.search(r"SECRET|PII_KEY|PASSWORD|DATABASE_URL|TOKEN", settings, re.IGNORECASE)
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "**" in ignored, "the build context starts empty and lists what it lets in"
    assert {"**/.env", "**/*.db"} <= set(ignored)


def test_the_entrypoint_is_the_installed_gridgov_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "gridgov" in project["project"]["scripts"]
    assert _instructions("ENTRYPOINT") == ['["gridgov"]']


def test_every_copied_source_exists_and_is_in_the_build_context() -> None:
    allowed = [line[1:].removesuffix("/**") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")]
    sources = [word for copy in _instructions("COPY") if "--from=" not in copy
               for word in copy.split()[:-1] if not word.startswith("--")]
    assert {"pyproject.toml", "shared", "services", "gridgov"} <= set(sources)
    # README.md is pyproject's readme; the lead writes it, so it may not exist yet.
    missing = [source for source in sources if not (ROOT / source).exists() and source != "README.md"]
    assert missing == []
    outside = [s for s in sources if not any(s == entry or s.startswith(entry + "/") for entry in allowed)]
    assert outside == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_healthcheck_probes_readyz_on_the_service_port(healthcheck: ModuleType, service: str) -> None:
    argv = ["/opt/gridgov/bin/python", "/opt/gridgov/bin/gridgov", "serve", service]
    command = healthcheck.gridgov_command(argv)
    assert command == ["serve", service]
    port = settings_class(service)().port
    assert healthcheck.probe_url([command], {}) == f"http://127.0.0.1:{port}/readyz"
    assert healthcheck.probe_url([command], {f"GRIDGOV_{service.upper()}_PORT": "9101"}).endswith(":9101/readyz")


def test_processes_without_http_are_healthy_while_they_run(healthcheck: ModuleType) -> None:
    assert set(healthcheck.COMMANDS) == set(COMMANDS)
    commands = [healthcheck.gridgov_command(["gridgov", "relay", "intake"]), ["scheduler"]]
    assert healthcheck.probe_url(commands, {}) is None
    assert healthcheck.gridgov_command(["python", "-m", "http.server"]) is None


class _Ready(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ready_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=5)


def test_the_healthcheck_fails_unless_the_url_answers_2xx(healthcheck: ModuleType, ready_server: str) -> None:
    assert healthcheck.main(["gridgov-healthcheck", f"{ready_server}/readyz"]) == 0
    assert healthcheck.main(["gridgov-healthcheck", f"{ready_server}/other"]) == 1

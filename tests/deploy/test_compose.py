"""docker-compose.yml follows the Compose Specification and runs the code's real commands and settings."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from shared import topics
from tests.deploy.compose_files import Compose, gridgov_services, load, merge, schema
from tests.deploy.manifests import ROOT, SERVICES, allowed_env, service_of, settings_class

COMPOSE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "compose.override.yml"
DISTRICT_FILES = sorted((ROOT / "deploy" / "compose").glob("district-*.yml"))
ONE_SHOTS = {"kafka-init", *(f"{service}-migrate" for service in SERVICES)}


def _errors(compose: Compose) -> list[str]:
    validator = jsonschema.Draft201909Validator(schema())
    return [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(compose)]


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load(COMPOSE)


@pytest.mark.parametrize("extra", [None, OVERRIDE, *DISTRICT_FILES], ids=lambda p: p.name if p else "base")
def test_the_compose_files_follow_the_compose_specification(compose: Compose, extra: Path | None) -> None:
    files = [compose] if extra is None else [load(extra), merge(compose, load(extra))]
    assert [_errors(data) for data in files] == [[] for _ in files]


def test_the_schema_rejects_an_unknown_service_key(compose: Compose) -> None:
    broken = merge(compose, {"services": {"intake": {"enviroment": {}}}})
    assert _errors(broken)


def test_gridgov_containers_run_real_commands_with_known_settings(compose: Compose) -> None:
    containers = gridgov_services(compose)
    assert len(containers) == 16
    for name, service in containers.items():
        owner = service_of(service["command"])
        assert set(service["environment"]) - allowed_env(owner) == set(), name
        assert f"GRIDGOV_{owner.upper()}_DATABASE_URL" in service["environment"], name
        assert service["environment"]["GRIDGOV_CONSUMER_MODE"] == "group"
        assert service["environment"]["GRIDGOV_ENVIRONMENT"] == "production"


def test_dev_override_sets_only_known_settings(compose: Compose) -> None:
    merged = merge(compose, load(OVERRIDE))
    for name, service in gridgov_services(merged).items():
        names = set(service["environment"]) - {"PYTHONPATH"}
        assert names - allowed_env(service_of(service["command"])) == set(), name


@pytest.mark.parametrize("service", SERVICES)
def test_each_api_listens_on_its_settings_port_is_healthchecked_and_leaves_the_relay_out(
    compose: Compose, service: str
) -> None:
    api = compose["services"][service]
    env = api["environment"]
    prefix = f"GRIDGOV_{service.upper()}_"
    assert api["command"] == ["serve", service]
    assert env[f"{prefix}PORT"] == str(settings_class(service)().port)
    assert env[f"{prefix}HOST"] == "0.0.0.0"
    assert env[f"{prefix}RELAY_IN_PROCESS"] == "false"
    assert api["healthcheck"]["test"] == ["CMD", "gridgov-healthcheck"]
    assert compose["services"][f"{service}-relay"]["command"] == ["relay", service]
    assert compose["services"][f"{service}-migrate"]["command"] == ["migrate", service]
    assert compose["services"][f"{service}-migrate"]["restart"] == "no"


def test_start_order_waits_for_healthy_or_completed_services(compose: Compose) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s health"
            if rule["condition"] == "service_completed_successfully":
                assert dependency in ONE_SHOTS, f"{dependency} never completes"
    for name, service in gridgov_services(compose).items():
        waits = service["depends_on"]
        assert "postgres" in waits or any(d.endswith("-migrate") for d in waits), name


def test_callers_of_the_registry_wait_for_it(compose: Compose) -> None:
    for caller in ("intake", "routing", "analytics"):
        assert compose["services"][caller]["depends_on"]["registry"] == {"condition": "service_healthy"}
        assert compose["services"][caller]["environment"][f"GRIDGOV_{caller.upper()}_REGISTRY_URL"] == (
            "http://registry:8004")


def test_topics_are_created_with_the_expected_partitions_and_prefix(compose: Compose) -> None:
    init = compose["services"]["kafka-init"]["environment"]
    specs = dict(spec.split(":") for spec in init["TOPICS"].split())
    assert {topic: int(count) for topic, count in specs.items()} == topics.PARTITIONS
    assert init["TOPIC_PREFIX"] == compose["services"]["intake"]["environment"]["GRIDGOV_TOPIC_PREFIX"]
    assert init["KAFKA_BOOTSTRAP"] == compose["services"]["intake"]["environment"]["GRIDGOV_BROKER_URL"]


def test_each_service_uses_its_own_database_and_role_created_at_init(compose: Compose) -> None:
    created = compose["services"]["postgres"]["environment"]["GRIDGOV_DATABASES"].split()
    assert sorted(created) == sorted(SERVICES)
    for name, service in gridgov_services(compose).items():
        owner = service_of(service["command"])
        url = service["environment"][f"GRIDGOV_{owner.upper()}_DATABASE_URL"]
        match = re.fullmatch(r"postgresql\+asyncpg://(\w+):\$\{(\w+)[^}]*\}@postgres:5432/(\w+)", url)
        assert match, url
        assert match.groups() == (owner, f"{owner.upper()}_DB_PASSWORD", owner), name


def test_prometheus_scrapes_every_service_metrics_port(compose: Compose) -> None:
    config = load(ROOT / "deploy" / "compose" / "prometheus" / "prometheus.yml")
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "gridgov"]
    targets = {target for group in job["static_configs"] for target in group["targets"]}
    assert job["metrics_path"] == "/metrics"
    assert targets == {f"{service}:{settings_class(service)().port}" for service in SERVICES}


def _variables(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))


@pytest.mark.parametrize("env_file", ["example.env", "dev.env"])
def test_every_interpolated_variable_is_listed_in_the_env_files(env_file: str) -> None:
    listed = {line.split("=", 1)[0] for line in (ROOT / "deploy" / "compose" / env_file).read_text().splitlines()
              if line and not line.startswith("#")}
    used = _variables(COMPOSE.read_text()) | _variables(OVERRIDE.read_text())
    assert used - listed == set()


def test_no_secret_has_a_default_in_the_production_file() -> None:
    text = COMPOSE.read_text()
    for variable in ("GRIDGOV_SECRET_KEY", "GRIDGOV_PII_KEY", "POSTGRES_PASSWORD", "INTAKE_DB_PASSWORD"):
        assert re.search(rf"\$\{{{variable}:\?", text), variable
        assert not re.search(rf"\$\{{{variable}:-", text), variable


@pytest.mark.parametrize(("script", "shell"), [
    ("deploy/compose/postgres/init-databases.sh", "sh"),
    ("deploy/k8s/base/kafka-topics/create-topics.sh", "bash"),
])
def test_the_init_scripts_are_valid_shell(script: str, shell: str) -> None:
    interpreter = shutil.which(shell)
    if interpreter is None:
        pytest.skip(f"{shell} is not installed")
    result = subprocess.run([interpreter, "-n", str(ROOT / script)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_mounted_files_exist(compose: Compose) -> None:
    mounts: list[Any] = [volume for service in compose["services"].values() for volume in service.get("volumes", [])]
    host_paths = [mount.split(":")[0] for mount in mounts if isinstance(mount, str) and mount.startswith("./")]
    assert host_paths
    assert [path for path in host_paths if not (ROOT / path).is_file()] == []

"""Render kustomize trees, validate them offline, and compare them with the services' settings."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"
SERVICES = ("intake", "routing", "escalation", "registry", "analytics")
COMMANDS = ("serve", "relay", "migrate", "scheduler")
CALLS = {"intake": {"registry"}, "routing": {"registry"}, "analytics": {"registry"}, "escalation": set(),
         "registry": set()}
# Env names the manifests already set and the lead is adding to the settings (see the issue 10 report).
PENDING_SETTINGS: set[str] = set()
IMAGE = "registry.example.cn/gridgov/gridgov:0.1.0"

Manifest = dict[str, Any]


def overlays() -> list[Path]:
    return sorted(path.parent for path in (K8S / "overlays").glob("*/kustomization.yaml"))


def render(path: Path) -> list[Manifest]:
    """`kubectl kustomize path`, parsed."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run([kubectl, "kustomize", str(path)], check=False, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@cache
def rendered(path: Path) -> tuple[Manifest, ...]:
    return tuple(render(path))


def schema_errors(manifest: Manifest) -> str | None:
    """The strict Kubernetes 1.30 schema error of `manifest`, or None when it is valid."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{manifest['kind']}/{manifest['metadata']['name']}: {error.message} at {list(error.path)}"
    except kubernetes_validate.SchemaNotFoundError as error:
        return error.message
    return None


def of_kind(manifests: tuple[Manifest, ...] | list[Manifest], kind: str) -> list[Manifest]:
    return [manifest for manifest in manifests if manifest["kind"] == kind]


def config_map(manifests: tuple[Manifest, ...], prefix: str) -> dict[str, str]:
    """The data of the generated ConfigMap named `prefix-<hash>`."""
    found = [m for m in of_kind(manifests, "ConfigMap") if m["metadata"]["name"].startswith(prefix + "-")]
    assert len(found) == 1, f"expected one ConfigMap {prefix}, found {len(found)}"
    return dict(found[0]["data"])


def settings_class(service: str) -> Any:
    return importlib.import_module(f"services.{service}.settings").Settings


def allowed_env(service: str) -> set[str]:
    """GRIDGOV_* names that pydantic-settings reads for one service's process."""
    settings = settings_class(service)
    prefix = settings.model_config["env_prefix"]
    own = {f"{prefix}{field.upper()}" for field in settings.model_fields if field != "common"}
    common = {f"GRIDGOV_{field.upper()}" for field in CommonSettings.model_fields}
    return own | common | PENDING_SETTINGS


def service_of(args: list[str]) -> str:
    """The service a gridgov command line works for (`scheduler` belongs to escalation)."""
    assert args and args[0] in COMMANDS, f"unknown gridgov command {args}"
    if args[0] == "scheduler":
        return "escalation"
    assert len(args) == 2 and args[1] in SERVICES, f"{args} names no service"
    return args[1]


def gridgov_containers(manifests: tuple[Manifest, ...]) -> list[tuple[Manifest, Manifest]]:
    """(workload, container) for every container that runs the gridgov image."""
    found = []
    for workload in [*of_kind(manifests, "Deployment"), *of_kind(manifests, "Job")]:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            if container.get("command") == ["gridgov"] or container["image"].startswith(IMAGE.split(":")[0]):
                found.append((workload, container))
    return found


def env_names(container: Manifest, manifests: tuple[Manifest, ...]) -> set[str]:
    names = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        name = source["configMapRef"]["name"]
        names |= set(config_map(manifests, name.rsplit("-", 1)[0]))
    return names


def expansion_names(container: Manifest) -> set[str]:
    """Env names used in $(NAME) expansions of other env values."""
    values = [item.get("value", "") for item in container.get("env", [])]
    return {name for value in values for name in re.findall(r"\$\(([A-Z_][A-Z0-9_]*)\)", value)}


def env_value(container: Manifest, name: str) -> str | None:
    return next((item.get("value") for item in container.get("env", []) if item["name"] == name), None)

"""Every kustomize overlay renders, validates strictly against Kubernetes 1.30, and matches the code."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from shared import topics
from tests.deploy.manifests import (
    CALLS,
    IMAGE,
    K8S,
    SERVICES,
    allowed_env,
    config_map,
    env_names,
    env_value,
    expansion_names,
    gridgov_containers,
    of_kind,
    overlays,
    rendered,
    schema_errors,
    service_of,
    settings_class,
)

DISTRICTS = [path for path in overlays() if path.name.isdigit()]
TREES = [K8S / "base", *overlays()]


def test_the_district_and_city_overlays_exist() -> None:
    assert {path.name for path in overlays()} >= {"330903", "430104", "city-3309"}


@pytest.mark.parametrize("tree", TREES, ids=lambda path: path.name)
def test_every_rendered_resource_is_valid_kubernetes_1_30(tree: Path) -> None:
    manifests = rendered(tree)
    assert len(manifests) > 10
    assert [error for error in map(schema_errors, manifests) if error] == []


def test_strict_validation_rejects_an_unknown_field() -> None:
    deployment = copy.deepcopy(of_kind(rendered(K8S / "base"), "Deployment")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["enviroment"] = []
    assert schema_errors(deployment) is not None


@pytest.mark.parametrize("tree", TREES, ids=lambda path: path.name)
def test_gridgov_containers_run_the_image_with_a_real_command_and_settings(tree: Path) -> None:
    manifests = rendered(tree)
    containers = gridgov_containers(manifests)
    assert containers
    for workload, container in containers:
        where = f"{tree.name}: {workload['metadata']['name']}"
        assert container["image"] == IMAGE, where
        assert container["command"] == ["gridgov"], where
        service = service_of(container["args"])
        unknown = {name for name in env_names(container, manifests) if name.startswith("GRIDGOV_")}
        assert unknown - allowed_env(service) == set(), where
        helpers = {name for name in env_names(container, manifests) if not name.startswith("GRIDGOV_")}
        assert helpers <= expansion_names(container), f"{where}: env set but never used"
        assert f"GRIDGOV_{service.upper()}_DATABASE_URL" in env_names(container, manifests), where


@pytest.mark.parametrize("tree", TREES, ids=lambda path: path.name)
def test_api_deployments_listen_on_the_settings_port_with_probes(tree: Path) -> None:
    manifests = rendered(tree)
    apis = [(w, c) for w, c in gridgov_containers(manifests) if c["args"][0] == "serve"]
    assert apis
    for workload, container in apis:
        service = container["args"][1]
        port = settings_class(service)().port
        assert workload["metadata"]["name"] == service
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert env_value(container, f"GRIDGOV_{service.upper()}_PORT") == str(port)
        assert env_value(container, f"GRIDGOV_{service.upper()}_HOST") == "0.0.0.0"
        assert env_value(container, f"GRIDGOV_{service.upper()}_RELAY_IN_PROCESS") == "false"
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        callee_url = env_value(container, f"GRIDGOV_{service.upper()}_REGISTRY_URL")
        assert callee_url == ("http://registry:8004" if CALLS[service] else None)


@pytest.mark.parametrize("tree", TREES, ids=lambda path: path.name)
def test_each_api_has_one_relay_a_service_an_hpa_within_partitions_and_a_pdb(tree: Path) -> None:
    manifests = rendered(tree)
    deployments = {d["metadata"]["name"]: d for d in of_kind(manifests, "Deployment")}
    services = {s["metadata"]["name"]: s for s in of_kind(manifests, "Service")}
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(manifests, "HorizontalPodAutoscaler")}
    pdbs = {p["metadata"]["name"]: p for p in of_kind(manifests, "PodDisruptionBudget")}
    apis = [name for name in SERVICES if name in deployments]
    assert apis
    for name in apis:
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert deployments[f"{name}-relay"]["spec"]["replicas"] == 1
        assert services[name]["spec"]["ports"][0]["port"] == settings_class(name)().port
        assert services[name]["spec"]["selector"].items() <= pod_labels.items()
        assert pdbs[name]["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert hpas[name]["spec"]["maxReplicas"] <= topics.PARTITIONS[topics.TICKETS]
    assert set(hpas) == set(apis), "relays and the scheduler must not autoscale"


@pytest.mark.parametrize("tree", TREES, ids=lambda path: path.name)
def test_each_service_reaches_only_kafka_its_database_telemetry_and_its_callees(tree: Path) -> None:
    manifests = rendered(tree)
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(manifests, "NetworkPolicy")}
    assert policies["default-deny"]["policyTypes"] == ["Ingress", "Egress"]
    for service in {d["metadata"]["labels"]["app.kubernetes.io/name"] for d in of_kind(manifests, "Deployment")}:
        reached = set()
        for rule in policies[f"{service}-egress"]["egress"]:
            for peer in rule["to"]:
                labels = peer.get("podSelector", {}).get("matchLabels", {})
                reached.add(labels.get("gridgov/database") and f"db:{labels['gridgov/database']}"
                            or labels.get("app.kubernetes.io/name"))
        expected = {"kafka", f"db:{service}", "opentelemetry-collector", *CALLS[service]}
        assert reached == expected, service


@pytest.mark.parametrize("district", DISTRICTS, ids=lambda path: path.name)
def test_a_district_overlay_sets_jurisdiction_topic_prefix_and_database_names(district: Path) -> None:
    code = district.name
    manifests = rendered(district)
    common = config_map(manifests, "gridgov-common")
    assert common["GRIDGOV_DISTRICT_CODE"] == code
    assert common["GRIDGOV_TOPIC_PREFIX"] == f"{code}."
    databases = config_map(manifests, "gridgov-databases")
    assert {databases[f"{service}.database"] for service in SERVICES} == {f"{s}_{code}" for s in SERVICES}
    namespaced = [m for m in manifests if m["kind"] != "Namespace"]
    assert {m["metadata"]["namespace"] for m in namespaced} == {f"gridgov-{code}"}


def test_the_city_overlay_runs_escalation_and_analytics_on_the_districts_topics() -> None:
    manifests = rendered(K8S / "overlays" / "city-3309")
    apis = {c["args"][1] for _, c in gridgov_containers(manifests) if c["args"][0] == "serve"}
    assert apis == {"escalation", "analytics"}
    pattern = re.compile(rf"^(?:{config_map(manifests, 'gridgov-common')['GRIDGOV_TOPIC_PATTERN']})"
                         + re.escape(topics.TICKETS) + "$")
    assert pattern.match("330903.gridgov.tickets") and pattern.match("330902.gridgov.tickets")
    assert not pattern.match("430104.gridgov.tickets")
    assert not pattern.match("330903.gridgov.registry")


@pytest.mark.parametrize("tree", TREES, ids=lambda path: path.name)
def test_the_topic_job_creates_every_topic_with_the_expected_partitions(tree: Path) -> None:
    (job,) = [j for j in of_kind(rendered(tree), "Job") if j["metadata"]["name"] == "kafka-topics"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    specs = dict(spec.split(":") for spec in (env_value(container, "TOPICS") or "").split())
    assert {topic: int(count) for topic, count in specs.items()} == topics.PARTITIONS

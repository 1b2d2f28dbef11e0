"""`new_district` writes an overlay and a compose file that pass the same checks as the committed ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gridgov.new_district import COMPOSE_CONTAINERS, InvalidDistrict, new_district
from tests.deploy.compose_files import gridgov_services, load, merge
from tests.deploy.manifests import K8S, ROOT, config_map, gridgov_containers, render, schema_errors


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(K8S / "base", tmp_path / "deploy" / "k8s" / "base")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    return tmp_path


def test_a_new_district_overlay_renders_valid_and_configured(project: Path) -> None:
    written = new_district("320105", "建邺区", root=project)
    overlay = project / "deploy" / "k8s" / "overlays" / "320105"
    assert set(written) == {overlay / "kustomization.yaml", overlay / "namespace.yaml",
                            project / "deploy" / "compose" / "district-320105.yml"}
    manifests = render(overlay)
    assert [error for error in map(schema_errors, manifests) if error] == []
    assert config_map(tuple(manifests), "gridgov-common")["GRIDGOV_DISTRICT_CODE"] == "320105"
    assert config_map(tuple(manifests), "gridgov-databases")["routing.database"] == "routing_320105"
    assert len(gridgov_containers(tuple(manifests))) == len(COMPOSE_CONTAINERS)
    namespace = next(m for m in manifests if m["kind"] == "Namespace")
    assert namespace["metadata"]["annotations"]["gridgov/district-name"] == "建邺区"


def test_a_new_district_compose_file_sets_every_gridgov_container(project: Path) -> None:
    new_district("371602", "滨城区", root=project)
    base = load(project / "docker-compose.yml")
    merged = merge(base, load(project / "deploy" / "compose" / "district-371602.yml"))
    assert set(COMPOSE_CONTAINERS) == set(gridgov_services(base))
    for name in COMPOSE_CONTAINERS:
        environment = merged["services"][name]["environment"]
        assert environment["GRIDGOV_DISTRICT_CODE"] == "371602"
        assert environment["GRIDGOV_TOPIC_PREFIX"] == "371602."
        assert environment["GRIDGOV_BROKER_URL"] == base["services"][name]["environment"]["GRIDGOV_BROKER_URL"]
    assert merged["services"]["kafka-init"]["environment"]["TOPIC_PREFIX"] == "371602."


@pytest.mark.parametrize(("code", "name"), [("330903", "普陀区"), ("430104", "岳麓区")])
def test_the_committed_district_files_are_what_the_generator_writes(tmp_path: Path, code: str, name: str) -> None:
    for path in new_district(code, name, root=tmp_path):
        committed = ROOT / path.relative_to(tmp_path)
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), committed


def test_an_existing_district_is_not_overwritten(project: Path) -> None:
    new_district("320105", "建邺区", root=project)
    with pytest.raises(FileExistsError):
        new_district("320105", "建邺区", root=project)


@pytest.mark.parametrize(("code", "name"), [("330903001", "沈家门街道"), ("3309", "舟山市"), ("33090", "x"),
                                            ("330903", ""), ("330903", "普陀\n区")])
def test_a_code_that_is_not_a_district_or_a_bad_name_is_refused(tmp_path: Path, code: str, name: str) -> None:
    with pytest.raises(InvalidDistrict):
        new_district(code, name, root=tmp_path)
    assert not (tmp_path / "deploy").exists()


def test_the_cli_generates_a_district(tmp_path: Path) -> None:
    cli = pytest.importorskip("gridgov.cli")
    testing = pytest.importorskip("typer.testing")
    result = testing.CliRunner().invoke(cli.app, ["new-district", "320105", "--name", "建邺区", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "deploy" / "k8s" / "overlays" / "320105" / "kustomization.yaml").is_file()

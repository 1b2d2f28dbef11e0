"""Registry events on ``gridgov.registry``: replicas in other services are built from these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared import topics
from shared.events.base import Event

GridKind = Literal["comprehensive", "park", "market", "school", "migrant_housing", "commercial_building", "sea"]
UnitKind = Literal["community_committee", "street_platform", "district_department", "district_center", "park_office"]


class RegistryEvent(Event):
    topic: ClassVar[str] = topics.REGISTRY
    occurred_at: datetime
    jurisdiction: str


class DivisionUpserted(RegistryEvent):
    """A district, street/town or community/village was created or changed."""

    ce_type: ClassVar[str] = "cn.gridgov.division.upserted.v1"
    code: str
    name: str
    level: Literal["city", "district", "street", "community"]
    parent_code: str | None
    community_class: Literal["A", "B", "C"] | None = None


class GridUpserted(RegistryEvent):
    ce_type: ClassVar[str] = "cn.gridgov.grid.upserted.v1"
    code: str
    name: str
    kind: GridKind
    grid_class: Literal["A", "B", "C"]
    community_code: str
    polygon: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon/MultiPolygon, lon/lat")
    vessel_ids: list[str] = Field(default_factory=list)
    worker_count: int = 0


class GridRemoved(RegistryEvent):
    ce_type: ClassVar[str] = "cn.gridgov.grid.removed.v1"
    code: str


class UnitUpserted(RegistryEvent):
    """A handling unit: community 两委, a street platform, a district department or the district center."""

    ce_type: ClassVar[str] = "cn.gridgov.unit.upserted.v1"
    code: str
    name: str
    kind: UnitKind
    level: Literal["community", "street", "district", "city"]
    division_code: str
    function: str = Field(default="", description="platform or department key, e.g. 综合执法, 应急管理")
    webhook_url: str | None = None
    active: bool = True


class CredentialIssued(RegistryEvent):
    """An API key or operator account; carries only a hash, never the secret."""

    ce_type: ClassVar[str] = "cn.gridgov.credential.issued.v1"
    key_id: str
    kind: Literal["api_key", "operator"]
    secret_hash: str
    scope: str
    roles: list[str]
    label: str = ""
    expires_at: datetime | None = None


class CredentialRevoked(RegistryEvent):
    ce_type: ClassVar[str] = "cn.gridgov.credential.revoked.v1"
    key_id: str


class ResidentRecordChanged(RegistryEvent):
    """A resident record was registered, re-verified or moved out; carries no personal data."""

    ce_type: ClassVar[str] = "cn.gridgov.resident.changed.v1"
    person_id: str
    grid_code: str
    kind: str
    live: bool
    verified_at: datetime | None = None
    expires_at: datetime | None = None
    moved_out_at: datetime | None = None


class PlaceUpserted(RegistryEvent):
    """A building, key place, city component or organisation was registered (public fields only)."""

    ce_type: ClassVar[str] = "cn.gridgov.place.upserted.v1"
    place_id: str
    kind: str
    grid_code: str
    name: str

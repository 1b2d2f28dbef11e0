"""Places and things: buildings and rental housing (with capacity), city components (部件), key places."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.registry.domain.errors import InvalidComponentCode, InvalidRecord

BuildingUse = Literal["residential", "rental", "dormitory", "commercial", "industrial", "public"]
KeyPlaceKind = Literal[
    "school", "hospital", "market", "gas_station", "port", "hazardous_chemicals", "crowded_venue", "religious_site",
]
KEY_PLACE_NAMES_ZH = {
    "school": "学校", "hospital": "医院", "market": "农贸市场", "gas_station": "加油站", "port": "渔港码头",
    "hazardous_chemicals": "危化品企业", "crowded_venue": "人员密集场所", "religious_site": "宗教场所",
}
# CJ/T 214: county code (6) + major class (2) + minor class (2) + sequence (6).
COMPONENT_MAJOR_CLASSES = {
    "01": "公用设施", "02": "道路交通", "03": "市容环境", "04": "园林绿化", "05": "房屋土地", "06": "其他设施",
}


@dataclass(frozen=True, slots=True)
class Building:
    id: str
    name: str
    grid_code: str
    use: BuildingUse
    capacity: int
    address: str = ""
    lon: float | None = None
    lat: float | None = None

    @property
    def is_rental(self) -> bool:
        return self.use in ("rental", "dormitory")


@dataclass(frozen=True, slots=True)
class Component:
    code: str
    name: str
    grid_code: str
    owner_unit: str
    lon: float
    lat: float
    status: Literal["normal", "damaged", "missing", "removed"] = "normal"

    @property
    def major_class(self) -> str:
        return self.code[6:8]


@dataclass(frozen=True, slots=True)
class KeyPlace:
    id: str
    name: str
    kind: KeyPlaceKind
    grid_code: str
    risk_level: Literal["high", "medium", "low"] = "medium"
    address: str = ""
    lon: float | None = None
    lat: float | None = None


def _check_grid_code(code: str) -> None:
    if not (code.isdigit() and len(code) in (15, 18)):
        raise InvalidRecord(f"'{code}' is not a grid code")


def check_building(building: Building) -> Building:
    _check_grid_code(building.grid_code)
    if not building.name.strip():
        raise InvalidRecord("a building needs a name")
    if building.capacity < 0:
        raise InvalidRecord("a building's capacity cannot be negative")
    return building


def check_component(component: Component) -> Component:
    """A 16-digit CJ/T 214-style code inside the component's district, with a known major class."""
    code = component.code
    if not (code.isdigit() and len(code) == 16):
        raise InvalidComponentCode(f"component code '{code}' must have 16 digits")
    if not component.grid_code.startswith(code[:6]):
        raise InvalidComponentCode(f"component '{code}' is not in district {component.grid_code[:6]}")
    if component.major_class not in COMPONENT_MAJOR_CLASSES:
        raise InvalidComponentCode(f"component '{code}' has an unknown major class '{component.major_class}'")
    _check_grid_code(component.grid_code)
    return component


def check_key_place(place: KeyPlace) -> KeyPlace:
    _check_grid_code(place.grid_code)
    if place.kind not in KEY_PLACE_NAMES_ZH:
        raise InvalidRecord(f"unknown key place kind '{place.kind}'")
    if not place.name.strip():
        raise InvalidRecord("a key place needs a name")
    return place

"""Checks on an uploaded authority-list version against the taxonomy and the registry replica."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from services.routing.domain.catalog import FUNCTION_LEVEL, LEVELS, function_level, is_known_function
from services.routing.domain.replica import Replica
from services.routing.domain.rule_data import problem
from services.routing.domain.rules import RuleVersion, owner_of
from shared.taxonomy.model import Item

Problem = dict[str, str]


def validate_version(version: RuleVersion, *, items: Mapping[str, Item], replica: Replica) -> list[Problem]:
    """Every problem found: unknown codes and functions, unreachable units, items no unit can handle."""
    return [
        *_unknown_items(version, items),
        *_unknown_divisions(version, replica),
        *_bad_functions(version),
        *_unreachable(version, replica),
        *_uncovered(version, items=items, replica=replica),
    ]


def _mappings(version: RuleVersion) -> Iterator[tuple[str, str, str | None]]:
    """(where, level, function) for every level→function pair the version names."""
    for code, levels in version.authority.items():
        for level, function in levels.items():
            yield f"authority.{code}.{level}", level, function
    for index, override in enumerate(version.overrides):
        for level, target in override.authority.items():
            yield f"overrides[{index}].authority.{level}", level, target


def _unknown_items(version: RuleVersion, items: Mapping[str, Item]) -> Iterator[Problem]:
    for code in [*version.authority, *version.owners]:
        if code not in items:
            yield problem("unknown_item", code, detail=f"item code {code} is not in the taxonomy")
    for index, override in enumerate(version.overrides):
        if override.item and not any(code.startswith(override.item) for code in items):
            yield problem("unknown_item", f"overrides[{index}].item", detail=f"no taxonomy item starts with {override.item}")


def _unknown_divisions(version: RuleVersion, replica: Replica) -> Iterator[Problem]:
    for index, override in enumerate(version.overrides):
        division = override.division
        if division and division not in replica.divisions and not division.startswith(version.district):
            yield problem("unknown_division", f"overrides[{index}].division", detail=f"division {division} is not in the district")
        elif division and division not in replica.divisions:
            yield problem("unknown_division", f"overrides[{index}].division", detail=f"division {division} is not in the registry")


def _bad_functions(version: RuleVersion) -> Iterator[Problem]:
    for where, level, function in _mappings(version):
        if level not in LEVELS:
            yield problem("unknown_level", where, detail=f"level '{level}' is not one of {', '.join(LEVELS)}")
        elif function is not None and not is_known_function(function):
            yield problem("unknown_function", where, detail=f"function key '{function}' is unknown")
        elif function is not None and function_level(function) != level:
            yield problem("wrong_level", where, detail=f"'{function}' units live at {FUNCTION_LEVEL[function]} level, not {level}")
    for code, function in version.owners.items():
        if function and not is_known_function(function):
            yield problem("unknown_function", f"owners.{code}", detail=f"owner function key '{function}' is unknown")


def _unreachable(version: RuleVersion, replica: Replica) -> Iterator[Problem]:
    present = replica.functions()
    named = {function: where for where, _, function in _mappings(version) if function}
    named.update({function: f"owners.{code}" for code, function in version.owners.items() if function})
    for function, where in sorted(named.items()):
        if is_known_function(function) and function not in present:
            yield problem("unreachable_unit", where, detail=f"no unit with function '{function}' exists in the registry")


def _uncovered(version: RuleVersion, *, items: Mapping[str, Item], replica: Replica) -> Iterator[Problem]:
    present = replica.functions()
    for code in sorted(set(items) | set(version.authority)):
        functions = set(version.base_authority(code, items.get(code)).values())
        owner = owner_of(version, code, item=items.get(code))
        if owner:
            functions.add(owner)
        if not functions & present:
            yield problem("no_unit_for_item", code, detail=f"item {code} has no unit at any level")

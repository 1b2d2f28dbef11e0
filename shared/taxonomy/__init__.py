"""Category taxonomy (事项分类): modules → classes → subclasses → items, with who handles each and how fast.

Versioned data lives next to this module as `v<version>.json`; `build.py` regenerates it from `source/`.
"""

from shared.taxonomy.loader import available_versions, hotline_mapping, load_taxonomy
from shared.taxonomy.model import (
    FUNCTION_LEVEL,
    FUNCTIONS,
    HANDLING_LEVELS,
    HandlingLevel,
    InvalidTaxonomy,
    Item,
    Kind,
    Limit,
    LimitUnit,
    Priority,
    Taxonomy,
    UnknownCategory,
    UnknownTaxonomyVersion,
)

__all__ = [
    "FUNCTIONS",
    "FUNCTION_LEVEL",
    "HANDLING_LEVELS",
    "HandlingLevel",
    "InvalidTaxonomy",
    "Item",
    "Kind",
    "Limit",
    "LimitUnit",
    "Priority",
    "Taxonomy",
    "UnknownCategory",
    "UnknownTaxonomyVersion",
    "available_versions",
    "hotline_mapping",
    "load_taxonomy",
]

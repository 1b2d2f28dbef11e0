"""Read side: the figures the API and the dashboard show, each from a few pre-aggregated buckets."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.analytics import store
from services.analytics.domain.assessment import AssessmentRow, assessment, group_rulers
from services.analytics.domain.measures import Measures, measures
from services.analytics.domain.readmodel import NONE_VALUE, Dimension, Period, cover, period_start
from services.analytics.live import category_name
from shared.db import UnitOfWork

CHANNEL_LABELS = {"rest": "部门系统", "hotline": "12345热线", "open311": "Open311", "grid_worker": "网格员上报",
                  "import": "批量导入"}
CLASS_LABELS = {"A": "A类(重点)", "B": "B类(次重)", "C": "C类(常态)", NONE_VALUE: "未分类"}


async def summary(uow: UnitOfWork, *, prefix: str, since: date, until: date, period: Period | None,
                  by: Dimension | None) -> dict[str, Any]:
    """Total measures for the range, optionally a series per period and a breakdown by one dimension."""
    buckets = cover(since, until)
    total = (await store.read_counters(uow, prefix=prefix, dim="all", buckets=buckets)).get("", {})
    out: dict[str, Any] = {"jurisdiction": prefix, "since": since.isoformat(), "until": until.isoformat(),
                           "total": measures(total).as_dict()}
    if period:
        series = await store.read_series(uow, prefix=prefix, period=period, since=period_start(since, period),
                                         until=until)
        out["series"] = [{"start": start.isoformat(), **measures(c).as_dict()} for start, c in sorted(series.items())]
    if by and by != "all":
        rows = await store.read_counters(uow, prefix=prefix, dim=by, buckets=buckets)
        labels = await _labels(uow, by, rows)
        out["by"] = {"dimension": by, "rows": sorted(
            ({"value": value, "label": labels.get(value, value), **measures(c).as_dict()} for value, c in rows.items()),
            key=lambda row: (-int(row["received"] or 0), row["value"]))}
    return out


async def _labels(uow: UnitOfWork, dim: Dimension, rows: dict[str, Any]) -> dict[str, str]:
    if dim == "unit":
        return {NONE_VALUE: "未派遣", **await store.names_of_units(uow, rows)}
    if dim == "category":
        return {value: category_name(value) for value in rows}
    return CHANNEL_LABELS if dim == "channel" else CLASS_LABELS if dim == "class" else {}


async def assessment_table(uow: UnitOfWork, *, prefix: str, month: date) -> tuple[list[AssessmentRow], dict[str, Measures]]:
    """Rows per handling unit for the month's cohort under ``prefix``, and each peer group's ruler."""
    by_unit = await store.read_counters(uow, prefix=prefix, dim="unit", buckets=[("month", month.replace(day=1))])
    by_unit.pop(NONE_VALUE, None)
    names = await store.names_of_units(uow, by_unit)
    classes = await store.community_classes(uow, prefix)
    rows = assessment(by_unit, unit_names=names, community_classes=classes)
    return rows, group_rulers(by_unit, community_classes=classes)


async def heatmap(uow: UnitOfWork, *, prefix: str, since: date, until: date) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the grids under ``prefix``, each with its ticket count in the range."""
    grids = await store.grids_under(uow, prefix)
    counts = await store.children_counts(uow, prefix_length=15, under=prefix, buckets=cover(since, until))
    features = [
        {"type": "Feature", "geometry": grid.polygon,
         "properties": {"code": grid.code, "name": grid.name, "grid_class": grid.grid_class,
                        "count": counts.get(grid.code, 0)}}
        for grid in grids if grid.polygon
    ]
    return {"type": "FeatureCollection", "features": features, "jurisdiction": prefix,
            "since": since.isoformat(), "until": until.isoformat(),
            "without_polygon": sum(1 for grid in grids if not grid.polygon), "max": max(counts.values(), default=0)}


async def jurisdictions(uow: UnitOfWork, *, scope: str) -> list[dict[str, str]]:
    """The divisions an operator may pick: their own scope and everything under it."""
    rows = await store.divisions_under(uow, scope)
    items = [{"code": r.code, "name": r.name, "level": r.level} for r in rows]
    if not any(item["code"] == scope for item in items):
        items.insert(0, {"code": scope, "name": scope, "level": ""})
    return items

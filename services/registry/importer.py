"""CSV/XLSX import of people and places: every row is kept or reported with its reason, never dropped."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from rich.progress import Progress as RichProgress
from sqlalchemy.exc import IntegrityError

from shared.db import Database
from services.registry import store
from services.registry.domain.errors import RegistryError
from services.registry.domain.tabular import normalise_row, person_from_row, place_from_row
from services.registry.handlers import people as handlers

Progress = Callable[[int, int], None]


class UnreadableFile(RegistryError):
    """An upload that is neither UTF-8/GBK CSV nor an XLSX workbook."""


@dataclass(slots=True)
class RowError:
    row: int
    reason: str
    error: str


@dataclass(slots=True)
class ImportReport:
    total: int = 0
    accepted: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def read_table(content: bytes, *, filename: str) -> list[dict[str, str]]:
    """Rows as dicts keyed by field name (Chinese headers mapped), from CSV or XLSX."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as error:  # zipfile.BadZipFile, KeyError, InvalidFileException: all "not a workbook"
            raise UnreadableFile(f"not an XLSX workbook: {error}") from None
        values = [list(row) for row in sheet.iter_rows(values_only=True)] if sheet is not None else []
        header = [str(cell or "").strip() for cell in (values[0] if values else [])]
        filled = [row for row in values[1:] if any(cell is not None for cell in row)]
        return [normalise_row(dict(zip(header, row, strict=False))) for row in filled]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("CSV must be UTF-8 or GBK")
    return [normalise_row(row) for row in csv.DictReader(io.StringIO(text))]


async def import_rows(db: Database, rows: list[dict[str, str]], *, kind: str, scope: str, now: datetime,
                      keys: handlers.PiiKeys, progress: Progress | None = None) -> ImportReport:
    """Each row in its own savepoint of one transaction: a bad row rolls back alone."""
    report = ImportReport(total=len(rows))
    async with db.uow() as uow:
        await store.claim_writer(uow)
        for index, row in enumerate(rows):
            line = index + 2  # the spreadsheet row number: the header is row 1
            try:
                async with uow.session.begin_nested():
                    report.accepted.append(await _import_one(uow, row, kind=kind, scope=scope, line=line,
                                                             keys=keys, now=now))
            except (RegistryError, ValueError, TypeError, IntegrityError) as error:
                report.errors.append(RowError(line, str(error), type(error).__name__))
            if progress is not None:
                progress(index + 1, len(rows))
        await uow.commit()
    return report


async def _import_one(uow: Any, row: dict[str, str], *, kind: str, scope: str, line: int,
                      keys: handlers.PiiKeys, now: datetime) -> str:
    if not row.get("grid_code", "").startswith(scope):
        raise RegistryError(f"grid '{row.get('grid_code', '')}' is outside your jurisdiction {scope}")
    if kind == "people":
        person = person_from_row(row, default_id=f"P{now:%Y%m%d%H%M%S}-{line}")
        return (await handlers.register_person(uow, person, keys=keys, now=now)).id
    return (await handlers.register_place(uow, place_from_row(row), now=now)).id


async def import_file(db: Database, path: Path, *, kind: str, scope: str, keys: handlers.PiiKeys,
                      now: datetime) -> ImportReport:
    """The CLI form: read ``path`` and import it with a progress bar on the terminal."""
    rows = read_table(path.read_bytes(), filename=path.name)
    with RichProgress() as bar:
        task = bar.add_task(f"importing {path.name}", total=len(rows))
        return await import_rows(db, rows, kind=kind, scope=scope, now=now, keys=keys,
                                 progress=lambda done, _total: bar.update(task, completed=done))

"""FastAPI dependencies every service uses: the caller, the database, and objects kept on ``app.state``.

They are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in a worker thread, one thread hop per
request per dependency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.auth import CallerDep, Principal
from shared.db import Database


def from_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency answering ``request.app.state.<name>`` (set up by the service's app factory)."""
    async def dependency(request: Request) -> Any:
        return getattr(request.app.state, name)

    dependency.__name__ = f"state_{name}"
    return dependency


DatabaseDep = Annotated[Database, Depends(from_state("db"))]

__all__ = ["CallerDep", "DatabaseDep", "Principal", "from_state"]

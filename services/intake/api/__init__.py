"""Intake's HTTP interfaces: the REST API, the 12345 hotline push and Open311 GeoReport v2."""

from services.intake.api import actions, grid, hotline, imports, open311, tickets

router = tickets.router
routers = [tickets.router, actions.router, grid.router, imports.router, hotline.router, open311.router]

__all__ = ["router", "routers"]

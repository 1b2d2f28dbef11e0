"""The operators' dashboard (Chinese): sign-in with a session cookie, and the five pages."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.analytics.deps import DatabaseDep, SettingsDep
from shared.auth import issue_token, principal_from_password, read_token
from shared.problems import Unauthorized

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
COOKIE = "gridgov_session"
PAGES = {"/": "overview", "/map": "map", "/live": "live", "/assessment": "assessment", "/alerts": "alerts"}


def _signed_in(request: Request, secret_key: str) -> bool:
    token = request.cookies.get(COOKIE)
    if not token:
        return False
    try:
        read_token(token, secret_key=secret_key, now=datetime.now(UTC))
    except Unauthorized:
        return False
    return True


def _login_page(error: str = "", status: int = 200) -> HTMLResponse:
    html = (STATIC / "login.html").read_text(encoding="utf-8")
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return HTMLResponse(html.replace("<!--error-->", message), status_code=status)


@router.get("/login")
async def login_form() -> HTMLResponse:
    """The sign-in form."""
    return _login_page()


@router.post("/login")
async def login(db: DatabaseDep, settings: SettingsDep, username: Annotated[str, Form()],
                password: Annotated[str, Form()]) -> Response:
    """Check the operator's password and set the session cookie."""
    now = datetime.now(UTC)
    try:
        principal = await principal_from_password(db, username, password, now=now)
    except Unauthorized:
        return _login_page("用户名或密码错误", status=401)
    token = issue_token(principal, secret_key=settings.common.secret_key, now=now)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600,
                        secure=settings.common.environment == "production")
    return response


@router.get("/logout")
async def logout() -> Response:
    """Drop the session cookie."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _page(name: str) -> object:
    async def page(request: Request, settings: SettingsDep) -> Response:
        if not _signed_in(request, settings.common.secret_key):
            return RedirectResponse("/login", status_code=303)
        html = (STATIC / "dashboard.html").read_text(encoding="utf-8")
        return HTMLResponse(html.replace("{{page}}", name))

    return page


for _path, _name in PAGES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"], response_class=HTMLResponse)  # type: ignore[arg-type]

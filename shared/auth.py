"""API keys (stored hashed) and operator tokens, each scoped to a jurisdiction code prefix and roles.

Credentials are issued by the registry and replicated into every service's ``credentials`` table from
``CredentialIssued``/``CredentialRevoked`` events, so each service authenticates locally.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from sqlalchemy import delete, select

from shared.db import Database, UnitOfWork
from shared.events.registry import CredentialIssued, CredentialRevoked
from shared.problems import Forbidden, Problem, Unauthorized

API_KEY_PREFIX = "ggk"
TOKEN_PREFIX = "ggt"
ROLES = ("viewer", "dispatcher", "admin", "system", "hotline", "open311", "grid_worker")


@dataclass(frozen=True)
class Principal:
    """Who is calling, and the code prefix everything they read or write must lie under."""

    key_id: str
    kind: str
    scope: str
    roles: tuple[str, ...]
    label: str = ""

    def can_see(self, code: str | None) -> bool:
        return bool(code) and str(code).startswith(self.scope)

    def require_within(self, code: str) -> None:
        if not self.can_see(code):
            raise Forbidden(f"'{code}' is outside your jurisdiction {self.scope}")

    def require_role(self, *roles: str) -> None:
        if not set(roles) & set(self.roles) and "admin" not in self.roles:
            raise Forbidden(f"this action needs one of the roles: {', '.join(roles)}")

    def narrow(self, requested: str | None) -> str:
        """The prefix a list query may use: the caller's own scope, or a narrower one inside it."""
        if not requested:
            return self.scope
        self.require_within(requested)
        return requested


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt_hex, _ = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt=bytes.fromhex(salt_hex)), stored)


def new_api_key(*, scope: str, roles: list[str], label: str, now: datetime, jurisdiction: str,
                expires_at: datetime | None = None) -> tuple[str, CredentialIssued]:
    """A fresh API key (shown once) and the event that replicates its hash."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    event = CredentialIssued(
        occurred_at=now, jurisdiction=jurisdiction, key_id=key_id, kind="api_key", secret_hash=hash_secret(secret),
        scope=scope, roles=roles, label=label, expires_at=expires_at,
    )
    return f"{API_KEY_PREFIX}_{key_id}_{secret}", event


def new_operator(*, username: str, password: str, scope: str, roles: list[str], now: datetime, label: str = "",
                 jurisdiction: str) -> CredentialIssued:
    return CredentialIssued(
        occurred_at=now, jurisdiction=jurisdiction, key_id=username, kind="operator",
        secret_hash=hash_password(password), scope=scope, roles=roles, label=label,
    )


def issue_token(principal: Principal, *, secret_key: str, now: datetime, ttl: timedelta = timedelta(hours=12)) -> str:
    payload = {"sub": principal.key_id, "scope": principal.scope, "roles": list(principal.roles),
               "label": principal.label, "exp": int((now + ttl).timestamp())}
    body = base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")
    return f"{TOKEN_PREFIX}.{body}.{_sign(body, secret_key)}"


def read_token(token: str, *, secret_key: str, now: datetime) -> Principal:
    try:
        prefix, body, signature = token.split(".")
    except ValueError:
        raise Unauthorized("malformed token") from None
    if prefix != TOKEN_PREFIX or not hmac.compare_digest(signature.encode(), _sign(body, secret_key).encode()):
        raise Unauthorized("invalid token signature")
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if payload["exp"] < now.timestamp():
        raise Unauthorized("token expired")
    return Principal(key_id=payload["sub"], kind="operator", scope=payload["scope"], roles=tuple(payload["roles"]),
                     label=payload.get("label", ""))


def _sign(body: str, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def store_credential(uow: UnitOfWork, event: CredentialIssued) -> None:
    """Upsert one replicated credential (the handler of CredentialIssued in every service)."""
    table = uow.db.metadata.tables["credentials"]
    _forget(uow.db, event.key_id)
    await uow.session.execute(delete(table).where(table.c.key_id == event.key_id))
    await uow.session.execute(table.insert().values(
        key_id=event.key_id, kind=event.kind, secret_hash=event.secret_hash, scope=event.scope,
        roles=",".join(event.roles), label=event.label, expires_at=event.expires_at, revoked=0,
    ))


async def on_credential_issued(event: CredentialIssued, uow: UnitOfWork) -> None:
    """Replicate an issued API key or operator account."""
    await store_credential(uow, event)


async def on_credential_revoked(event: CredentialRevoked, uow: UnitOfWork) -> None:
    """Replicate a revocation: the key stops working at once."""
    table = uow.db.metadata.tables["credentials"]
    _forget(uow.db, event.key_id)
    await uow.session.execute(table.update().where(table.c.key_id == event.key_id).values(revoked=1))


CREDENTIAL_HANDLERS: dict[Any, Any] = {CredentialIssued: on_credential_issued, CredentialRevoked: on_credential_revoked}


CACHE_SECONDS = 5.0


def _forget(db: Database, key_id: str) -> None:
    cache = db.cache.get("credentials", {})
    for kind in ("api_key", "operator"):
        cache.pop((key_id, kind), None)


async def lookup(db: Database, key_id: str, *, kind: str) -> dict[str, Any] | None:
    """One credential, cached for a few seconds (a revocation takes effect within CACHE_SECONDS)."""
    cache: dict[tuple[str, str], tuple[float, dict[str, Any] | None]] = db.cache.setdefault("credentials", {})
    now = time.monotonic()
    hit = cache.get((key_id, kind))
    if hit is not None and hit[0] > now:
        return hit[1]
    row = await _lookup(db, key_id, kind=kind)
    if len(cache) > 10_000:
        cache.clear()
    cache[(key_id, kind)] = (now + CACHE_SECONDS, row)
    return row


async def _lookup(db: Database, key_id: str, *, kind: str) -> dict[str, Any] | None:
    table = db.metadata.tables["credentials"]
    async with db.engine.connect() as connection:
        row = (await connection.execute(select(table).where(table.c.key_id == key_id, table.c.kind == kind))).mappings().first()
    return dict(row) if row else None


def _usable(row: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    if row is None or row["revoked"]:
        raise Unauthorized("unknown or revoked credential")
    expires = row["expires_at"]
    if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) < now:
        raise Unauthorized("credential expired")
    return row


def _principal(row: dict[str, Any]) -> Principal:
    return Principal(key_id=row["key_id"], kind=row["kind"], scope=row["scope"],
                     roles=tuple(r for r in row["roles"].split(",") if r), label=row["label"] or "")


async def principal_from_api_key(db: Database, api_key: str, *, now: datetime) -> Principal:
    parts = api_key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        raise Unauthorized("malformed API key")
    row = _usable(await lookup(db, parts[1], kind="api_key"), now)
    if not hmac.compare_digest(row["secret_hash"], hash_secret(parts[2])):
        raise Unauthorized("unknown or revoked credential")
    return _principal(row)


async def principal_from_password(db: Database, username: str, password: str, *, now: datetime) -> Principal:
    row = await lookup(db, username, kind="operator")
    if row is None or not verify_password(password, row["secret_hash"]):
        raise Unauthorized("wrong username or password")
    return _principal(_usable(row, now))


class RateLimited(Problem):
    status, kind = 429, "rate-limited"


class TokenBuckets:
    """Per-caller token buckets: ``rate`` requests per second sustained, ``burst`` at once."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def take(self, caller: str, *, now: float) -> float:
        """Spend one token; returns 0 when allowed, else the seconds to wait."""
        tokens, last = self.buckets.get(caller, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[caller] = (tokens, now)
            return (1 - tokens) / self.rate
        self.buckets[caller] = (tokens - 1, now)
        return 0.0


def rate_limit(request: Request, principal: Principal) -> Principal:
    """Spend one of the caller's tokens or raise 429; for routes that authenticate without ``CallerDep``."""
    state = request.app.state
    common = state.settings.common
    buckets: TokenBuckets = state.db.cache.setdefault(
        "rate", TokenBuckets(rate=common.rate_limit_per_second, burst=common.rate_limit_burst))
    wait = buckets.take(principal.key_id, now=time.monotonic())
    if wait:
        raise RateLimited(f"too many requests for {principal.key_id}; retry after {wait:.1f}s",
                          headers={"Retry-After": str(max(1, round(wait)))})
    return principal


async def authenticate(request: Request) -> Principal:
    """The caller from ``X-API-Key``, ``Authorization: Bearer <token>`` or the dashboard session cookie."""
    state = request.app.state
    now = datetime.now(UTC)
    api_key = request.headers.get("x-api-key")
    if api_key:
        return rate_limit(request, await principal_from_api_key(state.db, api_key, now=now))
    bearer = request.headers.get("authorization", "")
    token = bearer[7:].strip() if bearer.lower().startswith("bearer ") else request.cookies.get("gridgov_session")
    if token:
        return rate_limit(request, read_token(token, secret_key=state.settings.common.secret_key, now=now))
    if "api_key" in request.query_params:
        # Query strings end up in proxy and access logs; only Open311, whose standard asks for it, reads one.
        raise Unauthorized("api_key in the query string is accepted by Open311 only: send the X-API-Key header",
                           headers={"WWW-Authenticate": 'Bearer realm="gridgov"'})
    raise Unauthorized("authentication required: send X-API-Key or Authorization: Bearer <token>",
                       headers={"WWW-Authenticate": 'Bearer realm="gridgov"'})


CallerDep = Annotated[Principal, Depends(authenticate)]

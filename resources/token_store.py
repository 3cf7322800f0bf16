"""OAuth refresh tokens kept in MySQL (`oauth_tokens`), refreshed by one run at a time.

The rules (Intuit rotates refresh tokens and an unsaved rotation means a manual re-authorization):
- the environment's refresh token only seeds an empty row; afterwards the row is the truth;
- a still-valid stored access token is reused, so concurrent runs share one refresh;
- refreshing happens under a MySQL named lock, and every token received is committed
  before the new access token is handed to anyone;
- `invalid_grant` marks the row and fails with a re-authorization message; later runs fail
  fast without asking the token endpoint again, until a different seed token is configured.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from resources.faults import fault_point
from resources.http import AuthError
from resources.locks import lock_name, named_lock
from resources.mysql import Database
from resources.redact import register_secret
from resources.sql import load_sql

# An access token this close to expiry is refreshed instead of used.
EXPIRY_MARGIN = timedelta(minutes=5)


class TokenProvider(Protocol):
    """What an OAuth client needs: a current access token, and a fresh one after a 401."""

    def access_token(self) -> str: ...

    def refresh_after_rejection(self, rejected: str) -> str: ...


@dataclass(frozen=True)
class TokenGrant:
    """One answer of a token endpoint."""

    access_token: str
    refresh_token: str
    expires_in: float
    refresh_expires_in: float | None = None


class ReauthorizationRequired(AuthError):
    """The refresh token is dead (`invalid_grant`); only a person can fix it."""


# (refresh_token) -> TokenGrant; raises ReauthorizationRequired on invalid_grant.
RefreshFn = Callable[[str], TokenGrant]
# (rejected refresh token, reason) -> the error to raise.
ReauthError = Callable[[str], ReauthorizationRequired]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class DbTokenStore:
    """A `TokenProvider` over one `oauth_tokens` row (provider, account_key)."""

    def __init__(self, db: Database, provider: str, account_key: str, seed_refresh_token: str,
                 refresh: RefreshFn, reauth_error: ReauthError, lock_timeout_seconds: int = 120) -> None:
        self.db, self.provider, self.account_key = db, provider, account_key
        self.seed_refresh_token = seed_refresh_token
        self._refresh = refresh
        self._reauth_error = reauth_error
        self.lock_timeout_seconds = lock_timeout_seconds
        self._cached: tuple[str, datetime] | None = None
        self._local = threading.Lock()
        self.refreshes = 0  # token-endpoint calls made by this store (for run metadata and tests)
        register_secret(seed_refresh_token)

    def access_token(self) -> str:
        cached = self._cached
        if cached and cached[1] - EXPIRY_MARGIN > _now():
            return cached[0]
        return self._obtain(rejected=None)

    def refresh_after_rejection(self, rejected: str) -> str:
        return self._obtain(rejected=rejected)

    def _obtain(self, rejected: str | None) -> str:
        with self._local, named_lock(self.db, lock_name("oauth", self.provider, self.account_key),
                                     self.lock_timeout_seconds):
            row = self._read_or_seed()
            access, expires = row["access_token"], row["access_expires_at"]
            if access and access != rejected and expires and expires - EXPIRY_MARGIN > _now():
                register_secret(access)
                self._cached = (access, expires)
                return access
            return self._refresh_locked(row["refresh_token"])

    def _read_or_seed(self) -> dict[str, Any]:
        key = (self.provider, self.account_key)
        rows = self.db.query(load_sql("oauth/read_token.sql"), key)
        if not rows:
            if not self.seed_refresh_token:
                raise self._reauth_error("no refresh token is stored and none is configured")
            self.db.execute(load_sql("oauth/seed_token.sql"), (*key, self.seed_refresh_token))
            rows = self.db.query(load_sql("oauth/read_token.sql"), key)
        row = rows[0]
        register_secret(row["refresh_token"])
        if row["invalid_at"] is not None:
            if self.seed_refresh_token and self.seed_refresh_token != row["refresh_token"]:
                # The operator re-authorized and configured the new refresh token.
                self.db.execute(load_sql("oauth/reseed_token.sql"), (self.seed_refresh_token, *key))
                return {**row, "refresh_token": self.seed_refresh_token, "access_token": None, "invalid_at": None}
            raise self._reauth_error("the stored refresh token was already rejected (invalid_grant)")
        return row

    def _refresh_locked(self, refresh_token: str) -> str:
        self.refreshes += 1
        try:
            grant = self._refresh(refresh_token)
        except ReauthorizationRequired:
            self.db.execute(load_sql("oauth/mark_invalid.sql"), (self.provider, self.account_key, refresh_token))
            raise
        fault_point("token_rotated")  # test-only: a kill here loses the answer, never the stored token
        register_secret(grant.access_token)
        register_secret(grant.refresh_token)
        now = _now()
        expires = now + timedelta(seconds=grant.expires_in)
        refresh_expires = now + timedelta(seconds=grant.refresh_expires_in) if grant.refresh_expires_in else None
        # Saved and committed before anyone uses the new access token: a rotation is never lost.
        self.db.execute(load_sql("oauth/save_grant.sql"), (
            grant.refresh_token, grant.refresh_token, grant.access_token, expires, refresh_expires,
            self.provider, self.account_key))
        self._cached = (grant.access_token, expires)
        return grant.access_token

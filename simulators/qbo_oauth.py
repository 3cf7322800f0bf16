"""Intuit's OAuth 2.0 token endpoint as a state machine (no HTTP here).

Refresh tokens rotate on every ``rotate_every``-th refresh (1 = always, 0 = never). A
superseded refresh token keeps working for ``grace_seconds`` (Intuit: 24 h) and answers with
the chain's newest refresh token; after that, or when ``force_invalid_grant`` is set, it gets
``400 invalid_grant``. Tokens are derived from the seed and a counter, so two runs with one
seed hand out the same strings.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

ACCESS_TTL_SECONDS = 3600
REFRESH_TTL_SECONDS = 100 * 86400


@dataclass
class OAuthConfig:
    access_ttl: float = ACCESS_TTL_SECONDS
    rotate_every: int = 1
    grace_seconds: float = 86400.0
    force_invalid_grant: bool = False


@dataclass
class _Refresh:
    client_id: str
    realm: str
    chain: int
    superseded_at: float | None = None


@dataclass
class _Access:
    client_id: str
    realm: str
    expires_at: float


@dataclass
class TokenResponse:
    status: int
    body: dict[str, object]


@dataclass
class TokenAuthority:
    seed: int
    clock: Callable[[], float]
    config: OAuthConfig = field(default_factory=OAuthConfig)
    clients: dict[str, str] = field(default_factory=dict)
    refresh_count: int = 0
    rejected_count: int = 0
    _refresh: dict[str, _Refresh] = field(default_factory=dict)
    _access: dict[str, _Access] = field(default_factory=dict)
    _chain_head: dict[int, str] = field(default_factory=dict)
    _chain_refreshes: dict[int, int] = field(default_factory=dict)
    _counter: int = 0

    def _token(self, prefix: str) -> str:
        self._counter += 1
        digest = hashlib.sha256(f"{self.seed}:{prefix}:{self._counter}".encode()).digest()
        return prefix + base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def register_client(self, client_id: str, client_secret: str) -> None:
        self.clients[client_id] = client_secret

    def issue_refresh_token(self, client_id: str, realm: str) -> str:
        """The token a user gets from the consent flow: the start of a rotation chain."""
        token = self._token("AB11")
        self.add_refresh_token(token, client_id, realm)
        return token

    def add_refresh_token(self, token: str, client_id: str, realm: str) -> None:
        """Seed a known refresh token (the one a world's credentials hand to the client)."""
        chain = len(self._chain_head) + 1
        self._refresh[token] = _Refresh(client_id, realm, chain)
        self._chain_head[chain] = token
        self._chain_refreshes[chain] = 0

    def issue_access_token(self, client_id: str, realm: str) -> str:
        token = self._token("eyJ")
        self._access[token] = _Access(client_id, realm, self.clock() + self.config.access_ttl)
        return token

    def expire_access_tokens(self) -> int:
        """Force every outstanding access token to expire now (tests' shortcut to 401)."""
        for access in self._access.values():
            access.expires_at = self.clock() - 1
        return len(self._access)

    def _client(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return client_id if self.clients.get(client_id) == secret else None

    def _invalid_grant(self) -> TokenResponse:
        self.rejected_count += 1
        body = {"error": "invalid_grant", "error_description": "Incorrect or invalid refresh token"}
        return TokenResponse(400, body)

    def grant(self, authorization: str | None, form: dict[str, str]) -> TokenResponse:
        client_id = self._client(authorization)
        if client_id is None:
            self.rejected_count += 1
            return TokenResponse(401, {"error": "invalid_client"})
        if form.get("grant_type") != "refresh_token":
            self.rejected_count += 1
            return TokenResponse(400, {"error": "unsupported_grant_type"})
        record = self._refresh.get(form.get("refresh_token", ""))
        if self.config.force_invalid_grant or record is None or record.client_id != client_id:
            return self._invalid_grant()
        now = self.clock()
        if record.superseded_at is not None and now - record.superseded_at > self.config.grace_seconds:
            return self._invalid_grant()
        head = self._chain_head[record.chain]
        self._chain_refreshes[record.chain] += 1
        every = self.config.rotate_every
        if record.superseded_at is None and every > 0 and self._chain_refreshes[record.chain] % every == 0:
            record.superseded_at = now
            head = self._token("AB11")
            self._refresh[head] = _Refresh(client_id, record.realm, record.chain)
            self._chain_head[record.chain] = head
        self.refresh_count += 1
        return TokenResponse(200, {
            "token_type": "bearer",
            "access_token": self.issue_access_token(client_id, record.realm),
            "expires_in": ACCESS_TTL_SECONDS,
            "refresh_token": head,
            "x_refresh_token_expires_in": REFRESH_TTL_SECONDS,
        })

    def check_access(self, authorization: str | None, realm: str) -> tuple[int, str] | None:
        """None when the bearer may call ``realm``; else (HTTP status, QBO fault code)."""
        if not authorization or not authorization.startswith("Bearer "):
            return (401, "3200")
        access = self._access.get(authorization[7:])
        if access is None or access.expires_at <= self.clock():
            return (401, "3200")
        if access.realm != realm:
            return (403, "3201")
        return None

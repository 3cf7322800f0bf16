"""OAuth 2.0 ``refresh_token`` grant with client credentials in the body (Harvest's id-host, Atlassian).

QBO's Basic-auth endpoint with a grace period lives in :mod:`simulators.qbo_oauth`. Here a refresh always
returns a new refresh token; ``kill_old`` says whether the one just used dies at once (Atlassian) or
keeps working (Harvest: its rotation rules are undocumented, so we do not punish reuse). Tokens are
derived from the seed and a counter, so two runs with one seed hand out the same strings.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs


def form_of(body: bytes, content_type: str | None) -> dict[str, str]:
    """The grant's fields from a form-encoded or JSON body (clients send either)."""
    if not body:
        return {}
    if "json" in (content_type or ""):
        try:
            data = json.loads(body)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}


@dataclass
class RefreshGrant:
    seed: int
    access_prefix: str
    refresh_prefix: str
    access_ttl: int
    kill_old: bool
    invalid_grant_status: int = 400
    clients: dict[str, tuple[str, str]] = field(default_factory=dict)  # client_id -> (secret, subject)
    refresh: dict[str, str] = field(default_factory=dict)  # live refresh token -> subject
    access: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # token -> (subject, expiry)
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_client(self, client_id: str, secret: str, subject: str, refresh_token: str) -> None:
        self.clients[client_id] = (secret, subject)
        self.refresh[refresh_token] = subject

    def _token(self, prefix: str, subject: str) -> str:
        self._counter += 1
        return prefix + hashlib.sha256(f"{self.seed}:{subject}:{prefix}:{self._counter}".encode()).hexdigest()[:32]

    def grant(self, form: dict[str, str], now: datetime) -> tuple[int, dict[str, Any]]:
        client = self.clients.get(form.get("client_id", ""))
        if client is None or client[0] != form.get("client_secret"):
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type",
                         "error_description": "Only the refresh_token grant is simulated"}
        with self._lock:
            subject = self.refresh.get(form.get("refresh_token", ""))
            if subject is None or subject != client[1]:
                return self.invalid_grant_status, {"error": "invalid_grant",
                                                   "error_description": "Unknown or invalid refresh token."}
            if self.kill_old:
                del self.refresh[form["refresh_token"]]
            new_refresh = self._token(self.refresh_prefix, subject)
            self.refresh[new_refresh] = subject
            access = self._token(self.access_prefix, subject)
            self.access[access] = (subject, now + timedelta(seconds=self.access_ttl))
        return 200, {"access_token": access, "refresh_token": new_refresh, "expires_in": self.access_ttl,
                     "token_type": "bearer"}

    def subject_of(self, access_token: str, now: datetime) -> str | None:
        """The subject a live access token acts for; None when unknown or expired."""
        entry = self.access.get(access_token)
        if entry is None or entry[1] <= now:
            return None
        return entry[0]

"""Removing secrets from any text that may reach logs, sync_logs or Dagster metadata."""

from __future__ import annotations

import os
import re
import threading

MASK = "***"
SECRET_ENV_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSPHRASE|API_KEY)", re.IGNORECASE)
_PATTERNS = [
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
    re.compile(
        r"(?i)\b(access_token|refresh_token|client_secret|api_token|password|passphrase|token)"
        r"(\s*[=:]\s*)(\"?)[^\s&\"',;]{4,}"
    ),
    re.compile(r"(?i)(\"(?:access_token|refresh_token|client_secret|api_token|password)\"\s*:\s*\")[^\"]+"),
]
_known: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so `redact` masks it wherever it appears."""
    if value and len(value) >= 4:
        with _lock:
            _known.add(value)


def register_env_secrets(env: dict[str, str] | None = None) -> None:
    for name, value in (os.environ if env is None else env).items():
        if SECRET_ENV_NAME.search(name):
            register_secret(value)


def redact(text: object) -> str:
    out = str(text)
    with _lock:
        secrets = sorted(_known, key=len, reverse=True)
    for secret in secrets:
        out = out.replace(secret, MASK)
    out = _PATTERNS[0].sub(lambda m: f"{m.group(1)} {MASK}", out)
    out = _PATTERNS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{MASK}", out)
    out = _PATTERNS[2].sub(lambda m: f"{m.group(1)}{MASK}", out)
    return out


register_env_secrets()

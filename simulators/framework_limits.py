"""Rate limiting (rolling window, optional in-flight cap) and the fault-injection queue of the simulators."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RateLimit:
    """Rolling window: at most ``limit`` requests per ``window`` seconds per key."""

    limit: int = 100
    window: float = 15.0
    enabled: bool = True
    max_in_flight: int | None = None


class RateLimiter:
    def __init__(self, config: RateLimit) -> None:
        self.config = config
        self._hits: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def check(self, key: str) -> int | None:
        """Record a request; return None if allowed, else whole seconds until a slot frees."""
        if not self.config.enabled:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.config.window:
                hits.popleft()
            if len(hits) >= self.config.limit:
                return max(1, math.ceil(hits[0] + self.config.window - now))
            hits.append(now)
            return None

    def enter(self, key: str) -> bool:
        cap = self.config.max_in_flight
        with self._lock:
            n = self._in_flight.get(key, 0)
            if cap is not None and self.config.enabled and n >= cap:
                return False
            self._in_flight[key] = n + 1
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] = self._in_flight.get(key, 1) - 1


@dataclass
class Fault:
    """One injected misbehaviour for the next ``count`` requests whose path matches ``path`` (regex search).

    kinds: ``"429"`` (vendor 429 with ``retry_after``), ``"status"`` (``status`` with optional JSON
    ``body``/``headers``), ``"slow"`` (sleep ``delay`` s, then answer normally), ``"drop"`` (send headers and
    half the real body, then close), ``"malformed"`` (200 with truncated JSON), ``"custom"`` (the vendor's
    ``VendorApp.custom_faults[name](req)``, e.g. QBO's Fault-in-200 or XML throttle).
    """

    kind: str
    path: str = ""
    count: int = 1
    method: str | None = None
    status: int = 500
    retry_after: int = 1
    delay: float = 1.0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    name: str | None = None


class FaultQueue:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self._faults:
                if (f.method is None or f.method.upper() == method) and re.search(f.path, path):
                    f.count -= 1
                    if f.count <= 0:
                        self._faults.remove(f)
                    return f
        return None

"""The one HTTP layer every vendor client uses: pacing under the vendor's limit, retry, clear errors.

Vendors differ only in declarations (a `RateLimit`, headers/auth, and optional hooks that
recognise a vendor's own throttle or fault inside an otherwise successful response).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from queue import Full, Queue
from typing import Any, Self, TypeVar

import httpx
import orjson

from resources.gc_pause import paused_gc
from resources.redact import redact

log = logging.getLogger("timesync.http")
T = TypeVar("T")

RETRYABLE_STATUSES = {500, 502, 503, 504, 520, 522, 524}
TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` per rolling `per_seconds`, and at most `max_in_flight` at once."""

    requests: int
    per_seconds: float
    max_in_flight: int | None = None
    # Requests are spaced over a window this much longer than the vendor's, so our clock and
    # theirs can disagree a little without a 429.
    safety_seconds: float = 0.25
    # Wait this long on a 429 without Retry-After (QBO documents 60 s).
    default_retry_after: float = 5.0


class Pacer:
    """A rolling-window limiter shared by every client of one vendor account in this process."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._blocked_until = 0.0
        self._in_flight = threading.BoundedSemaphore(limit.max_in_flight) if limit.max_in_flight else None

    def acquire(self) -> float:
        """Block until a request may be sent; returns the seconds waited."""
        waited = 0.0
        if self._in_flight is not None:
            start = time.monotonic()
            self._in_flight.acquire()
            waited += time.monotonic() - start
        window = self.limit.per_seconds + self.limit.safety_seconds
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= window:
                    self._sent.popleft()
                delay = max(0.0, self._blocked_until - now)
                if delay == 0 and len(self._sent) >= self.limit.requests:
                    delay = self._sent[0] + window - now
                if delay <= 0:
                    self._sent.append(now)
                    return waited
            time.sleep(min(delay, 1.0))
            waited += min(delay, 1.0)

    def release(self) -> None:
        if self._in_flight is not None:
            self._in_flight.release()

    def block_for(self, seconds: float) -> None:
        """After a 429, nobody on this account sends until the vendor's Retry-After has passed."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)


_pacers: dict[tuple[str, str], Pacer] = {}
_pacers_lock = threading.Lock()


def shared_pacer(vendor: str, account: str, limit: RateLimit) -> Pacer:
    with _pacers_lock:
        key = (vendor, account)
        pacer = _pacers.get(key)
        if pacer is None or pacer.limit != limit:
            pacer = _pacers[key] = Pacer(limit)
        return pacer


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    wait_seconds: float = 0.0

    def as_metadata(self) -> dict[str, float | int]:
        return {"requests": self.requests, "retries": self.retries, "throttled_429": self.throttled,
                "rate_limit_wait_s": round(self.wait_seconds, 2)}


class VendorError(RuntimeError):
    """A vendor call failed; the message names vendor, account and endpoint, never a secret."""

    def __init__(self, vendor: str, account: str, method: str, endpoint: str, detail: str,
                 status: int | None = None) -> None:
        self.vendor, self.account, self.endpoint, self.status = vendor, account, endpoint, status
        where = f"{vendor} account {account}: {method} {endpoint}"
        super().__init__(redact(f"{where} → {detail}"))


class NonRetryableError(VendorError):
    """Retrying cannot help (bad credentials, permissions, a malformed request)."""


class AuthError(NonRetryableError):
    pass


class RetriesExhausted(VendorError):
    pass


@dataclass(frozen=True)
class Throttle:
    """A vendor hook's verdict that a response is a throttle, with how long to wait."""

    wait_seconds: float


# A hook may inspect any response: return Throttle to wait and retry, raise to fail, None to go on.
ResponseHook = Callable[[httpx.Response], Throttle | None]


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def response_detail(response: httpx.Response, limit: int = 300) -> str:
    text = response.text[:limit].replace("\n", " ")
    return f"HTTP {response.status_code} {text}".strip()


@dataclass
class VendorHttp:
    """Paced, retrying HTTP for one vendor account."""

    vendor: str
    account: str
    base_url: str
    rate_limit: RateLimit
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    timeout: float = 60.0
    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    response_hook: ResponseHook | None = None
    # Called on a 401; returns True when it refreshed credentials so the request may be retried once.
    on_unauthorized: Callable[[], bool] | None = None
    on_event: Callable[[str], None] | None = None
    stats: HttpStats = field(default_factory=HttpStats)
    transport: httpx.BaseTransport | None = None

    def __post_init__(self) -> None:
        self.pacer = shared_pacer(self.vendor, self.account, self.rate_limit)
        self.client = httpx.Client(
            base_url=self.base_url.rstrip("/") + "/", headers=dict(self.headers), auth=self.auth,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 15.0)), transport=self.transport,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> VendorHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _event(self, message: str) -> None:
        log.info(message)
        if self.on_event:
            self.on_event(message)

    def _endpoint(self, url: str) -> str:
        return "/" + url.split("?", 1)[0].replace(self.base_url.rstrip("/"), "").lstrip("/")

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * (2 ** attempt)) * (0.5 + random.random() / 2)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send, pacing first; retry 429/5xx/transport errors; raise VendorError subclasses otherwise."""
        url = url.lstrip("/") if not url.startswith("http") else url
        endpoint = self._endpoint(url)
        refreshed = False
        attempt = 0
        while True:
            waited = self.pacer.acquire()
            self.stats.wait_seconds += waited
            try:
                self.stats.requests += 1
                response = self.client.request(method, url, **kwargs)
            except TRANSPORT_ERRORS as exc:
                self.pacer.release()
                if attempt >= self.max_retries:
                    raise RetriesExhausted(self.vendor, self.account, method, endpoint,
                                           f"{type(exc).__name__} after {attempt + 1} attempts") from exc
                delay = self._backoff(attempt)
                self._event(f"{self.vendor}: {type(exc).__name__} on {endpoint}, retry in {delay:.1f}s")
                self.stats.retries += 1
                attempt += 1
                time.sleep(delay)
                continue
            self.pacer.release()
            throttle = self._throttle(response)
            if throttle is not None:
                self.stats.throttled += 1
                if attempt >= self.max_retries + 4:
                    raise RetriesExhausted(self.vendor, self.account, method, endpoint,
                                           f"still throttled after {attempt + 1} attempts")
                self.pacer.block_for(throttle.wait_seconds)
                self._event(f"{self.vendor}: throttled on {endpoint}, waiting {throttle.wait_seconds:.1f}s")
                self.stats.retries += 1
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and self.on_unauthorized and not refreshed:
                refreshed = True
                if self.on_unauthorized():
                    continue
            if status in (401, 403):
                raise AuthError(self.vendor, self.account, method, endpoint,
                                f"{response_detail(response)} (check the credentials and permissions)", status)
            if status in RETRYABLE_STATUSES:
                if attempt >= self.max_retries:
                    raise RetriesExhausted(self.vendor, self.account, method, endpoint,
                                           f"{response_detail(response)} after {attempt + 1} attempts", status)
                delay = max(self._backoff(attempt), retry_after_seconds(response) or 0.0)
                self._event(f"{self.vendor}: HTTP {status} on {endpoint}, retry in {delay:.1f}s")
                self.stats.retries += 1
                attempt += 1
                time.sleep(delay)
                continue
            if status >= 400:
                raise NonRetryableError(self.vendor, self.account, method, endpoint, response_detail(response), status)
            return response

    def _throttle(self, response: httpx.Response) -> Throttle | None:
        if response.status_code == 429:
            after = retry_after_seconds(response)
            return Throttle(after if after is not None else self.rate_limit.default_retry_after)
        if self.response_hook is not None:
            return self.response_hook(response)
        return None

    def get_json(self, url: str, **kwargs: Any) -> Any:
        return self.json_request("GET", url, **kwargs)

    def post_json(self, url: str, **kwargs: Any) -> Any:
        return self.json_request("POST", url, **kwargs)

    def json_request(self, method: str, url: str, **kwargs: Any) -> Any:
        """A request whose body must be JSON; a truncated or garbled body is retried twice."""
        for attempt in range(3):
            response = self.request(method, url, **kwargs)
            try:
                return decode_json(response.content)
            except ValueError as exc:
                if attempt == 2:
                    raise NonRetryableError(self.vendor, self.account, method, self._endpoint(url),
                                            f"response is not JSON: {response.text[:120]!r}") from exc
                self.stats.retries += 1
                self._event(f"{self.vendor}: malformed JSON from {self._endpoint(url)}, retrying")
        raise AssertionError("unreachable")


# Every byte that is a digit becomes "0", everything else a space: a run of 19 zeros then marks an
# integer that may lie beyond 64 bits.
_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))
_LONG_DIGITS = b"0" * 19


def decode_json(content: bytes) -> Any:
    """`json.loads(content)`, through orjson (twice as fast) whenever that gives the same result.

    orjson refuses NaN, Infinity, lone surrogates and non-UTF-8 text, and reads integers beyond
    64 bits as floats; those bodies take the json module, which raises ValueError like before.
    """
    if _LONG_DIGITS not in content.translate(_DIGITS):
        try:
            with paused_gc():
                return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return json.loads(content)


class VendorHttpClient:
    """Base of a vendor client that owns one `VendorHttp`: its statistics, and closing it."""

    http: VendorHttp

    @property
    def stats(self) -> HttpStats:
        return self.http.stats

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_END = object()


def read_ahead(pages: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield `pages`, fetching the next ones in a background thread while the caller works.

    A vendor's response time (and our JSON decoding) then overlaps typing and loading instead of
    adding to it. Errors surface in the caller, in order; stopping early stops the reader.
    """
    queue: Queue[tuple[object, BaseException | None]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.2)
                return True
            except Full:
                continue
        return False

    def reader() -> None:
        try:
            for page in pages:
                if not put((page, None)):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            put((_END, exc))
            return
        put((_END, None))

    threading.Thread(target=reader, name="read-ahead", daemon=True).start()
    try:
        while True:
            page, error = queue.get()
            if page is _END:
                if error is not None:
                    raise error
                return
            yield page  # type: ignore[misc]
    finally:
        stop.set()

"""Jira Cloud REST v3 client (email + API token): issue search, worklog change feeds, users, projects.

Never calls the removed `/rest/api/3/search`; issues come from `/search/jql` with an explicit
field list, and worklogs from `worklog/updated` → `worklog/list` → `worklog/deleted`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from resources.config import JiraConnection
from resources.http import NonRetryableError, RateLimit, VendorHttp

API = "rest/api/3"
ISSUE_FIELDS = ("summary", "status", "issuetype", "project", "parent", "assignee", "timetracking", "timespent",
                "timeoriginalestimate", "timeestimate", "created", "updated")
ISSUE_PAGE = 100
FEED_PAGE = 1000  # worklog/updated and worklog/list both stop at 1000
USERS_PAGE = 1000
PROJECTS_PAGE = 100
# Burst limits for API-token traffic are unpublished; stay well under what Jira tolerates.
DEFAULT_RATE_LIMIT = RateLimit(requests=100, per_seconds=10.0, max_in_flight=4, default_retry_after=5.0)


@dataclass(frozen=True)
class FeedPage:
    ids: list[int]
    times: list[int]  # updatedTime (ms) per id
    until: int
    last: bool


class JiraClient:
    def __init__(self, connection: JiraConnection, *, rate_limit: RateLimit = DEFAULT_RATE_LIMIT,
                 on_event: Callable[[str], None] | None = None, list_ahead: int = 2,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.site = connection.base_url.rstrip("/")
        self.http = VendorHttp(
            vendor="jira", account=self.site.split("//")[-1], base_url=self.site, rate_limit=rate_limit,
            headers={"Accept": "application/json"}, auth=httpx.BasicAuth(connection.email, connection.api_token),
            on_event=on_event, transport=transport,
        )
        self.stats = self.http.stats
        self.list_ahead = max(1, list_ahead)
        self._pool = ThreadPoolExecutor(max_workers=self.list_ahead, thread_name_prefix="jira-list")
        self._zone: ZoneInfo | None = None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.http.close()

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.http.get_json(f"{API}/{path}", params=params or {})

    # --- account ----------------------------------------------------------------------------

    def myself(self) -> dict[str, Any]:
        return self._get("myself")

    def time_zone(self) -> ZoneInfo:
        """The API user's zone: JQL dates are read in it."""
        if self._zone is None:
            name = self.myself().get("timeZone") or "UTC"
            try:
                self._zone = ZoneInfo(name)
            except ZoneInfoNotFoundError:
                self._zone = ZoneInfo("UTC")
        return self._zone

    def jql_time(self, moment: datetime) -> str:
        """A naive-UTC moment as a JQL literal in the account's zone, rounded down to the minute."""
        local = moment.replace(tzinfo=UTC).astimezone(self.time_zone())
        return local.strftime('"%Y-%m-%d %H:%M"')

    # --- issues -----------------------------------------------------------------------------

    def issues(self, updated_since: datetime | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of issues, optionally only those updated at or after `updated_since` (naive UTC)."""
        since = updated_since or datetime(2000, 1, 1)
        jql = f"updated >= {self.jql_time(since)} ORDER BY created ASC"
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(ISSUE_FIELDS), "maxResults": ISSUE_PAGE}
        token: str | None = None
        while True:
            body = self._get("search/jql", {**params, **({"nextPageToken": token} if token else {})})
            issues = body.get("issues") or []
            if issues:
                yield issues
            token = body.get("nextPageToken")
            if body.get("isLast", token is None) or not token:
                return

    # --- worklogs ---------------------------------------------------------------------------

    def _feed(self, kind: str, since_ms: int, until_ms: int | None) -> Iterator[FeedPage]:
        """`worklog/updated` or `worklog/deleted` pages from `since_ms`, stopping past `until_ms`.

        The feed leaves out the last minute of changes, so it never runs ahead of what Jira has settled.
        """
        since = since_ms
        while True:
            body = self._get(f"worklog/{kind}", {"since": since})
            values = body.get("values") or []
            ids, times = [], []
            for value in values:
                if until_ms is not None and int(value["updatedTime"]) > until_ms:
                    yield FeedPage(ids, times, until_ms, True)
                    return
                ids.append(int(value["worklogId"]))
                times.append(int(value["updatedTime"]))
            until = int(body.get("until") or since)
            last = bool(body.get("lastPage", True)) or not values
            yield FeedPage(ids, times, until, last)
            if last:
                return
            if until <= since and len(values) >= FEED_PAGE:
                raise NonRetryableError("jira", self.http.account, "GET", f"/{API}/worklog/{kind}",
                                        f"more than {FEED_PAGE} worklogs share updatedTime {since}; cannot page")
            since = until

    def worklog_list(self, ids: list[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        body = self.http.post_json(f"{API}/worklog/list", json={"ids": ids})
        return body if isinstance(body, list) else []

    def worklogs(self, since_ms: int, until_ms: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Worklogs changed in [since, until], fetched 1000 ids at a time while the feed pages on."""
        seen: set[int] = set()
        pending: deque[Future[list[dict[str, Any]]]] = deque()
        try:
            for page in self._feed("updated", since_ms, until_ms):
                fresh = [i for i in page.ids if i not in seen]
                seen.update(fresh)
                for start in range(0, len(fresh), FEED_PAGE):
                    pending.append(self._pool.submit(self.worklog_list, fresh[start:start + FEED_PAGE]))
                while len(pending) > self.list_ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def deleted_worklog_ids(self, since_ms: int, until_ms: int | None = None) -> Iterator[list[str]]:
        for page in self._feed("deleted", since_ms, until_ms):
            if page.ids:
                yield [str(i) for i in page.ids]

    # --- users and projects -----------------------------------------------------------------

    def users(self) -> Iterator[list[dict[str, Any]]]:
        start = 0
        while True:
            rows = self._get("users/search", {"startAt": start, "maxResults": USERS_PAGE})
            if not rows:
                return
            yield rows
            start += len(rows)

    def projects(self) -> Iterator[list[dict[str, Any]]]:
        start = 0
        while True:
            body = self._get("project/search", {"startAt": start, "maxResults": PROJECTS_PAGE,
                                                "expand": "lead"})
            rows = body.get("values") or []
            if rows:
                yield rows
            start += len(rows)
            if body.get("isLast", True) or not rows:
                return


def adf_text(node: Any) -> str:
    """Plain text of an Atlassian Document Format node (v3 comments); v2 strings pass through."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(adf_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind in ("mention", "emoji", "status", "date", "inlineCard"):
        attrs = node.get("attrs") or {}
        return str(attrs.get("text") or attrs.get("shortName") or attrs.get("url") or "")
    inner = adf_text(node.get("content"))
    if kind in ("paragraph", "heading", "listItem", "codeBlock", "blockquote", "rule"):
        return inner + "\n"
    return inner


def flatten_comment(comment: Any) -> str | None:
    if comment is None:
        return None
    return adf_text(comment).strip("\n")


def offset_of(timestamp: Any) -> str | None:
    """'2021-01-17T12:34:00.000+0530' -> '+05:30' (the author's offset, kept beside the UTC time)."""
    if not isinstance(timestamp, str) or len(timestamp) < 5:
        return None
    text = timestamp.strip()
    if text.endswith("Z"):
        return "+00:00"
    tail = text[-6:] if text[-3] == ":" else text[-5:]
    if tail[0] not in "+-":
        return None
    digits = tail.replace(":", "")
    return f"{digits[:3]}:{digits[3:5]}"

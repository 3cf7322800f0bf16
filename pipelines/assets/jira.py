"""Jira Cloud streams as data: users, projects, issues and worklogs into staging.

Worklogs come from Jira's change feeds, so their partitions are windows of *change* time:
a partition re-reads `worklog/updated` and `worklog/deleted` over its day (tombstones become soft
deletes; no sweep is needed). Incremental runs read both feeds from the watermark minus the overlap;
the watermark stays a minute behind the run because the feeds leave out the last minute.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pipelines.assets.columns import col
from pipelines.assets.factory import FetchRequest, StreamSpec, Tombstones, VendorSpec
from resources.config import CompanyConnections, JiraConnection
from resources.http import RateLimit
from resources.jira import DEFAULT_RATE_LIMIT, JiraClient, flatten_comment, offset_of
from resources.staging import StagingTable
from resources.staging_types import Column

FEED_LAG = timedelta(seconds=60)
ACCOUNT = 128


def _ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _window_ms(request: FetchRequest) -> tuple[int, int | None]:
    if request.mode == "window" and request.window is not None:
        start, end = request.window
        return _ms(datetime.combine(start, time.min)), _ms(datetime.combine(end + timedelta(days=1), time.min)) - 1
    if request.mode == "incremental" and request.updated_since is not None:
        return _ms(request.updated_since), None
    return 0, None


def fetch_worklogs(client: JiraClient, request: FetchRequest) -> Iterator[list[dict[str, Any]] | Tombstones]:
    since, until = _window_ms(request)
    yield from client.worklogs(since, until)
    for ids in client.deleted_worklog_ids(since, until):
        yield Tombstones(ids)


def fetch_issues(client: JiraClient, request: FetchRequest) -> Iterator[list[dict[str, Any]]]:
    return client.issues(request.updated_since if request.mode == "incremental" else None)


WORKLOGS = StagingTable("staging_jira_worklogs", "jira", "worklogs", col("worklog_id", source="id", required=True,
                                                                        max_length=64), (
    col("issue_id", source="issueId", required=True, max_length=64),
    col("author_account_id", source="author.accountId", max_length=ACCOUNT),
    col("author_email", source="author.emailAddress", max_length=320),
    col("update_author_account_id", source="updateAuthor.accountId", max_length=ACCOUNT),
    col("started_at", "datetime", "started", required=True),
    Column("started_offset", "str", lambda r: offset_of(r.get("started")), max_length=6),
    col("started_local_date", "date", "started"),
    col("time_spent_seconds", "int", "timeSpentSeconds", required=True),
    Column("comment_text", "text", lambda r: flatten_comment(r.get("comment"))),
    col("visibility_type", source="visibility.type", max_length=16),
    col("visibility_value", source="visibility.value"),
    col("created_at", "datetime", "created"), col("updated_at", "datetime", "updated"),
), Column("source_updated_at", "datetime", "updated"), window_column="updated_at",
    known_index="ix_jwl_known")

ISSUES = StagingTable("staging_jira_issues", "jira", "issues", col("issue_id", source="id", required=True,
                                                                    max_length=64), (
    col("issue_key", source="key", max_length=64), col("project_id", source="fields.project.id", max_length=64),
    col("project_key", source="fields.project.key", max_length=64), col("summary", "text", "fields.summary"),
    col("status", source="fields.status.name"), col("status_category", source="fields.status.statusCategory.key",
                                                    max_length=64),
    col("issue_type", source="fields.issuetype.name"), col("parent_id", source="fields.parent.id", max_length=64),
    col("parent_key", source="fields.parent.key", max_length=64),
    col("assignee_account_id", source="fields.assignee.accountId", max_length=ACCOUNT),
    col("time_spent_seconds", "int", "fields.timespent"),
    col("original_estimate_seconds", "int", "fields.timeoriginalestimate"),
    col("remaining_estimate_seconds", "int", "fields.timeestimate"),
    col("created_at", "datetime", "fields.created"), col("updated_at", "datetime", "fields.updated"),
), Column("source_updated_at", "datetime", "fields.updated"), window_column="updated_at")

USERS = StagingTable("staging_jira_users", "jira", "users", col("account_id", source="accountId", required=True,
                                                                max_length=ACCOUNT), (
    col("display_name", source="displayName", max_length=500), col("email", source="emailAddress", max_length=320),
    col("active", "bool"), col("account_type", source="accountType", max_length=32),
    col("time_zone", source="timeZone", max_length=64),
))

PROJECTS = StagingTable("staging_jira_projects", "jira", "projects", col("project_id", source="id", required=True,
                                                                         max_length=64), (
    col("project_key", source="key", max_length=64), col("name", max_length=500),
    col("project_type", source="projectTypeKey", max_length=64), col("style", max_length=32),
    col("is_private", "bool", "isPrivate"), col("lead_account_id", source="lead.accountId", max_length=ACCOUNT),
    col("archived", "bool"),
))


def jira_rate_limit() -> RateLimit:
    """`JIRA_RATE_LIMIT=<requests>/<seconds>` (API-token traffic has burst limits only)."""
    text = os.environ.get("JIRA_RATE_LIMIT")
    if not text:
        return DEFAULT_RATE_LIMIT
    requests, seconds = text.split("/", 1)
    return RateLimit(int(requests), float(seconds), max_in_flight=DEFAULT_RATE_LIMIT.max_in_flight,
                     default_retry_after=DEFAULT_RATE_LIMIT.default_retry_after)


@contextmanager
def open_jira(connection: JiraConnection, log: Callable[[str], None]) -> Iterator[JiraClient]:
    with JiraClient(connection, rate_limit=jira_rate_limit(), on_event=log) as client:
        yield client


def jira_connection(company: CompanyConnections) -> JiraConnection | None:
    return company.jira


VENDOR = VendorSpec(system="jira", connection_of=jira_connection, open_client=open_jira, streams=(
    StreamSpec(USERS, lambda client, _request: client.users(), description="Jira users (email may be hidden)"),
    StreamSpec(PROJECTS, lambda client, _request: client.projects(), description="Jira projects"),
    StreamSpec(ISSUES, fetch_issues, incremental=True, description="Jira issues from /search/jql"),
    StreamSpec(WORKLOGS, fetch_worklogs, partitioned=True, incremental=True, sweep="none", watermark_lag=FEED_LAG,
               description="Jira worklogs from the worklog/updated and worklog/deleted feeds"),
))
STREAMS = {spec.name: spec for spec in VENDOR.streams}

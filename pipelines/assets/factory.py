"""Extraction assets from declarations: every vendor stream becomes one asset per company.

A vendor declares its streams (`StreamSpec`) and how to open its client; this module does the
rest the same way for all four: company id, a named lock per stream, the `sync_logs` row,
window / incremental / full requests, staging writes, delete sweeps and run metadata.
"""


import gc
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    Config,
    DailyPartitionsDefinition,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from pipelines.checks import evaluate_staging_checks, staging_check_specs
from resources.config import CompanyConnections
from resources.faults import fault_page, fault_point
from resources.gc_pause import paused_gc
from resources.http import HttpStats, NonRetryableError
from resources.locks import ensure_company, lock_name, named_lock
from resources.mysql import Database, MySQLResource
from resources.staging import StagingResult, StagingTable, StagingWriter, mark_deleted, sweep_unseen
from resources.staging_known import Scope, load_known_rows
from resources.sync_log import SyncLogs, SyncRun

# Single-run backfills are the point of the time partitions; Dagster still labels the parameter beta.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", category=Warning)

Mode = Literal["full", "window", "incremental"]
PARTITION_START = "2025-01-01"


def time_partitions(start_date: str = PARTITION_START) -> DailyPartitionsDefinition:
    """Daily windows; a backfill over a range runs as one run covering the whole range."""
    return DailyPartitionsDefinition(start_date=start_date, end_offset=1)


@dataclass(frozen=True)
class FetchRequest:
    """What a stream's fetch is asked for."""

    mode: Mode
    window: tuple[date, date] | None = None  # inclusive dates
    updated_since: datetime | None = None  # naive UTC


class VendorClient:
    """What the factory needs of a vendor client: its HTTP statistics."""

    stats: HttpStats


@dataclass(frozen=True)
class Tombstones:
    """Yielded by a fetch among its pages: source ids the vendor reports deleted (QBO CDC, Jira
    worklog/deleted). Their staging rows get `deleted_at`; rows written before them are flushed first."""

    ids: list[str]


Fetch = Callable[[Any, FetchRequest], Iterable["list[dict[str, Any]] | Tombstones"]]


@dataclass(frozen=True)
class StreamSpec:
    table: StagingTable
    fetch: Fetch
    partitioned: bool = False
    incremental: bool = False
    # How a complete listing finds deletes: ids absent from the re-listed window/snapshot.
    sweep: Literal["window", "snapshot", "none"] = "snapshot"
    description: str = ""
    # Feeds that settle late (Jira worklogs leave out the last minute): the watermark never
    # advances past the run's start minus this.
    watermark_lag: timedelta = timedelta(0)
    # For a stream whose complete listing is a date range rather than everything (Forecast
    # assignments): unpartitioned runs list that range and sweep it as a window.
    horizon: Callable[[], tuple[date, date]] | None = None

    @property
    def name(self) -> str:
        return self.table.stream


@dataclass(frozen=True)
class VendorSpec:
    system: str
    streams: tuple[StreamSpec, ...]
    connection_of: Callable[[CompanyConnections], Any | None]
    # (connection, progress callback) -> a context manager yielding a client with `.stats`.
    open_client: Callable[..., AbstractContextManager[Any]]
    retry_policy: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(max_retries=2, delay=15, backoff=Backoff.EXPONENTIAL,
                                            jitter=Jitter.PLUS_MINUS)
    )
    # open_client(connection, log, db) when the client keeps state in MySQL (QBO's OAuth tokens).
    client_needs_database: bool = False


class StreamRunConfig(Config):
    """`mode`: auto (partition window, or full for unpartitioned), incremental, window or full."""

    mode: str = "auto"
    overlap_minutes: int = 10


@dataclass
class StreamOutcome:
    run: SyncRun
    request: FetchRequest
    seconds: float
    preview: list[dict[str, Any]]
    stats: HttpStats


def is_partitioned_run(context: AssetExecutionContext) -> bool:
    """A run of one partition or, for a single-run backfill, of a range of them."""
    return context.has_partition_key or context.has_partition_key_range


def partition_window(context: AssetExecutionContext) -> tuple[date, date] | None:
    if not is_partitioned_run(context):
        return None
    tw = context.partition_time_window
    return tw.start.date(), (tw.end - timedelta(days=1)).date()


def plan_request(spec: StreamSpec, mode: str, window: tuple[date, date] | None,
                 watermark: datetime | None, overlap: timedelta) -> FetchRequest:
    if mode == "incremental" and spec.incremental:
        if watermark is None:
            return FetchRequest("full")  # first run: nothing to start from
        return FetchRequest("incremental", updated_since=watermark - overlap)
    if mode in ("auto", "window") and spec.partitioned and window is not None:
        return FetchRequest("window", window=window)
    if spec.horizon is not None:
        return FetchRequest("window", window=spec.horizon())
    return FetchRequest("full")


def listing_scope(spec: StreamSpec, request: FetchRequest) -> Scope | None:
    """What a request lists completely (its rows can be skipped when unchanged and swept); None if partial."""
    if request.mode == "full":
        return Scope()
    if request.mode == "window" and spec.sweep == "window":
        return Scope(request.window)
    return None


COLLECT_EVERY_PAGES = 10


def stage_listing(db: Database, table: StagingTable, company_id: int, run: SyncRun,
                  pages: Iterable[list[dict[str, Any]] | Tombstones], scope: Scope | None, *, sweep: bool,
                  progress: Callable[[int, int], None] | None = None) -> StagingResult:
    """Stage a listing's pages under `run`, counting into `run.counts`.

    When the listing covers `scope` completely, rows already staged unchanged are skipped and,
    with `sweep`, the scope's rows no page returned are marked deleted.
    """
    known = None if scope is None else load_known_rows(db, table, company_id, scope)
    # The collector stays paused from page to page too: re-enabled between them, its first pass walked
    # the page just decoded (~1 µs a record). Every few pages the young generations are collected, or
    # reference cycles of the HTTP exchanges (holding whole response bodies) would pile up until the end.
    with paused_gc(), StagingWriter(db, table, company_id, run.id, known=known) as writer:
        count = 0
        for page in pages:
            if isinstance(page, Tombstones):
                writer.flush()
                run.counts.deleted += mark_deleted(db, table, company_id, run.id, page.ids)
                continue
            writer.add(fault_page("mid_page", page))  # test-only fault points: a no-op unless armed
            run.listed += len(page)
            fault_point("between_pages")
            count += 1
            if count % COLLECT_EVERY_PAGES == 0:
                gc.collect(1)
            if progress is not None and count % 10 == 0:
                progress(count, writer.result.rows_written + writer.result.unchanged + len(page))
    result = writer.result
    run.counts.records_processed = result.rows_written + result.quarantined + result.unchanged
    run.counts.quarantined = result.quarantined
    run.counts.unchanged = result.unchanged
    run.load_warnings = list(result.load_warnings)
    fault_point("before_sweep")
    if known is not None and sweep:
        run.counts.deleted += sweep_unseen(db, table, company_id, run.id, known)
    return result


def run_stream(db: Database, company: CompanyConnections, vendor: VendorSpec, spec: StreamSpec, *,
               mode: str = "auto", window: tuple[date, date] | None = None, run_id: str | None = None,
               partition_key: str | None = None, overlap: timedelta = timedelta(minutes=10),
               log: Callable[[str], None] = print) -> StreamOutcome:
    """Extract one stream of one company into staging; the unit every asset (and bench) runs."""
    connection = vendor.connection_of(company)
    if connection is None:
        raise ValueError(f"company {company.key} has no {vendor.system} connection")
    started = time.monotonic()
    company_id = ensure_company(db, company.key, company.name)
    logs = SyncLogs(db)
    with named_lock(db, lock_name(db.name, company_id, vendor.system, spec.name)):
        watermark = logs.last_watermark(company_id, vendor.system, spec.name)
        request = plan_request(spec, mode, window, watermark, overlap)
        sync_type = request.mode if request.mode != "full" else "full"
        start_kwargs: dict[str, Any] = dict(
            company_id=company_id, system_name=vendor.system, stream=spec.name, sync_type=sync_type,
            run_id=run_id, partition_key=partition_key, watermark_from=request.updated_since,
            window_start=datetime.combine(request.window[0], datetime.min.time()) if request.window else None,
            window_end=datetime.combine(request.window[1], datetime.min.time()) if request.window else None,
        )
        client_args = (connection, log, db) if vendor.client_needs_database else (connection, log)
        run_started = datetime.now(UTC).replace(tzinfo=None)
        with logs.tracked(**start_kwargs) as run, vendor.open_client(*client_args) as client:
            stats: HttpStats = client.stats
            try:
                def progress(pages: int, records: int) -> None:
                    log(f"{vendor.system}/{company.key}/{spec.name}: {pages} pages, {records} records")

                result = stage_listing(db, spec.table, company_id, run, spec.fetch(client, request),
                                       listing_scope(spec, request), sweep=spec.sweep != "none", progress=progress)
                if request.mode in ("full", "incremental"):
                    newest = result.max_source_updated_at
                    if newest is not None and spec.watermark_lag:
                        newest = min(newest, run_started - spec.watermark_lag)
                    run.watermark_to = max(filter(None, [newest, watermark]), default=None)
            finally:
                run.counts.requests = stats.requests
                run.counts.throttled = stats.throttled
    seconds = time.monotonic() - started
    c = run.counts
    log(f"{vendor.system}/{company.key}/{spec.name} ({request.mode}): {c.records_processed} records, "
        f"{c.quarantined} quarantined, {c.deleted} marked deleted, {stats.requests} requests, "
        f"{stats.throttled} throttled ({stats.wait_seconds:.1f}s waiting), {seconds:.1f}s")
    return StreamOutcome(run, request, seconds, result.preview, stats)


def preview_markdown(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(no rows)"
    columns = list(rows[0])

    def cell(value: Any) -> str:
        return str(value)[:40].replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(columns) + " |"
    rule = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join([header, rule, *body])


def outcome_metadata(outcome: StreamOutcome) -> dict[str, Any]:
    counts = outcome.run.counts
    return {
        "sync_log_id": outcome.run.id,
        "mode": outcome.request.mode,
        "rows": counts.records_processed - counts.quarantined,
        "quarantined": counts.quarantined,
        "deleted": counts.deleted,
        "requests": outcome.stats.requests,
        "throttled_429": outcome.stats.throttled,
        "retries": outcome.stats.retries,
        "rate_limit_wait_s": round(outcome.stats.wait_seconds, 2),
        "seconds": round(outcome.seconds, 2),
        "preview": MetadataValue.md(preview_markdown(outcome.preview)),
    }


def stream_asset_key(company: CompanyConnections, system: str, stream: str) -> AssetKey:
    return AssetKey([company.key, system, stream])


def build_stream_asset(vendor: VendorSpec, spec: StreamSpec, company: CompanyConnections,
                       partitions: DailyPartitionsDefinition) -> AssetsDefinition:
    @asset(
        key=stream_asset_key(company, vendor.system, spec.name),
        group_name=vendor.system,
        description=spec.description or f"{vendor.system} {spec.name} of {company.name} into {spec.table.name}",
        partitions_def=partitions if spec.partitioned else None,
        backfill_policy=BackfillPolicy.single_run() if spec.partitioned else None,
        pool=f"{vendor.system}-{company.key}",
        retry_policy=vendor.retry_policy,
        kinds={vendor.system, "mysql"},
        tags={"timesync/source": vendor.system, "timesync/company": company.key},
        metadata={"staging_table": spec.table.name},
        check_specs=staging_check_specs(stream_asset_key(company, vendor.system, spec.name)),
    )
    def _stream_asset(
        context: AssetExecutionContext, config: StreamRunConfig, mysql: MySQLResource
    ) -> MaterializeResult:
        try:
            outcome = run_stream(
                mysql.get_database(), company, vendor, spec, mode=config.mode,
                window=partition_window(context), run_id=context.run.run_id,
                partition_key=_partition_label(context), overlap=timedelta(minutes=config.overlap_minutes),
                log=context.log.info,
            )
        except NonRetryableError as exc:
            # Bad credentials or a bad request: retrying cannot help, so the run fails once.
            raise Failure(description=str(exc), allow_retries=False) from None
        db = mysql.get_database()
        checks = evaluate_staging_checks(db, spec.table, context.asset_key, outcome.run)
        return MaterializeResult(metadata=outcome_metadata(outcome), check_results=checks)

    return _stream_asset


def _partition_label(context: AssetExecutionContext) -> str | None:
    if not is_partitioned_run(context):
        return None
    keys = context.partition_key_range
    return keys.start if keys.start == keys.end else f"{keys.start}..{keys.end}"


def build_vendor_assets(vendor: VendorSpec, companies: list[CompanyConnections],
                        partitions: DailyPartitionsDefinition) -> Iterator[AssetsDefinition]:
    for company in companies:
        if vendor.connection_of(company) is None:
            continue
        for spec in vendor.streams:
            yield build_stream_asset(vendor, spec, company, partitions)

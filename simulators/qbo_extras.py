"""QBO's hooks into the shared world: control-plane mutations, truth and count providers.

The world's ``mutate`` is wrapped per instance so ``POST /_sim/mutations`` with ``system="qbo"``
reaches the QBO entity tables (which keep SyncToken and LastUpdatedTime right); other systems go
to the world's own overlay untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, fields
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulators.framework import RateLimit
from simulators.world import World

if TYPE_CHECKING:
    from simulators.qbo import QboApp

# 500 requests per minute per realm, and at most 10 in flight (Intuit's older concurrency rule).
QBO_RATE_LIMIT = RateLimit(limit=500, window=60.0, enabled=True, max_in_flight=10)
RESOURCE_ALIASES = {"invoices": "Invoice", "time_activities": "TimeActivity", "timeactivities": "TimeActivity",
                    "customers": "Customer", "payments": "Payment", "employees": "Employee",
                    "vendors": "Vendor", "items": "Item", "classes": "Class", "departments": "Department"}


def _entity(app: QboApp, world: World, resource: str) -> str:
    tables = app.company(world).tables
    name = RESOURCE_ALIASES.get(resource.lower(), resource)
    match = next((n for n in tables if n.lower() == name.lower()), None)
    if match is None:
        raise KeyError(f"no QBO entity {resource}")
    return match


def mutate(app: QboApp, world: World, resource: str, op: str, id: Any = None,  # noqa: A002
           fields_: dict[str, Any] | None = None) -> dict[str, Any]:
    changes = dict(fields_ or {})
    if resource == "oauth":
        return _oauth(app, world, op, changes)
    name = _entity(app, world, resource)
    table = app.company(world).tables[name]
    now = app.now_stamp(world)
    world.mutation_serial += 1
    with app._lock:
        if op == "create":
            row = table.create(changes, now)
        elif op in ("update", "archive", "deactivate"):
            if op != "update":
                changes["Active"] = False
            row = table.update(str(id), changes, now)
        elif op == "delete":
            if not table.delete(str(id), now):
                raise KeyError(f"qbo.{name} {id} does not exist")
            return {"Id": str(id), "deleted": True, "at": now}
        else:
            raise ValueError(f"unknown op {op!r}")
    if row is None:
        raise KeyError(f"qbo.{name} {id} does not exist")
    return {"Id": row["Id"], "SyncToken": row["SyncToken"], "LastUpdatedTime": row["MetaData"]["LastUpdatedTime"]}


def _oauth(app: QboApp, world: World, op: str, changes: dict[str, Any]) -> dict[str, Any]:
    authority = app.oauth
    with app._lock:
        if op == "configure":
            known = {f.name for f in fields(authority.config)}
            for key, value in changes.items():
                if key not in known:
                    raise KeyError(f"unknown OAuth setting {key}")
                setattr(authority.config, key, value)
        elif op == "expire_access_tokens":
            authority.expire_access_tokens()
        elif op == "issue_refresh_token":
            return {"refresh_token": authority.issue_refresh_token(world.qbo_client_id, world.qbo_realm_id)}
        elif op != "stats":
            raise ValueError(f"unknown op {op!r}")
        return oauth_stats(app)


def oauth_stats(app: QboApp) -> dict[str, Any]:
    return {"refresh_count": app.oauth.refresh_count, "rejected_count": app.oauth.rejected_count,
            "config": asdict(app.oauth.config)}


def _canonical_activity(app: QboApp, world: World, row: dict[str, Any]) -> dict[str, Any]:
    """A changed TimeActivity in the world's ``time_activity`` shape, for truth."""
    if "Hours" in row or "Minutes" in row:
        total = int(row.get("Hours", 0)) * 60 + int(row.get("Minutes", 0))
    else:
        start = datetime.fromisoformat(row["StartTime"])
        end = datetime.fromisoformat(row["EndTime"])
        total = int((end - start) / timedelta(minutes=1)) - int(row.get("BreakHours", 0)) * 60 \
            - int(row.get("BreakMinutes", 0))
    job = (row.get("CustomerRef") or {}).get("value")
    project = next((k for k, p in enumerate(world.projects) if p["qbo_job_id"] == job), None)
    return {"id": int(row["Id"]), "txn_date": date.fromisoformat(row["TxnDate"]), "project_index": project,
            "hours": total // 60, "minutes": total % 60}


def _activities(app: QboApp, world: World) -> Iterator[dict[str, Any]]:
    table = app.company(world).tables["TimeActivity"]
    for k in range(table.base.count):
        if not table._is_touched(k):
            yield world.time_activity(k)
    for row in list(table.overlay.values()):
        yield _canonical_activity(app, world, row)


def attach(app: QboApp, world: World) -> None:
    original_mutate, original_truth = world.mutate, world.truth

    def routed_mutate(system: str, resource: str, op: str, id: Any = None,  # noqa: A002
                      fields: dict[str, Any] | None = None) -> dict[str, Any]:
        if system == "qbo":
            return mutate(app, world, resource, op, id, fields)
        return original_mutate(system=system, resource=resource, op=op, id=id, fields=fields)

    def truth() -> dict[str, Any]:
        result = original_truth()
        company = app.company(world)
        result["qbo"] = {**company.truth, "oauth": oauth_stats(app),
                         "counts": {n: t.live_count() for n, t in company.tables.items()},
                         "deleted_ids": {n: sorted(t.deleted) for n, t in company.tables.items() if t.deleted}}
        return result

    world.mutate = routed_mutate  # type: ignore[method-assign]
    world.truth = truth  # type: ignore[method-assign]
    world.providers["qbo.time_activities"] = lambda: _activities(app, world)
    for name in ("Customer", "Employee", "Vendor", "TimeActivity", "Invoice", "Payment"):
        world.count_providers[f"qbo.{name}"] = (
            lambda n=name: app.company(world).tables[n].live_count())

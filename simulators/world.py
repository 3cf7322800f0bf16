"""The seeded world one simulated company lives in, shared by all four vendor simulators.

``World(company, scale, seed, anchor)`` is deterministic: the same inputs give the same records. Small
tables are lists built at start (see :mod:`simulators.world_dims`); the big streams are derived per
index on demand (see :mod:`simulators.world_streams`):

- ``world.time_entry(i)`` for ``i < scale.time_entries`` (Harvest), ``world.jira_worklog(j)``,
  ``world.jira_issue(project_index, n)``, ``world.time_activity(k)`` (QBO);
- ``world.entry_dates`` maps a date window to an index range (dates are monotone in the index).

Mutations (``world.mutate(system=..., resource=..., op=create|update|delete|archive|restore, id=..., fields=...)``)
go to a small :class:`~simulators.world_core.Overlay` per (system, resource); ``fields`` use the vendor's
flat field names (``hours``, ``spent_date``, ``user_id``...). Update and archive set ``updated_at`` to
``world.now()``. Deleting a Harvest project also deletes its time entries, expenses and assignments.
Restore undoes a delete (not a cascade): the record comes back as it was, ``updated_at`` unchanged unless
``fields`` patch it, so a client sees a once-missing id reappear.

A vendor module that keeps its own mutation store (QBO, Jira) should register, so truth follows it:
``world.providers["jira.worklogs"] = fn`` yielding the current canonical worklogs (``jira_worklog``
shape), ``world.providers["qbo.time_activities"]`` likewise, and ``world.count_providers["qbo.Invoice"]``
returning a current count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from simulators import world_dims, world_streams
from simulators.world_core import SCALES, Clock, DateIndex, Overlay, dt_at, stable_int, workdays

ARCHIVE_FIELDS = {"harvest": {"is_active": False}, "forecast": {"archived": True},
                  "qbo": {"Active": False}, "jira": {"active": False}}
NEW_ID0 = 990_000_000


class World:
    def __init__(self, company: str = "acme", scale: str = "tiny", seed: int = 1,
                 anchor: date | None = None) -> None:
        self.company, self.seed = company, seed
        self.scale = SCALES[scale]
        self.anchor = anchor or datetime.now(UTC).date()
        self.seed_base = stable_int("world", seed, scale, company)
        self.number = world_dims.company_number(company)
        self.name = world_dims.company_name(company)
        self.harvest_account_id = str(100_000 + self.number)
        self.forecast_account_id = str(200_000 + self.number)
        self.qbo_realm_id = str(9_130_000 + self.number)
        self.jira_site = company
        secret = f"{stable_int('token', company, seed):016x}"
        self.harvest_token = f"hv-{company}-{secret}"
        self.harvest_member_token = f"hv-member-{company}-{secret}"
        self.harvest_client_id, self.harvest_client_secret = f"hv-client-{company}", f"hv-secret-{secret}"
        self.harvest_refresh_token = f"hv-refresh-{company}-{secret}"
        # token -> access role; OAuth access tokens the id-host issues are added here
        self.harvest_tokens: dict[str, str] = {self.harvest_token: "administrator",
                                               self.harvest_member_token: "member"}
        self.harvest_token_expires: dict[str, datetime] = {}
        self.qbo_client_id, self.qbo_client_secret = f"qbo-client-{company}", f"qbo-secret-{secret}"
        self.qbo_refresh_token = f"qbo-refresh-{company}-{secret}"
        self.jira_email, self.jira_api_token = f"sync@{company}.test", f"jira-{company}-{secret}"
        self.base_time = dt_at(self.anchor, 0)
        self.start_date = self.anchor - timedelta(days=self.scale.days_back)
        self.entry_dates = DateIndex(workdays(self.start_date, self.anchor + timedelta(days=4)),
                                     self.scale.time_entries)
        self.clock = Clock()
        self.overlays: dict[tuple[str, str], Overlay] = {}
        self.providers: dict[str, Callable[[], Iterable[dict[str, Any]]]] = {}
        self.count_providers: dict[str, Callable[[], int]] = {}
        self._new_ids = 0
        self._graveyard: dict[tuple[str, str, int], tuple[str, dict[str, Any] | None]] = {}
        self._stream_seeds: dict[str, int] = {}
        self._truth_cache: tuple[int, dict[str, Any]] | None = None
        self.mutation_serial = 0
        world_dims.build_people(self)
        world_dims.build_clients_projects(self)
        self.harvest_people = [u for u, p in enumerate(self.people) if p["in_harvest"]]
        self.contractors = [u for u in self.harvest_people if self.people[u]["is_contractor"]]
        self.staff = [u for u in self.harvest_people if not self.people[u]["is_contractor"]]
        self.person_by_harvest_id = {p["harvest_user_id"]: u for u, p in enumerate(self.people)}
        self.harvest_member_user_id = next(
            p["harvest_user_id"] for p in self.people
            if p["in_harvest"] and not p["departed"] and p["person_key"] not in ("p001", "p002"))
        self.project_by_harvest_id = {p["harvest_project_id"]: k for k, p in enumerate(self.projects)}
        self.running_index = world_streams.running_timer_index(self)
        world_dims.build_assignments(self)
        world_dims.build_forecast_extras(self)
        world_dims.build_invoices(self)
        world_dims.build_expenses(self)
        world_streams.build_forecast_assignments(self)

    # -- derivation ----------------------------------------------------------------------------
    def stream_seed(self, stream: str) -> int:
        seed = self._stream_seeds.get(stream)
        if seed is None:
            seed = self._stream_seeds[stream] = stable_int(self.seed_base, stream)
        return seed

    def now(self) -> datetime:
        return self.clock.now()

    def time_entry(self, i: int) -> dict[str, Any]:
        return world_streams.time_entry(self, i)

    def jira_worklog(self, j: int) -> dict[str, Any]:
        return world_streams.jira_worklog(self, j)

    def jira_issue(self, project_index: int, n: int) -> dict[str, Any]:
        return world_streams.issue_of(self, project_index, n)

    def time_activity(self, k: int) -> dict[str, Any]:
        return world_streams.time_activity(self, k)

    def harvest_role(self, token: str | None) -> str | None:
        """The access role a Harvest/Forecast bearer token acts with here; None if unknown or expired."""
        role = self.harvest_tokens.get(token or "")
        expires = self.harvest_token_expires.get(token or "")
        return None if expires is not None and expires <= self.now() else role

    def overlay(self, system: str, resource: str) -> Overlay:
        return self.overlays.setdefault((system, resource), Overlay())

    # -- base ids per resource (for mutations and counts) ---------------------------------------
    def base_ids(self, system: str, resource: str) -> Callable[[Any], bool]:
        if (system, resource) == ("harvest", "time_entries"):
            n0 = world_streams.TIME_ENTRY_ID0
            return lambda rid: n0 <= int(rid) < n0 + self.scale.time_entries
        ids = set(self._dim_ids(system, resource))
        return lambda rid: int(rid) in ids

    def _dim_ids(self, system: str, resource: str) -> list[int]:
        p, c, j = self.people, self.clients, self.projects
        table: dict[tuple[str, str], Callable[[], list[int]]] = {
            ("harvest", "users"): lambda: [x["harvest_user_id"] for x in p if x["in_harvest"]],
            ("harvest", "clients"): lambda: [x["harvest_client_id"] for x in c],
            ("harvest", "projects"): lambda: [x["harvest_project_id"] for x in j],
            ("harvest", "tasks"): lambda: [x["id"] for x in self.tasks],
            ("harvest", "task_assignments"): lambda: [x["id"] for x in self.task_assignments],
            ("harvest", "user_assignments"): lambda: [x["id"] for x in self.user_assignments],
            ("harvest", "roles"): lambda: [7_000 + r for r in range(len(world_dims.ROLE_NAMES))],
            ("harvest", "invoices"): lambda: [x["id"] for x in self.invoices],
            ("harvest", "expenses"): lambda: [x["id"] for x in self.expenses],
            ("forecast", "people"): lambda: [x["forecast_person_id"] for x in p],
            ("forecast", "clients"): lambda: [x["forecast_client_id"] for x in c],
            ("forecast", "projects"): lambda: [x["forecast_project_id"] for x in j] + [self.time_off_project_id],
            ("forecast", "placeholders"): lambda: [x["id"] for x in self.placeholders],
            ("forecast", "roles"): lambda: [7_500 + r for r in range(len(world_dims.ROLE_NAMES))],
            ("forecast", "milestones"): lambda: [x["id"] for x in self.milestones],
            ("forecast", "assignments"): lambda: [x["id"] for x in self.assignments],
        }
        if (system, resource) not in table:
            raise KeyError(f"no mutable resource {system}.{resource}")
        return table[(system, resource)]()

    def base_count(self, system: str, resource: str) -> int:
        if (system, resource) == ("harvest", "time_entries"):
            return self.scale.time_entries
        return len(self._dim_ids(system, resource))

    def count(self, system: str, resource: str) -> int:
        """Current number of records of a stream: base minus deletes plus creates."""
        provider = self.count_providers.get(f"{system}.{resource}")
        if provider is not None:
            return provider()
        ov = self.overlays.get((system, resource))
        n = self.base_count(system, resource)
        return n if ov is None else n - len(ov.deleted) + len(ov.created)

    # -- mutations -----------------------------------------------------------------------------
    def mutate(self, system: str, resource: str, op: str, id: Any = None,  # noqa: A002 - vendor word
               fields: dict[str, Any] | None = None) -> dict[str, Any]:
        ov, fields, now = self.overlay(system, resource), _coerce(fields or {}), self.now()
        self.mutation_serial += 1
        if op == "create":
            self._new_ids += 1
            rid = NEW_ID0 + self._new_ids
            ov.created[rid] = {**fields, "id": rid, "created_at": now, "updated_at": now}
            return {"id": rid}
        rid = int(id)
        if op == "restore":
            return self._restore(system, resource, ov, rid, fields, now)
        exists = rid in ov.created or (rid not in ov.deleted and self.base_ids(system, resource)(rid))
        if not exists:
            raise KeyError(f"{system}.{resource} {rid} does not exist")
        if op == "delete":
            created = ov.created.pop(rid, None)
            if created is None:
                ov.deleted.add(rid)
                self._graveyard[(system, resource, rid)] = ("patch", ov.patches.pop(rid, None))
            else:
                self._graveyard[(system, resource, rid)] = ("created", created)
            if (system, resource) == ("harvest", "projects"):
                self._cascade_project_delete(rid)
            return {"id": rid, "deleted": True}
        if op not in ("update", "archive"):
            raise ValueError(f"unknown op {op!r}")
        patch = {**(ARCHIVE_FIELDS[system] if op == "archive" else {}), **fields, "updated_at": now}
        target = ov.created.get(rid)
        if target is not None:
            target.update(patch)
        else:
            ov.patches.setdefault(rid, {}).update(patch)
        return {"id": rid, "updated_at": now.isoformat()}

    def _restore(self, system: str, resource: str, ov: Overlay, rid: int, fields: dict[str, Any],
                 now: datetime) -> dict[str, Any]:
        kind, saved = self._graveyard.pop((system, resource, rid), (None, None))
        if kind == "created" and saved is not None:
            ov.created[rid] = saved
        elif rid in ov.deleted:
            ov.deleted.discard(rid)
            if saved:
                ov.patches[rid] = saved
        else:
            raise KeyError(f"{system}.{resource} {rid} is not deleted")
        if fields:
            patch = {**fields, "updated_at": now}
            target = ov.created.get(rid)
            if target is not None:
                target.update(patch)
            else:
                ov.patches.setdefault(rid, {}).update(patch)
        return {"id": rid, "restored": True}

    def _cascade_project_delete(self, project_id: int) -> None:
        entries = self.overlay("harvest", "time_entries")
        for i in range(self.scale.time_entries):
            rec = entries.apply(self.time_entry(i))
            if rec is not None and rec["project_id"] == project_id:
                entries.deleted.add(rec["id"])
                entries.patches.pop(rec["id"], None)
        for rid, rec in list(entries.created.items()):
            if rec.get("project_id") == project_id:
                del entries.created[rid]
        p = self.project_by_harvest_id.get(project_id)
        for resource, rows in (("expenses", self.expenses), ("user_assignments", self.user_assignments),
                               ("task_assignments", self.task_assignments)):
            ov = self.overlay("harvest", resource)
            ov.deleted.update(r["id"] for r in rows if r["project_index"] == p)
            for rid, rec in list(ov.created.items()):
                if rec.get("project_id") == project_id:
                    del ov.created[rid]

    # -- truth ---------------------------------------------------------------------------------
    def truth(self) -> dict[str, Any]:
        from simulators.world_truth import build_truth

        return build_truth(self)


def _coerce(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for k, v in fields.items():
        if isinstance(v, str) and (k.endswith("_date") or k in ("starts_on", "ends_on", "date")):
            out[k] = date.fromisoformat(v)
        elif isinstance(v, str) and k.endswith("_at"):
            out[k] = datetime.fromisoformat(v.replace("Z", "+00:00"))
    return out


class WorldRegistry:
    """The companies a stack serves, in order; lookups by each vendor's account identifier."""

    def __init__(self, worlds: Iterable[World]) -> None:
        self._worlds = {w.company: w for w in worlds}

    def worlds(self) -> list[World]:
        return list(self._worlds.values())

    def default(self) -> World:
        return next(iter(self._worlds.values()))

    def get(self, company: str | None = None) -> World:
        if company is None:
            return self.default()
        return self._worlds[company]

    def find(self, pred: Callable[[World], bool]) -> World | None:
        return next((w for w in self._worlds.values() if pred(w)), None)

    def by_harvest_account(self, account_id: str | None) -> World | None:
        return self.find(lambda w: w.harvest_account_id == account_id)

    def by_forecast_account(self, account_id: str | None) -> World | None:
        return self.find(lambda w: w.forecast_account_id == account_id)

    def by_qbo_realm(self, realm_id: str | None) -> World | None:
        return self.find(lambda w: w.qbo_realm_id == realm_id)

    def by_jira_site(self, site: str | None) -> World | None:
        return self.find(lambda w: w.jira_site == site)

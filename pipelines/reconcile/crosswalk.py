"""The crosswalk in the database: read source records, resolve identities, write `source_links`
and the ambiguous / unmatched findings in `sync_conflicts`. Runs inside the caller's transaction."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymysql.cursors import DictCursor

from pipelines.reconcile.identity import (
    Finding,
    Override,
    SourceKey,
    SourceRecord,
    assign_entities,
    normalize_code,
    normalize_email,
    normalize_name,
    resolve,
)
from resources.sql import load_sql

# Lower is stronger: whose entity id survives a merge and whose link is primary.
PRIORITY = {"harvest": 0, "forecast": 1, "qbo": 2, "jira": 3}
# Source types that may found an entity when nothing else matches them.
FOUNDERS = {("harvest", "user"), ("forecast", "person"), ("qbo", "employee"),
            ("harvest", "client"), ("forecast", "client"), ("qbo", "customer"),
            ("harvest", "project"), ("forecast", "project"), ("qbo", "job"), ("jira", "project")}


@dataclass
class CrosswalkResult:
    entity_type: str
    entities: int
    links: int
    findings: list[Finding]


def _rows(cur: DictCursor, name: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    cur.execute(load_sql(f"reconcile/{name}.sql"), params)
    return list(cur.fetchall())


def person_records(cur: DictCursor, company_id: int) -> list[SourceRecord]:
    out = []
    for r in _rows(cur, "select_person_sources", (company_id,) * 5):
        pointer = ("harvest", "user", r["pointer_id"]) if r["pointer_id"] else None
        out.append(SourceRecord(r["system"], r["source_type"], r["source_id"], PRIORITY[r["system"]],
                                (r["system"], r["source_type"]) in FOUNDERS, name=r["name"],
                                email=normalize_email(r["email"]), points_to=pointer,
                                updated_at=r["source_updated_at"]))
    return out


def client_records(cur: DictCursor, company_id: int) -> list[SourceRecord]:
    out = []
    for r in _rows(cur, "select_client_sources", (company_id,) * 3):
        pointer = ("harvest", "client", r["pointer_id"]) if r["pointer_id"] else None
        out.append(SourceRecord(r["system"], r["source_type"], r["source_id"], PRIORITY[r["system"]],
                                (r["system"], r["source_type"]) in FOUNDERS, name=r["name"],
                                name_key=normalize_name(r["name"]), points_to=pointer,
                                updated_at=r["source_updated_at"]))
    return out


def project_records(cur: DictCursor, company_id: int) -> tuple[list[SourceRecord], dict[SourceKey, str]]:
    """Project records and each one's parent id (Harvest client id, QBO parent customer id)."""
    out, parents = [], {}
    codes = set()
    rows = _rows(cur, "select_project_sources", (company_id,) * 4)
    for r in rows:
        if r["system"] == "harvest" and r["code"]:
            codes.add(normalize_code(r["code"]))
    for r in rows:
        name, code = r["name"], r["code"]
        if r["system"] == "qbo":
            # A QBO job is named '<code> <project name>' by convention; a bare name has no code.
            first, _, rest = (name or "").partition(" ")
            if normalize_code(first) in codes and rest:
                code, name = first, rest
        pointer = ("harvest", "project", r["pointer_id"]) if r["pointer_id"] else None
        rec = SourceRecord(r["system"], r["source_type"], r["source_id"], PRIORITY[r["system"]],
                           (r["system"], r["source_type"]) in FOUNDERS, name=r["name"],
                           code=normalize_code(code), name_key=normalize_name(name), points_to=pointer,
                           updated_at=r["source_updated_at"])
        out.append(rec)
        if r["parent_id"]:
            parents[rec.key] = r["parent_id"]
    return out, parents


def overrides(cur: DictCursor, company_id: int, entity_type: str) -> list[Override]:
    out = []
    for r in _rows(cur, "select_overrides", (company_id, entity_type)):
        target = None
        if r["target_system"] and r["target_source_id"]:
            target = (r["target_system"], r["target_source_type"] or "", r["target_source_id"])
        out.append(Override((r["system"], r["source_type"], r["source_id"]), r["action"],
                            r["target_entity_id"], target))
    return out


def existing_links(cur: DictCursor, company_id: int, entity_type: str) -> dict[SourceKey, int]:
    return {(r["system"], r["source_type"], r["source_id"]): int(r["entity_id"])
            for r in _rows(cur, "select_links", (company_id, entity_type))}


def write_crosswalk(cur: DictCursor, company_id: int, entity_type: str, records: list[SourceRecord],
                    key_rules: list[tuple[str, str]], primary_system: str, now: datetime,
                    sync_log_id: int | None) -> tuple[CrosswalkResult, dict[SourceKey, int]]:
    existing = existing_links(cur, company_id, entity_type)
    clusters, rules, findings = resolve(records, overrides(cur, company_id, entity_type), existing, key_rules)
    placed = assign_entities(clusters, rules, existing, primary_system, findings)
    entity_of: dict[SourceKey, int] = {}
    links = 0
    for entity_id, members in placed:
        if entity_id is None:
            cur.execute(load_sql("reconcile/new_entity_id.sql"), (company_id, entity_type))
            entity_id = int(cur.lastrowid)
        seen_systems: set[str] = set()
        for record, rule in members:
            primary = record.system not in seen_systems
            seen_systems.add(record.system)
            cur.execute(load_sql("reconcile/upsert_source_link.sql"), dict(
                company_id=company_id, entity_type=entity_type, system=record.system,
                source_type=record.source_type, source_id=record.source_id, entity_id=entity_id,
                is_primary=int(primary), match_rule=rule, source_updated_at=record.updated_at, now=now))
            entity_of[record.key] = entity_id
            links += 1
    for f in findings:
        f.entity_id = entity_of.get(f.key)
    write_findings(cur, company_id, entity_type, findings, now, sync_log_id)
    return CrosswalkResult(entity_type, len(placed), links, findings), entity_of


def write_findings(cur: DictCursor, company_id: int, entity_type: str, findings: list[Finding], now: datetime,
                   sync_log_id: int | None) -> None:
    for f in findings:
        system, source_type, source_id = f.key
        cur.execute(load_sql("reconcile/upsert_conflict.sql"), dict(
            company_id=company_id, kind=f.kind, entity_type=entity_type, entity_id=f.entity_id, field_name="",
            system=system, source_type=source_type, source_id=source_id, owning_system=None,
            owning_value=None, other_value=None, detail=f.detail[:1000], now=now, sync_log_id=sync_log_id))
    for kind in ("ambiguous_match", "unmatched"):
        cur.execute(load_sql("reconcile/resolve_unseen_conflicts.sql"), (now, company_id, entity_type, kind, now))


def resolve_people(cur: DictCursor, company_id: int, now: datetime, sync_log_id: int | None) -> CrosswalkResult:
    result, _ = write_crosswalk(cur, company_id, "person", person_records(cur, company_id),
                                [("email", "email")], "harvest", now, sync_log_id)
    return result


def resolve_projects_and_clients(cur: DictCursor, company_id: int, now: datetime,
                                 sync_log_id: int | None) -> list[CrosswalkResult]:
    """Projects first: a QBO customer whose jobs matched projects of one Harvest client is that client."""
    records, parents = project_records(cur, company_id)
    projects, entity_of = write_crosswalk(cur, company_id, "project", records,
                                          [("code", "code"), ("name_key", "name")], "harvest", now, sync_log_id)
    harvest_client_of_entity: dict[int, str] = {}
    for key, parent in parents.items():
        if key[0] == "harvest" and key in entity_of:
            harvest_client_of_entity[entity_of[key]] = parent
    evidence: dict[str, Counter[str]] = {}
    for key, parent in parents.items():
        if key[0] == "qbo" and key in entity_of and entity_of[key] in harvest_client_of_entity:
            evidence.setdefault(parent, Counter())[harvest_client_of_entity[entity_of[key]]] += 1
    clients = client_records(cur, company_id)
    for rec in clients:
        votes = evidence.get(rec.source_id) if rec.system == "qbo" else None
        if votes and len(votes) == 1:
            rec.points_to = ("harvest", "client", next(iter(votes)))
    client_result, _ = write_crosswalk(cur, company_id, "client", clients, [("name_key", "name")], "harvest",
                                       now, sync_log_id)
    return [projects, client_result]

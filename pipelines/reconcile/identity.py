"""Identity resolution: which source records are one person, client or project.

Pure Python over the (small) dimension records of one company; the database side is in
`pipelines.reconcile.crosswalk`. Rules, strongest first, per entity type:

- an analyst's override (`identity_overrides`): link joins, unlink keeps apart — it beats every rule;
- a system's own pointer (Forecast `harvest_user_id` / `harvest_id`, a QBO job's parent customer);
- a shared key (normalized email for people, project code for projects);
- a normalized name, only when exactly one candidate entity has it.

A key shared by records of two different entities is ambiguous: nothing is joined on it and each
record not already placed is reported. A record that ends alone is reported as unmatched; it becomes
an entity only if its source type may found one (a hidden-email Jira user never does).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

SourceKey = tuple[str, str, str]  # (system, source_type, source_id)

LEGAL_SUFFIXES = {"inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "corp", "corporation",
                  "co", "company", "gmbh", "ag", "sa", "na", "bv", "pty"}


def normalize_email(email: str | None) -> str | None:
    value = (email or "").strip().lower()
    return value or None


def normalize_name(name: str | None) -> str | None:
    """Case, accents, punctuation and trailing legal forms ignored: 'CONTOSO LTD' == 'Contoso'."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", text.replace(".", ""))
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words) or None


def normalize_code(code: str | None) -> str | None:
    """'NWT-002', 'nwt 2' and Jira key 'NWT2' are one code: letters and digits, no leading zeros."""
    parts = re.findall(r"[A-Za-z]+|[0-9]+", code or "")
    value = "".join(p.upper() if p.isalpha() else str(int(p)) for p in parts)
    return value or None


@dataclass
class SourceRecord:
    system: str
    source_type: str
    source_id: str
    priority: int  # lower wins: whose entity id survives, whose link is primary
    can_found: bool
    name: str | None = None
    email: str | None = None  # normalized
    code: str | None = None  # normalized
    name_key: str | None = None  # normalized
    points_to: SourceKey | None = None  # a system's own pointer to another record
    updated_at: object = None

    @property
    def key(self) -> SourceKey:
        return (self.system, self.source_type, self.source_id)


@dataclass
class Override:
    key: SourceKey
    action: str  # link | unlink
    target_entity_id: int | None = None
    target_key: SourceKey | None = None


@dataclass
class Finding:
    kind: str  # ambiguous_match | unmatched
    key: SourceKey
    detail: str
    entity_id: int | None = None


class _Clusters:
    """Union-find over source keys that refuses joins an unlink override forbids."""

    def __init__(self, keys: Iterable[SourceKey]) -> None:
        self.parent = {k: k for k in keys}
        self.members = {k: {k} for k in self.parent}
        self.rule: dict[SourceKey, str] = {}
        self.apart: set[frozenset[SourceKey]] = set()
        self.alone: set[SourceKey] = set()

    def find(self, k: SourceKey) -> SourceKey:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def allowed(self, a: SourceKey, b: SourceKey, forced: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ma, mb = self.members[ra], self.members[rb]
        if not forced and (ma & self.alone or mb & self.alone):
            return False
        return not any(frozenset((x, y)) in self.apart for x in ma for y in mb)

    def union(self, a: SourceKey, b: SourceKey, rule: str, forced: bool = False) -> bool:
        if not self.allowed(a, b, forced):
            return False
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        self.parent[rb] = ra
        self.members[ra] |= self.members.pop(rb)
        self.rule.setdefault(b, rule)
        self.rule.setdefault(a, rule)
        return True


def resolve(records: list[SourceRecord], overrides: list[Override], existing: dict[SourceKey, int],
            key_rules: list[tuple[str, str]]) -> tuple[list[list[SourceRecord]], dict[SourceKey, str],
                                                          list[Finding]]:
    """Cluster records. `key_rules` are (attribute, rule name) in order, e.g. [('email', 'email')].

    Returns the clusters, the rule that placed each record, and findings (ambiguous, unmatched).
    """
    by_key = {r.key: r for r in records}
    uf = _Clusters(by_key)
    findings: list[Finding] = []
    members_of_entity: dict[int, list[SourceKey]] = defaultdict(list)
    for k, entity_id in existing.items():
        if k in by_key:
            members_of_entity[entity_id].append(k)
    for o in overrides:
        if o.key not in by_key:
            continue
        if o.action == "unlink":
            if o.target_key is None and o.target_entity_id is None:
                uf.alone.add(o.key)
            targets = [o.target_key] if o.target_key else members_of_entity.get(o.target_entity_id or -1, [])
            for t in targets:
                uf.apart.add(frozenset((o.key, t)))
    for o in overrides:
        if o.key not in by_key or o.action != "link":
            continue
        targets = [o.target_key] if o.target_key else members_of_entity.get(o.target_entity_id or -1, [])
        for t in targets:
            if t in by_key:
                uf.union(t, o.key, "override", forced=True)
                uf.rule[o.key] = "override"
    for r in records:
        if r.points_to and r.points_to in by_key:
            uf.union(r.points_to, r.key, f"{r.system}_pointer")
    for attr, rule in key_rules:
        groups: dict[str, list[SourceKey]] = defaultdict(list)
        for r in records:
            value = getattr(r, attr)
            if value:
                groups[value].append(r.key)
        for value, keys in groups.items():
            roots = {uf.find(k) for k in keys}
            if len(roots) < 2:
                continue
            # Ambiguous when the key names two records of one system that are different entities.
            systems: dict[tuple[str, str], set[SourceKey]] = defaultdict(set)
            for k in keys:
                systems[(k[0], k[1])].add(uf.find(k))
            if any(len(s) > 1 for s in systems.values()):
                for k in keys:
                    if len(uf.members[uf.find(k)]) == 1:
                        findings.append(Finding("ambiguous_match", k, f"{rule} {value!r} is shared by "
                                                f"{len(roots)} different records; link by hand"))
                continue
            first = keys[0]
            for k in keys[1:]:
                if not uf.union(first, k, rule) and uf.find(k) != uf.find(first):
                    findings.append(Finding("ambiguous_match", k, f"{rule} {value!r} matches a record "
                                            "an unlink override keeps apart"))
    clusters = [sorted((by_key[k] for k in ms), key=lambda r: (r.priority, r.source_id))
                for ms in uf.members.values()]
    return clusters, uf.rule, findings


def assign_entities(clusters: list[list[SourceRecord]], rules: dict[SourceKey, str],
                    existing: dict[SourceKey, int], primary_system: str,
                    findings: list[Finding]) -> list[tuple[int | None, list[tuple[SourceRecord, str]]]]:
    """Give each cluster an entity id: the existing id of its best-ranked linked member, kept by one
    cluster only; None means a new entity. Clusters that may not found an entity are dropped."""
    out: list[tuple[int | None, list[tuple[SourceRecord, str]]]] = []
    taken: set[int] = set()
    reported = {f.key for f in findings}
    for cluster in sorted(clusters, key=lambda c: (c[0].priority, c[0].source_id)):
        alone = len(cluster) == 1
        head = cluster[0]
        if alone and head.system != primary_system and head.key not in reported:
            findings.append(Finding("unmatched", head.key, f"no {primary_system} record shares a key with "
                                    f"this {head.system} {head.source_type}"))
        if not any(r.can_found for r in cluster):
            continue
        entity_id = next((existing[r.key] for r in cluster if r.key in existing
                          and existing[r.key] not in taken), None)
        if entity_id is not None:
            taken.add(entity_id)
        placed = [(r, "anchor" if i == 0 and r.key not in rules else rules.get(r.key, "anchor"))
                  for i, r in enumerate(cluster)]
        out.append((entity_id, placed))
    return out

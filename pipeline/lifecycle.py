"""Offers built from the stored postings: normalise, classify, deduplicate, status.

`rebuild_offers` is a pure function of the stored postings and `now`, plus the
previous offers (to keep `closed_at`/`reopened_at` and count the changes). It
needs no network: `offres reprocess` is this function.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from pipeline.offer_merge import merged_fields
from pipeline.sources import BOARD_SOURCES, CURATED_SOURCE, LICENSED_SOURCES, OFFICIAL_SOURCE

PARIS = ZoneInfo("Europe/Paris")
NOT_ON_BOARD = "no longer on the board"
# what emploi-territorial.fr adds (pipeline/normalize/territorial_board.py)
BOARD_FIELDS = ("apply_url", "starts_on", "filiere", "working_time", "description_html")
HASHED_FIELDS = ("title", "employer", "employer_category", "versant", "category", "categories", "grades",
                 "contract", "remote", "metier", "domain", "location", "digital", "family",
                 "published_on", "deadline", "url", "sources", "missions_html", "profile_html",
                 "experience", "salary", "about_html", "salary_details", *BOARD_FIELDS)
# hashed only when set, so that offers stored before these fields existed keep their hash
HASHED_WHEN_SET = frozenset(("experience", "salary", "about_html", "salary_details", *BOARD_FIELDS))


@dataclass
class RebuildStats:
    """What a rebuild changed."""

    offers: int = 0
    open: int = 0
    new: int = 0
    updated: int = 0
    closed: int = 0
    reopened: int = 0
    errors: list[dict] = field(default_factory=list)
    unresolved: dict[str, int] = field(default_factory=dict)
    entries: int = 0  # export entries built as the offers were written (pipeline.export.prebuilt)


NEVER = datetime.max.replace(tzinfo=timezone.utc)


def parse_time(value: str | None, default: datetime) -> datetime:
    """An ISO time from the store, timezone-aware; `default` when missing or bad."""
    if not value:
        return default
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def offer_status(fields: dict, members: list[dict], today: str,
                 board_crawl: str | None = None) -> tuple[str, str | None]:
    """(status, reason): closed when the deadline has passed, or when every posting is
    gone; the official board's word wins over pages that only link to it.

    `board_crawl` is the start of the latest complete, healthy crawl of the official
    board: an entry known only from the curated page, with a board reference, first
    seen before that crawl, is one the board no longer lists (it reopens when the
    board lists it again, its posting then joining the offer).
    """
    deadline = fields.get("deadline")
    if deadline and deadline < today:
        return "closed", f"deadline {deadline} passed"
    official = [m for m in members if m["source"] in BOARD_SOURCES]
    judged = official or members
    if judged and all(m["gone_at"] for m in judged):
        latest = max(m["gone_at"] for m in judged)
        sources = ", ".join(sorted({m["source"] for m in judged}))
        return "closed", f"absent from the complete crawl of {sources} at {latest}"
    if (board_crawl and not official and fields.get("reference") and members
            and all(m["source"] == CURATED_SOURCE for m in members)
            and max(parse_time(m["first_seen_at"], NEVER) for m in members) <= parse_time(board_crawl, NEVER)):
        return "closed", NOT_ON_BOARD
    return "open", None


JSON_FIELDS = ("categories", "grades", "location", "sources", "salary_details")
BOOL_FIELDS = ("remote", "digital")


def comparable(name: str, value):
    """A published field as stored or as built, in one form (JSON text decoded, flags as bools)."""
    if name in JSON_FIELDS and isinstance(value, str):
        return json.loads(value)
    if name in BOOL_FIELDS and value is not None:
        return bool(value)
    return value


def changed_fields(before: dict, row: dict) -> list[str]:
    """The published fields whose value differs between a stored offer and a rebuilt one."""
    return [k for k in HASHED_FIELDS if comparable(k, before.get(k)) != comparable(k, row.get(k))]


def offer_events(before: dict | None, row: dict, run_id: int | None, stamp: str) -> list[dict]:
    """The events a rebuilt offer implies against its stored version (none when unchanged)."""
    base = {"run_id": run_id, "at": stamp, "offer_id": row["id"], "reference": row.get("reference"),
            "title": row.get("title") or row.get("title_raw")}
    events = []
    if before is None:
        events.append({**base, "kind": "new", "fields": None, "reason": None})
    elif before["fields_hash"] != row["fields_hash"]:
        events.append({**base, "kind": "updated", "fields": json.dumps(changed_fields(before, row)), "reason": None})
    if before is not None and row["status"] != before["status"]:
        kind = "closed" if row["status"] == "closed" else "reopened"
        events.append({**base, "kind": kind, "fields": None, "reason": row["status_reason"]})
    elif before is None and row["status"] == "closed":
        events.append({**base, "kind": "closed", "fields": None, "reason": row["status_reason"]})
    return events


def merge_events(previous: dict[str, dict], previous_members: dict[str, str], offers: list[dict],
                 merges: list[dict], run_id: int | None, stamp: str) -> list[dict]:
    """An offer that no longer exists because its postings joined another offer: a `merged` event."""
    now_ids = {o["id"] for o in offers}
    offer_of = {m["posting_id"]: m["offer_id"] for m in merges}
    events = []
    for old_id, before in previous.items():
        if old_id in now_ids:
            continue
        targets = sorted({offer_of[p] for p, o in previous_members.items() if o == old_id and p in offer_of})
        reason = f"merged into {', '.join(targets)}" if targets else "its postings are no longer stored"
        events.append({"run_id": run_id, "at": stamp, "offer_id": old_id, "kind": "merged",
                       "reference": before.get("reference"), "title": before.get("title"),
                       "fields": json.dumps(targets), "reason": reason})
    return events


# location keys left out of the hash: derived from the others (a département's territory is
# itself), so that offers stored before they existed are not all "updated" by their arrival
DERIVED_LOCATION_KEYS = ("territory_code", "territory", "territory_kind")


def _hashed(name: str, value):
    collectivity = isinstance(value, dict) and value.get("territory_code") and not value.get("department_code")
    if name == "location" and isinstance(value, dict) and not collectivity:
        return {k: v for k, v in value.items() if k not in DERIVED_LOCATION_KEYS}
    return value


_HASH_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode  # built once


def fields_hash(row: dict) -> str:
    """Hash of what an offer publishes: a change means the offer was updated."""
    hashed = {k: row.get(k) for k in HASHED_FIELDS if k not in HASHED_WHEN_SET or row.get(k) is not None}
    hashed["location"] = _hashed("location", hashed["location"])  # the only field _hashed changes
    payload = _HASH_ENCODE(hashed)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def source_entry(source: str, fields: dict) -> dict:
    """One `sources` item; a licensed source's also carries its last update and its licence."""
    entry = {"source": source, "url": fields.get("url"), "reference": fields.get("reference")}
    if source in LICENSED_SOURCES:
        entry.update(updated_on=fields.get("modified_on") or fields.get("published_on"),
                     licence=LICENSED_SOURCES[source])
    return entry


def build_offer_row(cluster, fields_by_id: dict[str, dict], rows_by_id: dict[str, dict], today: str,
                    board_crawl: str | None = None) -> dict:
    """One `offers` row from a dedup cluster (its canonical posting's fields); `board_crawl` as in offer_status."""
    member_ids = list(cluster.posting_ids)
    canonical = merged_fields(fields_by_id[cluster.canonical_id], rows_by_id[cluster.canonical_id]["source"],
                              [(rows_by_id[p]["source"], fields_by_id[p]) for p in member_ids if p != cluster.canonical_id])
    members = [rows_by_id[pid] for pid in member_ids]
    sources = [source_entry(rows_by_id[pid]["source"], fields_by_id[pid]) for pid in member_ids]
    sources.sort(key=lambda s: (s["source"] != OFFICIAL_SOURCE, s["source"], s["url"] or ""))
    status, reason = offer_status(canonical, members, today, board_crawl)
    row = {
        "id": cluster.cluster_id, "canonical_posting_id": cluster.canonical_id,
        **{k: canonical.get(k) for k in (
            "reference", "title", "title_raw", "title_key", "employer", "employer_category",
            "versant", "category", "contract", "remote", "metier", "domain", "digital", "family",
            "classification_reason", "published_on", "deadline", "url", "missions_html", "profile_html",
            "experience", "salary", "about_html", "salary_details", *BOARD_FIELDS)},
        "grades": canonical.get("grades") or [],
        "categories": canonical.get("categories") or [],
        "location": canonical.get("location") or {},
        "sources": sources,
        "first_seen_at": min(m["first_seen_at"] for m in members),
        "last_seen_at": max(m["last_seen_at"] for m in members),
        "status": status, "status_reason": reason,
    }
    row["fields_hash"] = fields_hash(row)
    return row


def rebuild_offers(db: Database, now: datetime | None = None, run_id: int | None = None,
                   progress: Callable[[str], None] | None = None, full: bool = False) -> RebuildStats:
    """Rebuild the `offers` and `merges` tables from the stored postings: only what changed
    since the last rebuild, or everything with `full` (see `pipeline.rebuild`)."""
    from pipeline.rebuild import rebuild  # the rebuild sits above this module (it uses its rules)

    return rebuild(db, now=now, run_id=run_id, progress=progress, full=full)


def preview_rebuild(db: Database, now: datetime | None = None,
                    progress: Callable[[str], None] | None = None) -> tuple[RebuildStats, list[dict]]:
    """What `rebuild_offers` would change, and its events, with nothing written: the rebuild
    runs inside a transaction that is rolled back."""
    if db.conn.in_transaction:
        raise RuntimeError("preview_rebuild needs a connection with no open transaction")
    last = next(db.query("select coalesce(max(id), 0) as id from events"))["id"]
    db.conn.execute("BEGIN")
    try:
        stats = rebuild_offers(db, now=now, progress=progress, full=True)
        events = [dict(r) for r in db.query("select * from events where id > ? order by id", [last])]
    finally:
        db.conn.rollback()
    return stats, events

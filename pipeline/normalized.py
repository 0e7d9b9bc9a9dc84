"""The normalised postings, stored: what the rebuild reuses instead of recomputing.

Table `normalized` (one row per posting, see docs/storage.md): the raw version it was
built from (`raw_id`), the lifecycle fields as of the last rebuild (`first_seen_at`,
`last_seen_at`, `gone_at`, `source`: comparing them with `postings` says what changed),
the normalised and classified fields as JSON *without* the HTML fragments, the URL and the
raw title when they are as found (read back from the raw record, so no text is stored twice), and the
deduplication index keys (`ref_key`, `url_key`, `block_key`, plus `name_key`, the
(employer, title) pair the cross-department notes of `explain` group by).
"""
from __future__ import annotations

import hashlib
import json
import sys
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from sqlite_utils import Database

from pipeline.classify import classify
from pipeline.dedupe import Posting, index_keys, reference_key
from pipeline.lifecycle import parse_time
from pipeline.normalize import normalize_posting
from pipeline.store import chunks, marks
from pipeline.versions import add_files, add_packages

TABLE = "normalized"
COLUMNS = {"posting_id": str, "raw_id": int, "source": str, "first_seen_at": str, "last_seen_at": str,
           "gone_at": str, "fields": str, "error": str, "ref_key": str, "url_key": str, "block_key": str,
           "name_key": str}
INDEXES = (["ref_key"], ["url_key"], ["block_key"], ["name_key"])
FROM_RECORD = ("missions_html", "profile_html", "about_html", "url", "title_raw")  # when as in the raw record
RECORD_KEY = {"title_raw": "title"}  # the raw record's name of a field, when it differs
DIRTY = "dirty_postings"  # postings inserted, updated or deleted since the last rebuild (triggers)
KEY_COLUMNS = ("ref_key", "url_key", "block_key")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once, not per row
ROOT = Path(__file__).resolve().parent.parent
#: What a normalisation may depend on besides its record, hashed whole (`normaliser_version`): every
#: module of the pipeline, the reference data, the Python and the packages the normalisers use.
VERSIONED = ("pipeline/**/*.py", "data/*.csv", "data/geo/*.csv", "data/taxonomy/*", "data/labels/*")
PACKAGES = ("dateparser", "regex", "rapidfuzz", "nh3", "lxml", "beautifulsoup4", "tzdata")


@lru_cache(maxsize=1)
def normaliser_version() -> str:
    """Hash of the code, data and packages behind the stored normalisations: while it is the one the
    last rebuild recorded, a stored row of an unchanged raw version is what normalising again gives."""
    digest = hashlib.sha256(sys.version.encode() + b"\0")
    add_files(digest, ((str(path.relative_to(ROOT)), path)
                       for pattern in VERSIONED for path in sorted(ROOT.glob(pattern))))
    add_packages(digest, PACKAGES)
    return digest.hexdigest()[:16]


def ensure_table(db: Database) -> None:
    """Create the `normalized` table and its indexes if missing."""
    table = db.table(TABLE)
    if not table.exists():
        table.create(COLUMNS, pk="posting_id")
    for cols in INDEXES:
        table.create_index(cols, if_not_exists=True)
    db.execute("create table if not exists relays (posting_id text, ref_key text)")  # relayed references
    db.execute("create index if not exists idx_relays_ref_key on relays (ref_key)")
    db.execute("create index if not exists idx_relays_posting_id on relays (posting_id)")
    # every posting written since the last rebuild (whatever wrote it): the incremental rebuild
    # compares only these with their `normalized` rows instead of scanning the whole table
    db.execute(f"create table if not exists {DIRTY} (posting_id text primary key) without rowid")
    for event, row in (("insert", "new"), ("update", "new"), ("delete", "old")):
        db.execute(f"create trigger if not exists {DIRTY}_{event} after {event} on postings "
                   f"begin insert or ignore into {DIRTY} (posting_id) values ({row}.id); end")


def relay_keys(fields: dict | None, own: str | None) -> list[str]:
    """The reference keys of the other boards' offers a posting relays (they merge at stage 1)."""
    keys = {reference_key(ref) for ref in (fields or {}).get("relayed_references") or ()}
    return sorted(k for k in keys if k and k != own)


def normalise_record(record: dict, now: datetime) -> dict:
    """The normalised and classified fields of one raw record (may raise on a normaliser bug)."""
    fields = normalize_posting(record, parse_time(record.get("fetched_at"), now))
    verdict = classify(fields.get("title") or "", metier=fields.get("metier"),
                       employer=fields.get("employer"), domain=fields.pop("classify_domain", fields.get("domain")))
    fields.update(digital=verdict.digital, family=verdict.family, classification_reason=verdict.reason)
    return fields


def stored_row(posting: dict, fields: dict | None, error: str | None, record: dict | None = None) -> dict:
    """The `normalized` row of a posting (`posting`: id, raw_id, source, first/last seen, gone)."""
    row = {"posting_id": posting["id"], "raw_id": posting["raw_id"], "source": posting["source"],
           "first_seen_at": posting["first_seen_at"], "last_seen_at": posting["last_seen_at"],
           "gone_at": posting["gone_at"], "fields": None, "error": error,
           "ref_key": None, "url_key": None, "block_key": None, "name_key": None}
    if fields is not None:
        record = record or {}
        kept = {k: v for k, v in fields.items()  # unknown (None) and empty values are read back as missing
                if k not in FROM_RECORD and v is not None and v != []}
        for name in FROM_RECORD:  # a text the normaliser kept as found is read back from the record
            if fields.get(name) != record.get(RECORD_KEY.get(name, name)):
                kept[name] = fields.get(name)
        row["fields"] = _ENCODE(kept)
        location = fields.get("location")
        p = Posting(posting["id"], posting["source"], fields.get("url") or "", fields.get("reference") or None,
                    fields.get("title_key") or None, fields.get("employer_key") or None,
                    (location.get("department_code") or location.get("territory_code"))
                    if isinstance(location, dict) else None, None, "",
                    posting["first_seen_at"])  # only its keys are read: no text, no completeness
        row["ref_key"], row["url_key"], row["block_key"] = index_keys(p)
        if p.employer_key and p.title_key:
            row["name_key"] = f"{p.employer_key}\x1f{p.title_key}"
    return row


# What `load` reads of a raw record, taken out by SQLite (the whole record, descriptions and all, is not
# decoded in Python): the FROM_RECORD texts, and as JSON the rule a filtering source kept it by.
_FROM_RECORD_SQL = ", ".join([*(f"json_extract(r.record, '$.{RECORD_KEY.get(name, name)}')" for name in FROM_RECORD),
                              "json_quote(json_extract(r.record, '$.extra.public_employer'))"])


def load(db: Database, ids: Iterable[str]) -> Iterator[tuple[dict, dict]]:
    """(posting row with its lifecycle fields and `public_employer` (the rule a filtering source kept
    it by), full normalised fields) of each id that has them."""
    for batch in chunks(ids):
        rows = db.execute(
            f"select p.id, p.source, p.first_seen_at, p.last_seen_at, p.gone_at, n.fields, {_FROM_RECORD_SQL} "
            f"from normalized n join postings p on p.id = n.posting_id join raw_postings r on r.id = p.raw_id "
            f"where n.posting_id in ({marks(len(batch))}) and n.fields is not null", batch).fetchall()
        for pid, source, first, last, gone, stored, *found, kept_by in rows:
            fields = json.loads(stored)
            for name, value in zip(FROM_RECORD, found):
                if name not in fields:
                    fields[name] = value
            yield ({"id": pid, "source": source, "first_seen_at": first, "last_seen_at": last, "gone_at": gone,
                    "public_employer": json.loads(kept_by)}, fields)


def keys_of(db: Database, ids: Iterable[str], scan: bool = False) -> dict[str, list[tuple[str, str]]]:
    """The index keys stored for each id, as (column, value) pairs (relayed references count as
    reference keys). `scan`: read both tables whole and keep the ids asked for, instead of
    looking each id up (three times cheaper when they are most of the table)."""
    out: dict[str, list[tuple[str, str]]] = {}
    if scan:
        wanted = ids if isinstance(ids, (set, frozenset, dict)) else set(ids)
        for pid, *keys in db.execute("select posting_id, ref_key, url_key, block_key from normalized"):
            if pid in wanted:
                out[pid] = [(col, v) for col, v in zip(KEY_COLUMNS, keys) if v]
        for pid, key in db.execute("select posting_id, ref_key from relays"):
            if pid in wanted:
                out.setdefault(pid, []).append(("ref_key", key))
        return out
    for batch in chunks(ids):
        for pid, *keys in db.execute(f"select posting_id, ref_key, url_key, block_key from normalized "
                                     f"where posting_id in ({marks(len(batch))})", batch):
            out[pid] = [(col, v) for col, v in zip(KEY_COLUMNS, keys) if v]
        for pid, key in db.execute(f"select posting_id, ref_key from relays where posting_id in ({marks(len(batch))})",
                                   batch):
            out.setdefault(pid, []).append(("ref_key", key))
    return out


def sharing(db: Database, column: str, values: Iterable[str]) -> set[str]:
    """Ids of the postings whose `column` is one of `values`."""
    found: set[str] = set()
    for batch in chunks(values):
        found.update(r[0] for r in db.execute(
            f"select posting_id from normalized where {column} in ({marks(len(batch))})", batch))
        if column == "ref_key":
            found.update(r[0] for r in db.execute(
                f"select posting_id from relays where ref_key in ({marks(len(batch))})", batch))
    return found

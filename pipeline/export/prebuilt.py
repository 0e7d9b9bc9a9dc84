"""Export entries built in advance: each offer's JSON text, validated, kept beside the offer.

The rebuild builds the entries of the offers it inserts from their rows as they read back
(`store_entries`), then calls `refresh_entries`: every other offer written
since (triggers on `offers` note its id in `export_stale`, whoever writes it) gets its
contract entry built (`document.offer_entry`), validated against the offer schema and
stored encoded as the JSON export writes it (`export_entries.entry`), but for its HTML texts
and `last_seen_at` (FROM_ROW): those are the offer row's own, put back in their place at
export, so the descriptions are not stored a second time and an offer merely seen again by a
crawl keeps its entry. An offer whose row, read back, has the same digest (all its columns
but `last_seen_at`) as when its entry was built keeps it. An entry that breaks
the contract is stored as null, so the export builds it again and sets it aside, naming why.

`encoded_offers` gives the export those texts in its order, and builds from the row (the
path of `document.build_export`) every offer whose entry is missing, stale, null, or built
by other code, schema or data (`entries_version`): the export is the same either way.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from rfc3339_validator import validate_rfc3339
from sqlite_utils import Database

from pipeline.export.document import SCHEMA_PATH, SetAside, first_error, offer_entry
from pipeline.export.selection import ORDER, Selection, register_functions
from pipeline.store import chunks, marks
from pipeline.versions import add_files, add_packages

ENTRIES = "export_entries"
STALE = "export_stale"
META = "export_entries_meta"
TRIGGERS = {  # name -> body: every write of `offers` marks the offer's entry stale
    "export_stale_insert": f"after insert on offers begin insert or ignore into {STALE} (offer_id) values (new.id); end",
    "export_stale_update": f"after update on offers begin insert or ignore into {STALE} (offer_id) values (old.id); "
                           f"insert or ignore into {STALE} (offer_id) values (new.id); end",
    "export_stale_delete": f"after delete on offers begin insert or ignore into {STALE} (offer_id) values (old.id); end",
}
ROOT = Path(__file__).resolve().parent.parent.parent
#: What an entry is built and validated with: its code, reference data and schema.
SOURCES = ("pipeline/export/document.py", "pipeline/export/prebuilt.py", "pipeline/sanitize.py", "pipeline/labels.py",
           "pipeline/normalize/location.py", "data/labels/labels.json", "data/geo/communes.csv",
           "data/geo/departments.csv", "data/geo/regions.csv", "data/geo/territories.csv")
PACKAGES = ("nh3", "jsonschema", "fastjsonschema", "rfc3339-validator", "rfc3986-validator")
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # as files.dump_document writes an offer
#: Entry keys filled from the offer row at export, not kept in the stored entry: when it was last
#: seen (each crawl moves it: an entry does not go stale for it alone) and its HTML texts (the row
#: holds them, sanitised: not stored a second time). Each group's keys follow one another.
LAST_SEEN = ("last_seen_at",)
HTML_KEYS = ("missions_html", "profile_html", "about_html")
FROM_ROW = (LAST_SEEN, HTML_KEYS)
ROW_COLUMNS = LAST_SEEN + HTML_KEYS  # what the export reads beside each stored entry, in this order
_GAP = "\x00"  # where a group goes: never in a JSON text, which escapes every control character
_DIGEST_ENCODE = json.JSONEncoder(check_circular=False, default=repr).encode  # ASCII: any text encodes


@lru_cache(maxsize=1)
def entries_version() -> str:
    """Hash of everything an entry depends on besides its offer row."""
    digest = hashlib.sha256()
    add_files(digest, ((name, ROOT / name) for name in SOURCES))
    digest.update(SCHEMA_PATH.read_bytes())
    add_packages(digest, PACKAGES)
    return digest.hexdigest()[:16]


def _has_triggers(db: Database) -> bool:
    found = {r[0] for r in db.execute("select name from sqlite_master where type = 'trigger' and tbl_name = 'offers'")}
    return set(TRIGGERS) <= found


def _stored_version(db: Database) -> str | None:
    if not db.table(META).exists():
        return None
    found = db.execute(f"select value from {META} where key = 'version'").fetchone()
    return found[0] if found else None


def stored_text(entry: dict) -> str:
    """The entry's JSON text as the export writes it, but for the groups of FROM_ROW: a gap in
    the place of each (`entry_text` fills them)."""
    keys, parts, at = list(entry), [], 0
    for group in FROM_ROW:
        start = keys.index(group[0])
        if tuple(keys[start:start + len(group)]) != group or start < at:
            raise ValueError(f"the entry's keys {group} are not together, in order")
        parts.append(_ENCODE({k: entry[k] for k in keys[at:start]})[1:-1])
        at = start + len(group)
    parts.append(_ENCODE({k: entry[k] for k in keys[at:]})[1:-1])
    return _GAP.join(parts)


def entry_text(stored: str, values: tuple) -> str:
    """The entry's JSON text from its stored text and the offer row's ROW_COLUMNS (as `_ENCODE`
    gives the whole entry: an HTML text stored empty is null, as `offer_entry` makes it)."""
    parts, pieces, at = stored.split(_GAP), [], 0
    for n, group in enumerate(FROM_ROW):
        if parts[n]:
            pieces.append(parts[n])
        html = group is HTML_KEYS
        pieces.append(", ".join(f'"{key}": {_ENCODE((value or None) if html else value)}'
                                for key, value in zip(group, values[at:at + len(group)])))
        at += len(group)
    if parts[-1]:
        pieces.append(parts[-1])
    return "{" + ", ".join(pieces) + "}"


@lru_cache(maxsize=4096)
def _seen_at_valid(value: object) -> bool:
    """Whether a `last_seen_at` is what the contract's `date-time` accepts (jsonschema's own check)."""
    return isinstance(value, str) and validate_rfc3339(value)


def row_digest(row: dict, sanitized: bool) -> str:
    """What an entry was built from: the offer row (every column, named, but `last_seen_at`, which
    the export takes from the row itself) and the code's version."""
    row = {k: v for k, v in row.items() if k not in LAST_SEEN}
    text = _DIGEST_ENCODE([entries_version(), sanitized, list(row), list(row.values())])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def ensure(db: Database) -> None:
    """The tables and triggers; when they were missing or the version changed, every offer is stale."""
    db.execute(f"create table if not exists {ENTRIES} (offer_id text primary key, digest text, entry text)")
    db.execute(f"create table if not exists {STALE} (offer_id text primary key)")
    db.execute(f"create table if not exists {META} (key text primary key, value text)")
    fresh = _has_triggers(db) and _stored_version(db) == entries_version()
    for name, body in TRIGGERS.items():
        db.execute(f"create trigger if not exists {name} {body}")
    if not fresh:
        db.execute(f"insert or ignore into {STALE} (offer_id) select id from offers")
        db.execute(f"insert or replace into {META} (key, value) values ('version', ?)", [entries_version()])


def refresh_entries(db: Database, sanitized: bool, built: int = 0) -> int:
    """Build the entries of the offers written since the last call (the rebuild's hook, inside its
    transaction); `sanitized`: the offers' HTML is stored sanitised by the current sanitiser.
    Returns how many entries were built, plus `built` (those the rebuild built with `store_entries`)."""
    if not db.table("offers").exists():
        return built
    ensure(db)
    stale = [r[0] for r in db.execute(f"select offer_id from {STALE}")]
    for batch in chunks(stale):
        rows = {r["id"]: r for r in db.query(f"select * from offers where id in ({marks(len(batch))})", batch)}
        known = dict(db.execute(f"select offer_id, digest from {ENTRIES} where offer_id in ({marks(len(batch))})",
                                batch).fetchall())
        gone = [offer_id for offer_id in batch if offer_id not in rows]
        writes = []
        for offer_id, row in rows.items():
            digest = row_digest(row, sanitized)
            if known.get(offer_id) == digest:
                continue
            entry = offer_entry(row, sanitized)
            writes.append((offer_id, digest, None if first_error(entry, "offer") else stored_text(entry)))
        if gone:
            db.execute(f"delete from {ENTRIES} where offer_id in ({marks(len(gone))})", gone)
        db.conn.executemany(f"insert or replace into {ENTRIES} (offer_id, digest, entry) values (?, ?, ?)", writes)
        built += len(writes)
    db.execute(f"delete from {STALE}")
    return built


def store_entries(db: Database, rows: list[dict], sanitized: bool) -> int:
    """Build the entries of offers just inserted from their rows as they read back (`select *` order and
    values), so that `refresh_entries` need not read them again; `ensure` has run in this transaction."""
    for batch in chunks(rows):  # a few hundred entries held at a time
        writes = []
        for row in batch:
            entry = offer_entry(row, sanitized)
            text = None if first_error(entry, "offer") else stored_text(entry)
            writes.append((row["id"], row_digest(row, sanitized), text))
        db.conn.executemany(f"insert or replace into {ENTRIES} (offer_id, digest, entry) values (?, ?, ?)", writes)
        db.execute(f"delete from {STALE} where offer_id in ({marks(len(batch))})", [row["id"] for row in batch])
    return len(rows)


def usable(db: Database, sanitized: bool) -> bool:
    """Whether the stored entries may be used: built by this code and data, tracked by the triggers,
    over HTML sanitised by the current sanitiser."""
    return (sanitized and db.table(ENTRIES).exists() and db.table(STALE).exists() and _has_triggers(db)
            and _stored_version(db) == entries_version())


def encoded_offers(db: Database, selection: Selection, sanitized: bool) -> tuple[list[str], list[SetAside]]:
    """The selection's entries as JSON texts in the export's order, and the offers set aside
    (the stored, validated text where there is one; else built from the row and validated)."""
    where, params = selection.where()
    register_functions(db)
    if usable(db, sanitized):
        query = (f"select id, (select e.entry from {ENTRIES} e where e.offer_id = offers.id and not exists "
                 f"(select 1 from {STALE} s where s.offer_id = offers.id)), {', '.join(ROW_COLUMNS)} from offers "
                 f"where {where} order by {ORDER}")
    else:
        query = f"select id, null from offers where {where} order by {ORDER}"
    texts: list[str | None] = []
    missing: list[tuple[int, str]] = []  # (place, offer id) of the entries to build from their rows
    for offer_id, stored, *values in db.execute(query, params):  # row by row: one text an offer in memory
        if stored is None or not _seen_at_valid(values[0]):  # the row's `last_seen_at`, checked as the schema does
            missing.append((len(texts), offer_id))
            texts.append(None)
        else:
            texts.append(entry_text(stored, tuple(values)))
    aside_at: dict[int, SetAside] = {}
    for batch in chunks(missing):
        ids = [offer_id for _, offer_id in batch]
        rows = {r["id"]: r for r in db.query(f"select * from offers where id in ({marks(len(ids))})", ids)}
        for n, offer_id in batch:
            if offer_id not in rows:  # removed by a rebuild since the first query
                continue
            entry = offer_entry(rows[offer_id], sanitized)
            error = first_error(entry, "offer")
            if error is None:
                texts[n] = _ENCODE(entry)
            else:
                aside_at[n] = SetAside.from_error(entry, error)
    return [t for t in texts if t is not None], [aside_at[n] for n in sorted(aside_at)]

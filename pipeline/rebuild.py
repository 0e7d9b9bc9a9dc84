"""Rebuilding the offers: incrementally after a crawl or an ingest, in full for `reprocess`.

Postings that share no deduplication index key (reference, URL key, block) and no
previous offer never affect each other's clusters, so the rebuild works on *groups*
closed under those links (docs/rebuild.md):

1. `refresh`: postings whose raw version is new are normalised and classified again and
   stored in `normalized` (with their index keys); those whose lifecycle fields changed
   (first seen, gone, source) only get their snapshot updated; removed ones are dropped.
2. What time alone changes: offers whose deadline has passed since (or no longer has),
   and, when a new healthy crawl of the official board exists, curated-page entries.
3. The closure of those postings over shared keys and previous offers, cut into groups
   (connected components), rebuilt batch by batch: deduplication, offer rows, events.
4. Postings only seen again move their offers' `last_seen_at` (one SQL update).

A full rebuild (`full=True`) is the same with every posting changed. The events written
are sorted (offer id, kind), so an incremental and a full rebuild write the same rows.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Iterable

from sqlite_utils import Database

import pipeline.sanitize as sanitize
from pipeline import normalized as store_n
from pipeline.dedupe import Posting, dedupe
from pipeline.lifecycle import (HASHED_FIELDS, JSON_FIELDS, PARIS, RebuildStats, build_offer_row, merge_events, offer_events,
                                parse_time)
from pipeline.sources import CURATED_SOURCE, OFFICIAL_SOURCE
from pipeline.rebuild_groups import closure, components, large, members_of, offers_of
from pipeline.store import chunks, last_healthy_run, marks, record_errors, write_transaction

STATE_TABLE = "rebuild_state"
BATCH_POSTINGS = 3000  # postings deduplicated at once (whole groups; a larger group is its own batch)
KIND_ORDER = {"new": 0, "updated": 1, "closed": 2, "reopened": 3, "merged": 4}
HTML_FIELDS = ("missions_html", "profile_html", "about_html")
PREVIOUS_COLUMNS = ", ".join(dict.fromkeys(("id", "status", "closed_at", "reopened_at", "fields_hash", "updated_at",
                                            "reference", "title", "status_reason", *HASHED_FIELDS)))


def html_version() -> str:
    """Version of the stored, sanitised HTML: the sanitiser's source and nh3's version."""
    source = Path(sanitize.__file__).read_bytes()
    return hashlib.sha256(source + version("nh3").encode()).hexdigest()[:16]


def get_state(db: Database) -> dict[str, str]:
    """What the last rebuild was based on (board crawl, sanitiser version)."""
    if not db.table(STATE_TABLE).exists():
        return {}
    return {k: v for k, v in db.execute(f"select key, value from {STATE_TABLE}")}


def html_sanitized(db: Database) -> bool:
    """Whether the offers' HTML fragments are stored sanitised by the current sanitiser."""
    return get_state(db).get("html") == html_version()


def _set_state(db: Database, **values: str | None) -> None:
    db.execute(f"create table if not exists {STATE_TABLE} (key text primary key, value text)")
    db.conn.executemany(f"insert or replace into {STATE_TABLE} (key, value) values (?, ?)", list(values.items()))


def rebuild(db: Database, now: datetime | None = None, run_id: int | None = None,
            progress: Callable[[str], None] | None = None, full: bool = False) -> RebuildStats:
    """Bring `offers`, `merges` and `events` up to date with the stored postings."""
    now = now or datetime.now(timezone.utc)
    stamp = now.astimezone(timezone.utc).replace(microsecond=0).isoformat()
    today = now.astimezone(PARIS).date().isoformat()
    stats = RebuildStats()
    say = progress or (lambda message: None)
    board = last_healthy_run(db, OFFICIAL_SOURCE)
    board_crawl = board["started_at"] if board else None
    with write_transaction(db):
        store_n.ensure_table(db)
        # The export's entries: the offers written get theirs. Imported here, not above: a reader of this
        # module's helpers does not load the export's schema validators.
        from pipeline.export.prebuilt import ensure as ensure_entries, refresh_entries

        ensure_entries(db)
        state = get_state(db)
        reuse_html = state.get("html") == html_version()
        full = full or not reuse_html
        tracked = state.get("tracked") == "1"  # dirty_postings holds every posting written since
        version = store_n.normaliser_version()
        current = state.get("normalizer") == version  # the stored rows are this code's, raw version aside
        current = current or db.execute(f"select 1 from {store_n.TABLE} limit 1").fetchone() is None
        touched, seeds, removed = refresh(db, now, stats, full, say, tracked, reuse=current)
        if full:
            scope = {r[0] for r in db.execute("select posting_id from normalized")} | removed
        else:
            touched |= time_dependent(db, today, board_crawl != state.get("board_crawl"))
            scope = closure(db, touched, seeds)
        groups = components(db, scope, scan=full or large(db, scope))
        say(f"deduplicating {len(scope)} postings in {len(groups)} groups")
        events: list[dict] = []
        built: set[str] = set()
        for batch in batches(groups):
            built |= rebuild_batch(db, batch, today, board_crawl, stamp, run_id, stats, events, reuse_html)
        if full:
            events.extend(drop_orphans(db, built, run_id, stamp))
        seen_again(db, tracked and not full, offers=not full)  # a full rebuild built every offer just now
        db.execute(f"delete from {store_n.DIRTY}")
        events.sort(key=lambda e: (e["offer_id"], KIND_ORDER[e["kind"]]))
        insert_rows(db, "events", events)
        _set_state(db, board_crawl=board_crawl, html=html_version(), tracked="1",
                   normalizer=version if full or current else state.get("normalizer"))
        refresh_entries(db, sanitized=True, built=stats.entries)  # the offers written by other means, or all
    stats.offers, stats.open = db.execute("select count(*), coalesce(sum(status = 'open'), 0) from offers").fetchone()
    if stats.errors:
        record_errors(db, run_id, "reprocess", stats.errors)
    return stats


def _written(column: str, tracked: bool) -> str:
    """An SQL condition keeping the postings written since the last rebuild, when that is tracked."""
    return f" and {column} in (select posting_id from {store_n.DIRTY})" if tracked else ""


def refresh(db: Database, now: datetime, stats: RebuildStats, full: bool,
            say: Callable[[str], None], tracked: bool = False,
            reuse: bool = False) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """Bring `normalized` up to date; returns (changed ids, their previous index keys, removed ids).
    `tracked`: only the postings of `dirty_postings` can have changed (no full-table scan).
    `full` with `reuse` (the stored rows are the current normaliser's): a posting is normalised
    again only when its raw version changed, its row holds an error or its record has no
    `fetched_at` (normalised with the rebuild's time)."""
    if full and reuse:
        changed = {pid: bool(again) or not _dated(fetched) for pid, again, moved, fetched in db.execute(
            "select p.id, n.posting_id is null or n.raw_id is not p.raw_id or n.fields is null, "
            "n.first_seen_at is not p.first_seen_at or n.gone_at is not p.gone_at or n.source is not p.source, "
            "json_extract(r.record, '$.fetched_at') from postings p join raw_postings r on r.id = p.raw_id "
            "left join normalized n on n.posting_id = p.id") if again or moved or not _dated(fetched)}
    elif full:
        changed = {r[0]: True for r in db.execute("select id from postings where raw_id is not null")}
    else:
        changed = {pid: bool(renorm) for pid, renorm in db.execute(
            "select p.id, n.posting_id is null or n.raw_id is not p.raw_id from postings p "
            "left join normalized n on n.posting_id = p.id where p.raw_id is not null and ("
            "n.posting_id is null or n.raw_id is not p.raw_id or n.first_seen_at is not p.first_seen_at "
            "or n.gone_at is not p.gone_at or n.source is not p.source)" + _written("p.id", tracked))}
    removed = {r[0] for r in db.execute(
        "select n.posting_id from normalized n left join postings p on p.id = n.posting_id "
        "where (p.id is null or p.raw_id is null)" + _written("n.posting_id", tracked and not full))}
    seeds: set[tuple[str, str]] = set()
    if not full:
        for keys in store_n.keys_of(db, [*changed, *removed]).values():
            seeds.update(keys)
    for batch in chunks(removed):
        db.execute(f"delete from normalized where posting_id in ({marks(len(batch))})", batch)
        db.execute(f"delete from relays where posting_id in ({marks(len(batch))})", batch)
    renorm = [pid for pid, again in changed.items() if again]
    if renorm:
        say(f"normalising {len(renorm)} postings")
    columns = list(store_n.COLUMNS)
    insert = (f"insert or replace into normalized ({', '.join(columns)}) "
              f"values ({marks(len(columns))})")
    for batch in chunks(sorted(renorm)):
        rows, relayed = [], []
        for posting in db.query(
                f"select p.id, p.raw_id, p.source, p.first_seen_at, p.last_seen_at, p.gone_at, r.record "
                f"from postings p join raw_postings r on r.id = p.raw_id where p.id in ({marks(len(batch))})", batch):
            fields, error, record = None, None, json.loads(posting["record"])
            try:
                fields = store_n.normalise_record(record, now)
            except Exception as exc:  # a normaliser bug must not stop the other offers
                error = f"normalisation failed: {exc!r}"
                stats.errors.append({"location": posting["id"], "field": "*", "message": error})
            else:
                for name in fields.get("unresolved") or ():
                    stats.unresolved[name] = stats.unresolved.get(name, 0) + 1
            row = store_n.stored_row(posting, fields, error, record)
            rows.append([row[c] for c in columns])
            relayed.extend((posting["id"], key) for key in store_n.relay_keys(fields, row["ref_key"]))
        db.conn.executemany(insert, rows)
        db.execute(f"delete from relays where posting_id in ({marks(len(batch))})", batch)
        db.conn.executemany("insert into relays (posting_id, ref_key) values (?, ?)", relayed)
    others = [pid for pid, again in changed.items() if not again]
    for batch in chunks(others):
        db.execute("update normalized set (source, first_seen_at, last_seen_at, gone_at) = "
                   "(select source, first_seen_at, last_seen_at, gone_at from postings p where p.id = posting_id) "
                   f"where posting_id in ({marks(len(batch))})", batch)
    if full and reuse:  # every stored row counts, as when each was normalised again
        stats.unresolved = dict(db.execute(
            f"select j.value, count(*) from {store_n.TABLE} n, json_each(n.fields, '$.unresolved') j "
            "where n.fields is not null group by j.value").fetchall())
    return set(changed) | removed, seeds, removed


def _dated(fetched: object) -> bool:
    """Whether a record's `fetched_at` is a time its normalisation is based on (else the rebuild's)."""
    return isinstance(fetched, str) and parse_time(fetched, None) is not None


def time_dependent(db: Database, today: str, board_changed: bool) -> set[str]:
    """Postings of offers that time alone changes: a deadline passed (or no longer passed),
    and, after a new healthy board crawl, the curated page's entries."""
    ids = {r[0] for r in db.execute(
        "select m.posting_id from offers o join merges m on m.offer_id = o.id where "
        "(o.deadline is not null and o.deadline < ?) != (coalesce(o.status_reason, '') like 'deadline % passed')",
        [today])}
    if board_changed:
        ids.update(r[0] for r in db.execute("select posting_id from normalized where source = ?", [CURATED_SOURCE]))
    return ids


def batches(groups: list[list[str]], size: int | None = None) -> Iterable[list[str]]:
    """Whole groups packed into batches of about `size` postings (default `BATCH_POSTINGS`)."""
    size = size or BATCH_POSTINGS
    batch: list[str] = []
    for group in groups:
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def rebuild_batch(db: Database, ids: list[str], today: str, board_crawl: str | None, stamp: str,
                  run_id: int | None, stats: RebuildStats, events: list[dict], reuse_html: bool) -> set[str]:
    """Deduplicate one batch of whole groups and replace their offers and merges; returns the offer ids."""
    rows_by_id: dict[str, dict] = {}
    fields_by_id: dict[str, dict] = {}
    for row, fields in store_n.load(db, ids):
        rows_by_id[row["id"]] = row
        fields_by_id[row["id"]] = fields
    result = dedupe(Posting.from_offer_fields(pid, rows_by_id[pid]["source"], rows_by_id[pid]["first_seen_at"], f)
                    for pid, f in fields_by_id.items())
    previous_members = members_of(db, set(offers_of(db, ids).values()))
    old_ids = set(previous_members.values())
    new_ids = {c.cluster_id for c in result.clusters}
    previous: dict[str, dict] = {}
    for batch in chunks(sorted(old_ids | new_ids)):
        previous.update((r["id"], r) for r in db.query(
            f"select * from offers where id in ({marks(len(batch))})", batch))
    offers, merges, kept = [], [], set()
    columns = [(c.name, _AFFINITY.get(c.type.upper())) for c in db.table("offers").columns]
    forms: dict[str, dict] = {}  # offer id -> its row as it will read back, when that is certain
    for cluster in result.clusters:
        row = build_offer_row(cluster, fields_by_id, rows_by_id, today, board_crawl)
        before = previous.get(row["id"])
        same = before is not None and before["fields_hash"] == row["fields_hash"]
        for name in HTML_FIELDS:
            row[name] = before[name] if same and reuse_html else sanitize.sanitize_html(row[name])
        row["closed_at"] = before["closed_at"] if before else None
        row["reopened_at"] = before["reopened_at"] if before else None
        row["updated_at"] = before["updated_at"] if before else stamp
        if before is None:
            stats.new += 1
        elif not same:
            stats.updated += 1
            row["updated_at"] = stamp
        if row["status"] == "closed" and (before is None or before["status"] != "closed"):
            row["closed_at"] = stamp
            stats.closed += before is not None
        elif row["status"] == "open" and before is not None and before["status"] == "closed":
            row["reopened_at"], row["closed_at"] = stamp, None
            stats.reopened += 1
        events.extend(offer_events(before, row, run_id, stamp))
        offers.append(row)
        form = stored_form(row, columns)
        if form is not None:
            forms[row["id"]] = form
            if before is not None and all(type(v) is type(before[k]) and v == before[k] for k, v in form.items()):
                kept.add(row["id"])
        merges.extend({"offer_id": cluster.cluster_id, "posting_id": m.posting_id, "stage": m.stage,
                       "score": m.score, "reason": m.reason} for m in cluster.members)
    gone = {k: v for k, v in previous.items() if k in old_ids}
    events.extend(merge_events(gone, previous_members, offers, merges, run_id, stamp))
    del gone, result  # the batch's records and fields go before its entries are built (peak memory)
    previous.clear()
    rows_by_id.clear()
    fields_by_id.clear()
    for batch in chunks(sorted(old_ids | new_ids)):
        db.execute(f"delete from merges where offer_id in ({marks(len(batch))})", batch)
    for batch in chunks(sorted((old_ids | new_ids) - kept)):  # an offer stored as rebuilt stays
        db.execute(f"delete from offers where id in ({marks(len(batch))})", batch)
    for batch in chunks(ids):
        db.execute(f"delete from merges where posting_id in ({marks(len(batch))})", batch)
    written = [forms[row["id"]] for row in offers if row["id"] not in kept and row["id"] in forms]
    if written:
        db.conn.executemany(f"insert into offers ({', '.join(written[0])}) values ({marks(len(written[0]))})",
                            [list(form.values()) for form in written])
    insert_rows(db, "offers", [row for row in offers if row["id"] not in kept and row["id"] not in forms])
    from pipeline.export.prebuilt import store_entries  # as in `rebuild`

    stats.entries += store_entries(db, written, sanitized=True)
    insert_rows(db, "merges", merges)
    return new_ids


ENCODED = {"offers": frozenset(JSON_FIELDS), "merges": frozenset(), "events": frozenset()}  # JSON columns
_ENCODE = json.JSONEncoder(default=repr, ensure_ascii=False).encode  # as sqlite-utils stores JSON, built once


def _sql_value(value: object) -> object:
    """A value as sqlite-utils stores it (lists and dicts as JSON text)."""
    if isinstance(value, (dict, list, tuple)):
        return _ENCODE(value)
    return value


def insert_rows(db: Database, table: str, rows: list[dict]) -> None:
    """Insert rows that all have the same keys (one prepared statement, no per-row introspection):
    a table of `ENCODED` has only those columns encoded (a list elsewhere fails loudly), any other
    table every value that is a list or a dict."""
    if not rows:
        return
    columns = list(rows[0])
    sql = f"insert into {table} ({', '.join(columns)}) values ({marks(len(columns))})"
    if table not in ENCODED:
        db.conn.executemany(sql, ([_sql_value(row[c]) for c in columns] for row in rows))
        return
    encoded = ENCODED[table]
    plain = [c not in encoded for c in columns]
    db.conn.executemany(sql, ([row[c] if p or row[c] is None else _ENCODE(row[c]) for c, p in zip(columns, plain)]
                              for row in rows))


_AFFINITY = {"TEXT": str, "INTEGER": int, "FLOAT": float, "REAL": float}  # declared type -> what reads back


def stored_form(row: dict, columns: list[tuple[str, type | None]]) -> dict | None:
    """An offer row as `select *` reads it back once inserted (every column in the table's order, JSON
    columns encoded, flags as 0/1), or None when that is not certain (a value the column would convert)."""
    if not row.keys() <= {name for name, _ in columns}:
        return None
    encoded = ENCODED["offers"]
    form = {}
    for name, kind in columns:
        value = row.get(name)
        if value is not None:
            if name in encoded:
                value = _ENCODE(value)
            elif isinstance(value, bool):
                value = int(value)
            if type(value) is not kind:
                return None
        form[name] = value
    return form


def drop_orphans(db: Database, built: set[str], run_id: int | None, stamp: str) -> list[dict]:
    """Full rebuild: offers left with no posting at all are removed (a `merged` event each)."""
    ids = [r[0] for r in db.execute("select id from offers") if r[0] not in built]
    orphans: dict[str, dict] = {}
    for batch in chunks(ids):
        orphans.update((r["id"], r) for r in db.query(
            f"select {PREVIOUS_COLUMNS} from offers where id in ({marks(len(batch))})", batch))
    for batch in chunks(sorted(orphans)):
        db.execute(f"delete from offers where id in ({marks(len(batch))})", batch)
    db.execute("delete from merges where offer_id not in (select id from offers)")
    return merge_events(orphans, {}, [], [], run_id, stamp)


def seen_again(db: Database, tracked: bool = False, offers: bool = True) -> None:
    """Postings seen again since the last rebuild (nothing else changed): their offers'
    `last_seen_at` is the latest of their postings'. `tracked` as in `refresh`; `offers` False
    after a full rebuild, which built every offer from its postings' times (only the stored
    normalised rows are brought up to date)."""
    written = _written("p.id", tracked)
    if offers:
        db.execute(
            "update offers set last_seen_at = (select max(p.last_seen_at) from merges m join postings p "
            "on p.id = m.posting_id where m.offer_id = offers.id) where id in (select m.offer_id from merges m "
            "join postings p on p.id = m.posting_id join normalized n on n.posting_id = p.id "
            "where n.last_seen_at is not p.last_seen_at" + written + ")")
    db.execute(
        "update normalized set last_seen_at = (select p.last_seen_at from postings p where p.id = posting_id) "
        "where posting_id in (select n.posting_id from normalized n join postings p on p.id = n.posting_id "
        "where n.last_seen_at is not p.last_seen_at" + written + ")")

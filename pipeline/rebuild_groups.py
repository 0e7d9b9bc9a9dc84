"""The postings a rebuild must recompute together: the closure of the changed ones over shared
index keys and previous offers, cut into groups (connected components). See docs/rebuild.md.

Below `pipeline.rebuild` (which deduplicates the groups) and `pipeline.explain` (which reads
one offer's group): it reads the stored keys and merges, and writes nothing.
"""
from __future__ import annotations

from typing import Iterable

from sqlite_utils import Database

from pipeline import normalized as store_n
from pipeline.store import chunks, marks

SCAN_SHARE = 4  # a scope of at least a quarter of the postings reads the key tables whole (`components`)
SCAN_MIN = 2000  # ... when it holds at least this many (a smaller one is not worth counting the table for)


def large(db: Database, scope: set[str]) -> bool:
    """Whether `scope` is at least SCAN_MIN postings and a 1/SCAN_SHARE of those stored."""
    if len(scope) < SCAN_MIN:
        return False
    return len(scope) * SCAN_SHARE >= db.execute(f"select count(*) from {store_n.TABLE}").fetchone()[0]


def offers_of(db: Database, ids: Iterable[str], scan: bool = False) -> dict[str, str]:
    """posting id -> previous offer id (from `merges`); `scan` as in `normalized.keys_of`."""
    if scan:
        wanted = ids if isinstance(ids, (set, frozenset, dict)) else set(ids)
        return {pid: offer for pid, offer in db.execute("select posting_id, offer_id from merges") if pid in wanted}
    out: dict[str, str] = {}
    for batch in chunks(ids):
        out.update(db.execute(f"select posting_id, offer_id from merges where posting_id in ({marks(len(batch))})",
                              batch).fetchall())
    return out


def members_of(db: Database, offer_ids: Iterable[str]) -> dict[str, str]:
    """posting id -> offer id of every posting of these previous offers."""
    out: dict[str, str] = {}
    for batch in chunks(offer_ids):
        out.update(db.execute(f"select posting_id, offer_id from merges where offer_id in ({marks(len(batch))})",
                              batch).fetchall())
    return out


def closure(db: Database, touched: set[str], seeds: set[tuple[str, str]]) -> set[str]:
    """Every posting linked to `touched` (or to the previous keys `seeds`) through shared index
    keys or a shared previous offer, transitively."""
    ids = set(touched)
    known_keys: set[tuple[str, str]] = set()
    known_offers: set[str] = set()
    pending = set(seeds)
    frontier = set(touched)
    while frontier or pending:
        for keys in store_n.keys_of(db, frontier).values():
            pending.update(keys)
        offers = set(offers_of(db, frontier).values()) - known_offers
        known_offers |= offers
        pending -= known_keys
        known_keys |= pending
        found = set(members_of(db, offers))
        for col in store_n.KEY_COLUMNS:
            found |= store_n.sharing(db, col, sorted(v for c, v in pending if c == col))
        pending = set()
        frontier = found - ids
        ids |= frontier
    return ids


def components(db: Database, scope: set[str], scan: bool = False) -> list[list[str]]:
    """`scope` cut into groups linked by shared index keys or previous offers (union-find);
    `scan` (a large share of the postings) as in `normalized.keys_of`; the groups are the same."""
    parent: dict[str, str] = {pid: pid for pid in scope}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[tuple[str, str], str] = {}
    links = [(key, pid) for pid, keys in store_n.keys_of(db, scope, scan).items() for key in keys]
    links += [(("offer", offer), pid) for pid, offer in offers_of(db, scope, scan).items()]
    for key, pid in links:
        other = first.setdefault(key, pid)
        if other != pid:
            a, b = find(other), find(pid)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for pid in sorted(scope):
        groups.setdefault(find(pid), []).append(pid)
    return list(groups.values())

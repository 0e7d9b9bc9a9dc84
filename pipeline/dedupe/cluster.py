"""Cross-source deduplication: postings -> clusters, one cluster per offer.

Three stages, each recorded on the merges it makes (see docs/deduplication.md):

1. ``reference``: the same case-folded reference (the same reference on two boards);
2. ``url``: the same URL key (`pipeline.urls.url_key`: the canonical URL, or the reference of a
   board's detail page);
3. ``near``: same employer and department, near-identical title and description,
   publication dates close (`pipeline.dedupe.near`).

Merges go through a union-find. A merge that would put two different references in one
cluster is refused unless the pair itself carries strong (republication) evidence.
"""
from __future__ import annotations

import gc
import hashlib
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping, NamedTuple

from rapidfuzz.fuzz import token_set_ratio

from pipeline.dedupe.keys import Posting, reference_key
from pipeline.sources import BOARD_PAGE_SOURCES
from pipeline.dedupe.near import NearMatch, Rejection, Unmerged, department_notes, near_duplicates, rejection
from pipeline.urls import url_key

URL_TITLE_MIN = 50.0  # same-URL postings whose titles score below this are not merged
URL_ANCHORS = 32  # same-URL postings tried as an anchor before giving up (bounds the cost)
CANONICAL_REASON = "canonical posting: official board first, then most complete, then earliest seen"

class Member(NamedTuple):
    """A posting in a cluster, with what attached it (`via` is the posting it matched).

    Immutable; a NamedTuple because a run makes one per posting (cheap to build)."""

    posting_id: str
    source: str
    stage: str  # "canonical", "reference", "url" or "near"
    score: float
    reason: str
    via: str | None = None

    def to_dict(self) -> dict:
        """Plain-dict form (for JSON)."""
        return self._asdict()


class Cluster(NamedTuple):
    """One offer: its stable id, its canonical posting and its members (canonical first)."""

    cluster_id: str
    canonical_id: str
    members: tuple[Member, ...]

    @property
    def posting_ids(self) -> tuple[str, ...]:
        """The member posting ids, canonical first."""
        return tuple(m.posting_id for m in self.members)

    def to_dict(self) -> dict:
        """Plain-dict form (for JSON)."""
        return {"cluster_id": self.cluster_id, "canonical_id": self.canonical_id,
                "members": [m.to_dict() for m in self.members]}


@dataclass(frozen=True)
class DedupeResult:
    """Clusters (sorted by id), rejected candidates (sorted, reasons written when first read)
    and the postings seen."""

    clusters: tuple[Cluster, ...]
    postings: Mapping[str, Posting]
    _position: Mapping[str, int]
    _items: tuple[Posting, ...]  # sorted by posting id: `Unmerged` indexes point here
    _refkeys: tuple[str | None, ...]
    _written: tuple[Rejection, ...]  # rejections made with their reason (URL stage, guards)
    _unmerged: tuple[Unmerged, ...]  # near-candidates whose reason is written on demand

    def cluster_of(self, posting_id: str) -> Cluster | None:
        """The cluster holding `posting_id`, or None for an unknown id."""
        pos = self._position.get(posting_id)
        return None if pos is None else self.clusters[pos]

    @cached_property
    def rejected(self) -> tuple[Rejection, ...]:
        """Every rejected candidate pair, with its reason, sorted."""
        with _collector_paused():
            return self._sorted(self._written, [*self._unmerged, *department_notes(self._items, self._together)])

    def rejected_for(self, posting_ids: Iterable[str]) -> list[Rejection]:
        """Rejected candidates that involve any of `posting_ids` (only theirs are written)."""
        ids = set(posting_ids)
        wanted = {k for k, p in enumerate(self._items) if p.posting_id in ids}
        unmerged = [u for u in self._unmerged if u.i in wanted or u.j in wanted]
        unmerged += department_notes(self._items, self._together, wanted)
        return list(self._sorted([r for r in self._written if r.posting_id in ids or r.other_id in ids], unmerged))

    def _together(self, i: int, j: int) -> bool:
        return self._position[self._items[i].posting_id] == self._position[self._items[j].posting_id]

    def _sorted(self, written: Iterable[Rejection], unmerged: Iterable[Unmerged]) -> tuple[Rejection, ...]:
        every = set(written).union(rejection(self._items, self._refkeys, u) for u in unmerged)
        return tuple(sorted(every, key=lambda r: (r.posting_id, r.other_id, r.stage, r.code)))

    def to_dict(self) -> dict:
        """Plain-dict form (for JSON); identical for identical inputs."""
        return {"clusters": [c.to_dict() for c in self.clusters],
                "rejected": [r.to_dict() for r in self.rejected]}


def canonical_order(p: Posting) -> tuple:
    """Sort key of the canonical rule: the official board's pages, most complete, earliest seen, id."""
    return (p.source not in BOARD_PAGE_SOURCES, -p.completeness, p.first_seen_at, p.posting_id)


def cluster_id_for(postings: Iterable[Posting]) -> str:
    """Stable cluster id: hash of the posting id of the earliest-seen member."""
    first = min(postings, key=lambda p: (p.first_seen_at, p.posting_id))
    return "c" + hashlib.blake2b(first.posting_id.encode("utf-8"), digest_size=8).hexdigest()


_NO_REFS: frozenset[str] = frozenset()
_posting_id = attrgetter("posting_id")


class _Merger:
    """Union-find over posting indexes, with the reference guard and the merge log."""

    def __init__(self, refkeys: list[str | None]) -> None:
        self.parent = list(range(len(refkeys)))
        self.refkeys = refkeys
        self.refs: dict[int, frozenset[str]] = {}  # root -> its cluster's references, once it has merged
        self.edges: list[tuple[int, int, str, float, str]] = []
        self.apart: dict[int, set[int]] = {}  # root -> postings its cluster must never join

    def keep_apart(self, i: int, j: int) -> None:
        """Record that the clusters of i and j must stay separate (parallel positions)."""
        self.apart.setdefault(self.find(i), set()).add(j)
        self.apart.setdefault(self.find(j), set()).add(i)

    def kept_apart(self, i: int, j: int) -> bool:
        a, b = self.find(i), self.find(j)
        return any(self.find(k) == b for k in self.apart.get(a, ())) or \
            any(self.find(k) == a for k in self.apart.get(b, ()))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def same(self, i: int, j: int) -> bool:
        return self.find(i) == self.find(j)

    def refs_of(self, root: int) -> frozenset[str]:
        """The references of the cluster whose root is `root` (a posting alone: its own)."""
        refs = self.refs.get(root)
        if refs is None:
            key = self.refkeys[root]
            return frozenset((key,)) if key else _NO_REFS
        return refs

    def conflict(self, i: int, j: int) -> tuple[frozenset[str], frozenset[str]] | None:
        """The two reference sets when joining i and j would mix different references."""
        ra, rb = self.refs_of(self.find(i)), self.refs_of(self.find(j))
        return (ra, rb) if ra and rb and not ra & rb else None

    def union(self, i: int, j: int, stage: str, score: float, reason: str) -> bool:
        a, b = self.find(i), self.find(j)
        if a == b:
            return False
        keep, gone = min(a, b), max(a, b)
        self.parent[gone] = keep
        merged = self.refs_of(keep) | self.refs_of(gone)
        self.refs.pop(gone, None)
        self.refs[keep] = merged
        if gone in self.apart:
            self.apart.setdefault(keep, set()).update(self.apart.pop(gone))
        self.edges.append((i, j, stage, score, reason))
        return True


def _load(postings: Iterable[Posting]) -> list[Posting]:
    """The postings sorted by id, each id once (a sort and a look at neighbours: no table of
    every id, which at 100,000 postings no longer fits the processor's caches)."""
    items = sorted(postings, key=_posting_id)
    kept: list[Posting] = []
    last = None
    for p in items:
        if last is not None and p.posting_id == last.posting_id:
            if p != last:
                raise ValueError(f"posting_id {p.posting_id!r} given twice with different content")
            continue
        kept.append(p)
        last = p
    return kept


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Many small objects, no cycles: the cyclic garbage collector only costs time here. What
    survives goes straight to the oldest generation (`gc.freeze` then `gc.unfreeze`: no scan),
    instead of being scanned, all of it, by the first collection once the collector is back
    on (0.17 s of a 100,000-posting deduplication), unless the program froze objects itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def dedupe(postings: Iterable[Posting]) -> DedupeResult:
    """Group postings into offers; deterministic whatever the input order."""
    with _collector_paused():
        return _dedupe(_load(postings))


def _dedupe(items: list[Posting]) -> DedupeResult:
    refkeys = [reference_key(p.reference) for p in items]
    merger = _Merger(refkeys)
    rejected: list[Rejection] = []

    # Stage 1: same reference.
    by_ref: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(refkeys):
        if key:
            by_ref[key].append(i)
    relays: dict[str, list[int]] = defaultdict(list)  # a relayed board reference -> the relaying postings
    for i, p in enumerate(items):
        for ref in p.relayed:
            key = reference_key(ref)
            if key and key != refkeys[i]:
                relays[key].append(i)
    for key, group in by_ref.items():
        for j in group[1:]:
            a, b = items[group[0]], items[j]
            merger.union(group[0], j, "reference", 1.0,
                         f"same reference {key.upper()} (case-folded) on {a.source} and {b.source}")
        for j in relays.get(key, ()):
            merger.union(group[0], j, "reference", 1.0,
                         f"{items[j].source} relays the {items[group[0]].source} offer {key.upper()} "
                         "(reference or URL in its text or origin)")

    # Stage 2: same canonical URL, or board detail URLs of one reference (only between compatible postings).
    first_of: dict[str, int] = {}  # URL key -> its first posting; most keys have no second one
    shared: dict[str, list[int]] = {}  # URL key -> its postings, for keys of two or more
    for i, p in enumerate(items):
        if p.url:
            key = url_key(p.url)
            k = first_of.setdefault(key, i)
            if k != i:
                group = shared.get(key)
                if group is None:
                    shared[key] = [k, i]
                else:
                    group.append(i)
    for key in sorted(shared, key=lambda key: shared[key][0]):  # in the order the keys were first seen
        group = shared[key]
        for pos, j in enumerate(group[1:], start=1):
            b = items[j]
            anchor = next((k for k in group[:min(pos, URL_ANCHORS)] if _url_conflict(items, merger, k, j) is None),
                          None)
            if anchor is None:
                a = items[group[0]]
                code, why = _url_conflict(items, merger, group[0], j) or ("", "")
                rejected.append(Rejection(a.posting_id, b.posting_id, "url", code,
                                          f"{_url_words(key)} but {why}: a mislabelled link?"))
                continue
            a = items[anchor]
            note = f", same board {a.source}: re-ingested" if a.source == b.source else f" on {a.source} and {b.source}"
            merger.union(anchor, j, "url", 1.0, f"{_url_words(key)}{note}")

    # Stage 3: near-duplicates, best scores first.
    matches, unmerged = near_duplicates(items, refkeys, [merger.find(i) for i in range(len(items))])
    for u in unmerged:
        if u.code == "parallel_positions":
            merger.keep_apart(u.i, u.j)
    matches.sort(key=lambda m: (-m.score, m.i, m.j))  # `items` is sorted by posting id: indexes order alike
    for m in matches:
        if merger.same(m.i, m.j):
            continue
        clash = None if m.strong else merger.conflict(m.i, m.j)
        if clash:
            rejected.append(_guard_rejection(items, m, clash))
            continue
        if merger.kept_apart(m.i, m.j):
            rejected.append(Rejection(items[m.i].posting_id, items[m.j].posting_id, "near", "would_join_parallel_positions",
                                      f"matched ({m.reason}) but the clusters hold parallel positions"))
            continue
        merger.union(m.i, m.j, "near", m.score, m.reason)

    return _build_result(items, refkeys, merger, rejected, unmerged)


def _url_words(key: str) -> str:
    if key.startswith("ref:"):
        return f"URLs of the same board reference {key[4:].upper()}"
    return f"same canonical URL {key}"


def _url_conflict(items: list[Posting], merger: _Merger, i: int, j: int) -> tuple[str, str] | None:
    """Why a same-URL pair must not merge: different references, or unrelated titles."""
    clash = merger.conflict(i, j)
    if clash:
        refs = " vs ".join(",".join(sorted(r.upper() for r in side)) for side in clash)
        return "reference_conflict", f"different references ({refs})"
    ta, tb = items[i].title_key, items[j].title_key
    if ta and tb:
        score = token_set_ratio(ta, tb)
        if score < URL_TITLE_MIN:
            return "title_conflict", f"unrelated titles (score {score:.1f} < {URL_TITLE_MIN:.0f})"
    return None


def _guard_rejection(items: list[Posting], m: NearMatch, clash: tuple[frozenset, frozenset]) -> Rejection:
    refs = " vs ".join(",".join(sorted(r.upper() for r in side)) for side in clash)
    return Rejection(items[m.i].posting_id, items[m.j].posting_id, "near", "would_join_different_references",
                     f"matched ({m.reason}) but would join clusters with different references ({refs}) "
                     f"on weak evidence", None, None, None)


def _first(edge: tuple) -> int:
    return edge[0]


def _build_result(items: list[Posting], refkeys: list[str | None], merger: _Merger, rejected: list[Rejection],
                  unmerged: list[Unmerged]) -> DedupeResult:
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[merger.find(i)].append(i)
    adjacency: dict[int, list[tuple[int, str, float, str]]] = defaultdict(list)
    for i, j, stage, score, reason in merger.edges:
        adjacency[i].append((j, stage, score, reason))
        adjacency[j].append((i, stage, score, reason))

    clusters = []
    blake2b = hashlib.blake2b
    for members in groups.values():
        if len(members) == 1:  # cluster_id_for((p,)), inlined: most postings are alone
            p = items[members[0]]
            pid = p.posting_id
            clusters.append(Cluster("c" + blake2b(pid.encode("utf-8"), digest_size=8).hexdigest(), pid,
                                    (Member(pid, p.source, "canonical", 1.0, CANONICAL_REASON),)))
            continue
        # `items` is sorted by (unique) posting id: an index orders like its posting id
        canon = min(members, key=lambda k: canonical_order(items[k]))
        attached = {canon: Member(items[canon].posting_id, items[canon].source, "canonical", 1.0, CANONICAL_REASON)}
        queue = deque([canon])
        while queue:  # breadth-first from the canonical posting over the merges made
            k = queue.popleft()
            for other, stage, score, reason in sorted(adjacency[k], key=_first):
                if other not in attached:
                    attached[other] = Member(items[other].posting_id, items[other].source, stage, score,
                                             reason, items[k].posting_id)
                    queue.append(other)
        seen_order = sorted(members, key=lambda k: (items[k].first_seen_at, k))
        first = items[seen_order[0]].posting_id  # cluster_id_for(members), without a second pass
        clusters.append(Cluster("c" + blake2b(first.encode("utf-8"), digest_size=8).hexdigest(),
                                items[canon].posting_id,
                                (attached[canon], *(attached[k] for k in seen_order if k != canon))))
    cluster_ids = [c.cluster_id for c in clusters]
    order = sorted(range(len(clusters)), key=cluster_ids.__getitem__)  # by cluster id (stable, like a sort of clusters)
    where = [0] * len(items)  # posting index -> position of its cluster, filled from the index lists (compact)
    member_lists = list(groups.values())  # in the order `clusters` was built
    for n, k in enumerate(order):
        for i in member_lists[k]:
            where[i] = n
    ids = [p.posting_id for p in items]
    return DedupeResult(tuple([clusters[k] for k in order]), MappingProxyType(dict(zip(ids, items))),
                        MappingProxyType(dict(zip(ids, where))), tuple(items), tuple(refkeys), tuple(rejected),
                        tuple(unmerged))


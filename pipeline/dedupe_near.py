"""Stage 3 of the deduplication: near-duplicates without a shared reference or URL.

Blocking: only postings with the same employer key and the same department code
(an unknown department on both sides counts as one block) are compared. Inside a
block, postings are sorted by (title tokens, day) and each is compared with every
other when the block is small, or with its next `WINDOW` neighbours when it is large,
so the cost stays near-linear. A pair is a *near-candidate* when its title score is
at least `TITLE_NEAR`; each near-candidate is either accepted (a `NearMatch`) or
rejected with a reason (a `Rejection`).
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import date
from itertools import combinations
from typing import TYPE_CHECKING, Callable, Iterator, NamedTuple

from rapidfuzz.fuzz import ratio
from rapidfuzz.process import extract

if TYPE_CHECKING:
    from pipeline.dedupe import Posting

TITLE_NEAR = 85.0  # below this title score a pair is not even a near-candidate
TITLE_MIN = 90.0  # title score needed to merge (no conflicting references)
TEXT_MIN = 85.0  # description score needed to merge (no conflicting references)
TITLE_STRONG = 95.0  # title score needed when both references exist and differ
TEXT_STRONG = 92.0  # description score needed when both references exist and differ
TITLE_NO_TEXT = 97.0  # title score needed when a side has no description
NO_TEXT_MAX_DAYS = 31  # ... and then the days apart allowed (a curated list lags the board)
MAX_DAYS = 120  # publication dates further apart never merge
REPUBLISH_MIN_DAYS = 7  # different references closer than this are parallel positions
ALL_PAIRS_MAX = 13  # blocks up to this size compare all pairs
WINDOW = 12  # larger blocks: next neighbours compared in (title, day) order
DEPT_GROUP_MAX = 16  # cross-department notes: (employer, title) groups up to this size
TEXT_SHOWN_BELOW = 25.0  # description scores this far under the threshold are only shown as "< floor"
TEXT_CHARS = 1000  # description characters compared (the start of the text)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class Rejection(NamedTuple):
    """A candidate pair (same URL, or near-duplicate) that was not merged, and why.

    Immutable; a NamedTuple rather than a dataclass because a large run makes tens of
    thousands of them (construction and hashing are several times cheaper)."""

    posting_id: str
    other_id: str
    stage: str
    code: str
    reason: str
    title_score: float | None = None
    text_score: float | None = None
    days_apart: int | None = None

    def to_dict(self) -> dict:
        """Plain-dict form (for JSON)."""
        return self._asdict()


class NearMatch(NamedTuple):
    """An accepted stage-3 pair (indexes into the sorted posting list)."""

    i: int
    j: int
    score: float
    strong: bool
    reason: str


def fold_text(text: str) -> str:
    """Lower-case, accent-free, punctuation-free words of the first `TEXT_CHARS` characters."""
    text = text[: TEXT_CHARS + 200].lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub(" ", text).strip()[:TEXT_CHARS]


def _day(p: Posting) -> int | None:
    for value in (p.published_on, p.first_seen_at):
        if value:
            try:
                return date.fromisoformat(value[:10]).toordinal()
            except ValueError:
                continue
    return None


class _Scorer:
    """Scores pairs of postings; caches the per-posting keys it needs."""

    def __init__(self, postings: list[Posting], refkeys: list[str | None]) -> None:
        self.p = postings
        self.refkeys = refkeys
        self.tkeys: dict[int, str] = {}
        self.days: dict[int, int | None] = {}
        self.texts: dict[int, str] = {}

    def tkey(self, i: int) -> str:
        key = self.tkeys.get(i)
        if key is None:
            key = self.tkeys[i] = " ".join(sorted((self.p[i].title_key or "").split()))
        return key

    def day(self, i: int) -> int | None:
        if i not in self.days:
            self.days[i] = _day(self.p[i])
        return self.days[i]

    def text(self, i: int) -> str:
        folded = self.texts.get(i)
        if folded is None:
            folded = self.texts[i] = fold_text(self.p[i].text or "")
        return folded

    def judge(self, i: int, j: int, t: float) -> NearMatch | Rejection:
        """The match or the rejection of a near-candidate pair whose title score is `t`."""
        a, b = self.p[i], self.p[j]
        di, dj = self.day(i), self.day(j)
        gap = abs(di - dj) if di is not None and dj is not None else None
        if t < TITLE_MIN:
            return Rejection(a.posting_id, b.posting_id, "near", "title_below_threshold",
                             f"title score {t:.1f} < {TITLE_MIN:.0f}", round(t, 1), None, gap)
        if gap is not None and gap > MAX_DAYS:
            return Rejection(a.posting_id, b.posting_id, "near", "date_gap",
                             f"published {gap} days apart > {MAX_DAYS}", round(t, 1), None, gap)
        ra, rb = self.refkeys[i], self.refkeys[j]
        differ = bool(ra and rb and ra != rb)
        if differ and t < TITLE_STRONG:
            return _reject(a, b, t, gap, "different_references_weak_evidence",
                           f"different references ({_refs(ra, rb)}): title {t:.1f} < {TITLE_STRONG:.0f}")
        same_text = bool(a.text) and a.text == b.text
        ta, tb = ("x", "x") if same_text else (self.text(i), self.text(j))
        if not (ta and tb):
            if differ:
                return _reject(a, b, t, gap, "different_references_no_text",
                               f"different references ({_refs(ra, rb)}) and no description to compare")
            if t >= TITLE_NO_TEXT and gap is not None and gap <= NO_TEXT_MAX_DAYS:
                return NearMatch(i, j, round(t / 100.0, 3), False,
                                 f"{self.where(a)}, title {t:.1f}, no description on one side, {_days(gap)}")
            return _reject(a, b, t, gap, "no_text_weak_title",
                           f"no description on one side: needs title >= {TITLE_NO_TEXT:.0f} and "
                           f"<= {NO_TEXT_MAX_DAYS} days apart (title {t:.1f}, {_days(gap)})")
        needed = TEXT_STRONG if differ else TEXT_MIN
        floor = needed - TEXT_SHOWN_BELOW
        x = 100.0 if same_text else ratio(ta, tb, score_cutoff=floor)  # 0 below the floor, shown "< floor"
        shown = f"{x:.1f}" if x else f"< {floor:.0f}"
        if x < needed:
            if differ:
                return _reject(a, b, t, gap, "different_references_weak_evidence",
                               f"different references ({_refs(ra, rb)}): description score {shown} < {needed:.0f}", x)
            return _reject(a, b, t, gap, "text_below_threshold", f"description score {shown} < {needed:.0f}", x)
        score = round((0.4 * t + 0.6 * x) / 100.0, 3)
        if not differ:
            return NearMatch(i, j, score, False, f"{self.where(a)}, title {t:.1f}, description {shown}, {_days(gap)}")
        refs = _refs(ra, rb)
        if gap is None or gap < REPUBLISH_MIN_DAYS:
            return _reject(a, b, t, gap, "parallel_positions",
                           f"different references ({refs}) with the same text {_days(gap)}: parallel "
                           f"positions, not a republication (needs >= {REPUBLISH_MIN_DAYS} days)", x)
        return NearMatch(i, j, score, True,
                         f"republished under a new reference ({refs.replace(' vs ', ' -> ')}): {self.where(a)}, "
                         f"title {t:.1f}, description {shown}, {_days(gap)}")

    @staticmethod
    def where(p: Posting) -> str:
        return f"same employer '{p.employer_key}' and department {p.department_code or 'unknown'}"


def _refs(ra: str, rb: str) -> str:
    return f"{ra.upper()} vs {rb.upper()}"


def _days(gap: int | None) -> str:
    return "unknown days apart" if gap is None else f"{gap} days apart"


def _reject(a: Posting, b: Posting, t: float, gap: int | None, code: str, reason: str,
            x: float | None = None) -> Rejection:
    return Rejection(a.posting_id, b.posting_id, "near", code, reason, round(t, 1),
                     None if x is None else round(x, 1), gap)


def _block_pairs(members: list[int], order: Callable[[int], tuple], tkey: Callable[[int], str]
                 ) -> Iterator[tuple[int, int, float]]:
    """Near-candidate pairs of one block with their title score (scored in C, by rapidfuzz)."""
    members = sorted(members, key=order)
    keys = [tkey(i) for i in members]
    span = len(members) if len(members) <= ALL_PAIRS_MAX else WINDOW
    for pos, i in enumerate(members[:-1]):
        choices = keys[pos + 1: pos + 1 + span]
        for _, score, k in extract(keys[pos], choices, scorer=ratio, score_cutoff=TITLE_NEAR, limit=None):
            yield i, members[pos + 1 + k], score


def near_duplicates(postings: list[Posting], refkeys: list[str | None],
                    same_cluster: Callable[[int, int], bool]) -> tuple[list[NearMatch], list[Rejection]]:
    """Stage 3 over `postings` (sorted by id): accepted pairs and rejected near-candidates."""
    scorer = _Scorer(postings, refkeys)
    blocks: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for i, p in enumerate(postings):
        if p.employer_key and p.title_key:
            blocks[(p.employer_key, p.department_code)].append(i)
    matches: list[NearMatch] = []
    rejections: list[Rejection] = []

    keyed = {i: (scorer.tkey(i), scorer.day(i) or 0, i) for members in blocks.values() if len(members) > 1
             for i in members}  # sort keys computed once per posting

    for key in sorted(blocks, key=lambda k: (k[0], k[1] or "")):
        members = blocks[key]
        if len(members) < 2:
            continue
        for i, j, t in _block_pairs(members, keyed.__getitem__, scorer.tkey):
            i, j = min(i, j), max(i, j)
            if same_cluster(i, j) or (refkeys[i] is not None and refkeys[i] == refkeys[j]):
                continue
            verdict = scorer.judge(i, j, t)
            (matches if isinstance(verdict, NearMatch) else rejections).append(verdict)
    rejections.extend(_department_notes(postings, same_cluster))
    return matches, rejections


def _department_notes(postings: list[Posting], same_cluster: Callable[[int, int], bool]) -> list[Rejection]:
    """Same employer and same title key in different departments: noted, never merged."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(postings):
        if p.employer_key and p.title_key and p.department_code:
            groups[(p.employer_key, p.title_key)].append(i)
    notes = []
    for key in sorted(groups):
        members = groups[key]
        if not 2 <= len(members) <= DEPT_GROUP_MAX:
            continue
        for i, j in combinations(members, 2):
            a, b = postings[i], postings[j]
            if a.department_code != b.department_code and not same_cluster(i, j):
                notes.append(Rejection(a.posting_id, b.posting_id, "near", "different_department",
                                       f"same employer and title but departments {a.department_code} "
                                       f"vs {b.department_code}", 100.0))
    return notes

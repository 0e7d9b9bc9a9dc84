"""Stage 3 of the deduplication: near-duplicates without a shared reference or URL.

Blocking: only postings with the same employer key and the same department code
(an unknown department on both sides counts as one block) are compared. Inside a
block, postings are sorted by (title tokens, day) and each is compared with every
other when the block is small, or with its next `WINDOW` neighbours when it is large,
so the cost stays near-linear. A pair is a *near-candidate* when its title score is
at least `TITLE_NEAR`; each near-candidate is either accepted (a `NearMatch`) or
rejected (an `Unmerged`, whose reason `rejection` writes in words when it is read).
Descriptions are compared word by word (`fold_words`, `WordCodes`).
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from datetime import date
from functools import lru_cache
from itertools import combinations
from typing import Callable, NamedTuple, Sequence

from rapidfuzz.fuzz import ratio
from rapidfuzz.process import extract

from pipeline.dedupe.keys import Posting

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
TEXT_WORDS = 150  # description words compared (the start of the text)
CHARS_PER_WORD = 12  # characters read per word wanted (French averages under 7)

_WORD = re.compile(r"[0-9a-z]+")
_OTHER_SIGN = re.compile(r"[^\x00-\x7f\u0300-\u036f]")  # neither ASCII nor a combining accent
_MARK = re.compile(r"[\u0300-\u036f]")


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


class Unmerged(NamedTuple):
    """A rejected near-candidate pair before its reason is written (see `rejection`).

    The reasons are only read by `explain` and `to_dict`, so a run keeps these compact tuples."""

    i: int
    j: int
    code: str
    title_score: float
    text_score: float | None
    days_apart: int | None


class NearMatch(NamedTuple):
    """An accepted stage-3 pair (indexes into the sorted posting list)."""

    i: int
    j: int
    score: float
    strong: bool
    reason: str


def fold_words(text: str) -> list[str]:
    """The first `TEXT_WORDS` words of `text`: lower case, no accents, no punctuation."""
    text = text[: TEXT_WORDS * CHARS_PER_WORD].lower()
    if not text.isascii():  # accents dropped; other signs (’ « » – nbsp) separate words
        text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("æ", "ae"))
        text = _MARK.sub("", _OTHER_SIGN.sub(" ", text))
    return _WORD.findall(text)[:TEXT_WORDS]


_WORD_BYTES = bytes(c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256))  # [0-9a-z] kept
_LOWER_WORD_BYTES = bytes(c + 32 if 65 <= c <= 90 else _WORD_BYTES[c] for c in range(256))  # A-Z lowered too


def _word_bytes(text: str) -> list[bytes]:
    """`fold_words(text)` as ASCII bytes (split in C, without a regex; the words are ASCII)."""
    text = text[: TEXT_WORDS * CHARS_PER_WORD]
    if text.isascii():  # most descriptions: lowered by the same table
        data = text.encode("ascii").translate(_LOWER_WORD_BYTES)
    else:
        text = text.lower()
        if not text.isascii():
            text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("æ", "ae"))
            text = _MARK.sub("", _OTHER_SIGN.sub(" ", text))
        data = text.encode("ascii").translate(_WORD_BYTES)
    return data.split(None, TEXT_WORDS)[:TEXT_WORDS]  # the words after the first TEXT_WORDS stay unsplit


class WordCodes(dict):
    """Word -> one-character code, assigned on first sight (surrogates skipped; past 1.1 million
    distinct words, codes are reused, which can only make two texts look a little closer)."""

    def __missing__(self, word: str) -> str:
        n = len(self)
        code = self[word] = chr(n if n < 0xD800 else 0xE000 + (n - 0xD800) % (0x110000 - 0xE000))
        return code

    def encode(self, words: list[str] | list[bytes]) -> str:
        """`words` as one character per word, so that `ratio` compares word sequences."""
        return "".join(map(self.__getitem__, words))


@lru_cache(maxsize=8192)
def _ordinal(day: str) -> int:
    return date.fromisoformat(day).toordinal()


def _parsed_day(value: str) -> int | None:
    try:
        return _ordinal(value[:10])
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def sorted_tokens(title_key: str) -> str:
    """The title key's words in alphabetical order (word order does not count)."""
    return " ".join(sorted(title_key.split()))


class _Scorer:
    """Scores pairs of postings; holds the per-posting keys it needs."""

    def __init__(self, postings: list[Posting], refkeys: list[str | None]) -> None:
        self.p = postings
        self.refkeys = refkeys
        self.days: list[int | None] = [None] * len(postings)  # filled by `near_duplicates` for block members
        self.folded: dict[str, str] = {}  # description -> its word codes (copies share one entry)
        self.codes = WordCodes()
        self.coded: list[str | None] = [None] * len(postings)  # posting -> its description's word codes

    def text(self, i: int) -> str:
        """Posting i's description as word codes (`fold_words`, `WordCodes`), folded once per text."""
        text = self.p[i].text or ""
        folded = self.folded.get(text)
        if folded is None:
            folded = self.folded[text] = self.codes.encode(_word_bytes(text))
        self.coded[i] = folded
        return folded

    def judge(self, i: int, j: int, t: float) -> NearMatch | Unmerged:
        """The match or the rejection of a near-candidate pair whose title score is `t`."""
        days = self.days
        di, dj = days[i], days[j]
        gap = abs(di - dj) if di is not None and dj is not None else None
        if t < TITLE_MIN:
            return _new(Unmerged, (i, j, "title_below_threshold", t, None, gap))
        if gap is not None and gap > MAX_DAYS:
            return _new(Unmerged, (i, j, "date_gap", t, None, gap))
        ra, rb = self.refkeys[i], self.refkeys[j]
        differ = bool(ra and rb and ra != rb)
        if differ and t < TITLE_STRONG:
            return _new(Unmerged, (i, j, "different_references_weak_evidence", t, None, gap))
        a, b = self.p[i], self.p[j]
        text_a = a.text
        same_text = bool(text_a) and text_a == b.text
        if same_text:
            x = 100.0
        else:
            coded = self.coded
            ta, tb = coded[i], coded[j]
            if ta is None:
                ta = self.text(i)
            if tb is None:
                tb = self.text(j)
            if not (ta and tb):
                if differ:
                    return _new(Unmerged, (i, j, "different_references_no_text", t, None, gap))
                if t >= TITLE_NO_TEXT and gap is not None and gap <= NO_TEXT_MAX_DAYS:
                    return NearMatch(i, j, round(t / 100.0, 3), False,
                                     f"{_where(a)}, title {t:.1f}, no description on one side, {_days(gap)}")
                return _new(Unmerged, (i, j, "no_text_weak_title", t, None, gap))
        needed = TEXT_STRONG if differ else TEXT_MIN
        if not same_text:
            x = ratio(ta, tb, score_cutoff=needed - TEXT_SHOWN_BELOW)  # 0: under the floor
            if x < needed:
                return _new(Unmerged, (i, j, "different_references_weak_evidence" if differ else "text_below_threshold",
                                       t, x, gap))
        score = round((0.4 * t + 0.6 * x) / 100.0, 3)
        if not differ:
            return NearMatch(i, j, score, False, f"{_where(a)}, title {t:.1f}, description {x:.1f}, {_days(gap)}")
        if gap is None or gap < REPUBLISH_MIN_DAYS:
            return _new(Unmerged, (i, j, "parallel_positions", t, x, gap))
        return NearMatch(i, j, score, True,
                         f"republished under a new reference ({ra.upper()} -> {rb.upper()}): {_where(a)}, "
                         f"title {t:.1f}, description {x:.1f}, {_days(gap)}")


_new = tuple.__new__  # builds an `Unmerged` from a tuple without its Python-level __new__ (many are made)


def _where(p: Posting) -> str:
    return f"same employer '{p.employer_key}' and department {p.department_code or 'unknown'}"


def _days(gap: int | None) -> str:
    return "unknown days apart" if gap is None else f"{gap} days apart"


def _text(x: float, needed: float) -> str:
    shown = f"{x:.1f}" if x else f"< {needed - TEXT_SHOWN_BELOW:.0f}"
    return f"description score {shown} < {needed:.0f}"


def rejection(postings: Sequence[Posting], refkeys: Sequence[str | None], u: Unmerged) -> Rejection:
    """The `Rejection`, with its reason in words, of an unmerged near-candidate."""
    t, x, gap = u.title_score, u.text_score, u.days_apart
    refs = f"{(refkeys[u.i] or '').upper()} vs {(refkeys[u.j] or '').upper()}"
    if u.code == "title_below_threshold":
        reason = f"title score {t:.1f} < {TITLE_MIN:.0f}"
    elif u.code == "date_gap":
        reason = f"published {gap} days apart > {MAX_DAYS}"
    elif u.code == "different_references_weak_evidence":
        evidence = f"title {t:.1f} < {TITLE_STRONG:.0f}" if x is None else _text(x, TEXT_STRONG)
        reason = f"different references ({refs}): {evidence}"
    elif u.code == "different_references_no_text":
        reason = f"different references ({refs}) and no description to compare"
    elif u.code == "no_text_weak_title":
        reason = (f"no description on one side: needs title >= {TITLE_NO_TEXT:.0f} and <= {NO_TEXT_MAX_DAYS} "
                  f"days apart (title {t:.1f}, {_days(gap)})")
    elif u.code == "text_below_threshold":
        reason = _text(x or 0.0, TEXT_MIN)
    elif u.code == "different_department":
        reason = (f"same employer and title but departments {postings[u.i].department_code} "
                  f"vs {postings[u.j].department_code}")
    elif u.code == "parallel_positions":
        reason = (f"different references ({refs}) with the same text {_days(gap)}: parallel positions, "
                  f"not a republication (needs >= {REPUBLISH_MIN_DAYS} days)")
    else:
        raise ValueError(f"no reason written for rejection code {u.code!r}")
    return Rejection(postings[u.i].posting_id, postings[u.j].posting_id, "near", u.code, reason, round(t, 1),
                     None if x is None else round(x, 1), gap)


def near_duplicates(postings: list[Posting], refkeys: list[str | None],
                    cluster_of: Sequence[int]) -> tuple[list[NearMatch], list[Unmerged]]:
    """Stage 3 over `postings` (sorted by id): accepted pairs and rejected near-candidates
    (`cluster_of[i]`: the cluster, any id, posting i is in before this stage).

    One pass in posting order computes each posting's block and sort key (title tokens, day).
    Inside a block sorted by that key, each posting is scored against the next `span` ones
    (title scores in C, by rapidfuzz); pairs already together are skipped."""
    scorer = _Scorer(postings, refkeys)
    days = scorer.days
    blocks: dict[tuple[str, str | None], list[tuple[str, int, int]]] = defaultdict(list)
    seen: dict[str, int] = {}  # publication day -> ordinal (days are few)
    for i, p in enumerate(postings):
        if p.employer_key and p.title_key:
            value = p.published_on
            day = seen.get(value) if value else None
            if day is None:
                day = _parsed_day(value) if value else None
                if day is not None:
                    seen[value] = day
                elif p.first_seen_at:
                    day = _parsed_day(p.first_seen_at)
            days[i] = day
            blocks[(p.employer_key, p.department_code)].append((sorted_tokens(p.title_key), day or 0, i))
    matches: list[NearMatch] = []
    rejections: list[Unmerged] = []
    judge = scorer.judge
    for key in sorted(blocks, key=lambda k: (k[0], k[1] or "")):
        members = blocks[key]
        size = len(members)
        if size < 2:
            continue
        members.sort()
        keys = [m[0] for m in members]
        span = size if size <= ALL_PAIRS_MAX else WINDOW
        for pos in range(size - 1):
            found = extract(keys[pos], keys[pos + 1: pos + 1 + span], scorer=ratio, score_cutoff=TITLE_NEAR, limit=None)
            if not found:
                continue
            a = members[pos][2]
            ref, cluster = refkeys[a], cluster_of[a]
            for _, t, k in found:
                b = members[pos + 1 + k][2]
                if cluster_of[b] == cluster or (ref is not None and ref == refkeys[b]):
                    continue  # already together, or one reference
                verdict = judge(a, b, t) if a < b else judge(b, a, t)
                (matches if verdict.__class__ is NearMatch else rejections).append(verdict)
    return matches, rejections


def department_notes(postings: Sequence[Posting], same_cluster: Callable[[int, int], bool],
                     only: set[int] | None = None) -> list[Unmerged]:
    """Same employer and same title key in different departments, not in one cluster: noted
    for `explain`, never merged (blocking keeps them apart). `only`: pairs involving these."""
    wanted = None if only is None else {(postings[i].employer_key, postings[i].title_key) for i in only}
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(postings):
        if p.employer_key and p.title_key and p.department_code:
            key = (p.employer_key, p.title_key)
            if wanted is None or key in wanted:
                groups[key].append(i)
    notes = []
    for key in sorted(groups):
        members = groups[key]
        if not 2 <= len(members) <= DEPT_GROUP_MAX:
            continue
        for i, j in combinations(members, 2):
            if (only is None or i in only or j in only) and \
                    postings[i].department_code != postings[j].department_code and not same_cluster(i, j):
                notes.append(Unmerged(i, j, "different_department", 100.0, None, None))
    return notes

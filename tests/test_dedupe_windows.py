"""Stage 3's candidate pairs and word folding against plain reference versions (the code before
the speed-ups): the fast paths must find the same pairs with the same title scores."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from rapidfuzz.fuzz import ratio

from bench.bench_dedupe import generate
from pipeline.dedupe import Posting, dedupe
from pipeline.dedupe.cluster import _load
from pipeline.dedupe.near import (ALL_PAIRS_MAX, TITLE_NEAR, WINDOW, _word_bytes, fold_words, near_duplicates,
                                  sorted_tokens)


def _day(p: Posting) -> int | None:
    for value in (p.published_on, p.first_seen_at):
        if value:
            try:
                return date.fromisoformat(value[:10]).toordinal()
            except ValueError:
                continue
    return None


def _reference_candidates(postings: list[Posting]) -> dict[tuple[int, int], float]:
    """Every near-candidate pair with its title score, computed one pair at a time."""
    blocks = defaultdict(list)
    for i, p in enumerate(postings):
        if p.employer_key and p.title_key:
            blocks[(p.employer_key, p.department_code)].append((sorted_tokens(p.title_key), _day(p) or 0, i))
    found = {}
    for members in blocks.values():
        members.sort()
        span = len(members) if len(members) <= ALL_PAIRS_MAX else WINDOW
        for pos, (key, _, i) in enumerate(members):
            for other, _, j in members[pos + 1: pos + 1 + span]:
                score = ratio(key, other)
                if score >= TITLE_NEAR:
                    found[(min(i, j), max(i, j))] = score
    return found


def _postings(n: int, seed: int) -> list[Posting]:
    rows, _ = generate(n, seed)
    rng = random.Random(seed)
    for row in rows[::7]:  # unknown or unreadable days, and no department, now and then
        row["published_on"] = rng.choice([None, "", "not a date", row["published_on"]])
        if rng.random() < 0.3:
            row["department_code"] = None
    return _load([Posting(**r) for r in rows])


def test_near_candidates_are_the_pairs_of_the_reference_windows():
    for n, seed in ((1500, 1), (6000, 4)):  # the larger set has blocks far above ALL_PAIRS_MAX
        postings = _postings(n, seed)
        expected = _reference_candidates(postings)
        matches, unmerged = near_duplicates(postings, [None] * len(postings), list(range(len(postings))))
        got = {(m.i, m.j): m for m in matches} | {(u.i, u.j): u for u in unmerged}
        assert set(got) == set(expected)
        assert all(u.title_score == expected[(u.i, u.j)] for u in unmerged)
        assert len(matches) + len(unmerged) == len(got)  # each pair judged once


def test_pairs_already_together_or_of_one_reference_are_not_candidates():
    postings = _postings(1500, 2)
    refkeys = [None] * len(postings)
    every = _reference_candidates(postings)
    (i, j), (k, m) = sorted(every)[:2]
    cluster_of = list(range(len(postings)))
    cluster_of[j] = i
    refkeys[k] = refkeys[m] = "2026-123456" if {k, m}.isdisjoint({i, j}) else None
    matches, unmerged = near_duplicates(postings, refkeys, cluster_of)
    got = {(x.i, x.j) for x in [*matches, *unmerged]}
    assert (i, j) not in got
    assert refkeys[k] is None or (k, m) not in got


def test_word_bytes_fold_like_the_regex_version():
    rng = random.Random(3)
    alphabet = "abcXYZ09 .,'’«»–\u00a0éÉèœÆçİ\u212aﬁ\t\n-"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300))) * rng.choice((1, 1, 12))
        assert _word_bytes(text) == [w.encode("ascii") for w in fold_words(text)]


def test_dedupe_is_the_same_whatever_the_input_order():
    postings = _postings(3000, 6)
    shuffled = postings[:]
    random.Random(1).shuffle(shuffled)
    assert dedupe(shuffled).to_dict() == dedupe(postings).to_dict()

"""The starts of a regex's matches, read from its source (pipeline/regex_prefixes.py), checked
against what `re` itself matches."""
from __future__ import annotations

import itertools
import json
import re

import pytest

from pipeline.classify import TAXONOMY_DIR
from pipeline.classify_matcher import _FOLDED, pattern
from pipeline.regex_prefixes import prefixes

SMALL = frozenset("abcAB1 ")


def starts_by_re(source: str, length: int = 5) -> set[str]:
    """The two-character starts of every match of `source` on every text of up to `length` characters of SMALL."""
    compiled, found = re.compile(source), set()
    for size in range(length + 1):
        for text in map("".join, itertools.product(sorted(SMALL), repeat=size)):
            match = compiled.fullmatch(text)
            if match:
                found.add(text[:2])
    return found


@pytest.mark.parametrize("source", [
    "ab", "a|bc", "(?:a|b)c", "a?b", "a*b", "a+", "a{2}", "a{1,2}b", "a{,2}c", "[ab]c", "[^a]b", "[a-c]1",
    r"\d", r"\w\w", r"a\sb", r"\ba", "(?i:ab)", "(?i:a(?-i:B))", "(?!b)[ab]c", "(?<!c)ab", "a(?=b)b",
    "(?P<x>a)b", "a.", "x*", "(a|)b", "a{0}b", "[-a]", "[a-]b", "a+?b", r"\.?a",
])
def test_every_start_re_finds_is_among_the_prefixes(source):
    found = prefixes(source, SMALL)
    assert found is not None
    full = {s for s in found if len(s) == 2} | {s for s in found if len(s) < 2}
    assert starts_by_re(source) <= full


def test_the_prefixes_are_exact_on_plain_patterns():
    assert prefixes("abc|de", SMALL) == {"ab", "de"}
    assert prefixes("a?b", SMALL) == {"ab", "b"}
    assert prefixes("(?i:ab)", SMALL) == {"ab", "aB", "Ab", "AB"}
    assert prefixes("a(?i:b)c", SMALL) == {"ab", "aB"}
    assert prefixes("x*", SMALL) == {"", "x", "xx"}
    assert prefixes(r"\d", SMALL) == {"1"}
    assert prefixes(r"ab(c|d)|e[)|]f|g\|", SMALL) == {"ab", "e)", "e|", "g|"}  # the rest of a branch skipped whole


@pytest.mark.parametrize("source", [r"\1", "(?i)ab", "(?#c)a", "(ab", "ab)", r"\x41", "a**"])
def test_a_construct_it_does_not_know_is_none(source):
    assert prefixes(source, SMALL) is None


def test_every_taxonomy_pattern_is_read():
    data = json.loads((TAXONOMY_DIR / "taxonomy.json").read_text(encoding="utf-8"))
    sources: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str):
            sources.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)

    for part in ("title", "organisations", "domains"):
        walk(data[part])
    unread = [s for s in sources if prefixes(pattern(s, data.get("macros", {})), _FOLDED) is None]
    assert len(sources) > 300 and not unread

"""The word-start matcher of `pipeline.classify`: a taxonomy alternation tried only at word
starts, and there only with the branches that can begin with the next two characters.

Which branches can begin where (the matcher's plan) is worked out from the patterns once
and kept in the user's cache (`pipeline.user_cache`, keyed by the patterns and this code);
each two-character key's regex is compiled the first time a text reaches it. A short
command (an ingest of five postings, a weekly file's few thousand changed rows) then pays
for the regexes it uses, not for the 150 of the whole taxonomy (about 0.15 s)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline import regex_prefixes, user_cache
from pipeline.regex_prefixes import WIDTH as _K2
from pipeline.regex_prefixes import prefixes

ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_FOLDED = ALNUM | {" "}  # the characters of a folded text (`pipeline.classify.fold`)


def pattern(p: str, macros: dict[str, str]) -> str:
    """A fragment in capitals is an acronym (case-sensitive); anything else is case-insensitive."""
    if re.fullmatch(r"[A-Z0-9 ]+", p):
        return p
    for name, value in macros.items():
        p = p.replace(f"%{name}%", f"(?:{value})")
    return f"(?i:{p})"


def _keys(body: str) -> set[str] | None:
    """The two-character keys (`folded[pos:pos + 2]`) at which the branch `body` may match;
    None: anywhere. A whole match shorter than two characters is followed by a space."""
    found = prefixes(body, _FOLDED)  # None for a construct it does not know: anywhere
    if found is None or "" in found:
        return None
    keys = {s if len(s) == _K2 else s + " " for s in found}
    return {k for k in keys if k[0] in ALNUM and all(c in _FOLDED for c in k)}


class Matcher:
    """An alternation tried only at word starts, and only with the branches that can begin with
    the two characters found there.

    Same matches as finditer() over the whole alternation (leftmost, first listed branch, no
    overlap), without trying ~200 branches at every position.
    """

    def __init__(self, entries: list[tuple[str, str]], macros: dict[str, str]) -> None:
        self.sources = cached_plan(entries, macros)
        self.table = LazyRegexes(self.sources)

    def finditer(self, folded: str) -> list[re.Match[str]]:
        """The matches in a folded text, in order."""
        out, resume, pos, table = [], 0, 1, self.table
        for token in folded[1:-1].split(" "):
            if pos >= resume and token:
                rx = table[folded[pos:pos + 2]]
                if rx is not None:
                    m = rx.match(folded, pos)
                    if m:
                        out.append(m)
                        resume = m.end()
            pos += len(token) + 1
        return out

    def search(self, folded: str) -> re.Match[str] | None:
        """The first match, or None."""
        found = self.finditer(folded)
        return found[0] if found else None


def _pattern_group(name: str, body: str) -> str:
    return f"(?P<{name}>{body})"


def finditer3(tables: dict[str, tuple], folded: str) -> tuple[list[re.Match[str]], ...]:
    """`Matcher.finditer` of three matchers (organisations, title words, roles) in one pass.

    `tables`: two-character key -> the three matchers' regexes (None where one has none)."""
    first: list[re.Match[str]] = []
    second: list[re.Match[str]] = []
    third: list[re.Match[str]] = []
    r1 = r2 = r3 = 0
    pos = 1
    for token in folded[1:-1].split(" "):
        if token:
            rxs = tables[folded[pos:pos + 2]]
            if rxs is not None:
                a, b, c = rxs
                if a is not None and pos >= r1:
                    m = a.match(folded, pos)
                    if m:
                        first.append(m)
                        r1 = m.end()
                if b is not None and pos >= r2:
                    m = b.match(folded, pos)
                    if m:
                        second.append(m)
                        r2 = m.end()
                if c is not None and pos >= r3:
                    m = c.match(folded, pos)
                    if m:
                        third.append(m)
                        r3 = m.end()
        pos += len(token) + 1
    return first, second, third


def combined(matchers: tuple[Matcher, Matcher, Matcher]) -> LazyTriples:
    """The table `finditer3` reads."""
    return LazyTriples(matchers)


def plan(entries: list[tuple[str, str]], macros: dict[str, str]) -> dict[str, str]:
    """Two-character key -> the regex source of the branches that can begin there (in order)."""
    everywhere = [f"{a}{b}" for a in sorted(ALNUM) for b in sorted(_FOLDED)]
    buckets: dict[str, list[str]] = {}
    for name, p in entries:
        body = _pattern_group(name, pattern(p, macros))
        keys = _keys(pattern(p, macros))
        for k in (everywhere if keys is None else sorted(keys)):
            buckets.setdefault(k, []).append(body)
    return {k: "(?:" + "|".join(parts) + r")(?![A-Za-z0-9])" for k, parts in buckets.items()}


def cached_plan(entries: list[tuple[str, str]], macros: dict[str, str]) -> dict[str, str]:
    """`plan`, from the user's cache when the same patterns were planned by the same code."""
    key = user_cache.sources_key([Path(__file__), Path(regex_prefixes.__file__)],
                                 json.dumps([entries, macros], ensure_ascii=False))
    kept = user_cache.load(PLAN_KIND, key)
    if isinstance(kept, dict):
        return kept
    built = plan(entries, macros)
    user_cache.save(PLAN_KIND, key, built)
    return built


PLAN_KIND = "classify-plan"
_COMPILED: dict[str, re.Pattern[str]] = {}  # one regex per distinct source (several keys share one)


def _compiled(source: str) -> re.Pattern[str]:
    rx = _COMPILED.get(source)
    if rx is None:
        rx = _COMPILED[source] = re.compile(source)
    return rx


class LazyRegexes(dict):
    """Two-character key -> its compiled regex (None: no branch begins there), compiled when first asked."""

    def __init__(self, sources: dict[str, str]) -> None:
        super().__init__()
        self.sources = sources

    def __missing__(self, key: str) -> re.Pattern[str] | None:
        source = self.sources.get(key)
        rx = self[key] = None if source is None else _compiled(source)
        return rx


class LazyTriples(dict):
    """Two-character key -> the three matchers' regexes (None where one has none; None for all three)."""

    def __init__(self, matchers: tuple[Matcher, Matcher, Matcher]) -> None:
        super().__init__()
        self.matchers = matchers

    def __missing__(self, key: str) -> tuple | None:
        found = tuple(m.table[key] for m in self.matchers)
        value = self[key] = found if any(rx is not None for rx in found) else None
        return value

"""The word-start matcher of `pipeline.classify`: a taxonomy alternation tried only at word
starts, and there only with the branches that can begin with the next two characters."""
from __future__ import annotations

import re
import re._constants as _K  # two-character prefixes of the taxonomy patterns (see Matcher)
import re._parser as _parser

ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_FOLDED = ALNUM | {" "}  # the characters of a folded text (`pipeline.classify.fold`)
_DIGITS = frozenset("0123456789")
_K2 = 2  # prefix length


def pattern(p: str, macros: dict[str, str]) -> str:
    """A fragment in capitals is an acronym (case-sensitive); anything else is case-insensitive."""
    if re.fullmatch(r"[A-Z0-9 ]+", p):
        return p
    for name, value in macros.items():
        p = p.replace(f"%{name}%", f"(?:{value})")
    return f"(?i:{p})"


def _cased(c: str, ignorecase: bool) -> set[str]:
    return {c.lower(), c.upper()} if ignorecase else {c}


def _concat(left: set[str], right: set[str]) -> set[str]:
    return {(s + p)[:_K2] if len(s) < _K2 else s for s in left for p in right}


def _prefixes(items, ignorecase: bool) -> set[str] | None:
    """What a parsed pattern's matches begin with: strings of `_K2` characters (the start of a
    longer match) or shorter (a whole match); a superset, or None when not worked out."""
    acc = {""}
    for op, av in items:
        piece = _piece(op, av, ignorecase)
        if piece is None:
            return None
        acc = _concat(acc, piece)
        if all(len(s) >= _K2 for s in acc):
            break
    return acc


def _piece(op, av, ignorecase: bool) -> set[str] | None:
    if op is _K.LITERAL:
        return _cased(chr(av), ignorecase)
    if op in (_K.NOT_LITERAL, _K.ANY):
        return set(_FOLDED)
    if op is _K.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _K.LITERAL:
                chars |= _cased(chr(value), ignorecase)
            elif kind is _K.RANGE:
                for code in range(value[0], value[1] + 1):
                    chars |= _cased(chr(code), ignorecase)
            elif kind is _K.CATEGORY and value is _K.CATEGORY_DIGIT:
                chars |= _DIGITS
            elif kind is _K.CATEGORY and value is _K.CATEGORY_WORD:
                chars |= ALNUM
            elif kind is _K.CATEGORY and value is _K.CATEGORY_SPACE:
                chars.add(" ")
            else:  # negated sets, other categories: any character
                return set(_FOLDED)
        return chars
    if op is _K.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            found = _prefixes(branch, ignorecase)
            if found is None:
                return None
            out |= found
        return out
    if op is _K.SUBPATTERN:
        _, add, delete, items = av
        return _prefixes(items, (ignorecase or bool(add & re.IGNORECASE)) and not delete & re.IGNORECASE)
    if op in (_K.MAX_REPEAT, _K.MIN_REPEAT):
        low, high, items = av
        one = _prefixes(items, ignorecase)
        if one is None:
            return None
        out, copies = set(), {""}
        for count in range(min(high, low + _K2) + 1):  # past low + _K2 copies nothing new begins
            if count >= low:
                out |= copies
            copies = _concat(copies, one)
        return out
    if op in (_K.AT, _K.ASSERT, _K.ASSERT_NOT):
        return {""}  # zero-width: a superset
    return None


def _keys(body: str) -> set[str] | None:
    """The two-character keys (`folded[pos:pos + 2]`) at which the branch `body` may match;
    None: anywhere. A whole match shorter than two characters is followed by a space."""
    try:
        found = _prefixes(list(_parser.parse(body)), False)
    except Exception:  # an unforeseen construct: try the branch everywhere
        return None
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
        everywhere = [f"{a}{b}" for a in sorted(ALNUM) for b in sorted(_FOLDED)]
        buckets: dict[str, list[str]] = {}
        for name, p in entries:
            body = _pattern_group(name, pattern(p, macros))
            keys = _keys(pattern(p, macros))
            for k in (everywhere if keys is None else sorted(keys)):
                buckets.setdefault(k, []).append(body)
        compiled: dict[str, re.Pattern[str]] = {}
        self.table: dict[str, re.Pattern[str]] = {}
        for k, parts in buckets.items():
            source = "(?:" + "|".join(parts) + r")(?![A-Za-z0-9])"
            rx = compiled.get(source)
            if rx is None:
                rx = compiled[source] = re.compile(source)
            self.table[k] = rx

    def finditer(self, folded: str) -> list[re.Match[str]]:
        """The matches in a folded text, in order."""
        out, resume, pos, table = [], 0, 1, self.table
        for token in folded[1:-1].split(" "):
            if pos >= resume and token:
                rx = table.get(folded[pos:pos + 2])
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
            rxs = tables.get(folded[pos:pos + 2])
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


def combined(matchers: tuple[Matcher, Matcher, Matcher]) -> dict[str, tuple]:
    """The table `finditer3` reads."""
    keys = set().union(*(m.table for m in matchers))
    return {k: tuple(m.table.get(k) for m in matchers) for k in keys}

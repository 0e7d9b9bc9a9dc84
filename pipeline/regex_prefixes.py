"""What the matches of a regular expression can begin with, read from its source text.

`prefixes(source, alphabet)` gives a superset of the first two characters of every match
(a shorter string where a whole match is shorter), or None when the source holds a
construct it does not know. It reads the regex syntax the taxonomy uses (literals,
escapes, classes, groups with or without flags, lookarounds, alternation, quantifiers)
with its own small parser, so it relies on no internal module of `re`.
"""
from __future__ import annotations

import re

WIDTH = 2  # prefix length
_QUANTIFIER = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_FLAGS = re.compile(r"\(\?([aiLmsux]*)(?:-([imsx]+))?([:)])")
_MANY = 1 << 30


class Unknown(ValueError):
    """A construct the reader does not know: the caller assumes the regex may match anywhere."""


def concat(left: set[str], right: set[str]) -> set[str]:
    """The prefixes of a match of `left` followed by one of `right`."""
    return {(s + p)[:WIDTH] if len(s) < WIDTH else s for s in left for p in right}


def cased(char: str, ignorecase: bool) -> set[str]:
    return {char.lower(), char.upper()} if ignorecase else {char}


class _Reader:
    def __init__(self, source: str, alphabet: frozenset[str]) -> None:
        self.source, self.at, self.alphabet = source, 0, alphabet
        self.digits = frozenset(c for c in alphabet if c.isdigit())
        self.word = frozenset(c for c in alphabet if c.isalnum() or c == "_")

    def peek(self) -> str:
        return self.source[self.at] if self.at < len(self.source) else ""

    def take(self) -> str:
        char = self.peek()
        if not char:
            raise Unknown("unexpected end")
        self.at += 1
        return char

    def alternation(self, ignorecase: bool) -> set[str]:
        found = self.sequence(ignorecase)
        while self.peek() == "|":
            self.at += 1
            found |= self.sequence(ignorecase)
        return found

    def sequence(self, ignorecase: bool) -> set[str]:
        found = {""}
        while self.peek() not in ("", "|", ")"):
            if all(len(s) >= WIDTH for s in found):  # every prefix whole: the rest of the branch changes nothing
                self.skip_branch()
                break
            piece = self.atom(ignorecase)
            low, high = self.quantifier()
            found = concat(found, repeated(piece, low, high))
        return found

    def skip_branch(self) -> None:
        """Move to the end of the current branch (its `|` or `)`), past nested groups and classes."""
        source, at, depth = self.source, self.at, 0
        while at < len(source):
            char = source[at]
            if char == "\\":
                at += 2
                continue
            if char == "[":
                at = _class_end(source, at)
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            elif char == "|" and depth == 0:
                break
            at += 1
        self.at = at

    def quantifier(self) -> tuple[int, int]:
        char = self.peek()
        if char in ("?", "*", "+"):
            self.at += 1
            low, high = {"?": (0, 1), "*": (0, _MANY), "+": (1, _MANY)}[char]
        else:
            match = _QUANTIFIER.match(self.source, self.at)
            if match is None:
                return 1, 1
            self.at = match.end()
            low = int(match.group(1) or 0)
            high = (int(match.group(3)) if match.group(3) else _MANY) if match.group(2) else low
        if self.peek() in ("?", "+"):  # lazy or possessive: the same matches
            self.at += 1
        return low, high

    def atom(self, ignorecase: bool) -> set[str]:
        char = self.take()
        if char == "(":
            return self.group(ignorecase)
        if char == "[":
            return self.klass(ignorecase)
        if char == "\\":
            return self.escape(self.take(), ignorecase)
        if char == ".":
            return set(self.alphabet)
        if char in "^$":
            return {""}
        if char in "*+?{":
            raise Unknown(f"nothing to repeat at {self.at}")
        return cased(char, ignorecase)

    def group(self, ignorecase: bool) -> set[str]:
        rest = self.source[self.at:]
        if rest.startswith(("?=", "?!", "?<=", "?<!")):  # zero-width: read, and a superset
            self.at += 3 if rest.startswith("?<") else 2
            self.alternation(ignorecase)
            self.close()
            return {""}
        if rest.startswith("?P<"):
            self.at = self.source.index(">", self.at) + 1
        elif rest.startswith("?"):
            flags = _FLAGS.match(self.source, self.at - 1)
            if flags is None or flags.group(3) == ")":
                raise Unknown(f"group {rest[:4]!r}")
            self.at = flags.end()
            if "i" in flags.group(1):
                ignorecase = True
            if "i" in (flags.group(2) or ""):
                ignorecase = False
        found = self.alternation(ignorecase)
        self.close()
        return found

    def close(self) -> None:
        if self.take() != ")":
            raise Unknown("unbalanced group")

    def escape(self, char: str, ignorecase: bool) -> set[str]:
        if char == "w":
            return set(self.word)
        if char == "d":
            return set(self.digits)
        if char == "s":
            return {c for c in self.alphabet if c.isspace()}
        if char in "bBAZ":
            return {""}
        if char in "WDS":
            return set(self.alphabet)
        if char.isalnum():  # \n, \x41, \1 ...: not worked out
            raise Unknown(f"escape \\{char}")
        return cased(char, ignorecase)

    def klass(self, ignorecase: bool) -> set[str]:
        negated = self.peek() == "^"
        if negated:
            self.at += 1
        chars: set[str] = set()
        first = True
        while True:
            char = self.take()
            if char == "]" and not first:
                break
            first = False
            if char == "\\":
                escaped = self.take()
                if escaped in "wdsWDS":
                    chars |= self.escape(escaped, ignorecase)
                    continue
                if escaped.isalnum():
                    raise Unknown(f"escape \\{escaped} in a class")
                char = escaped
            if self.peek() == "-" and self.source[self.at + 1:self.at + 2] not in ("]", ""):
                self.at += 1
                end = self.take()
                if end == "\\":
                    end = self.take()
                for code in range(ord(char), ord(end) + 1):
                    chars |= cased(chr(code), ignorecase)
            else:
                chars |= cased(char, ignorecase)
        return set(self.alphabet) if negated else chars


def _class_end(source: str, at: int) -> int:
    """The position after the class opened at `at` (a `]` first, or after `^`, is a member)."""
    at += 1
    if source[at:at + 1] == "^":
        at += 1
    if source[at:at + 1] == "]":
        at += 1
    while at < len(source) and source[at] != "]":
        at += 2 if source[at] == "\\" else 1
    return at + 1


def repeated(piece: set[str], low: int, high: int) -> set[str]:
    """The prefixes of `low` to `high` copies of a piece (past low + WIDTH copies nothing new begins)."""
    found, copies = set(), {""}
    for count in range(min(high, low + WIDTH) + 1):
        if count >= low:
            found |= copies
        copies = concat(copies, piece)
    return found


def prefixes(source: str, alphabet: frozenset[str]) -> set[str] | None:
    """The first WIDTH characters of every match of `source` (shorter for a whole match), a
    superset; `alphabet` stands for "any character". None when not worked out."""
    reader = _Reader(source, alphabet)
    try:
        found = reader.alternation(False)
        if reader.peek():
            raise Unknown(f"unbalanced ')' at {reader.at}")
    except Unknown:
        return None
    return found

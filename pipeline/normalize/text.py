"""Shared string helpers for the normalisers: whitespace, HTML entities, accent folding."""
from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import Iterable, TypeVar

T = TypeVar("T")

_WS = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "\u00a0": " ", "\u202f": " "})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def is_blank(value: object) -> bool:
    """True for None, empty or whitespace-only strings (and the literal 'None'/'null')."""
    if value is None:
        return True
    text = (value if value.__class__ is str else str(value)).strip()
    if len(text) > 4:  # longer than every null word: no lower-casing needed
        return False
    return not text or text.lower() in {"none", "null", "nan"}


@lru_cache(maxsize=65536)
def unescape(value: str) -> str:
    """Decode HTML entities, repeatedly, so double-encoded `&amp;amp;` comes out right."""
    for _ in range(4):
        if "&" not in value:
            break
        decoded = html.unescape(value)
        if decoded == value:
            break
        value = decoded
    return value


@lru_cache(maxsize=65536)
def clean(value: str | None) -> str | None:
    """Entities decoded, apostrophes unified, whitespace folded; None when nothing is left."""
    if value is None:
        return None
    text = _WS.sub(" ", unescape(str(value)).translate(_APOSTROPHES)).strip()
    if not text or text.lower() in {"none", "null", "nan"}:
        return None
    return text


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Lower-case, accents removed, apostrophes unified, whitespace folded (length not kept)."""
    text = unicodedata.normalize("NFKD", value.translate(_APOSTROPHES).replace("œ", "oe").replace("Œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return _WS.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def key(value: str) -> str:
    """Matching key: folded, every run of punctuation or space turned into one space."""
    return _NON_ALNUM.sub(" ", fold(value)).strip()


def first_rule(value: str | None, rules: Iterable[tuple[re.Pattern[str], T]]) -> T | None:
    """The answer of the first (pattern, answer) rule whose pattern is found in the cleaned,
    folded value; None for a blank value or when no rule matches."""
    text = clean(value)
    if text is None:
        return None
    folded = fold(text)
    return next((answer for pattern, answer in rules if pattern.search(folded)), None)

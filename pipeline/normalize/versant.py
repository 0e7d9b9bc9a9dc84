"""Versant of the civil service: etat, territoriale, hospitaliere."""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.normalize.text import clean, fold

# Ordered (pattern on the folded value, versant); the first match wins.
VERSANTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bfph\b|hospitali"), "hospitaliere"),
    (re.compile(r"\bfpt\b|territorial"), "territoriale"),
    (re.compile(r"\bfpe\b|\bfonction publique (?:de l'|d')?etat\b|^etat$|\bde l'etat\b"), "etat"),
)


def normalize_versant(value: str | None) -> dict:
    """Return {"versant": "etat"|"territoriale"|"hospitaliere"|None}."""
    return dict(_normalize_versant(value))


@lru_cache(maxsize=4096)
def _normalize_versant(value: str | None) -> dict:
    text = clean(value)
    if text is None:
        return {"versant": None}
    folded = fold(text)
    found = {versant for pattern, versant in VERSANTS if pattern.search(folded)}
    return {"versant": found.pop() if len(found) == 1 else None}

"""Remote work: True, False or None."""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.normalize.text import first_rule

# Ordered (pattern on the folded value, answer); the first match wins.
REMOTE_RULES: tuple[tuple[re.Pattern[str], bool | None], ...] = (
    (re.compile(r"non renseign|non communiqu|non precis"), None),
    (re.compile(r"tele-?travail[^:]{0,20}:\s*oui\b"), True),
    (re.compile(r"tele-?travail[^:]{0,20}:\s*non\b"), False),
    (re.compile(r"pas de tele-?travail|tele-?travail (?:non|impossible|exclu|pas possible)|sans tele-?travail"), False),
    (re.compile(r"\(?\s*tele-?travail (?:possible|partiel|envisageable|autorise)\s*\)?"), True),
    (re.compile(r"^oui\b"), True),
    (re.compile(r"^non\b"), False),
)


def normalize_remote(value: str | None) -> dict:
    """Return {"remote": True|False|None} from "Télétravail possible : Oui", "Non", "(télétravail possible)"..."""
    return dict(_normalize_remote(value))


@lru_cache(maxsize=4096)
def _normalize_remote(value: str | None) -> dict:
    return {"remote": first_rule(value, REMOTE_RULES)}

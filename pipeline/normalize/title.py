"""Job titles: display title without gender markers or internal codes, matching key, number of posts."""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.normalize.text import clean, fold

# Gender markers: "(H/F)", "H/F", "F-H", "(h/f/x)", "H / F", "(F/H/N)"... in any position.
_PAIR = r"(?:h\s*[/\-–]\s*f|f\s*[/\-–]\s*h)(?:\s*[/\-–]\s*[xn])?"
GENDER_MARKER = re.compile(
    rf"\(\s*{_PAIR}\s*\)|\[\s*{_PAIR}\s*\]|(?<![^\W\d_]){_PAIR}(?![^\W\d_])",
    re.IGNORECASE,
)
# Internal codes dropped from the display title (only shapes that are clearly codes).
_CODES = [
    re.compile(r"\(\s*r[ée]f\s*[.:]?\s*[\w./-]+\s*\)", re.IGNORECASE),  # (réf.SDN1), (réf.2623)
    re.compile(r"(?:^|\s)[-–]\s*r[ée]f\s*[.:]?\s*:?\s*[\w./-]*\d[\w./-]*\s*$", re.IGNORECASE),  # - Réf : 21-0019EP
    re.compile(r"^\s*\d{4}-\d{3,7}\s+(?=\S)"),  # leading "2026-8271 "
    re.compile(r"(?:^|\s)[-–]\s*\d-\d{7}\s*(?:[-–]\s*)?$"),  # "- 1-0001853 -"
    re.compile(r"\s[-–]\s*offre\s+n?°?\s*\d+\s*$", re.IGNORECASE),  # "- Offre 2507" (emploi-territorial)
]
_POSITIONS = [
    re.compile(r"\(\s*(\d{1,3})\s+postes?\s*\)", re.IGNORECASE),
    re.compile(r"(?:^|\s)[-–]\s*(\d{1,3})\s+postes?\s*$", re.IGNORECASE),
    re.compile(r"(?:^|\s)(\d{1,3})\s+postes?\s*$", re.IGNORECASE),
]
_DANGLING = [
    (re.compile(r"\(\s*\)|\[\s*\]"), " "),
    (re.compile(r"(?<=\s)([-–/,:])(?:\s+[-–/,:])+(?=\s|$)"), r"\1"),  # "- -" left by a removed marker
    (re.compile(r"^[\s\-–/,:|]+|[\s\-–/,:|]+$"), ""),
    (re.compile(r"\s+,"), ","),
    (re.compile(r"\s{2,}"), " "),
]

# Inclusive spellings folded to the masculine form in the key: Chef.fe, Chef(fe), Chef-fe, Chef·fe, Chef/fe...
_SUFFIXES = "e|fe|ne|ere|trice|rice|ice|euse|se|ve|le|esse|eure|te"
_INCLUSIVE = re.compile(rf"(?<=[a-z])\s?(?:[.·•∙/\-]\s?\(?|\(\s?)(?:{_SUFFIXES})\s?\)?(?![a-z])")
# Feminine word endings -> masculine (key only; over-folding is harmless as both sides fold alike).
_FEMININE_ENDINGS = {
    "trice": "teur", "euse": "eur", "eure": "eur", "iere": "ier", "ienne": "ien", "ee": "e",
    "ante": "ant", "ointe": "oint", "ente": "ent", "ive": "if", "elle": "el",
}
_FEMININE = re.compile(rf"\bcheffe\b|(?<=[a-z]{{2}})(?:{'|'.join(sorted(_FEMININE_ENDINGS, key=len, reverse=True))})\b")


def _masculine(match: re.Match[str]) -> str:
    word = match.group(0)
    return "chef" if word == "cheffe" else _FEMININE_ENDINGS[word]


_ARTICLE = r"(?:(?:un|une|le|la|l)\s+)?"
_PAIR_WORDS = re.compile(rf"\b{_ARTICLE}([a-z0-9]+) (?:/|ou) {_ARTICLE}\1\b")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_KEEP_SLASH = re.compile(r"[^a-z0-9/]+")
_SLASH = re.compile(r"\s*/\s*")


def strip_gender_markers(value: str) -> str:
    """Remove every gender marker and tidy the separators it leaves behind."""
    text = GENDER_MARKER.sub(" ", value)
    for pattern, repl in _DANGLING:
        text = pattern.sub(repl, text)
    return text.strip()


@lru_cache(maxsize=65536)
def title_key(value: str) -> str:
    """Matching key: case, accents, gender markers and inclusive/feminine forms folded."""
    text = fold(GENDER_MARKER.sub(" ", value))
    text = _INCLUSIVE.sub("", text)
    text = _FEMININE.sub(_masculine, text)
    text = _KEEP_SLASH.sub(" ", text)
    text = _SLASH.sub(" / ", text).strip()
    previous = None
    while previous != text:
        previous, text = text, _PAIR_WORDS.sub(r"\1", text)
    return _NON_ALNUM.sub(" ", text).strip()


def normalize_title(value: str | None) -> dict:
    """Return {"title", "title_key", "positions"} for a published job title."""
    return dict(_normalize_title(value))


@lru_cache(maxsize=65536)
def _normalize_title(value: str | None) -> dict:
    text = clean(value)
    if text is None:
        return {"title": None, "title_key": None, "positions": None}
    text = GENDER_MARKER.sub(" ", text)
    positions = None
    for pattern in _POSITIONS:
        match = pattern.search(text)
        if match:
            positions = int(match.group(1)) or None
            text = pattern.sub(" ", text, count=1)
            break
    for pattern in _CODES:
        text = pattern.sub(" ", text)
    for pattern, repl in _DANGLING:
        text = pattern.sub(repl, text)
    text = text.strip()
    if not text:
        return {"title": None, "title_key": None, "positions": positions}
    return {"title": text, "title_key": title_key(text) or None, "positions": positions}

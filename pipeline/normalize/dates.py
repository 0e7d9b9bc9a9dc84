"""Dates to ISO YYYY-MM-DD: precompiled fast path for the common shapes, dateparser as a guarded fallback.

Relative dates ("il y a 3 jours") use the injected crawl time `now`, never the wall clock.
Any date in year 2090 or later means "no end" and gives None.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from pipeline.normalize.text import clean, fold

NO_END_YEAR = 2090
MIN_YEAR = 1990
MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}
_DMY = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
_FULL_DMY = re.compile(rf"\s*{_DMY}(?:\s*(?:a|à)?\s*\d{{1,2}}[:h]\d{{2}}(?::\d{{2}})?)?\s*")
_ISO = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\s*")
_RANGE = re.compile(rf"\bdu\s+{_DMY}\s+au\s+{_DMY}")
_ANY_DMY = re.compile(rf"(?<!\d){_DMY}(?!\d)")
_ANY_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_TEXT_DATE = re.compile(rf"(?<![a-z0-9])(1er|\d{{1,2}})\s+({'|'.join(sorted(MONTHS, key=len, reverse=True))})\.?\s+(\d{{4}})")
_RELATIVE = re.compile(r"il y a\s+(\d+|un|une)\s+(minute|heure|jour|semaine|mois|an)s?\b")
_RELATIVE_WORDS = {"aujourd'hui": 0, "hier": 1, "avant-hier": 2, "avant hier": 2}
_NONE_WORDS = re.compile(r"des que possible|asap|immediat|non renseign|non precis|a definir|vacant")
_FALLBACK_HINT = re.compile(rf"\d|{'|'.join(MONTHS)}|hier|aujourd|il y a|depuis")
_EMPTY = {"date": None, "end": None}


def _iso(year: int, month: int, day: int) -> str | None:
    if not (MIN_YEAR <= year < NO_END_YEAR):
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _dmy(match: re.Match[str], offset: int = 0) -> str | None:
    day, month, year = (int(match.group(offset + i)) for i in (1, 2, 3))
    return _iso(year, month, day)


@lru_cache(maxsize=65536)
def _absolute(folded: str) -> tuple[str | None, str | None] | None:
    """Fast path for absolute shapes; None when no shape matched (a matched invalid date gives (None, None))."""
    match = _FULL_DMY.fullmatch(folded)
    if match:
        return _dmy(match), None
    match = _ISO.fullmatch(folded)
    if match:
        return _iso(int(match.group(1)), int(match.group(2)), int(match.group(3))), None
    match = _RANGE.search(folded)
    if match:
        return _dmy(match), _dmy(match, 3)
    found = _ANY_DMY.findall(folded)
    if len(found) == 1:
        day, month, year = (int(x) for x in found[0])
        return _iso(year, month, day), None
    match = _TEXT_DATE.search(folded)
    if match:
        day = 1 if match.group(1) == "1er" else int(match.group(1))
        return _iso(int(match.group(3)), MONTHS[match.group(2)], day), None
    found = _ANY_ISO.findall(folded)
    if len(found) == 1:
        return _iso(*(int(x) for x in found[0])), None
    return None


def _relative(folded: str, now: datetime | None) -> tuple[str | None, str | None] | None:
    for word, days in _RELATIVE_WORDS.items():
        if re.search(rf"(?<![a-z]){word}(?![a-z])", folded):
            return ((now - timedelta(days=days)).date().isoformat() if now else None), None
    match = _RELATIVE.search(folded)
    if not match:
        return None
    if now is None:
        return None, None
    count = 1 if match.group(1) in {"un", "une"} else int(match.group(1))
    unit = match.group(2)
    if unit == "mois":
        delta = timedelta(days=30 * count)
    elif unit == "an":
        delta = timedelta(days=365 * count)
    else:
        delta = timedelta(**{{"minute": "minutes", "heure": "hours", "jour": "days", "semaine": "weeks"}[unit]: count})
    return (now - delta).date().isoformat(), None


_DATEPARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DAY_OF_MONTH": "first",
    "PREFER_DATES_FROM": "past",
    "STRICT_PARSING": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def _fallback(text: str, now: datetime | None) -> str | None:
    """dateparser, only for strings that look like a date (never for words like "Vacant")."""
    import dateparser  # imported lazily: slow to import, rarely needed

    settings = dict(_DATEPARSER_SETTINGS)
    if now is not None:
        settings["RELATIVE_BASE"] = now.replace(tzinfo=None)
    parsed = dateparser.parse(text, languages=["fr"], settings=settings)
    if parsed is None:
        return None
    return _iso(parsed.year, parsed.month, parsed.day)


@lru_cache(maxsize=65536)
def _normalize(text: str, now: datetime | None) -> tuple[str | None, str | None]:
    folded = fold(text)
    result = _absolute(folded)
    if result is not None:
        return result
    result = _relative(folded, now)
    if result is not None:
        return result
    if _NONE_WORDS.search(folded) or not _FALLBACK_HINT.search(folded) or len(folded) > 80:
        return None, None
    return _fallback(text, now), None


def normalize_date(value: str | None, now: datetime | None = None) -> dict:
    """Return {"date", "end"} as ISO strings or None ("du X au Y" gives both)."""
    text = clean(value)
    if text is None:
        return dict(_EMPTY)
    start, end = _normalize(text, now)
    return {"date": start, "end": end}

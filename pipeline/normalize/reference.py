"""Board references: recognised in a page field, a URL or a feed title, returned in canonical form.

Canonical form: the reference as published, trimmed, inner whitespace folded to one space
(`MINT_SIDSIC 95-18401` keeps its space); the only case change is the leading letter of
emploi-territorial references (`o056261001001569` -> `O056261001001569`, `o09261-201633` ->
`O09261-201633`), whose lower case comes from URL slugs. Case-folding for matching is the
dedup stage's job.
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from pipeline.normalize.text import clean

# Known shapes, most specific first (matched at the start of the value).
REFERENCE_SHAPES: tuple[re.Pattern[str], ...] = (
    re.compile(r"[oO]\d{15}(?![\w-])"),  # emploi-territorial: O + 15 digits
    re.compile(r"[oO]\d{5}-\d{4,12}(?![\w-])"),  # older territorial shapes o09261-201633, o06944-202103006057
    re.compile(r"MINT_[A-Z0-9]+(?: \d+)?-\d+(?![\w-])"),  # MINT_BS069GNC-115550, MINT_SIDSIC 95-18401
    re.compile(r"[A-Z]{2,6}_[A-Z0-9]+-\d+(?![\w-])"),  # MEF_2026-32366, DEF_15-00064919
    re.compile(r"(?:19|20)\d{2}-\d{4,8}(?![\w-])"),  # 2021-656136, 2026-2357158
    re.compile(r"[A-Z]{2,6}\d{3,6}-[A-Za-z]{2,10}-\d{2,4}(?![\w-])"),  # CNRS: UMR6613-SANCHA-040
    re.compile(r"(?=[A-Z0-9-]*\d)[A-Z]{2,8}(?:-[A-Z0-9]{1,10}){1,5}(?![\w-])"),  # DGAC-AVE-127504-CAT-A
)
_GENERIC = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{2,38}[A-Za-z0-9]")
_PREFIX = re.compile(r"^\s*(?:r[ée]f(?:[ée]rence)?s?\.?\s*(?:de l'offre)?\s*[:°n.]*\s*)+", re.IGNORECASE)
_URL_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"-reference-([^/?#]+)/?$"),
    re.compile(r"/offre-emploi/([^/?#]+)/?$"),
    re.compile(r"/offre/([oO]\d{15})(?:-[^/?#]*)?/?$"),
    re.compile(r"/offre/([^/?#-]+)/?$"),
)
_QUERY_REF = re.compile(r"[?&](?:ref|reference|offre)=([^&#]+)", re.IGNORECASE)


def _canonical(ref: str) -> str:
    ref = " ".join(ref.split())
    if ref[:1] == "o" and ref[1:2].isdigit():
        ref = "O" + ref[1:]
    return ref


@lru_cache(maxsize=65536)
def match_reference(text: str) -> str | None:
    """Canonical reference starting `text` (a page field or a feed title), else None."""
    text = _PREFIX.sub("", text).strip()
    for shape in REFERENCE_SHAPES:
        match = shape.match(text)
        if match and (match.end() == len(text) or not text[match.end()].isalnum()):
            return _canonical(match.group(0))
    return None


@lru_cache(maxsize=65536)
def reference_from_url(url: str | None) -> str | None:
    """Reference carried by a posting URL (choisirleservicepublic, place-emploi-public, emploi-territorial)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    path = unquote(parts.path)
    for pattern in _URL_PATTERNS:
        match = pattern.search(path)
        if match:
            ref = match_reference(match.group(1))
            if ref:
                return ref
            if pattern is _URL_PATTERNS[0] and _GENERIC.fullmatch(match.group(1)):
                return _canonical(match.group(1))
    match = _QUERY_REF.search("?" + parts.query)
    return match_reference(unquote(match.group(1))) if match else None


def normalize_reference(value: str | None) -> dict:
    """Return {"reference": canonical reference or None} from a field, a URL or a feed title."""
    return dict(_normalize_reference(value))


@lru_cache(maxsize=65536)
def _normalize_reference(value: str | None) -> dict:
    text = clean(value)
    if text is None:
        return {"reference": None}
    if "/" in text and ("://" in text or text.startswith("/") or ".gouv.fr" in text or ".fr/" in text):
        return {"reference": reference_from_url(text)}
    ref = match_reference(text)
    if ref is None:
        bare = _PREFIX.sub("", text).strip()
        if _GENERIC.fullmatch(bare) and any(c.isdigit() for c in bare):
            ref = _canonical(bare)
    return {"reference": ref}

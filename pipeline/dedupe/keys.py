"""Deduplication inputs: the `Posting` the matcher sees and the keys it indexes them by.

The first layer of `pipeline.dedupe` (keys -> near matching -> clustering -> explanations):
it imports nothing from the layers above it. `index_keys` names every index a posting sits
in (reference, URL, block): postings that share no index key, directly or through others,
never affect each other's clusters (the rebuild uses this to recompute only what changed).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Mapping

from pipeline.urls import url_key

MIN_REFERENCE_LENGTH = 5  # shorter references (or without a digit) are not trusted for stage 1

NOT_COUNTED = frozenset({"unresolved", "relayed_references"})  # bookkeeping keys of the normalised fields, not data


_TAG = re.compile(r"<[^>]+>")


def reference_key(reference: str | None) -> str | None:
    """The matching key of a reference: stripped and case-folded; None if too weak to trust."""
    if not reference:
        return None
    key = "".join(reference.split()).casefold()
    if len(key) < MIN_REFERENCE_LENGTH or not any(c.isdigit() for c in key):
        return None
    return key


def _strip_tags(fragment: str | None) -> str:
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:  # no tag, no entity: whitespace only
        return " ".join(fragment.split())
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())  # split(): 3x faster than a \s+ regex


def _completeness(fields: Mapping) -> int:
    """The number of filled top-level fields (`_filled`), NOT_COUNTED keys aside; strings,
    None and lists (most fields) decided inline."""
    n = 0
    for k, v in fields.items():
        if v is None or k in NOT_COUNTED:
            continue
        kind = v.__class__
        if kind is str:
            if v and (not v[0].isspace() or v.strip()):
                n += 1
        elif kind is list:
            if v:
                n += 1
        elif _filled(v):
            n += 1
    return n


def _filled(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        for v in value.values():
            if v is not None and _filled(v):
                return True
        return False
    if isinstance(value, (list, tuple, set)):
        return len(value) > 0
    return True


@dataclass(frozen=True, slots=True)
class Posting:
    """One already-normalised posting, as the deduplication sees it."""

    posting_id: str
    source: str
    url: str
    reference: str | None
    title_key: str | None
    employer_key: str | None
    department_code: str | None
    published_on: str | None
    text: str
    first_seen_at: str
    completeness: int = 0
    relayed: tuple[str, ...] = ()  # other boards' references this posting says it relays (France Travail)

    @classmethod
    def from_offer_fields(cls, posting_id: str, source: str, first_seen_at: str, fields: Mapping) -> Posting:
        """Build from the normalised offer fields (`reference, url, title_key, employer_key,
        location{department_code}, published_on, missions_html, profile_html`); completeness
        is the number of top-level fields that are filled (a dict counts when any value is;
        `unresolved` is not counted)."""
        location = fields.get("location") or {}
        text = " ".join(t for t in (_strip_tags(fields.get("missions_html")),
                                    _strip_tags(fields.get("profile_html"))) if t)
        return cls(
            posting_id=str(posting_id),
            source=source,
            url=fields.get("url") or "",
            reference=fields.get("reference") or None,
            title_key=fields.get("title_key") or None,
            employer_key=fields.get("employer_key") or None,
            department_code=(location.get("department_code") or location.get("territory_code")
                             if isinstance(location, dict) else None),
            published_on=fields.get("published_on") or None,
            text=text,
            first_seen_at=first_seen_at,
            completeness=_completeness(fields),
            relayed=tuple(fields.get("relayed_references") or ()),
        )


def block_key(p: Posting) -> tuple[str, str | None] | None:
    """The near-matching block of a posting (employer key, department code), if it has one."""
    if p.employer_key and p.title_key:
        return (p.employer_key, p.department_code)
    return None


def index_keys(p: Posting) -> tuple[str | None, str | None, str | None]:
    """The (reference, URL, block) index keys of a posting, as strings; None where absent."""
    block = block_key(p)
    return (reference_key(p.reference), url_key(p.url) if p.url else None,
            None if block is None else f"{block[0]}\x1f{block[1] or ''}")

"""One offer's fields from all its postings, not only the canonical one.

The canonical posting (the official board's first, see pipeline.dedupe) gives the offer its
fields; a posting of the same offer on the territorial board fills what it lacks (only that
board's: a late export file or a curated page never decides a field, a deadline least of
all, except for a board page read outside the Numérique listing, which nothing re-checks: the
file's publication window ends it). The territorial board (emploi-territorial.fr) knows the real employer of a territorial offer where
choisirleservicepublic.gouv.fr only shows an employer category (or a title suffix taken for
one): its employer wins then, its grades and catégories join the offer's.
See docs/sources/emploi_territorial.md.
"""
from __future__ import annotations

from typing import Iterable

from parsers.csp_opendata import SOURCE as OPEN_DATA_FILE
from pipeline.sources import UNLISTED_SOURCE as UNLISTED_PAGE

TERRITORIAL_BOARD = "emploi-territorial"
# Filled from another posting when the canonical one has no value.
FILLED = ("employer", "employer_key", "employer_category", "versant", "category", "contract", "remote", "metier",
          "domain", "published_on", "deadline", "missions_html", "profile_html", "about_html", "experience",
          "salary", "reference", "apply_url", "starts_on", "filiere", "working_time", "description_html")
ORDER = ("A+", "A", "B", "C")


def _filled(value: object) -> bool:
    return value not in (None, "", [], {})


def merged_fields(canonical: dict, canonical_source: str, others: Iterable[tuple[str, dict]]) -> dict:
    """The offer's fields: `canonical`'s, completed by the territorial board's postings among
    `others` ((source, fields) pairs), its real employer over a category; a page read outside
    the listing ends no later than the open-data file's window says (`unlisted_deadline`)."""
    others = list(others)
    if canonical_source == UNLISTED_PAGE:
        canonical = unlisted_deadline(canonical, others)
    others = [pair for pair in others if pair[0] == TERRITORIAL_BOARD and canonical_source != TERRITORIAL_BOARD]
    if not others:
        return canonical
    out = dict(canonical)
    territorial = others[0][1]
    if territorial.get("employer") and (
            not canonical.get("employer") or canonical.get("employer_category")):
        out["employer"], out["employer_key"] = territorial["employer"], territorial.get("employer_key")
    for _source, fields in others:
        for name in FILLED:
            if not _filled(out.get(name)) and _filled(fields.get(name)):
                out[name] = fields[name]
        location = out.get("location") or {}
        if not location.get("department_code") and (fields.get("location") or {}).get("department_code"):
            out["location"] = fields["location"]
        out["grades"] = list(dict.fromkeys([*(out.get("grades") or []), *(fields.get("grades") or [])]))
        if not out.get("category"):
            spanned = {*(out.get("categories") or []), *(fields.get("categories") or [])}
            out["categories"] = [c for c in ORDER if c in spanned]
    return out


def unlisted_deadline(canonical: dict, others: list[tuple[str, dict]]) -> dict:
    """A page outside the listing is fetched once, and no listing proves it still open: the
    open-data file's publication window (re-read every week) ends it, when earlier than the
    page's own deadline or when the page has none."""
    ends = [f["deadline"] for source, f in others if source == OPEN_DATA_FILE and f.get("deadline")]
    if not ends:
        return canonical
    end = min(ends)
    if canonical.get("deadline") and canonical["deadline"] <= end:
        return canonical
    return {**canonical, "deadline": end}

"""normalize_posting: one raw posting record (docs/architecture.md) -> the normalised offer fields."""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Callable

from pipeline.normalize.category import normalize_category
from pipeline.normalize.contract import normalize_contract
from pipeline.normalize.dates import normalize_date
from pipeline.normalize.employer import normalize_employer, title_suffix
from pipeline.normalize.location import normalize_location
from pipeline.normalize.reference import normalize_reference, reference_from_url
from pipeline.normalize.remote import normalize_remote
from pipeline.normalize.territorial_board import apply_board_fields
from pipeline.normalize.text import clean, is_blank
from pipeline.normalize.title import normalize_title
from pipeline.normalize.versant import normalize_versant

LOCATION_KEYS = ("label", "city", "postal_code", "insee", "department_code", "department", "region_code", "region")
_REMOTE_IN_LOCATION = re.compile(r"\(\s*t[ée]l[ée]-?travail[^)]*\)", re.IGNORECASE)
_ASTERISKS = re.compile(r"\s*\*+\s*")
_SUFFIX_SEP = re.compile(r"\s+[-–—]\s+")


_LOCATE: Callable[[str | None], dict] = normalize_location  # replaceable in tests


@lru_cache(maxsize=65536)
def _locate(value: str | None, department: str | None = None) -> tuple[tuple[str, object], ...]:
    if department is None:
        return tuple(_LOCATE(value).items())
    return tuple(_LOCATE(value, department=department).items())


def _rank(loc: dict) -> int:
    """How precise a resolved location is: 3 city, 2 department, 1 region, 0 nothing."""
    if loc.get("city") or loc.get("insee") or loc.get("postal_code"):
        return 3 if loc.get("department_code") else 0
    if loc.get("department_code"):
        return 2
    return 1 if loc.get("region_code") else 0


def resolve_location(precise: str | None, area: str | None) -> dict:
    """The most precise resolved of the two strings; never a city of one department with another department.

    When both resolve to different departments, the board's coarser structured field (`area`) wins.
    """
    second = dict(_locate(area)) if area else None
    first = dict(_locate(precise)) if precise else None
    if first and second and second.get("department_code") and not first.get("department_code"):
        # the board's department settles an ambiguous town of the precise string
        first = dict(_locate(precise, second["department_code"]))
    if not first:
        return second or dict.fromkeys(LOCATION_KEYS)
    if not second:
        return first
    dep1, dep2 = first.get("department_code"), second.get("department_code")
    if dep1 and dep2 and dep1 != dep2:
        return second
    if not dep1 and second.get("region_code") and first.get("region_code") not in (None, second.get("region_code")):
        return second
    return first if _rank(first) >= _rank(second) else second


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    return None if is_blank(value) else clean(str(value))


def normalize_posting(raw: dict, now: datetime | None) -> dict:
    """Apply every field normaliser to one raw posting; `unresolved` lists fields given but not understood."""
    unresolved: list[str] = []

    def check(name: str, given: object, result: object) -> None:
        if not is_blank(given) and result is None:
            unresolved.append(name)

    title_raw = raw.get("title")
    employer = normalize_employer(raw.get("employer"), title_raw)
    if employer["employer_category"] is None and not is_blank(raw.get("employer_category")):
        category_only = normalize_employer(raw.get("employer_category"), title_raw)
        if employer["employer"] is None:
            employer = category_only
        else:
            employer = {**employer, "employer_category": category_only["employer_category"] or clean(raw["employer_category"])}
    display_source = title_raw
    if employer["employer_category"] and employer["employer"] and title_suffix(title_raw) == employer["employer"]:
        display_source = _SUFFIX_SEP.split(clean(title_raw) or "")
        display_source = " - ".join(display_source[:-1]) if len(display_source) > 1 else title_raw
    title = normalize_title(display_source)
    check("title", title_raw, title["title"])
    check("employer", raw.get("employer"), employer["employer"] or employer["employer_category"])

    reference = normalize_reference(raw.get("reference"))["reference"]
    check("reference", raw.get("reference"), reference)
    if reference is None:
        reference = reference_from_url(raw.get("url"))

    versant = normalize_versant(raw.get("versant"))["versant"]
    check("versant", raw.get("versant"), versant)
    category = normalize_category(raw.get("category"), raw.get("grades"))
    check("category", f"{raw.get('category') or ''}{raw.get('grades') or ''}", category["category"])
    contract = normalize_contract(raw.get("contract"))["contract"]
    check("contract", raw.get("contract"), contract)

    location_raw = _text(raw, "location")
    remote = normalize_remote(raw.get("remote"))["remote"]
    check("remote", raw.get("remote"), remote)
    if remote is None and location_raw and _REMOTE_IN_LOCATION.search(location_raw):
        remote = normalize_remote(_REMOTE_IN_LOCATION.search(location_raw).group(0))["remote"]
    if location_raw:
        location_raw = clean(_REMOTE_IN_LOCATION.sub(" ", location_raw))
    location = resolve_location(location_raw, _text(raw, "location_area") or _text(raw, "region"))
    check("location", location_raw or _text(raw, "location_area"), location.get("department_code") or location.get("region_code"))

    published = normalize_date(raw.get("published"), now)
    deadline = normalize_date(raw.get("deadline"), now)["date"]
    check("published", raw.get("published"), published["date"])
    check("deadline", raw.get("deadline"), deadline)
    if deadline is None and published["end"]:
        deadline = published["end"]

    metier = _text(raw, "metier")
    metier = clean(_ASTERISKS.sub(" ", metier)) if metier else None
    return apply_board_fields(raw, {
        "title": title["title"],
        "title_raw": title_raw,
        "title_key": title["title_key"],
        "positions": title["positions"],
        "reference": reference,
        "employer": employer["employer"],
        "employer_key": employer["employer_key"],
        "employer_category": employer["employer_category"],
        "versant": versant,
        "category": category["category"],
        "grades": category["grades"],
        "categories": category["categories"],
        "contract": contract,
        "remote": remote,
        "metier": metier,
        "domain": _text(raw, "domain"),
        "location": location,
        "published_on": published["date"],
        "deadline": deadline,
        "url": raw.get("url"),
        "missions_html": raw.get("missions_html"),
        "profile_html": raw.get("profile_html"),
        "about_html": raw.get("about_html"),
        "experience": _text(raw, "experience"),
        "salary": _text(raw, "salary"),
        # what emploi-territorial.fr adds (filled by apply_board_fields), null for other boards
        "apply_url": None, "starts_on": None, "filiere": None, "working_time": None, "description_html": None,
        "classify_domain": _text(raw, "domain"),  # the domain the classifier may trust
        "unresolved": unresolved,
    })

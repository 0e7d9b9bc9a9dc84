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
from pipeline.normalize.insee import location_from_insee
from pipeline.normalize.location import normalize_location
from pipeline.normalize.reference import normalize_reference, reference_from_url
from pipeline.normalize.remote import normalize_remote
from pipeline.normalize.salary import normalize_salary
from pipeline.normalize.territorial_board import apply_board_fields
from pipeline.normalize.text import clean, is_blank
from pipeline.normalize.title import normalize_title
from pipeline.normalize.versant import normalize_versant
from pipeline.sanitize import encode_url, plain_text

LOCATION_KEYS = ("label", "city", "postal_code", "insee", "department_code", "department", "region_code", "region",
                 "territory_code", "territory", "territory_kind")
_REMOTE_IN_LOCATION = re.compile(r"\(\s*t[ée]l[ée]-?travail[^)]*\)", re.IGNORECASE)
_ASTERISKS = re.compile(r"\s*\*+\s*")
_SUFFIX_SEP = re.compile(r"\s+[-–—]\s+")


# Raw text fields that are plain text in the offer: markup and invisible characters removed
# before any normaliser reads them (line breaks kept: grades and employers are split on them).
PLAIN_FIELDS = ("title", "reference", "employer", "employer_category", "location", "location_area", "region",
                "category", "grades", "versant", "contract", "remote", "metier", "domain", "published",
                "modified", "deadline", "experience", "salary", "management", "post_status")
_PLAIN = frozenset(PLAIN_FIELDS)


def plain_record(raw: dict) -> dict:
    """The raw record with its plain-text fields cleaned (`pipeline.sanitize.plain_text`)
    and its URL's non-ASCII characters percent-encoded; other keys unchanged."""
    out = dict(raw)
    for name, value in raw.items():
        if name in _PLAIN and value.__class__ is str:
            out[name] = plain_text(value, True)  # positional: the cheapest cache key
    if isinstance(raw.get("url"), str):
        out["url"] = encode_url(raw["url"])
    return out


_LOCATE: Callable[[str | None], dict] = normalize_location  # replaceable in tests


@lru_cache(maxsize=65536)
def _locate(value: str | None, department: str | None = None) -> tuple[tuple[str, object], ...]:
    if department is None:
        return tuple(_LOCATE(value).items())
    return tuple(_LOCATE(value, department=department).items())


def _territory(loc: dict) -> str | None:
    """The département or overseas collectivity code of a resolved location."""
    return loc.get("territory_code") or loc.get("department_code")


def _rank(loc: dict) -> int:
    """How precise a resolved location is: 3 city, 2 department (or collectivity), 1 region, 0 nothing."""
    if loc.get("city") or loc.get("insee") or loc.get("postal_code"):
        return 3 if _territory(loc) else 0
    if _territory(loc):
        return 2
    return 1 if loc.get("region_code") else 0


def resolve_location(precise: str | None, area: str | None) -> dict:
    """The most precise resolved of the two strings; never a city of one department with another department.

    When both resolve to different departments, the board's coarser structured field (`area`) wins.
    """
    second = dict(_locate(area)) if area else None
    first = dict(_locate(precise)) if precise else None
    if first and second and _territory(second) and not _territory(first):
        # the board's department settles an ambiguous town of the precise string
        first = dict(_locate(precise, _territory(second)))
    if not first:
        return second or dict.fromkeys(LOCATION_KEYS)
    if not second:
        return first
    dep1, dep2 = _territory(first), _territory(second)
    if dep1 and dep2 and dep1 != dep2:
        return second
    if not dep1 and second.get("region_code") and first.get("region_code") not in (None, second.get("region_code")):
        return second
    return first if _rank(first) >= _rank(second) else second


def _text(raw: dict, name: str) -> str | None:
    value = raw.get(name)
    return None if is_blank(value) else clean(str(value))


def _salary_details(value: object) -> dict | None:
    """Amounts and the period checked against them (`pipeline.normalize.salary`); None without an amount."""
    found = normalize_salary(value if isinstance(value, str) else None)
    if found["salary_min"] is None:
        return None
    return {"min": found["salary_min"], "max": found["salary_max"], "period": found["salary_period"],
            "note": found["salary_note"]}


def normalize_posting(raw: dict, now: datetime | None) -> dict:
    """Apply every field normaliser to one raw posting; `unresolved` lists fields given but not understood."""
    unresolved: list[str] = []
    raw = plain_record(raw)

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
    extra = raw.get("extra") if isinstance(raw.get("extra"), dict) else {}
    location = location_from_insee(extra.get("location_insee"), extra.get("location_postal_code"), location_raw) \
        or resolve_location(location_raw, _text(raw, "location_area") or _text(raw, "region"))
    check("location", location_raw or _text(raw, "location_area"), _territory(location) or location.get("region_code"))

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
        "title_raw": plain_text(title_raw),
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
        "salary_details": _salary_details(raw.get("salary")),
        "modified_on": normalize_date(raw.get("modified"), now)["date"] if raw.get("modified") else None,
        "relayed_references": [r for r in extra.get("relayed_references") or () if isinstance(r, str)],
        "unresolved": unresolved,
    })

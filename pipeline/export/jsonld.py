"""schema.org JobPosting (JSON-LD) for search engines, with a check of the required properties.

Google's required properties: `title`, `description` (HTML), `datePosted`,
`hiringOrganization` (an Organization), `jobLocation` (a Place whose address is a
PostalAddress with `addressCountry`). Recommended ones written when the data
supports them: `validThrough` (the deadline), `identifier` (the board's
reference), `jobLocationType: TELECOMMUTE` (remote work possible), `directApply`
(false: the link is the offer's page, not an application form). `employmentType`
is not written: the board says who may apply, not the working time.
An offer missing a required property is left out and named (see docs/export.md).
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import IO, Iterable
from urllib.parse import urlsplit

CONTEXT = "https://schema.org"
COUNTRY = "FR"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def description_html(entry: dict) -> str | None:
    """Missions, profile and employer presentation (already sanitised), in one HTML text."""
    parts = [(label, entry.get(key)) for label, key in (("Missions", "missions_html"), ("Profil", "profile_html"),
                                                          ("L'employeur", "about_html"))]
    html = "".join(f"<h3>{label}</h3>{value}" for label, value in parts if value)
    return html or None


def postal_address(location: dict) -> dict:
    """A PostalAddress from the export's location (unknown parts left out)."""
    address = {"@type": "PostalAddress", "addressLocality": location.get("city"),
               "postalCode": location.get("postal_code"),
               "addressRegion": location.get("region") or location.get("territory"),  # overseas collectivities
               "addressCountry": COUNTRY}
    return {k: v for k, v in address.items() if v}


def job_posting(entry: dict) -> dict:
    """One export entry as a schema.org JobPosting (properties the data does not give are absent)."""
    location = entry.get("location") or {}
    employer = entry.get("employer")  # an employer category ('Conseils départementaux') names no organization
    posting: dict = {
        "@context": CONTEXT, "@type": "JobPosting", "title": entry.get("title"),
        "description": description_html(entry),
        "datePosted": entry.get("published_on") or (entry.get("first_seen_at") or "")[:10] or None,
        "url": entry.get("url"),
    }
    if employer:
        posting["hiringOrganization"] = {"@type": "Organization", "name": employer}
    if any(location.get(k) for k in ("city", "department", "region", "territory")):
        posting["jobLocation"] = {"@type": "Place", "address": postal_address(location)}
    if entry.get("deadline"):
        posting["validThrough"] = entry["deadline"]
    if entry.get("reference"):
        source = (entry.get("sources") or [{}])[0]
        posting["identifier"] = {"@type": "PropertyValue", "name": urlsplit(source.get("url") or entry["url"]).hostname,
                                 "value": entry["reference"]}
    if entry.get("remote"):
        posting["jobLocationType"] = "TELECOMMUTE"
    posting["directApply"] = False
    if entry.get("metier"):
        posting["occupationalCategory"] = entry["metier"]
    return {k: v for k, v in posting.items() if v is not None}


def is_date(value) -> bool:
    """An ISO 8601 date (or date-time) string."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def missing_required(posting: dict) -> list[str]:
    """The required JobPosting properties that are missing or malformed (empty: valid)."""
    problems = []
    if posting.get("@type") != "JobPosting":
        problems.append("@type")
    for key in ("title", "description"):
        if not isinstance(posting.get(key), str) or not posting[key].strip():
            problems.append(key)
    if not is_date(posting.get("datePosted")):
        problems.append("datePosted")
    org = posting.get("hiringOrganization")
    if not (isinstance(org, dict) and org.get("@type") == "Organization" and org.get("name")):
        problems.append("hiringOrganization")
    place = posting.get("jobLocation")
    address = place.get("address") if isinstance(place, dict) else None
    if not (isinstance(place, dict) and place.get("@type") == "Place" and isinstance(address, dict)
            and address.get("@type") == "PostalAddress" and address.get("addressCountry")):
        problems.append("jobLocation")
    if "validThrough" in posting and not is_date(posting["validThrough"]):
        problems.append("validThrough")
    return problems


def build_jsonld(entries: Iterable[dict]) -> tuple[dict, list[str]]:
    """(the JSON-LD document with one JobPosting per valid offer, notes on the offers left out)."""
    graph, left_out = [], []
    for entry in entries:
        posting = job_posting(entry)
        problems = missing_required(posting)
        if problems:
            left_out.append(f"offer {entry['id']} ({entry.get('reference') or 'no reference'}): "
                            f"missing {', '.join(problems)}")
            continue
        posting.pop("@context")
        graph.append(posting)
    return {"@context": CONTEXT, "@graph": graph}, left_out


def write_jsonld(document: dict, handle: IO[str]) -> None:
    """The JSON-LD document, indented."""
    json.dump(document, handle, ensure_ascii=False, indent=1)
    handle.write("\n")


def count_postings(path: Path) -> int | None:
    """How many JobPostings a JSON-LD export already at `path` holds."""
    try:
        return len(json.loads(path.read_text(encoding="utf-8"))["@graph"])
    except (OSError, ValueError, KeyError, TypeError):
        return None

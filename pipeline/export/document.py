"""The portal contract, version 1: the export document, built and checked.

The contract is documented in docs/export.md and fixed by
docs/export-v1.schema.json; every export is validated before it is written.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import jsonschema
from sqlite_utils import Database

from pipeline import labels
from pipeline.classify import taxonomy_version
from pipeline.export.selection import Selection, select_offers
from pipeline.sanitize import sanitize_html

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "docs" / "export-v1.schema.json"
LOCATION_KEYS = ("label", "city", "postal_code", "insee", "department_code", "department", "region_code", "region")


@lru_cache(maxsize=1)
def export_schema() -> dict:
    """The JSON Schema of the export document."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def loads(value, default):
    """A JSON column as stored by sqlite-utils (text), decoded."""
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value


def offer_entry(row: dict) -> dict:
    """One offer of the export from an `offers` row."""
    location = loads(row["location"], {})
    remote = row["remote"]
    return {
        "id": row["id"],
        "reference": row["reference"],
        "title": row["title"] or row["title_raw"],
        "title_raw": row["title_raw"] or row["title"],
        "employer": row["employer"],
        "employer_category": row["employer_category"],
        "versant": row["versant"],
        "category": row["category"],
        "categories": loads(row["categories"], []),
        "grades": loads(row["grades"], []),
        "contract": row["contract"],
        "remote": None if remote is None else bool(remote),
        "metier": row["metier"],
        "domain": row["domain"],
        "location": {**{k: location.get(k) for k in LOCATION_KEYS}, "display": labels.location_display(location)},
        "digital": bool(row["digital"]),
        "family": row["family"],
        "published_on": row["published_on"],
        "deadline": row["deadline"],
        "first_seen_at": row["first_seen_at"],
        "last_seen_at": row["last_seen_at"],
        "status": row["status"],
        "url": row["url"],
        "sources": loads(row["sources"], []),
        "missions_html": sanitize_html(row["missions_html"]),
        "profile_html": sanitize_html(row["profile_html"]),
        "about_html": sanitize_html(row.get("about_html")),
        "experience": row.get("experience"),
        "salary": row.get("salary"),
        "apply_url": row.get("apply_url"),
        "starts_on": row.get("starts_on"),
        "filiere": row.get("filiere"),
        "working_time": row.get("working_time"),
        "description_html": sanitize_html(row.get("description_html")),
        "updated_at": row.get("updated_at"),
        "closed_at": row.get("closed_at"),
        "status_reason": row.get("status_reason"),
        "family_label": labels.family_label(row["family"]),
        "category_label": labels.category_label(row["category"]),
        "versant_label": labels.versant_label(row["versant"]),
        "contract_label": labels.contract_label(row["contract"]),
    }


def build_export(db: Database, include_all: bool = False, now: datetime | None = None,
                 selection: Selection | None = None) -> dict:
    """The export document: open digital offers (every offer with `include_all`)."""
    selection = selection or Selection(include_all=include_all)
    offers = [offer_entry(r) for r in select_offers(db, selection)]
    generated = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return {"schema_version": SCHEMA_VERSION, "generated_at": generated.isoformat(),
            "taxonomy_version": taxonomy_version(), "count": len(offers), "offers": offers}


def validate_export(document: dict) -> None:
    """Raise jsonschema.ValidationError if the document breaks the contract."""
    validator = jsonschema.Draft202012Validator(export_schema(), format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise error

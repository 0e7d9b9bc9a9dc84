"""The portal contract, version 1: build, check and write the JSON export.

The contract is documented in docs/export.md and fixed by
docs/export-v1.schema.json; every export is validated before it is written.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import jsonschema
from sqlite_utils import Database

from pipeline.sanitize import sanitize_html

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "docs" / "export-v1.schema.json"
LOCATION_KEYS = ("label", "city", "postal_code", "insee", "department_code", "department", "region_code", "region")
MAX_DROP = 0.5  # refuse an export that loses more than half of the previous one


class ExportRefused(Exception):
    """The export would publish something that looks broken; nothing was written."""


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
        "location": {k: location.get(k) for k in LOCATION_KEYS},
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
    }


def build_export(db: Database, include_all: bool = False, now: datetime | None = None) -> dict:
    """The export document: open digital offers (every offer with `include_all`)."""
    where = "" if include_all else "where status = 'open' and digital = 1"
    rows = db.query(f"select * from offers {where} order by published_on is null, published_on desc, id")
    offers = [offer_entry(r) for r in rows]
    generated = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return {"schema_version": SCHEMA_VERSION, "generated_at": generated.isoformat(),
            "count": len(offers), "offers": offers}


def validate_export(document: dict) -> None:
    """Raise jsonschema.ValidationError if the document breaks the contract."""
    validator = jsonschema.Draft202012Validator(export_schema(), format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise error


def previous_count(path: Path) -> int | None:
    """The offer count of the export already at `path`, if it is one."""
    try:
        return int(json.loads(path.read_text(encoding="utf-8"))["count"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def unhealthy_sources(db: Database) -> list[str]:
    """Sources whose latest crawl was incomplete or unhealthy, with why."""
    rows = db.query(
        "select r.* from runs r join (select source, max(id) as id from runs where kind = 'crawl' "
        "group by source) last on last.id = r.id")
    return [f"{r['source']} (run {r['id']}): {r['health_notes'] or r['finish_reason']}"
            for r in rows if not r["healthy"]]


def check_export(db: Database, document: dict, output: Path, force: bool = False,
                 allow_empty: bool = False) -> None:
    """Refuse (ExportRefused) an export that would replace a good one with a broken one."""
    if document["count"] == 0 and not allow_empty:
        raise ExportRefused("the export would hold no offer (use --allow-empty to write it anyway)")
    if force:
        return
    bad = unhealthy_sources(db)
    if bad:
        raise ExportRefused("the latest crawl looks broken, keeping the previous export: " + "; ".join(bad)
                            + " (use --force to export anyway)")
    before = previous_count(output)
    if before and document["count"] < before * (1 - MAX_DROP):
        raise ExportRefused(f"the export would drop from {before} to {document['count']} offers "
                            f"(more than {int(MAX_DROP * 100)}%); use --force to write it anyway")


def write_export(document: dict, output: Path) -> None:
    """Write atomically: a temporary file in the same folder, then a rename."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_offers(db: Database, output: Path, include_all: bool = False, force: bool = False,
                  allow_empty: bool = False, now: datetime | None = None) -> dict:
    """Build, validate, check and write the export; returns the document."""
    document = build_export(db, include_all=include_all, now=now)
    validate_export(document)
    check_export(db, document, output, force=force, allow_empty=allow_empty)
    write_export(document, output)
    return document

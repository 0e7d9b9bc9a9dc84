"""The changes feed: what the rebuilds changed since a run or a date, for portals that sync incrementally.

Read from the `events` table (one row per change a rebuild made). Each change
carries its kind (`new`, `updated` with the fields that changed, `closed` with
the reason, `reopened`, `merged` into another offer) and, when the offer still
exists, its current entry of the contract. Fixed by docs/changes-v1.schema.json.
A portal keeps `until_run` and asks next time with `--since-run` that number.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlite_utils import Database

from pipeline.export.document import SCHEMA_PATH, SetAside, export_schema, first_error, loads, offer_entry
from pipeline.export.selection import Selection, register_functions

CHANGES_SCHEMA_VERSION = 1
CHANGES_SCHEMA_PATH = SCHEMA_PATH.with_name("changes-v1.schema.json")


@lru_cache(maxsize=1)
def changes_schema() -> dict:
    """The JSON Schema of the changes feed."""
    return json.loads(CHANGES_SCHEMA_PATH.read_text(encoding="utf-8"))


def filtered(selection: Selection) -> bool:
    """Whether the selection names families, employers, versants or regions."""
    return bool(selection.families or selection.employers or selection.versants or selection.regions)


def utc_text(since: str) -> str:
    """An ISO date as given, an ISO date-time in UTC as the events table stores it ('…+00:00')."""
    if len(since) <= 10:
        return since
    moment = datetime.fromisoformat(since)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def build_changes(db: Database, selection: Selection | None = None, since_run: int | None = None,
                  since: str | None = None, now: datetime | None = None) -> dict:
    """The changes after run `since_run` (exclusive) and at or after `since` (an ISO date or date-time).

    Without either, the changes of the latest run that made any. The selection's
    filters apply to the offers (whatever their status: a closed offer's change is
    kept); without `--all`, only digital offers. A change whose offer no longer
    exists (merged away) is kept unless a filter is given, since it cannot be judged.
    """
    selection = selection or Selection()
    clauses, params = [], []
    if since_run is not None:
        clauses.append("run_id > ?")
        params.append(since_run)
    if since:
        clauses.append("at >= ?")
        params.append(utc_text(since))
    if since_run is None and not since:
        clauses.append("run_id = (select max(run_id) from events)")
    rows = list(db.query(f"select * from events where {' and '.join(clauses)} order by id", params))
    scope = Selection(include_all=True, families=selection.families, employers=selection.employers,
                      versants=selection.versants, regions=selection.regions)
    where, where_params = scope.where()
    register_functions(db)
    if not selection.include_all:
        where += " and digital = 1"
    ids = sorted({r["offer_id"] for r in rows})
    offers, known = {}, set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" * len(chunk))
        known.update(r["id"] for r in db.query(f"select id from offers where id in ({marks})", chunk))
        query = f"select * from offers where {where} and id in ({marks})"
        offers.update({o["id"]: offer_entry(o) for o in db.query(query, [*where_params, *chunk])})
    changes = []
    for row in rows:
        entry = offers.get(row["offer_id"])
        if entry is None and (row["offer_id"] in known or filtered(selection)):
            continue  # outside the selection
        fields = loads(row["fields"], None)
        changes.append({
            "event_id": row["id"], "run_id": row["run_id"], "at": row["at"], "kind": row["kind"],
            "offer_id": row["offer_id"], "reference": row["reference"], "title": row["title"],
            "fields": fields if row["kind"] == "updated" else None,
            "merged_into": fields if row["kind"] == "merged" else None,
            "reason": row["reason"], "offer": entry})
    generated = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    last_run = next(db.query("select max(run_id) as run from events"))["run"]
    return {"schema_version": CHANGES_SCHEMA_VERSION, "generated_at": generated.isoformat(),
            "since": {"run": since_run, "at": since}, "until_run": last_run,
            "count": len(changes), "changes": changes}


def set_aside_invalid_changes(document: dict) -> list[SetAside]:
    """Remove every change whose offer breaks the export contract (the count follows); returns them."""
    kept, aside = [], []
    for change in document["changes"]:
        error = first_error(change["offer"], "offer") if change["offer"] is not None else None
        if error is None:
            kept.append(change)
        else:
            aside.append(SetAside.from_error(change["offer"], error))
    document["changes"], document["count"] = kept, len(kept)
    return aside


def validate_changes(document: dict) -> None:
    """Raise jsonschema.ValidationError if the feed breaks its schema (offers checked by the export's)."""
    registry = Registry().with_resource("export-v1.schema.json",
                                        Resource.from_contents(export_schema(), default_specification=DRAFT202012))
    validator = jsonschema.Draft202012Validator(changes_schema(), registry=registry,
                                                format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        raise error


def count_changes(path: Path) -> int | None:
    """Not used for the drop rule (a changes feed may shrink): None."""
    return None

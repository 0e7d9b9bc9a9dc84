"""Exports for the portals: one selection of offers, one module per format.

`document` builds and validates the JSON contract (version 1), `selection`
chooses the offers, `safety` refuses to replace a good file with a broken one,
`files` writes atomically, `prebuilt` keeps each offer's entry built and validated
(the rebuild refreshes them; the JSON export streams them). `formats.export_as` writes any format (`jsonl`,
`changes`, `jsonld`, `feeds` for rss/atom, `csvfile`, `html`) with those rules.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from pipeline.export.document import (LOCATION_KEYS, SCHEMA_VERSION, SetAside, build_export, export_schema,
                                      offer_entry, set_aside_invalid, validate_export)
from pipeline.export.files import write_atomic, write_export
from pipeline.export.safety import (MAX_DROP, ExportRefused, check_export, previous_count, record_set_aside,
                                    unhealthy_sources)
from pipeline.export.selection import Selection, select_offers

__all__ = ["ExportRefused", "LOCATION_KEYS", "MAX_DROP", "SCHEMA_VERSION", "Selection", "SetAside", "build_export",
           "check_export", "export_offers", "export_schema", "offer_entry", "previous_count", "record_set_aside",
           "select_offers", "set_aside_invalid", "unhealthy_sources", "validate_export", "write_atomic",
           "write_export"]


def export_offers(db: Database, output: Path, include_all: bool = False, force: bool = False,
                  allow_empty: bool = False, now: datetime | None = None,
                  set_aside: list[SetAside] | None = None) -> dict:
    """Build, validate, check and write the JSON export; returns the document.

    An offer that breaks the contract is left out and recorded (a run of kind `export`
    with one error each); the list `set_aside`, when given, receives them. The safety
    rules apply to the offers that remain.
    """
    document = build_export(db, include_all=include_all, now=now)
    aside = set_aside_invalid(document)
    record_set_aside(db, aside)
    if set_aside is not None:
        set_aside.extend(aside)
    check_export(db, document, output, force=force, allow_empty=allow_empty)
    write_export(document, output)
    return document

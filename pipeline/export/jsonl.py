"""JSON lines: one offer entry of the contract (version 1) a line, in the export's order.

No envelope: each line is exactly an element of the JSON document's `offers`,
validated against the contract's offer schema before anything is written.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Iterable

import jsonschema

from pipeline.export.document import export_schema


def offer_validator() -> jsonschema.Draft202012Validator:
    """A validator of one offer entry (the contract's `$defs/offer`)."""
    schema = export_schema()
    return jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/offer"},
                                           format_checker=jsonschema.FormatChecker())


def validate_lines(entries: Iterable[dict]) -> None:
    """Raise jsonschema.ValidationError for the first entry that breaks the contract."""
    validator = offer_validator()
    for entry in entries:
        error = jsonschema.exceptions.best_match(validator.iter_errors(entry))
        if error is not None:
            raise error


def write_jsonl(entries: Iterable[dict], handle: IO[str]) -> None:
    """One compact JSON object a line, UTF-8 kept as is."""
    for entry in entries:
        handle.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")


def count_lines(path: Path) -> int | None:
    """How many offers a JSON lines export already at `path` holds."""
    try:
        with path.open(encoding="utf-8") as handle:
            return sum(1 for line in handle if line.strip())
    except (OSError, UnicodeDecodeError):
        return None

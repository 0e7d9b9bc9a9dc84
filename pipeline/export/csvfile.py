"""CSV: one row per offer, the contract's fields flattened, for spreadsheets.

Nested fields become columns: `location.city`, ...; lists are joined with " | "
(`categories`, `grades`); `sources` becomes `sources.urls` and `sources.names`;
booleans are `true`/`false`, unknown is an empty cell. A text cell that a
spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a
leading apostrophe, which `read_csv` removes. `bom=True` starts the
file with a UTF-8 byte order mark (Excel), `delimiter=";"` suits French Excel.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import IO, Iterable

from pipeline.export.document import LOCATION_KEYS

LIST_SEPARATOR = " | "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "id", "reference", "title", "title_raw", "employer", "employer_category", "versant", "category",
    "categories", "grades", "contract", "remote", "metier", "domain",
    *(f"location.{k}" for k in (*LOCATION_KEYS, "display")),
    "digital", "family", "published_on", "deadline", "first_seen_at", "last_seen_at", "status", "url",
    "sources.names", "sources.urls", "updated_at", "closed_at", "status_reason", "experience", "salary",
    "family_label", "category_label", "versant_label", "contract_label",
    "missions_html", "profile_html", "about_html",
)


def cell(value) -> str:
    """One value as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) or text.startswith("'") else text


def uncell(text: str) -> str:
    """A cell as written back to its text (the formula guard removed)."""
    return text[1:] if text.startswith("'") else text


def flatten(entry: dict) -> dict[str, str]:
    """An export entry as one CSV row (COLUMNS)."""
    row = {}
    for column in COLUMNS:
        if column.startswith("location."):
            value = (entry.get("location") or {}).get(column.split(".", 1)[1])
        elif column == "sources.names":
            value = [s.get("source") for s in entry.get("sources") or []]
        elif column == "sources.urls":
            value = [s.get("url") for s in entry.get("sources") or []]
        else:
            value = entry.get(column)
        row[column] = cell(value)
    return row


def write_csv(entries: Iterable[dict], handle: IO[str], delimiter: str = ",", bom: bool = False) -> None:
    """The header then one row per offer (RFC 4180 quoting, CRLF line ends)."""
    if bom:
        handle.write("\ufeff")
    writer = csv.DictWriter(handle, fieldnames=COLUMNS, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL,
                            lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow(flatten(entry))


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV export (either delimiter, with or without the BOM)."""
    text = path.read_text(encoding="utf-8-sig")
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [{k: uncell(v) for k, v in row.items()} for row in reader]


def count_rows(path: Path) -> int | None:
    """How many offers a CSV export already at `path` holds."""
    try:
        return len(read_csv(path))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None

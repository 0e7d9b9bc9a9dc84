"""Records of a `;`-separated CSV file cut by their bytes.

Pure: a binary stream in, records out. A record is the bytes of one CSV row, its
newline included. Nothing is decoded or split into cells, so that a row unchanged since
last week is recognised by its digest alone; `record_cells` parses, and checks the
quoting of, the records that need it.
"""
from __future__ import annotations

import csv
import hashlib
import re
from typing import BinaryIO, Iterator

MAX_LINES = 100_000  # a quoted cell open that long is a stray quote: read the file another way
BOM = "\ufeff".encode()
# One record of plain CSV: cells quoted (quotes doubled inside) or bare (no quote, `;` or newline).
_CELL = rb'(?:"[^"]*+(?:""[^"]*+)*+"|[^";\r\n]*+)'
_RECORD = re.compile(_CELL + rb"(?:;" + _CELL + rb")*+(?:\r?\n)?")


class RecordTooLong(ValueError):
    """A quoted cell left open for more than MAX_LINES lines."""


def record_digest(data: bytes) -> str:
    """What tells a record from its last week's self: a 64-bit BLAKE2b of its bytes."""
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def read_records(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(first line, bytes) of each record of a binary CSV stream, the header first: lines are
    joined while a quoted cell is open (an odd count of quotes so far)."""
    number, start, parts, quotes = 0, 1, [], 0
    for raw in stream:
        number += 1
        if not parts:
            start = number
        parts.append(raw)
        quotes += raw.count(b'"')
        if not quotes & 1:
            yield start, parts[0] if len(parts) == 1 else b"".join(parts)
            parts, quotes = [], 0
        elif len(parts) > MAX_LINES:
            raise RecordTooLong(f"line {start}: a quoted cell open for more than {MAX_LINES:,} lines")
    if parts:
        yield start, b"".join(parts)


def record_cells(data: bytes) -> list[str] | None:
    """The cells of one record (a leading BOM dropped); None when its quoting is not plain CSV
    (then the record's bounds cannot be trusted: read the file with the csv module).
    UnicodeDecodeError for bytes that are not UTF-8."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    if _RECORD.fullmatch(data) is None:
        return None
    return next(csv.reader((data.decode("utf-8"),), delimiter=";", quotechar='"'), [])

"""The weekly open-data file as one run: checked, read as a stream, the digital offers kept.

Only rows that matter are stored as raw postings: open rows the classifier finds
digital, and rows of references already stored (so an offer the file shows closed is
closed). The others are counted, and the file itself is kept with the run, so a new
classifier can read it again without the network. Nothing is written unless the file
passes its checks (header, size and rows against the last accepted file).
"""
from __future__ import annotations

import heapq
import itertools
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from sqlite_utils import Database

from parsers.csp_opendata import (COLUMNS, PARSER_VERSION, SOURCE, Row, RowError, header_problem, parse_row,
                                  publication_window, read_cells, row_width_error)
from parsers.csv_records import RecordTooLong, digest_text, record_batches, record_cells
from pipeline.classify import classify
from pipeline.detail_queue import QueueChange, update_queue
from pipeline.file_source import FileSource, StreamBroken
from pipeline.opendata_verdicts import Latest, Verdicts
from pipeline.record import RawPosting
from pipeline.store import record_errors, write_raw_postings

BATCH_SIZE = 500
WIDTH = len(COLUMNS)
REFERENCE = COLUMNS.index("Référence")
PENDING = 1000  # rows read before their verdicts are asked for together
CUT_BATCH = 4096  # records cut between two looks at what was settled


@dataclass
class FileChecks:
    """What a file must reach: absolute floors on a first run, a share of the last accepted file after."""

    min_bytes: int = 10_000_000
    min_rows: int = 20_000
    min_ratio: float = 0.5


@dataclass
class FileReading:
    """What reading one file found."""

    rows: int = 0
    references: int = 0
    variants: int = 0            # rows of a reference seen before (the latest publication start wins)
    open_rows: int = 0
    digital_open_rows: int = 0
    classified: int = 0          # rows the classifier ran on (the others' verdict was known)
    settled: int = 0             # rows unchanged since the last file, settled by their digest alone
    errors: list[dict] = field(default_factory=list)
    queue: QueueChange = field(default_factory=QueueChange)  # detail pages queued for the CSP spider
    selected: dict[str, dict] = field(default_factory=dict)   # reference -> raw record to store (changed or new)
    unchanged: set[str] = field(default_factory=set)  # stored offers whose row is the last accepted file's: kept as is
    # reference -> (digest, digital, rank) of the rows read (not those settled: their stored verdict stands)
    digests: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    digital_open: dict[str, tuple[str, int]] = field(default_factory=dict)  # reference -> (digest, rank)
    whole: bool = False          # read to its end (a file refused on its size or rows only was)

    def error(self, name: str, error: RowError) -> None:
        """Note a row that cannot be read, by file name, line and column."""
        self.errors.append({"location": f"{name}:{error.line}", "field": error.column, "message": error.message})

    def count_row(self, progress: Callable[[int], None] | None) -> None:
        """Count a row read (and say so every 20,000)."""
        self.rows += 1
        if progress and self.rows % 20_000 == 0:
            progress(self.rows)


class Known(set):
    """References already stored, from any source; `from_file` those of them stored from this
    file (a reference only the live crawl stored gets the file's row stored too, changed or not)."""

    def __init__(self, references: Iterable[str] = (), from_file: Iterable[str] | None = None) -> None:
        super().__init__(references)
        self.from_file = set(self if from_file is None else from_file)


def known_references(db: Database) -> Known:
    """References already stored, from any source (`Known.from_file`: those stored from this file)."""
    rows = db.execute("select reference, max(source = ?) from raw_postings where reference is not null "
                      "group by reference", [SOURCE]).fetchall()
    return Known((ref for ref, _ in rows), (ref for ref, from_file in rows if from_file))


def read_file(path: Path | FileSource, today: date, known: set[str], previous: Verdicts, fetched_at: str,
              progress: Callable[[int], None] | None = None) -> FileReading:
    """Stream the file once: count, resolve variants, classify what changed, select.

    Records are cut and recognised by their bytes: one unchanged since the last accepted
    file, not digital and of no stored offer, is settled without being decoded or parsed. A
    file whose quoting is not plain CSV is read again, every row parsed (`read_plain`), once
    it is whole. StreamBroken when its download began again or failed while it was read."""
    source = FileSource.of(path)
    try:
        try:
            return read_records_of(source, today, known, previous, fetched_at, progress)
        except Misquoted:
            return read_plain(source.complete(), today, known, previous, fetched_at, progress)
    except UnicodeDecodeError as exc:  # the whole file is refused: its reading is not kept
        raise ValueError(f"the file is not UTF-8 text (byte {exc.start})") from None


class Misquoted(ValueError):
    """A record whose quoting is not plain CSV: record bounds are not to be trusted."""


def read_records_of(path: Path | FileSource, today: date, known: set[str], previous: Verdicts, fetched_at: str,
                    progress: Callable[[int], None] | None = None) -> FileReading:
    """`read_file` by records (`parsers.csv_records.record_batches`); Misquoted on a stray quote.

    The cut settles the rows found unchanged by their digest (not digital, of no stored
    offer: `Verdicts.settles`); one whose reference was read already in this file (it claims
    the digest: see `Latest`) is read after all. The others wait in `pending`,
    PENDING at most, until their verdicts are asked for together (`take_pending`)."""
    source = FileSource.of(path)
    reading, latest, name, pending = FileReading(), Latest(previous), source.name, []
    known = known if isinstance(known, Known) else Known(known)
    settled, claimed, report = latest.settled, latest.claimed, 20_000
    wait = PENDING if previous.any else 1  # before a first accepted file there is no verdict to wait for
    with source.open_stream() as stream:  # settles copied: the cut takes out the digests it settles
        batches = record_batches(stream, set(previous.settles), CUT_BATCH, settled, claimed)
        try:
            first = next(batches, None)
            if first is None:
                raise ValueError("empty file: no header")
            header = record_cells(first[0][1])
            if header is None:
                raise Misquoted("the header")
            problem = header_problem(header)
            if problem:
                raise ValueError(f"not the open-data file's header: {problem}")
            for batch in batches:
                for line, data, digest in batch:
                    cells = record_cells(data)
                    if cells is None:
                        raise Misquoted(f"line {line}")
                    if len(cells) != WIDTH:
                        if len(cells) <= 1 and not "".join(cells).strip():  # a blank line
                            continue
                        pending.append(row_width_error(line, cells))
                    else:
                        pending.append(Row(line, cells, digest_text(digest)))
                    if len(pending) >= wait:
                        take_pending(reading, pending, today, known, latest, fetched_at, name)
                        pending = []
                if progress and reading.rows + len(pending) + len(settled) >= report:  # every 20,000 rows
                    progress(report)
                    report += 20_000
        except RecordTooLong as exc:
            raise Misquoted(str(exc)) from None
    take_pending(reading, pending, today, known, latest, fetched_at, name)
    reading.settled += len(latest.settled)
    reading.rows += len(latest.settled)
    reading.variants, reading.references, reading.whole = latest.variants, latest.references(), True
    return reading


def settled_row(line: int, reference: str, digest: int) -> Row:
    """A settled row taken after all: its reference alone (its verdict says the rest)."""
    cells = [""] * WIDTH
    cells[REFERENCE] = reference
    return Row(line, cells, digest_text(digest))


def take_pending(reading: FileReading, pending: list[Row | RowError], today: date, known: Known,
                 latest: Latest, fetched_at: str, name: str) -> None:
    """`take` the rows read since the last call, in file order, their verdicts asked for at once.

    A row was settled while rows before it waited; if one of those turns out to be of its
    reference (it claims its digest), the settled row is taken after all, at its place in
    the file, the way `take` takes an unchanged row (so the outcome is that of reading in order)."""
    if not latest.verdicts.any:  # nothing settled, no verdict: each row taken as it comes
        for item in pending:
            if isinstance(item, RowError):
                reading.error(name, item)
            else:
                reading.rows += 1
                take(reading, item, today, known, latest, fetched_at, name)
        return
    latest.verdicts.prefetch(row["Référence"].strip() for row in pending if isinstance(row, Row))
    order = itertools.count()
    queue = [(item.line, next(order), item) for item in pending]  # already in file order: a heap
    settled, claimed = latest.settled, latest.claimed
    while queue:
        _, _, item = heapq.heappop(queue)
        if isinstance(item, RowError):
            reading.error(name, item)
            continue
        reading.rows += 1
        take(reading, item, today, known, latest, fetched_at, name)
        before = latest.verdicts.get(item["Référence"].strip())
        if before is None:
            continue
        digest = int(before[0], 16)
        if digest in claimed and settled.get(digest, 0) > item.line:  # settled too early: taken at its line
            line = settled.pop(digest)
            heapq.heappush(queue, (line, next(order), settled_row(line, item["Référence"].strip(), digest)))


def read_plain(path: Path, today: date, known: set[str], previous: Verdicts, fetched_at: str,
               progress: Callable[[int], None] | None = None) -> FileReading:
    """`read_file` with the csv module over the whole file (`read_cells`): every row parsed.

    Its digests are of the cells, never equal to a record's: next week reads every row again."""
    reading, latest, name = FileReading(), Latest(previous), path.name
    known = known if isinstance(known, Known) else Known(known)
    with open(path, encoding="utf-8-sig", newline="", errors="strict") as stream:
        for item in read_cells(stream):
            if isinstance(item, RowError):
                reading.error(name, item)
                continue
            reading.count_row(progress)
            take(reading, Row(*item), today, known, latest, fetched_at, name)
    reading.variants, reading.references, reading.whole = latest.variants, latest.references(), True
    return reading


def row_is_digital(row: Row) -> bool:
    """The classifier's verdict on a row: its title, métier and organisme (the file has no domain)."""
    employer = row["Organisme de rattachement"] or None
    return classify(row["Intitulé du poste"], metier=row["Métier"] or None, employer=employer).digital


def take(reading: FileReading, row: Row, today: date, known: Known, latest: Latest, fetched_at: str,
         name: str) -> None:
    """Decide about one row: the latest variant of its reference, kept if it matters.

    A row unchanged since the last accepted file, not digital and of no stored offer
    is settled by its digest alone: no date parsed, no classifier run."""
    reference = row["Référence"].strip()
    before = latest.verdicts.get(reference)
    if before and before[0] == row.digest and not before[1] and reference not in known:
        rank, digital, is_open = before[2], 0, None
        reading.settled += 1
    else:
        try:
            start, end = publication_window(row)
        except RowError as exc:
            reading.error(name, exc)
            return
        rank, is_open = (start.toordinal() if start else 0), end is None or end >= today
        digital = None
    if not latest.keep(reference, before, rank, row.line):
        return
    if digital is None:
        if before and before[0] == row.digest:
            digital = before[1]
        elif is_open:
            reading.classified += 1
            digital = int(row_is_digital(row))
        else:
            digital = 0  # a closed row not known here matters to nobody
        reading.open_rows += is_open
        reading.digital_open_rows += bool(digital and is_open)
    reading.digests[reference] = (row.digest, digital, rank)
    if digital and is_open:
        reading.digital_open[reference] = (row.digest, rank)
    else:
        reading.digital_open.pop(reference, None)
    if reference in known.from_file and before and before[0] == row.digest:  # the version stored: not parsed
        reading.unchanged.add(reference)
        reading.selected.pop(reference, None)
        return
    reading.unchanged.discard(reference)
    if reference in known or (digital and is_open):
        try:
            reading.selected[reference] = parse_row(row, fetched_at)
        except RowError as exc:
            reading.error(name, exc)
            reading.selected.pop(reference, None)
    else:
        reading.selected.pop(reference, None)


def check_file(size: int, reading: FileReading, last: dict | None, checks: FileChecks) -> list[str]:
    """Why a file is refused (empty when accepted)."""
    problems = []
    if last and last.get("bytes"):
        if size < checks.min_ratio * last["bytes"]:
            problems.append(f"{size:,} bytes against {last['bytes']:,} for the last accepted file")
        if reading.rows < checks.min_ratio * last.get("rows", 0):
            problems.append(f"{reading.rows:,} rows against {last['rows']:,} for the last accepted file")
    else:
        if size < checks.min_bytes:
            problems.append(f"{size:,} bytes, less than the {checks.min_bytes:,} a first file must have")
        if reading.rows < checks.min_rows:
            problems.append(f"{reading.rows:,} rows, less than the {checks.min_rows:,} a first file must have")
    return problems


def store_reading(db: Database, run_id: int, reading: FileReading, previous: Verdicts) -> int:
    """Write the selected postings that changed, and the rows' verdicts; returns how many postings are new.

    A row identical to last week's is the version already stored: nothing to write
    (the file's absence or presence decides nothing; its publication window does, at rebuild)."""
    new, batch = 0, []
    for reference, record in reading.selected.items():
        batch.append(RawPosting.from_dict(record, where=f"{SOURCE}:{record['extra'].get('line')}"))
        if len(batch) >= BATCH_SIZE:
            new += write_raw_postings(db, batch, run_id, PARSER_VERSION).new_postings
            batch = []
    new += write_raw_postings(db, batch, run_id, PARSER_VERSION).new_postings
    previous.save(db, reading.digests.items())
    return new


def ingest_file(db: Database, run_id: int, path: Path | FileSource, today: date, last: dict | None,
                checks: FileChecks, progress: Callable[[int], None] | None = None) -> tuple[bool, list[str], FileReading]:
    """(accepted, problems, reading) of one file, maybe read as it downloads (`FileSource`);
    writes only an accepted file, once it is whole and checked. The download's own errors
    (refused, unreachable) come from `source.complete()`."""
    source = FileSource.of(path)
    fetched = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    known = known_references(db)
    previous = Verdicts.from_db(db, known)
    try:
        try:
            reading = read_file(source, today, known, previous, fetched, progress)
        except StreamBroken:  # the download began again or failed: the whole file once there, or its error
            reading = read_file(source.complete(), today, known, previous, fetched, progress)
    except ValueError as exc:
        return False, [str(exc)], FileReading()
    problems = check_file(source.complete().stat().st_size, reading, last, checks)
    record_errors(db, run_id, SOURCE, reading.errors[:10_000])
    if problems:
        return False, problems, reading
    store_reading(db, run_id, reading, previous)
    reading.queue = update_queue(db, reading.digital_open, fetched)
    return True, [], reading


def file_summary(resource: dict, path: Path | None, reading: FileReading) -> dict:
    """What a run keeps of a file it read (`runs.stats`: `opendata/resource` once accepted,
    `opendata/candidate` when refused): the API's resource, the file kept, the counts."""
    return {**resource, "file": str(path) if path else None,
            "bytes": path.stat().st_size if path else resource.get("filesize"),
            "rows": reading.rows, "references": reading.references, "variants": reading.variants,
            "open_rows": reading.open_rows, "digital_open": len(reading.digital_open),
            "classified": reading.classified, "settled": reading.settled, "selected": len(reading.selected),
            "unchanged": len(reading.unchanged), "errors": len(reading.errors), "queued": reading.queue.queued,
            "queue_retired": reading.queue.retired, "queue_waiting": reading.queue.waiting,
            "read_whole": reading.whole}


def last_accepted(db: Database) -> dict | None:
    """The resource and counts of the last accepted file: a healthy run of the source, or one the
    operator accepted (`offres accept`)."""
    row = next(db.query("select stats from runs where source = ? and (healthy = 1 or accepted_at is not null) "
                        "and stats like '%opendata/resource%' order by id desc limit 1", [SOURCE]), None)
    return json.loads(row["stats"])["opendata/resource"] if row else None

"""`offres export --format FMT`: every format over one selection, one set of safety rules, atomic writes.

Each offer format is built from the entries of the JSON contract (document.py),
validated, checked by the safety rules (safety.py: an unhealthy crawl, an empty
export, a collapse of more than half the offers of the file it replaces are
refused) and written atomically (files.py), or to standard output with `-`.
"""
from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Callable
from urllib.parse import quote

from sqlite_utils import Database

from pipeline import labels
from pipeline.export import changes, csvfile, feeds, html, jsonl, jsonld
from pipeline.export.document import build_export, validate_export
from pipeline.export.files import dump_document, write_atomic
from pipeline.export.safety import ExportRefused, check_export, previous_count
from pipeline.export.selection import Selection

FORMATS = ("json", "jsonl", "changes", "jsonld", "rss", "atom", "csv", "html")
DEFAULT_NAMES = {"json": "offres.json", "jsonl": "offres.jsonl", "changes": "changes.json",
                 "jsonld": "offres.jsonld", "rss": "offres.rss.xml", "atom": "offres.atom.xml",
                 "csv": "offres.csv", "html": "offres.html"}


@dataclass(frozen=True)
class FormatOptions:
    """Options that only some formats read."""

    delimiter: str = ","          # csv
    bom: bool = False             # csv: UTF-8 byte order mark, for Excel
    fragment: bool = False        # html: the part that drops into the Jekyll page, not a whole page
    page_employer: str | None = html.PAGE_EMPLOYER  # html: whose offers make the themes ('' = every offer)
    since_run: int | None = None  # changes: after this run
    site_url: str = feeds.SITE_URL  # rss/atom: the feed's link
    feed_url: str | None = None   # rss/atom: where the feed itself is published (its self link)


@dataclass
class ExportResult:
    """What an export wrote: how many offers (or changes), and notes (offers left out, and why)."""

    format: str
    count: int
    output: Path
    notes: list[str] = field(default_factory=list)


def subtitle(selection: Selection) -> str | None:
    """What the filters chose, for a feed's title: 'Design, DINUM'."""
    parts = [labels.family_label(f) or f for f in selection.families] + list(selection.employers)
    parts += [labels.versant_label(v) or v for v in selection.versants] + list(selection.regions)
    return ", ".join(parts) or None


def feed_id(selection: Selection) -> str:
    """A stable Atom id per selection: `urn:offres:feed`, `urn:offres:feed:family=donnees`..."""
    parts = [f"{name}={quote(value, safe='')}" for name, values in (
        ("all", ("1",) if selection.include_all else ()), ("family", selection.families),
        ("employer", selection.employers), ("versant", selection.versants), ("region", selection.regions),
        ("since", (selection.since,) if selection.since else ())) for value in values]
    return ":".join(["urn:offres:feed", ";".join(parts)]) if parts else "urn:offres:feed"


def render(fmt: str, db: Database, selection: Selection, options: FormatOptions,
           now: datetime) -> tuple[Callable[[IO[str]], None], int, list[str], Callable[[Path], int | None]]:
    """(writer, count, notes, reader of the previous file's count) of one format."""
    if fmt == "changes":
        document = changes.build_changes(db, selection, since_run=options.since_run, since=selection.since, now=now)
        changes.validate_changes(document)
        return (lambda h: dump_document(document, h)), document["count"], [], changes.count_changes
    document = build_export(db, now=now, selection=selection)
    validate_export(document)
    entries = document["offers"]
    if fmt == "json":
        return (lambda h: dump_document(document, h)), len(entries), [], previous_count
    if fmt == "jsonl":  # its lines are the entries validated above
        return (lambda h: jsonl.write_jsonl(entries, h)), len(entries), [], jsonl.count_lines
    if fmt == "jsonld":
        graph, left_out = jsonld.build_jsonld(entries)
        return (lambda h: jsonld.write_jsonld(graph, h)), len(graph["@graph"]), left_out, jsonld.count_postings
    if fmt in ("rss", "atom"):
        build = feeds.build_rss if fmt == "rss" else feeds.build_atom
        extra = {"feed_id": feed_id(selection)} if fmt == "atom" else {}
        tree = build(entries, now, subtitle(selection), site_url=options.site_url, feed_url=options.feed_url, **extra)
        return (lambda h: feeds.write_feed(tree, h)), len(entries), [], feeds.count_items
    if fmt == "csv":
        return ((lambda h: csvfile.write_csv(entries, h, delimiter=options.delimiter, bom=options.bom)),
                len(entries), [], csvfile.count_rows)
    if fmt == "html":
        page = html.build_page(entries, html.page_themes(db), page_employer=options.page_employer or None,
                               generated_at=document["generated_at"])
        notes = [f"offer {e['id']} ('{e['title']}'): no link known (the hand-kept page's two links disagree), "
                 "left out" for e in page["left_out"]]
        left = len(entries) - page["count"] - len(page["left_out"])
        if left and options.page_employer:
            notes.append(f"{left} selected offers are neither {options.page_employer}'s nor high-level posts of "
                         "another employer: not on the page (--page-employer '' themes every offer)")
        return ((lambda h: html.write_html(page, h, standalone=not options.fragment)), page["count"], notes,
                html.count_panels)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def export_as(db: Database, fmt: str, output: Path, selection: Selection | None = None,
              options: FormatOptions | None = None, force: bool = False, allow_empty: bool = False,
              now: datetime | None = None) -> ExportResult:
    """Build, validate, check (ExportRefused) and write one format; `-` writes to standard output."""
    selection = selection or Selection()
    options = options or FormatOptions()
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    writer, count, notes, counter = render(fmt, db, selection, options, now)
    try:
        check_export(db, {"count": count}, output, force=force, allow_empty=allow_empty or fmt == "changes",
                     counter=counter)
    except ExportRefused as exc:
        more = [f"and {len(notes) - 3} more notes"] if len(notes) > 3 else []
        raise ExportRefused("; ".join([str(exc), *notes[:3], *more])) from None
    write_output(fmt, writer, output)
    return ExportResult(fmt, count, output, notes)


def write_output(fmt: str, writer: Callable[[IO[str]], None], output: Path) -> None:
    """Atomically to `output`, or to standard output for `-` (csv keeps its CRLF line ends)."""
    newline = "" if fmt == "csv" else None
    if str(output) == "-":
        if newline == "":
            buffer = io.StringIO(newline="")
            writer(buffer)
            sys.stdout.flush()
            sys.stdout.buffer.write(buffer.getvalue().encode("utf-8"))
        else:
            writer(sys.stdout)
        sys.stdout.flush()
    else:
        write_atomic(output, writer, newline=newline)


def family_path(output: Path, family: str) -> Path:
    """`data/export/offres.rss.xml` -> `data/export/offres-design.rss.xml`."""
    stem, dot, suffixes = output.name.partition(".")
    return output.with_name(f"{stem}-{family}{dot}{suffixes}")


def export_per_family(db: Database, fmt: str, output: Path, selection: Selection | None = None,
                      options: FormatOptions | None = None, force: bool = False, allow_empty: bool = False,
                      now: datetime | None = None) -> list[ExportResult]:
    """One file per job family (`family_path`), each over the selection narrowed to that family.

    A family with no offer gets an empty file (normal for a small family). The
    safety rules judge the whole: refused when the latest crawl looks broken, when
    no family holds an offer, or when the total loses more than half of the
    previous files' total (then no file is written); each file is written atomically.
    """
    if str(output) == "-":
        raise ValueError("one file per family needs an output file name, not -")
    selection = selection or Selection()
    options = options or FormatOptions()
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    families = [f for f in labels.labels()["families"] if not selection.families or f in selection.families]
    rendered = []
    for family in families:
        narrowed = replace(selection, families=(family,))
        writer, count, notes, counter = render(fmt, db, narrowed, options, now)
        rendered.append((family, writer, count, notes, counter))
    total = sum(r[2] for r in rendered)

    def previous_total(_: Path) -> int | None:
        counts = [counter(family_path(output, family)) for family, _, _, _, counter in rendered]
        return sum(c for c in counts if c) or None

    check_export(db, {"count": total}, output, force=force, allow_empty=allow_empty or fmt == "changes",
                 counter=previous_total)
    results = []
    for family, writer, count, notes, _ in rendered:
        path = family_path(output, family)
        write_output(fmt, writer, path)
        results.append(ExportResult(fmt, count, path, notes))
    return results

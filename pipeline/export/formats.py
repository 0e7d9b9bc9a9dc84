"""`offres export --format FMT`: every format over one selection, one set of safety rules, atomic writes.

Each offer format is built from the entries of the JSON contract (document.py),
validated offer by offer (an offer that breaks the contract is set aside, named and
recorded, as for the JSON), checked by the safety rules (safety.py: an unhealthy crawl, an empty
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
from pipeline.export import changes, csvfile, feeds, html, jsonl, jsonld, prebuilt
from pipeline.export.document import SetAside, build_export, envelope, first_error, set_aside_invalid
from pipeline.export.files import dump_document, dump_encoded, write_atomic
from pipeline.export.safety import ExportRefused, check_export, previous_count, record_set_aside
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
    """What an export wrote: how many offers (or changes), notes (offers left out of a format, and why)
    and the offers set aside because they break the contract (document.SetAside)."""

    format: str
    count: int
    output: Path
    notes: list[str] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


@dataclass
class Rendered:
    """One format built, not yet written: its writer, count, notes, set-aside offers, and the
    reader of the offer count of the file it replaces (for the safety rules)."""

    writer: Callable[[IO[str]], None]
    count: int
    counter: Callable[[Path], int | None]
    notes: list[str] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


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


def render(fmt: str, db: Database, selection: Selection, options: FormatOptions, now: datetime) -> Rendered:
    """Build one format; an offer that breaks the contract is set aside (and recorded), not exported."""
    from pipeline.rebuild import html_sanitized  # above this module: it writes what we read

    if fmt == "changes":
        document = changes.build_changes(db, selection, since_run=options.since_run, since=selection.since, now=now)
        aside = changes.set_aside_invalid_changes(document)
        record_set_aside(db, aside)
        changes.validate_changes(document)
        return Rendered(lambda h: dump_document(document, h), document["count"], changes.count_changes,
                        set_aside=aside)
    if fmt == "json":  # the stored, validated entries (prebuilt.py), the others built and validated
        texts, aside = prebuilt.encoded_offers(db, selection, html_sanitized(db))
        head = envelope(db, len(texts), now)
        error = first_error({**head, "offers": []})
        if error is not None:
            raise error
        record_set_aside(db, aside)
        return Rendered(lambda h: dump_encoded(head, texts, h), len(texts), previous_count, set_aside=aside)
    document = build_export(db, now=now, selection=selection)
    aside = set_aside_invalid(document)
    record_set_aside(db, aside)
    entries = document["offers"]
    if fmt == "jsonl":  # its lines are the entries validated above
        return Rendered(lambda h: jsonl.write_jsonl(entries, h), len(entries), jsonl.count_lines, set_aside=aside)
    if fmt == "jsonld":
        graph, left_out = jsonld.build_jsonld(entries)
        return Rendered(lambda h: jsonld.write_jsonld(graph, h), len(graph["@graph"]), jsonld.count_postings,
                        left_out, aside)
    if fmt in ("rss", "atom"):
        build = feeds.build_rss if fmt == "rss" else feeds.build_atom
        extra = {"feed_id": feed_id(selection)} if fmt == "atom" else {}
        tree = build(entries, now, subtitle(selection), site_url=options.site_url, feed_url=options.feed_url, **extra)
        return Rendered(lambda h: feeds.write_feed(tree, h), len(entries), feeds.count_items, set_aside=aside)
    if fmt == "csv":
        return Rendered(lambda h: csvfile.write_csv(entries, h, delimiter=options.delimiter, bom=options.bom),
                        len(entries), csvfile.count_rows, set_aside=aside)
    if fmt == "html":
        page = html.build_page(entries, html.page_themes(db), page_employer=options.page_employer or None,
                               generated_at=document["generated_at"])
        notes = [f"offer {e['id']} ('{e['title']}'): no link known (the hand-kept page's two links disagree), "
                 "left out" for e in page["left_out"]]
        left = len(entries) - page["count"] - len(page["left_out"])
        if left and options.page_employer:
            notes.append(f"{left} selected offers are neither {options.page_employer}'s nor high-level posts of "
                         "another employer: not on the page (--page-employer '' themes every offer)")
        return Rendered(lambda h: html.write_html(page, h, standalone=not options.fragment), page["count"],
                        html.count_panels, notes, aside)
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def refused(exc: ExportRefused, notes: list[str], aside: list[SetAside]) -> ExportRefused:
    """The refusal, with the first notes; the set-aside offers ride along (`.set_aside`)."""
    more = [f"and {len(notes) - 3} more notes"] if len(notes) > 3 else []
    error = ExportRefused("; ".join([str(exc), *notes[:3], *more]))
    error.set_aside = aside
    return error


def export_as(db: Database, fmt: str, output: Path, selection: Selection | None = None,
              options: FormatOptions | None = None, force: bool = False, allow_empty: bool = False,
              now: datetime | None = None) -> ExportResult:
    """Build, set aside what breaks the contract, check (ExportRefused) and write one format;
    `-` writes to standard output."""
    selection = selection or Selection()
    options = options or FormatOptions()
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    built = render(fmt, db, selection, options, now)
    try:
        check_export(db, {"count": built.count}, output, force=force, allow_empty=allow_empty or fmt == "changes",
                     counter=built.counter)
    except ExportRefused as exc:
        raise refused(exc, built.notes, built.set_aside) from None
    write_output(fmt, built.writer, output)
    return ExportResult(fmt, built.count, output, built.notes, built.set_aside)


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
    rendered = [(family, render(fmt, db, replace(selection, families=(family,)), options, now)) for family in families]
    total = sum(built.count for _, built in rendered)
    notes = [note for _, built in rendered for note in built.notes]
    aside = [offer for _, built in rendered for offer in built.set_aside]

    def previous_total(_: Path) -> int | None:
        counts = [built.counter(family_path(output, family)) for family, built in rendered]
        return sum(c for c in counts if c) or None

    try:
        check_export(db, {"count": total}, output, force=force, allow_empty=allow_empty or fmt == "changes",
                     counter=previous_total)
    except ExportRefused as exc:
        raise refused(exc, notes, aside) from None
    results = []
    for family, built in rendered:
        path = family_path(output, family)
        write_output(fmt, built.writer, path)
        results.append(ExportResult(fmt, built.count, path, built.notes, built.set_aside))
    return results

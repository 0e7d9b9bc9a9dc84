"""`offres export`, `offres ingest`, `offres reprocess`: the data in and out, without the network."""
from __future__ import annotations

import os
from pathlib import Path

import click

from commands.base import (EXIT_FAILURE, EXIT_PARTIAL, EXIT_UNHEALTHY, common_options, db_path,
                           export_path_default, json_option, log_file_option, out, parse_now, read_db, write_db)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "changes", "jsonld", "rss", "atom", "csv", "html"]),
              default="json", show_default=True, help="What to write (docs/export.md describes each).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              show_default="data/export/offres.json, offres.csv...", help="File to write (atomically); - for standard output.")
@click.option("--all", "include_all", is_flag=True, help="Every offer, not only open digital ones.")
@click.option("--family", "families", multiple=True, metavar="CODE", help="Only this job family (donnees, design...); repeatable.")
@click.option("--employer", "employers", multiple=True, metavar="TEXT", help="Only employers whose name has TEXT as whole words (case, accents aside); repeatable.")
@click.option("--versant", "versants", multiple=True, type=click.Choice(["etat", "territoriale", "hospitaliere"]),
              help="Only this branch of the civil service; repeatable.")
@click.option("--region", "regions", multiple=True, metavar="CODE|NAME", help="Only this region (11 or Île-de-France); repeatable.")
@click.option("--since", metavar="DATE", help="Offers published since DATE (ISO); for changes: changes at or after DATE.")
@click.option("--since-run", type=int, metavar="N", help="changes: the changes made after run N (default: the latest run's).")
@click.option("--delimiter", type=click.Choice([",", ";"]), default=",", show_default=True, help="csv: field separator (; for French Excel).")
@click.option("--bom", is_flag=True, help="csv: start with a UTF-8 byte order mark (Excel).")
@click.option("--fragment", is_flag=True, help="html: only the part that drops into the Jekyll page.")
@click.option("--feed-url", metavar="URL", help="rss/atom: the address the feed is published at (its self link).")
@click.option("--page-employer", default="DINUM", show_default=True,
              help="html: the employer whose offers make the themed panels ('' for every offer).")
@click.option("--per-family", is_flag=True, help="One file per job family beside --output (offres-design.rss.xml...).")
@click.option("--force", is_flag=True, help="Write even if the latest crawl looks broken or the count collapsed.")
@click.option("--allow-empty", is_flag=True, help="Write even if no offer would be exported.")
@log_file_option
@json_option
@common_options
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None, include_all: bool, families: tuple[str, ...],
           employers: tuple[str, ...], versants: tuple[str, ...], regions: tuple[str, ...], since: str | None,
           since_run: int | None, delimiter: str, bom: bool, fragment: bool, feed_url: str | None,
           page_employer: str, per_family: bool, force: bool, allow_empty: bool, log_file: str | None,
           as_json: bool) -> None:
    """Write the export in one format (JSON: schema version 1, docs/export.md).

    Refuses (exit 3) to replace the file when the latest crawl looks broken,
    when the export would be empty, or when it would lose more than half the offers.
    An offer that breaks the contract is left out, named on standard error, and the
    others are written (exit 4). Reads the database only (a read-only copy exports;
    the offers set aside are recorded when the file is writable). With -o -, the
    summary (and --json's) goes to standard error.

    Example: offres export --format rss --family donnees -o data/export/donnees.rss.xml
    """
    from datetime import datetime

    from pipeline.export import ExportRefused, Selection
    from pipeline.export.formats import DEFAULT_NAMES, FormatOptions, export_as, export_per_family

    if since:
        try:
            datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(f"not an ISO 8601 date: {since!r}", param_hint="--since") from None
    output = output or export_path_default().with_name(DEFAULT_NAMES[fmt])
    selection = Selection(include_all=include_all, families=families, employers=employers, versants=versants,
                          regions=regions, since=since)
    options = FormatOptions(delimiter=delimiter, bom=bom, fragment=fragment, page_employer=page_employer,
                            since_run=since_run, feed_url=feed_url)
    if per_family and str(output) == "-":
        raise click.BadParameter("one file per family needs a file name", param_hint="--output")
    to_stdout = str(output) == "-"
    say = out(ctx, as_json, log_file)
    db = read_db(ctx)
    summary = {"output": "-" if to_stdout else str(output), "format": fmt, "include_all": include_all,
               "written": False}
    try:
        if per_family:
            results = export_per_family(db, fmt, output, selection, options, force=force, allow_empty=allow_empty)
        else:
            results = [export_as(db, fmt, output, selection, options, force=force, allow_empty=allow_empty)]
    except ExportRefused as exc:
        set_aside = list(getattr(exc, "set_aside", ()))
        report_set_aside(ctx, say, set_aside)
        if as_json:
            say.json({**summary, "count": None, "refused": str(exc), "set_aside": [a.line() for a in set_aside]},
                     err=to_stdout)
        say.fail(f"export not written: {exc}", EXIT_UNHEALTHY)
    set_aside = [offer for result in results for offer in result.set_aside]
    report_set_aside(ctx, say, set_aside)
    notes = [note for result in results for note in result.notes]
    for note in notes[:20]:
        say.echo(f"note: {note}", err=True)
    if len(notes) > 20:
        say.echo(f"note: … and {len(notes) - 20} more", err=True)
    what = "changes" if fmt == "changes" else "offers"
    if as_json:
        say.json({**summary, "written": True, "count": sum(r.count for r in results),
                  "files": [{"output": "-" if to_stdout else str(r.output), "count": r.count} for r in results],
                  "notes": notes, "set_aside": [a.line() for a in set_aside]}, err=to_stdout)
    else:
        for result in results:
            say.echo(f"Wrote {result.count} {what} ({fmt}) to {'standard output' if to_stdout else result.output}"
                     + (f", {len(result.set_aside)} set aside" if result.set_aside else ""), err=to_stdout)
    if set_aside:
        ctx.exit(EXIT_PARTIAL)


def report_set_aside(ctx: click.Context, say, set_aside: list) -> None:
    """Each offer the export left out, on stderr (even with -q); recorded as an `export` run
    (`offres changes` lists it) when the database file is writable (the export reads it read-only)."""
    from pipeline.export import record_set_aside
    from pipeline.store import open_db

    for offer in set_aside:
        say.problem(offer.line())
    path = db_path(ctx)
    if set_aside and os.access(path, os.W_OK) and os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
        db = open_db(path)
        record_set_aside(db, set_aside)
        db.conn.close()


def counted_lines(handle, progress):
    """The lines of a binary file, its bytes read shown on `progress` (with a total for a real file)."""
    try:
        total = os.fstat(handle.fileno()).st_size if Path(handle.name).is_file() else None
    except (OSError, ValueError, AttributeError):
        total = None
    progress.update(0, total=total or None)
    done = 0
    for line in handle:
        done += len(line)
        progress.update(done)
        yield line


@click.command()
@click.argument("file", type=click.File("rb"))
@log_file_option
@json_option
@common_options
@click.pass_context
def ingest(ctx: click.Context, file, log_file: str | None, as_json: bool) -> None:
    """Ingest raw postings from a JSON-lines FILE (- for standard input).

    Each line is one raw posting record (README: "The raw posting record").
    Bad lines are reported with their line number; the others are ingested (exit 4).

    Example: offres ingest feed.jsonl --json
    """
    from pipeline.ingest import ingest_lines

    from pipeline.progress import Progress

    say = out(ctx, as_json, log_file)
    with Progress("ingest (bytes)", enabled=not say.quiet) as progress:  # then the rebuild's stages
        result = ingest_lines(write_db(ctx), counted_lines(file, progress), name=Path(file.name).name,
                              progress=progress)
    for error in result.rejected:
        say.problem(f"rejected {error}")  # an error: shown even with -q
    if as_json:
        rebuilt = result.rebuild
        say.json({"run": result.run_id, "ingested": result.ingested, "new_postings": result.new_postings,
                  "new_versions": result.new_versions, "rejected": [str(e) for e in result.rejected],
                  "offers": {"total": rebuilt.offers, "open": rebuilt.open, "new": rebuilt.new,
                             "updated": rebuilt.updated, "closed": rebuilt.closed, "reopened": rebuilt.reopened}})
    else:
        say.echo(f"Ingested {result.ingested} postings ({result.new_postings} new, {result.new_versions} new "
                 f"versions), rejected {len(result.rejected)}; {result.rebuild.offers} offers "
                 f"({result.rebuild.new} new, {result.rebuild.updated} updated)")
    if result.rejected:
        ctx.exit(EXIT_PARTIAL if result.ingested else EXIT_FAILURE)


@click.command()
@click.option("--now", help="Time of the rebuild (ISO 8601), for deadlines; default: now.")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--all", "show_all", is_flag=True, help="With --dry-run, list every change (default: the first 50).")
@log_file_option
@common_options
@click.pass_context
def reprocess(ctx: click.Context, now: str | None, dry_run: bool, show_all: bool, log_file: str | None) -> None:
    """Rebuild the offers from the stored raw postings, without any network.

    Example: offres reprocess --dry-run --now 2026-12-01T06:00:00+00:00
    """
    import json

    from pipeline.lifecycle import preview_rebuild, rebuild_offers
    from pipeline.progress import Progress

    say = out(ctx, log_file=log_file)
    moment = parse_now(now)
    progress = Progress("postings", enabled=not say.quiet)  # stages and postings done, on a terminal only
    if dry_run:
        stats, events = preview_rebuild(write_db(ctx), now=moment, progress=progress)
        progress.close()  # before the listing
        say.echo("Dry run, nothing written. Would change:")
        shown = events if show_all else events[:50]
        for event in shown:
            detail = event["reason"] or (", ".join(json.loads(event["fields"])) if event["kind"] == "updated" else "")
            say.echo(f"  {event['kind']:<8} {event['reference'] or event['offer_id']}  {event['title']}"
                     + (f" ({detail})" if detail else ""))
        if len(events) > len(shown):
            say.echo(f"  … and {len(events) - len(shown)} more (--all lists them)")
    else:
        stats = rebuild_offers(write_db(ctx), now=moment, progress=progress)
    progress.close()
    say.echo(f"{stats.offers} offers ({stats.open} open): {stats.new} new, {stats.updated} updated, "
             f"{stats.closed} closed, {stats.reopened} reopened, {len(stats.errors)} errors")
    if stats.unresolved:
        say.echo("Unresolved values: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.unresolved.items())))
    if stats.errors:
        ctx.exit(EXIT_PARTIAL)

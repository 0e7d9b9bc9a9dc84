"""`offres export`, `offres ingest`, `offres reprocess`: the data in and out, without the network."""
from __future__ import annotations

import os
from pathlib import Path

import click

from commands.base import (EXIT_FAILURE, EXIT_PARTIAL, EXIT_UNHEALTHY, common_options, db_path,
                           export_path_default, json_option, log_file_option, out, parse_now, read_db, write_db)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=export_path_default,
              show_default="data/export/offres.json", help="File to write (atomically); - for standard output.")
@click.option("--all", "include_all", is_flag=True, help="Every offer, not only open digital ones.")
@click.option("--force", is_flag=True, help="Write even if the latest crawl looks broken or the count collapsed.")
@click.option("--allow-empty", is_flag=True, help="Write even if no offer would be exported.")
@log_file_option
@json_option
@common_options
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path, include_all: bool, force: bool, allow_empty: bool,
           log_file: str | None, as_json: bool) -> None:
    """Write the JSON export (schema version 1, docs/export.md).

    Refuses (exit 3) to replace the file when the latest crawl looks broken,
    when the export would be empty, or when it would lose more than half the offers.
    An offer that breaks the contract is left out, named on standard error, and the
    others are written (exit 4). Reads the database only (a read-only copy exports;
    the offers set aside are recorded when the file is writable). With -o -, the
    summary (and --json's) goes to standard error.

    Example: offres export -o /srv/portal/offres.json -q
    """
    from pipeline.export import ExportRefused, export_offers

    to_stdout = str(output) == "-"
    say = out(ctx, as_json, log_file)
    db = read_db(ctx)
    summary = {"output": "-" if to_stdout else str(output), "include_all": include_all, "written": False}
    set_aside: list = []
    try:
        document = export_offers(db, output, include_all=include_all, force=force, allow_empty=allow_empty,
                                 set_aside=set_aside)
    except ExportRefused as exc:
        report_set_aside(ctx, say, set_aside)
        if as_json:
            say.json({**summary, "count": None, "refused": str(exc), "set_aside": [a.line() for a in set_aside]},
                     err=to_stdout)
        say.fail(f"export not written: {exc}", EXIT_UNHEALTHY)
    report_set_aside(ctx, say, set_aside)
    summary.update(written=True, count=document["count"], generated_at=document.get("generated_at"),
                   schema_version=document.get("schema_version"), set_aside=[a.line() for a in set_aside])
    if as_json:
        say.json(summary, err=to_stdout)
    else:
        say.echo(f"Wrote {document['count']} offers to {'standard output' if to_stdout else output}"
                 + (f", {len(set_aside)} set aside" if set_aside else ""), err=to_stdout)
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

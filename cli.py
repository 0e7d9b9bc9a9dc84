"""The `offres` command: a thin click layer over the library.

Exit codes: 0 success; 1 failure; 2 usage error; 3 unhealthy crawl or export
refused because the data looks broken; 4 done, but some input records were rejected;
5 the page to audit could not be reached; 6 another crawl is running on this database (`crawl --wait` queues instead);
7 audit: the page has something to fix.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from pipeline.store import default_db_path, open_db

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_UNHEALTHY, EXIT_PARTIAL = 0, 1, 2, 3, 4
EXIT_UNREACHABLE = 5  # the source (for audit: the page) could not be reached
EXIT_LOCKED = 6
EXIT_FINDINGS = 7  # audit: the page has something to fix
DEFAULT_EXPORT = Path(__file__).resolve().parent / "data" / "export" / "offres.json"


def echo_json(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False))


def fail(message: str, code: int = EXIT_FAILURE):
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


def parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class OffresGroup(click.Group):
    """Turns the errors a user can meet (files, database) into one clear line and exit 1."""

    def invoke(self, ctx: click.Context):
        import sqlite3

        try:
            return super().invoke(ctx)
        except (OSError, sqlite3.DatabaseError) as exc:
            fail(f"{type(exc).__name__}: {exc}")


@click.group(cls=OffresGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_path", envvar="OFFRES_DB", default=default_db_path, show_default="data/offres.db",
              type=click.Path(dir_okay=False), help="SQLite database (env OFFRES_DB).")
@click.version_option(package_name="offres")
@click.pass_context
def main(ctx: click.Context, db_path: str) -> None:
    """Digital-sector job offers of the French public service: crawl, clean, deduplicate, export.

    Exit codes: 0 success, 1 failure, 2 usage error, 3 unhealthy crawl or export
    refused (the data looks broken), 4 done but some input records were rejected,
    6 another crawl is running on this database.
    """
    ctx.obj = {"db_path": db_path}


@main.command()
@click.argument("source", default="csp")
@click.option("--base-url", help="Crawl a mirror or local replica instead of the real site.")
@click.option("--max-pages", type=int, help="Stop after this many listing pages (the crawl is then incomplete).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting (e.g. -s DOWNLOAD_DELAY=5); repeatable.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@click.option("--wait", is_flag=True, help="Wait for another crawl of this database to end instead of exiting 6.")
@click.option("--full", is_flag=True, help="Fetch every detail page again (default: only new, changed, failed "
                                           "and due for refresh; the listing is always crawled in full).")
@click.pass_obj
def crawl(obj: dict, source: str, base_url: str | None, max_pages: int | None, settings: tuple[str, ...],
          verbose: bool, wait: bool, full: bool) -> None:
    """Crawl a job board (default: csp) into the database and rebuild the offers.

    Exits 3 when the crawl looks broken (incomplete, far fewer offers than the
    last healthy crawl, fields suddenly empty): then no offer is closed.
    One crawl per database at a time: exits 6 at once if another one runs
    ("another crawl is running on this database"), or waits for it with --wait.
    """
    from pipeline.store import CrawlLocked, crawl_lock
    from spiders.runner import CrawlFailed, run_crawl

    overrides = {}
    for item in settings:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="-s")
        overrides[name.strip()] = value
    if full:
        overrides["OFFRES_FULL"] = True
    click.echo(f"Crawling {source} ({base_url or 'real site'}) into {obj['db_path']}", err=True)
    try:
        with crawl_lock(obj["db_path"], wait=wait):
            run = run_crawl(source, obj["db_path"], base_url=base_url, max_pages=max_pages, overrides=overrides,
                            verbose=verbose)
    except CrawlLocked as exc:
        fail(str(exc), EXIT_LOCKED)
    except CrawlFailed as exc:
        fail(str(exc), getattr(exc, "exit_code", EXIT_FAILURE))
    click.echo(f"Run {run['id']}: {run['pages']} listing pages, {run['offers_seen']} offers seen, "
               f"{run['offers_new']} new, {run['offers_updated']} updated, {run['offers_closed']} closed, "
               f"{run['offers_reopened']} reopened, {run['errors']} errors ({run['finish_reason']})")
    if not run["healthy"]:
        fail(f"crawl looks unhealthy, no offer closed: {run['health_notes']}", EXIT_UNHEALTHY)


@main.command()
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
@click.pass_obj
def export(obj: dict, fmt: str, output: Path | None, include_all: bool, families: tuple[str, ...],
           employers: tuple[str, ...], versants: tuple[str, ...], regions: tuple[str, ...], since: str | None,
           since_run: int | None, delimiter: str, bom: bool, fragment: bool, feed_url: str | None,
           page_employer: str, per_family: bool, force: bool, allow_empty: bool) -> None:
    """Write the export in one format (JSON: schema version 1, docs/export.md).

    Refuses (exit 3) to replace the file when the latest crawl looks broken,
    when the export would be empty, or when it would lose more than half the offers.
    An offer that breaks the contract is left out, named on standard error, and the
    others are written (exit 4).

    Example: offres export --format rss --family donnees -o data/export/donnees.rss.xml
    """
    from pipeline.export import ExportRefused, Selection
    from pipeline.export.formats import DEFAULT_NAMES, FormatOptions, export_as, export_per_family

    if since:
        try:
            datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(f"not an ISO 8601 date: {since!r}", param_hint="--since") from None
    output = output or DEFAULT_EXPORT.with_name(DEFAULT_NAMES[fmt])
    selection = Selection(include_all=include_all, families=families, employers=employers, versants=versants,
                          regions=regions, since=since)
    options = FormatOptions(delimiter=delimiter, bom=bom, fragment=fragment, page_employer=page_employer,
                            since_run=since_run, feed_url=feed_url)
    if per_family and str(output) == "-":
        raise click.BadParameter("one file per family needs a file name", param_hint="--output")
    db = open_db(obj["db_path"])
    try:
        if per_family:
            results = export_per_family(db, fmt, output, selection, options, force=force, allow_empty=allow_empty)
        else:
            results = [export_as(db, fmt, output, selection, options, force=force, allow_empty=allow_empty)]
    except ExportRefused as exc:
        for offer in getattr(exc, "set_aside", ()):
            click.secho(offer.line(), fg="yellow", err=True)
        fail(f"export not written: {exc}", EXIT_UNHEALTHY)
    set_aside = [offer for result in results for offer in result.set_aside]
    for offer in set_aside:
        click.secho(offer.line(), fg="yellow", err=True)
    notes = [note for result in results for note in result.notes]
    for note in notes[:20]:
        click.echo(f"note: {note}", err=True)
    if len(notes) > 20:
        click.echo(f"note: ... and {len(notes) - 20} more", err=True)
    what = "changes" if fmt == "changes" else "offers"
    for result in results:
        click.echo(f"Wrote {result.count} {what} ({fmt}) to {'standard output' if str(output) == '-' else result.output}"
                   + (f", {len(result.set_aside)} set aside" if result.set_aside else ""), err=str(output) == "-")
    if set_aside:
        sys.exit(EXIT_PARTIAL)


@main.command()
@click.argument("page")
@click.option("--employer", default="DINUM", show_default=True,
              help="The page's employer: its open digital offers must all be listed ('' to skip that check).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def audit(obj: dict, page: str, employer: str, as_json: bool) -> None:
    """Check a hand-kept page of offers (URL or FILE) against the board.

    Reports panels whose two links disagree, offers it lists that the board has
    closed, open digital offers of the employer it does not list, and category,
    place or remote-work lines that disagree with the board. Exit code 7 when
    there is something to fix (for a cron that mails the page's editor), 5 when
    the page cannot be fetched.

    Example: offres audit https://www.numerique.gouv.fr/rejoignez-nous/ --json
    """
    from parsers.curated_page import parse_curated_page
    from pipeline.audit import audit_page, report_lines
    from spiders.page_fetch import FetchError, fetch_page

    if page.startswith(("http://", "https://")):
        try:
            text, url = fetch_page(page)
        except FetchError as exc:
            fail(str(exc), EXIT_UNREACHABLE)
    else:
        path = Path(page)
        text, url = path.read_text(encoding="utf-8", errors="replace"), path.resolve().as_uri()
    report = audit_page(open_db(obj["db_path"]), parse_curated_page(text, url), url, employer=employer or None)
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report_lines(report):
            click.echo(line)
    sys.exit(EXIT_FINDINGS if report.to_fix else EXIT_OK)


@main.command()
@click.option("--now", help="Time of the rebuild (ISO 8601), for deadlines; default: now.")
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.pass_obj
def reprocess(obj: dict, now: str | None, dry_run: bool) -> None:
    """Rebuild the offers from the stored raw postings, without any network.

    Example: offres reprocess --dry-run --now 2026-12-01T06:00:00+00:00
    """
    from pipeline.lifecycle import preview_rebuild, rebuild_offers

    db = open_db(obj["db_path"])
    progress = lambda m: click.echo(m, err=True)  # noqa: E731
    if dry_run:
        stats, events = preview_rebuild(db, now=parse_now(now), progress=progress)
        click.echo("Dry run, nothing written. Would change:")
        for event in events[:50]:
            detail = event["reason"] or (", ".join(json.loads(event["fields"])) if event["kind"] == "updated" else "")
            click.echo(f"  {event['kind']:<8} {event['reference'] or event['offer_id']}  {event['title']}"
                       + (f" ({detail})" if detail else ""))
        if len(events) > 50:
            click.echo(f"  ... and {len(events) - 50} more")
    else:
        stats = rebuild_offers(db, now=parse_now(now), progress=progress)
    click.echo(f"{stats.offers} offers ({stats.open} open): {stats.new} new, {stats.updated} updated, "
               f"{stats.closed} closed, {stats.reopened} reopened, {len(stats.errors)} errors")
    if stats.unresolved:
        click.echo("Unresolved values: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.unresolved.items())))
    if stats.errors:
        sys.exit(EXIT_PARTIAL)


@main.command()
@click.argument("file", type=click.File("rb"))
@click.pass_obj
def ingest(obj: dict, file) -> None:
    """Ingest raw postings from a JSON-lines FILE (- for standard input).

    Each line is one raw posting record (README: "The raw posting record").
    Bad lines are reported with their line number; the others are ingested (exit 4).
    """
    from pipeline.ingest import ingest_lines

    db = open_db(obj["db_path"])
    result = ingest_lines(db, file, name=Path(file.name).name)
    for error in result.rejected:
        click.secho(f"rejected {error}", fg="yellow", err=True)
    click.echo(f"Ingested {result.ingested} postings ({result.new_postings} new, {result.new_versions} new versions), "
               f"rejected {len(result.rejected)}; {result.rebuild.offers} offers "
               f"({result.rebuild.new} new, {result.rebuild.updated} updated)")
    if result.rejected:
        sys.exit(EXIT_PARTIAL if result.ingested else EXIT_FAILURE)


@main.command()
@click.option("--runs", default=5, show_default=True, help="How many recent runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def stats(obj: dict, runs: int, as_json: bool) -> None:
    """Offers by status, category, region, family and source; the last runs."""
    from pipeline.reports import database_stats

    data = database_stats(open_db(obj["db_path"]), runs=runs)
    if as_json:
        return echo_json(data)
    click.echo(f"{data['offers']} offers, {data.get('digital_open', 0)} open digital"
               + (f" ({data['digital_open_outside_numerique']} only from the open-data file, outside the board's "
                  "Numérique listing)" if data.get("digital_open_outside_numerique") else ""))
    for title, key in (("Offers by status", "by_status"), ("Open offers by category", "by_category"),
                       ("Open offers by region", "by_region"), ("Open digital offers by family", "by_family"),
                       ("Postings by source", "postings_by_source")):
        pairs = data.get(key) or []
        click.echo(f"\n{title}:")
        for value, count in pairs:
            click.echo(f"  {count:>6}  {value}")
    click.echo("\nLast runs:")
    for run in data.get("runs", []):
        health = {"healthy": "healthy", "unhealthy": f"UNHEALTHY: {run['health_notes']}",
                  "running": "running", "interrupted": "INTERRUPTED (killed before its end)"}[run["state"]]
        click.echo(f"  #{run['id']} {run['kind']} {run['source']} {run['started_at']}: {run['offers_seen']} seen, "
                   f"{run['offers_new']} new, {run['offers_updated']} updated, {run['offers_closed']} closed, "
                   f"{run['errors']} errors, {health}")


@main.command()
@click.option("--run", "run_id", type=int, help="Changes made by this run (default: the latest).")
@click.pass_obj
def changes(obj: dict, run_id: int | None) -> None:
    """What the latest run (or --run N) changed: new, updated, closed, reopened offers."""
    from pipeline.reports import changes_since, errors_of_run

    db = open_db(obj["db_path"])
    sql = "select * from runs where id = ?" if run_id else "select * from runs order by id desc limit 1"
    run = next(db.query(sql, [run_id] if run_id else []), None)
    if run is None:
        fail("no run recorded yet" if not run_id else f"no run {run_id}")
    click.echo(f"Run #{run['id']} ({run['kind']} {run['source']}, {run['started_at']})")
    for name, rows in changes_since(db, run["started_at"]).items():
        click.echo(f"\n{name}: {len(rows)}")
        for row in rows[:50]:
            reason = f" ({row['status_reason']})" if name == "closed" and row["status_reason"] else ""
            click.echo(f"  {row['reference'] or row['id']}  {row['title']}{reason}")
    counters = json.loads(run.get("stats") or "{}")
    if counters:
        click.echo("\ncounters: " + ", ".join(f"{k} {v}" for k, v in counters.items()))
    errors = errors_of_run(db, run["id"])
    if errors:
        click.echo(f"\nerrors (first {len(errors)}):")
        for error in errors:
            click.echo(f"  {error['location']} [{error['field']}] {error['message']}")


@main.command()
@click.argument("field", type=click.Choice(["title", "category", "versant", "contract", "location",
                                            "remote", "date", "reference", "employer"]))
@click.argument("values", nargs=-1, required=True)
@click.option("--now", help="Crawl time (ISO 8601) for relative dates such as 'il y a 3 jours'; default: now.")
def normalize(field: str, values: tuple[str, ...], now: str | None) -> None:
    """Print the normalised form of each VALUE of FIELD as one JSON object a line.

    With - as the only value, read one value per line from standard input.
    Example: offres normalize date "il y a 3 jours"
    """
    from pipeline.normalize import FIELDS

    function, moment = FIELDS[field], parse_now(now) or datetime.now(timezone.utc)
    stream = (line.rstrip("\n") for line in sys.stdin) if values == ("-",) else values
    for value in stream:
        echo_json(function(value, moment))


@main.command()
@click.argument("stdin", required=False, type=click.Choice(["-"]))
@click.option("--title", help="Offer title.")
@click.option("--metier", help="Reference métier label.")
@click.option("--employer", help="Employer.")
@click.option("--domain", help="The board's domain (e.g. Numérique).")
def classify(stdin: str | None, title: str | None, metier: str | None, employer: str | None,
             domain: str | None) -> None:
    """Is an offer digital, and in which family? Prints {"digital", "family", "reason"}.

    With -, reads JSON lines with keys title, metier, employer, domain; a bad line
    is reported on standard error with its number, the others are classified (exit 4).
    Example: offres classify --title "Data scientist H/F"
    """
    from pipeline.classify import classify as run

    if stdin == "-":
        bad = 0
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            problem, item = classify_input(line)
            if problem:
                bad += 1
                click.secho(f"stdin:{number}: {problem}", fg="yellow", err=True)
                continue
            echo_json(run(item.get("title") or "", metier=item.get("metier"),
                          employer=item.get("employer"), domain=item.get("domain")).as_dict())
        if bad:
            sys.exit(EXIT_PARTIAL)
        return
    if not title:
        raise click.UsageError("give --title (or - to read JSON lines)")
    echo_json(run(title, metier=metier, employer=employer, domain=domain).as_dict())


def classify_input(line: str) -> tuple[str | None, dict]:
    """(problem, item) of one JSON line given to `classify -`: a problem names the field."""
    try:
        item = json.loads(line)
    except ValueError as exc:
        return f"not valid JSON ({exc.msg} at column {getattr(exc, 'colno', '?')})", {}
    if not isinstance(item, dict):
        return "not a JSON object", {}
    for key in ("title", "metier", "employer", "domain"):
        if item.get(key) is not None and not isinstance(item[key], str):
            return f"field {key}: not a string", {}
    return None, item


@main.group()
def taxonomy() -> None:
    """The job-family taxonomy (data/taxonomy/)."""


@taxonomy.command()
@click.pass_obj
def unmapped(obj: dict) -> None:
    """Métier labels seen in the database that the taxonomy does not map."""
    from pipeline.classify import taxonomy_version, unmapped_metiers

    db = open_db(obj["db_path"])
    counts = {r["metier"]: r["n"] for r in db.query(
        "select metier, count(*) as n from offers where metier is not null group by metier")}
    labels = unmapped_metiers(counts)
    click.echo(f"taxonomy {taxonomy_version()}: {len(labels)} unmapped métier labels", err=True)
    for label in sorted(labels, key=lambda label: (-counts.get(label, 0), label)):
        click.echo(f"{counts.get(label, 0):>6}  {label}")


@main.command()
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def explain(obj: dict, reference: str, as_json: bool) -> None:
    """Why an offer is what it is: its postings, merges, rejected candidates, status."""
    from pipeline.explain import explain_offer, format_explanation

    report = explain_offer(open_db(obj["db_path"]), reference)
    if report is None:
        fail(f"no offer or posting with reference or id {reference!r}")
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json else format_explanation(report))


@main.command()
@click.option("--offers", "count", default=250, show_default=True, help="Offers on the replica.")
@click.option("--seed", default=1, show_default=True, help="Seed of the generated offers.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"),
              show_default=True)
def demo(count: int, seed: int, output_dir: Path) -> None:
    """Run the whole pipeline offline on a local replica of the board.

    Starts the replica on 127.0.0.1, crawls it, exports, changes the replica
    (offers added, edited, removed), crawls and exports again, and prints a summary.
    """
    from pipeline.export import ExportRefused
    from replica.demo import run_demo

    try:
        run_demo(output_dir, count=count, seed=seed, echo=click.echo)
    except (RuntimeError, ExportRefused) as exc:
        fail(str(exc))


from cluster_cli import cluster  # noqa: E402  (a command group of its own module)

main.add_command(cluster)

if __name__ == "__main__":
    main()

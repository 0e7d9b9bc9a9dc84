"""`offres crawl` and `offres accept`: fetching a source, and the way out of the health gate."""
from __future__ import annotations

import getpass
import os

import click

from commands.base import (EXIT_FAILURE, EXIT_LOCKED, EXIT_UNHEALTHY, EXIT_UNREACHABLE, Output, common_options, db_path,
                           json_option, log_file_option, out)


class SourceChoice(click.Choice):
    """The crawlable sources (spiders.registry), read only when needed."""

    def __init__(self) -> None:
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:
        from spiders.registry import sources

        return tuple(sources())

    @choices.setter
    def choices(self, value) -> None:  # click.Choice.__init__ would set it
        pass


class CrawlCommand(click.Command):
    """Its help ends with the sources one can crawl."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        formatter.write_text("Sources: " + ", ".join(SourceChoice().choices) + ".")
        super().format_epilog(ctx, formatter)


def parse_settings(items: tuple[str, ...]) -> dict[str, str]:
    """`-s NAME=VALUE` pairs; the health thresholds among them (or in the environment) checked."""
    from pipeline.health import thresholds_from

    overrides = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="-s")
        overrides[name.strip()] = value
    try:
        thresholds_from({**{k: v for k, v in os.environ.items() if k.startswith("OFFRES_HEALTH_")}, **overrides})
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="-s") from None
    return overrides


def run_line(run: dict) -> str:
    counts = {k: run.get(k) or 0 for k in ("offers_seen", "offers_new", "offers_updated", "offers_closed",
                                            "offers_reopened", "errors")}  # null: a refused run changed nothing
    return (f"Run {run['id']}: {what_was_read(run)}, {counts['offers_seen']} offers seen, "
            f"{counts['offers_new']} new, {counts['offers_updated']} updated, {counts['offers_closed']} closed, "
            f"{counts['offers_reopened']} reopened, {counts['errors']} errors ({run['finish_reason']})")


def what_was_read(run: dict) -> str:
    """The run's input in words: its listing pages (France Travail: pages of search results), or
    the open-data file it read (or found unchanged)."""
    from pipeline.reports import run_stats

    stats = run_stats(run)
    file = stats.get("opendata/resource") or stats.get("opendata/candidate")
    if not isinstance(file, dict) or not file.get("title"):
        return f"{run['pages']} {'search result' if run.get('source') == 'francetravail' else 'listing'} pages"
    rows = file.get("rows") if isinstance(file.get("rows"), int) else 0
    if run.get("finish_reason") == "unchanged":
        return f"file {file['title']} unchanged (nothing downloaded)"
    if run.get("finish_reason") == "refused":
        return f"file {file['title']} refused" + (f" after {rows:,} rows" if rows else "")
    return f"file {file['title']}, {rows:,} rows ({file.get('digital_open') or 0:,} digital and open)"


@click.command(cls=CrawlCommand)
@click.argument("source", default="csp", type=SourceChoice())
@click.option("--base-url", help="Crawl a mirror or local replica instead of the real site.")
@click.option("--max-pages", type=int, help="Stop after this many listing pages (the crawl is then incomplete).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting (e.g. -s DOWNLOAD_DELAY=5, -s OFFRES_HEALTH_MIN_SEEN_RATIO=0.4); "
                   "repeatable.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
@click.option("--wait", is_flag=True, help="Wait for another crawl of this database to end instead of exiting 6.")
@click.option("--full", is_flag=True, help="Fetch every detail page again (default: only new, changed, failed "
                                           "and due for refresh; the listing is always crawled in full).")
@log_file_option
@json_option
@common_options
@click.pass_context
def crawl(ctx: click.Context, source: str, base_url: str | None, max_pages: int | None, settings: tuple[str, ...],
          verbose: bool, wait: bool, full: bool, log_file: str | None, as_json: bool) -> None:
    """Crawl a job board (default: csp) into the database and rebuild the offers.

    Exits 3 when the crawl looks broken (incomplete, far fewer offers than the
    last healthy crawl, fields suddenly empty): then no offer is closed; a drop
    over 20% passes with a warning (thresholds: settings OFFRES_HEALTH_*, see
    docs/storage.md). Exits 5 when the source cannot be reached. One crawl per
    database at a time: exits 6 if another one runs, or waits for it with --wait.

    Example: offres crawl csp -q --log-file /var/log/offres/crawl.log
    """
    from pipeline.reports import run_record
    from pipeline.store import CrawlLocked, crawl_lock
    from spiders.runner import CrawlFailed, run_crawl

    output = out(ctx, as_json, log_file)
    overrides = parse_settings(settings)
    if full:
        overrides["OFFRES_FULL"] = True
    if log_file:  # Scrapy's log goes to the file (and no longer to the terminal)
        overrides.setdefault("LOG_FILE", log_file)
        overrides.setdefault("LOG_LEVEL", "INFO")
    elif not verbose:  # what matters is in the summary below; -v shows Scrapy's log
        overrides.setdefault("LOG_LEVEL", "CRITICAL")
    overrides.setdefault("OFFRES_PROGRESS", not output.quiet and not as_json)
    if os.environ.get("NO_COLOR"):  # Scrapy colours its log on a terminal (-v)
        overrides.setdefault("LOG_COLOR", False)
    path = db_path(ctx)
    output.echo(f"Crawling {source} ({base_url or 'real site'}) into {path}", err=True)
    try:
        with crawl_lock(path, wait=wait):
            run = run_crawl(source, path, base_url=base_url, max_pages=max_pages, overrides=overrides,
                            verbose=verbose)
    except CrawlLocked as exc:
        output.fail(str(exc), EXIT_LOCKED)
    except CrawlFailed as exc:  # a SourceUnreachable (credentials, an open-data file out of reach) exits 5
        output.fail(str(exc), getattr(exc, "exit_code", EXIT_FAILURE))
    record = run_record(run)
    if as_json:
        output.json(record)
    elif not record["unreachable"]:  # else the error line says it all
        output.echo(run_line(run))
    report_verdict(output, record, run)


def report_verdict(output: Output, record: dict, run: dict | None = None) -> None:
    """Warnings, then the exit code the run deserves: 5 unreachable, 3 unhealthy, else 0."""
    for warning in record["health_warnings"]:
        output.warn(warning)
    if record["unreachable"]:
        output.fail(f"source unreachable: {record['unreachable']}", EXIT_UNREACHABLE)
    if not record["healthy"]:
        output.fail(f"crawl looks unhealthy, no offer closed: {'; '.join(record['health_notes'])}"
                    f"{accept_hint(record, run or {})}", EXIT_UNHEALTHY)


def accept_hint(record: dict, run: dict) -> str:
    """How the operator may accept the run, when `offres accept` can: a complete crawl, or an
    open-data file refused for its size or rows only (the check `offres accept` makes)."""
    if record["complete"]:
        return f" (if the site really changed: offres accept {record['id']} --reason TEXT)"
    from pipeline.accept import refused_file_run

    if run and refused_file_run(run):
        from pipeline.opendata_accept import FileNotAcceptable, refused_file

        try:
            refused_file(run)
        except FileNotAcceptable:
            return ""
        return f" (if the file really is this small, a new year's file say: offres accept {record['id']} --reason TEXT)"
    return ""


@click.command()
@click.argument("run_id", metavar="RUN", type=int)
@click.option("--reason", required=True, help="Why the run is right (kept in the runs table).")
@click.option("--by", "by", help="Who accepts it (default: your login name).")
@click.option("--dry-run", is_flag=True, help="Print what accepting the run would close or change; write nothing.")
@json_option
@common_options
@click.pass_context
def accept(ctx: click.Context, run_id: int, reason: str, by: str | None, dry_run: bool, as_json: bool) -> None:
    """Accept a crawl the health gate judged unhealthy: the site really changed.

    The run becomes its source's new baseline (later crawls are compared with it),
    and what it would have done happens now: its versions are used, the offers it
    no longer saw are closed, the offers are rebuilt. Who, when and why are kept and
    shown by `stats` and `changes --run RUN`. Only the latest crawl of a source,
    complete (listing read to its end), can be accepted; for csp-opendata, a file
    refused for its size or rows (an archive, a partial file, or a new year's file):
    its kept file is read again with no size floor and becomes the file the next
    week is compared with.

    Example: offres accept 12 --dry-run --reason "the board withdrew 200 offers (confirmed)" --by "A. Martin"
    """
    from pipeline.accept import AcceptRefused, accept_run, preview_accept
    from pipeline.store import CrawlLocked, crawl_lock, open_db

    output = out(ctx, as_json)
    path = db_path(ctx)
    if not os.path.isfile(path):
        output.fail(f"database not found: {path}")
    events: list[dict] = []
    try:
        by = by or getpass.getuser()
    except (KeyError, OSError):
        output.fail("cannot tell who you are: give --by NAME")
    try:
        with crawl_lock(path):
            if dry_run:
                done, events = preview_accept(open_db(path), run_id, reason=reason, by=by)
            else:
                done = accept_run(open_db(path), run_id, reason=reason, by=by)
    except CrawlLocked as exc:
        output.fail(str(exc), EXIT_LOCKED)
    except AcceptRefused as exc:
        output.fail(str(exc))
    run, rebuilt = done.run, done.rebuild
    if as_json:
        from pipeline.reports import run_record

        return output.json({"run": run_record(run), "dry_run": dry_run, "postings_gone": done.postings_gone,
                            "offers": {"new": rebuilt.new, "updated": rebuilt.updated, "closed": rebuilt.closed,
                                       "reopened": rebuilt.reopened, "open": rebuilt.open, "total": rebuilt.offers},
                            **({"events": events} if dry_run else {})})
    if dry_run:
        output.echo(f"Dry run, nothing written. Accepting run {run['id']} ({run['source']}, {run['offers_seen']} "
                    "offers seen) would change:")
        for event in events[:50]:
            output.echo(f"  {event['kind']:<8} {event['reference'] or event['offer_id']}  {event['title']}"
                        + (f" ({event['reason']})" if event["reason"] else ""))
        if len(events) > 50:
            output.echo(f"  … and {len(events) - 50} more (--json gives them all)")
    else:
        output.echo(f"Run {run['id']} ({run['source']}, {run['offers_seen']} offers seen) accepted by "
                    f"{run['accepted_by']} at {run['accepted_at']}: {run['accepted_reason']}")
    output.echo(f"{done.postings_gone} postings gone; offers: {rebuilt.closed} closed, {rebuilt.new} new, "
                f"{rebuilt.updated} updated, {rebuilt.reopened} reopened; {rebuilt.open} open of {rebuilt.offers}")

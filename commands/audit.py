"""`offres audit`: a hand-kept page of offers checked against the board (read-only)."""
from __future__ import annotations

from pathlib import Path

import click

from commands.base import EXIT_FINDINGS, EXIT_OK, EXIT_UNREACHABLE, common_options, json_option, out, read_db


@click.command()
@click.argument("page")
@click.option("--employer", default="DINUM", show_default=True,
              help="The page's employer: its open digital offers must all be listed ('' to skip that check).")
@json_option
@common_options
@click.pass_context
def audit(ctx: click.Context, page: str, employer: str, as_json: bool) -> None:
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

    say = out(ctx, as_json)
    if page.startswith(("http://", "https://")):
        try:
            text, url = fetch_page(page)
        except FetchError as exc:
            say.fail(str(exc), EXIT_UNREACHABLE)
    else:
        path = Path(page)
        text, url = path.read_text(encoding="utf-8", errors="replace"), path.resolve().as_uri()
    report = audit_page(read_db(ctx), parse_curated_page(text, url), url, employer=employer or None)
    if as_json:
        say.json(report.as_dict())
    else:
        for line in report_lines(report):
            say.echo(line)
    ctx.exit(EXIT_FINDINGS if report.to_fix else EXIT_OK)

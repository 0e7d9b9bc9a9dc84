"""Commands to look at the data: preview (a static site) and browse (Datasette)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from commands.base import EXIT_OK, common_options, db_path, fail, json_option, out, read_db, write_db


@click.command()
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("preview"),
              show_default=True, help="Folder to write the site into (replaced as a whole).")
@click.option("--all", "include_all", is_flag=True, help="Every offer, not only open digital ones.")
@click.option("--page-employer", metavar="NAME",
              help="Make the main page this employer's page (e.g. DINUM): its offers by theme, then other "
                   "administrations' high-level posts. Default: every offer by theme.")
@json_option
@common_options
@click.pass_context
def preview(ctx: click.Context, output: Path, include_all: bool, page_employer: str | None, as_json: bool) -> None:
    """Write a static preview site: the regenerated page, one page per offer, search and filters.

    Every file is local (no request elsewhere at view time); open index.html in a browser
    or serve the folder.

    Example: offres preview -o preview && python -m http.server -d preview
    """
    from pipeline.preview import build_preview

    say = out(ctx, as_json)
    summary = build_preview(read_db(ctx), output, include_all=include_all, page_employer=page_employer)
    if as_json:
        return say.json(summary)
    say.echo(f"Wrote {summary['offers']} offer pages and {summary['index']}")


@click.command()
@click.option("--port", default=8001, show_default=True, help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open a web browser on it.")
@common_options
@click.pass_context
def browse(ctx: click.Context, port: int, host: str, open_browser: bool) -> None:
    """Browse the database in Datasette, with metadata, views (open_digital_offers...) and foreign keys.

    Adds the missing foreign keys and views to the database first (idempotent).

    Example: offres --db demo-output/demo.db browse --open
    """
    import subprocess
    import tempfile

    from pipeline.browse import datasette_command, prepare_database, write_metadata
    from pipeline.store import crawl_running

    say, path = out(ctx), db_path(ctx)
    if not Path(path).exists():
        fail(f"no database at {path}")
    crawling = crawl_running(path)
    if crawling:
        say.echo("A crawl is running: foreign keys not added this time (views only)", err=True)
    done = prepare_database(write_db(ctx), foreign_keys=not crawling)
    if done["foreign_keys"] or done["views"]:
        say.echo(f"Added {done['foreign_keys']} foreign keys; views created or updated: "
                 f"{', '.join(done['views']) or 'none'}", err=True)
    with tempfile.TemporaryDirectory(prefix="offres-browse-") as folder:
        command = datasette_command(path, write_metadata(path, folder), port=port, host=host,
                                    open_browser=open_browser)
        say.echo(f"Serving {path} at http://{host}:{port}/ (Ctrl-C to stop)", err=True)
        try:
            sys.exit(subprocess.call(command))
        except KeyboardInterrupt:
            sys.exit(EXIT_OK)

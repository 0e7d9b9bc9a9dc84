"""The `offres` command: the entry point (`offres = "cli:main"`), a thin click layer over the library.

The commands live in the `commands` package, one module per group of commands;
each is registered below with one line (see commands/__init__.py to add one).

Exit codes: 0 success; 1 failure; 2 usage error; 3 unhealthy crawl or export
refused because the data looks broken; 4 done, but some input records were rejected;
5 the source (for audit: the page) could not be reached; 6 another crawl is running on
this database (`crawl --wait` queues instead); 7 audit: the page has something to fix;
141 the reader of the output went away (`| head`).
"""
from __future__ import annotations

import click

from commands.base import (EXIT_CODES_HELP, EXIT_FAILURE, EXIT_FINDINGS, EXIT_LOCKED, EXIT_OK,  # noqa: F401 (the
                           EXIT_PARTIAL, EXIT_UNHEALTHY, EXIT_UNREACHABLE, EXIT_USAGE, OffresGroup)  # codes, for callers)
from commands.audit import audit
from commands.crawl import accept, crawl
from commands.data import export, ingest, reprocess
from commands.portal import browse, preview
from commands.read import changes, explain, stats, taxonomy
from commands.tools import classify, demo, normalize
from cluster_cli import cluster  # the `offres cluster` group (docs/cluster.md)
from pipeline.store import default_db_path


@click.group(cls=OffresGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=EXIT_CODES_HELP)
@click.option("--db", "db_path", envvar="OFFRES_DB", default=default_db_path, show_default="data/offres.db",
              type=click.Path(dir_okay=False), help="SQLite database (env OFFRES_DB); also accepted after the command.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success (errors still go to stderr).")
@click.version_option(package_name="offres")
@click.pass_context
def main(ctx: click.Context, db_path: str, quiet: bool) -> None:
    """Digital-sector job offers of the French public service: crawl, clean, deduplicate, export.

    Example: offres crawl csp && offres export -o /srv/portal/offres.json
    """
    obj = ctx.ensure_object(dict)
    obj["db_path"] = db_path  # a --db after the command replaces it (commands.base.common_options)
    obj["quiet"] = obj.get("quiet") or quiet


for command in (crawl, accept, export, audit, ingest, reprocess, stats, changes, explain, taxonomy, normalize,
                classify, demo, cluster, preview, browse):
    main.add_command(command)


if __name__ == "__main__":
    main()

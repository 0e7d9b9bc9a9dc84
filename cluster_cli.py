"""`offres cluster`: deploy the spiders to Scrapyd nodes, schedule, watch, collect (docs/cluster.md)."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

EXIT_UNHEALTHY, EXIT_UNREACHABLE = 3, 5
CONFIG_HELP = "Cluster config (TOML; default cluster.toml, env OFFRES_CLUSTER_CONFIG); else OFFRES_SCRAPYD."
PROJECT_OPTION = dict(envvar="OFFRES_SCRAPYD_PROJECT", default="offres", show_default=True,
                      help="Scrapyd project of the spiders (env OFFRES_SCRAPYD_PROJECT).")


def nodes_or_fail(config: str | None):
    from pipeline.cluster.nodes import ClusterConfigError, load_nodes

    try:
        return load_nodes(config)
    except ClusterConfigError as exc:
        raise click.UsageError(str(exc)) from None


def error(message: str, code: int) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(code)


def setting_pairs(items: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="-s")
        pairs[name.strip()] = value
    return pairs


@click.group()
def cluster() -> None:
    """Crawl on Scrapyd nodes; the database here stays where offers are decided.

    Example: OFFRES_SCRAPYD=csp=http://node1:6800 offres cluster deploy
    """


@cluster.command()
@click.option("--config", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--project", **PROJECT_OPTION)
@click.option("--version", "version", help="Version of the egg (default: the build time).")
@click.option("--egg", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Upload this egg instead of building one.")
def deploy(config: str | None, project: str, version: str | None, egg: Path | None) -> None:
    """Build the spiders' egg (scrapyd-deploy) and upload it to every node.

    Example: offres cluster deploy --config cluster.toml
    """
    from pipeline.cluster.egg import EggBuildFailed, build_egg, default_version
    from pipeline.cluster.scrapyd import ScrapydClient, ScrapydError

    nodes = nodes_or_fail(config)
    version = version or default_version()
    with tempfile.TemporaryDirectory(prefix="offres-deploy-") as scratch:
        try:
            path = egg or build_egg(Path(scratch) / f"{project}-{version}.egg")
        except EggBuildFailed as exc:
            error(str(exc), 1)
        payload = path.read_bytes()
    failed = 0
    for node in nodes:
        try:
            answer = ScrapydClient(node).add_version(project, version, payload)
        except ScrapydError as exc:
            failed += 1
            click.secho(f"{node.name}: not deployed: {exc}", fg="red", err=True)
            continue
        click.echo(f"{node.name} ({node.url}): {project} {version}, {answer.get('spiders', '?')} spiders")
    if failed:
        sys.exit(EXIT_UNREACHABLE)


@cluster.command()
@click.argument("source")
@click.option("--config", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--project", **PROJECT_OPTION)
@click.option("--base-url", help="Crawl a mirror or local replica instead of the real site.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
@click.option("--json", "as_json", is_flag=True, help="Print the job as JSON.")
def schedule(source: str, config: str | None, project: str, base_url: str | None, settings: tuple[str, ...], as_json: bool) -> None:
    """Schedule a crawl of SOURCE on the node that owns it.

    Example: offres cluster schedule csp
    """
    from pipeline.cluster.nodes import ClusterConfigError, owner_of
    from pipeline.cluster.schedule import job_settings
    from pipeline.cluster.scrapyd import ScrapydClient, ScrapydError

    nodes = nodes_or_fail(config)
    try:
        node = owner_of(source, nodes)
    except ClusterConfigError as exc:
        raise click.UsageError(str(exc)) from None
    args = {"base_url": base_url} if base_url else {}
    try:
        job = ScrapydClient(node).schedule(project, source, args, job_settings(base_url, setting_pairs(settings)))
    except ScrapydError as exc:
        error(str(exc), EXIT_UNREACHABLE)
    if as_json:
        click.echo(json.dumps({"node": node.name, "url": node.url, "source": source, "job": job}))
    else:
        click.echo(f"{source}: job {job} on {node.name} ({node.url})")


@cluster.command()
@click.option("--config", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--project", **PROJECT_OPTION)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def status(obj: dict, config: str | None, project: str, as_json: bool) -> None:
    """Every node's daemon status and jobs in one table (and whether each job was collected).

    Example: offres cluster status --json
    """
    from pipeline.cluster.status import cluster_status

    report = cluster_status(nodes_or_fail(config), (obj or {}).get("db_path"), project)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        for node in report["nodes"]:
            state = node.get("error") or (f"{node['pending']} pending, {node['running']} running, "
                                          f"{node['finished']} finished")
            click.echo(f"{node['name']:<10} {node['url']:<32} {state}")
        if report["jobs"]:
            click.echo(f"\n{'node':<10} {'job':<34} {'source':<16} {'state':<9} {'collected':<9} started")
        for job in report["jobs"]:
            click.echo(f"{job['node']:<10} {job['id']:<34} {job['spider']:<16} {job['state']:<9} "
                       f"{job['collected'] or '-':<9} {job.get('start_time') or ''}")
    if any(node.get("error") for node in report["nodes"]):
        sys.exit(EXIT_UNREACHABLE)


@cluster.command()
@click.option("--config", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--project", **PROJECT_OPTION)
@click.option("--json", "as_json", is_flag=True, help="Print the collected jobs as JSON.")
@click.pass_obj
def collect(obj: dict, config: str | None, project: str, as_json: bool) -> None:
    """Ingest every finished job not collected yet, one run per job, judged like a local crawl.

    Exits 3 when a collected job looks unhealthy (it closed nothing), 5 when a node
    could not be reached (its jobs are collected next time).
    Example: offres cluster collect
    """
    from pipeline.cluster.collect import collect as run
    from pipeline.store import open_db

    nodes = nodes_or_fail(config)
    db = open_db(obj["db_path"])
    jobs, problems = run(db, nodes, project, echo=None if as_json else click.echo)
    if as_json:
        click.echo(json.dumps({"jobs": [vars(j) for j in jobs], "problems": problems}, ensure_ascii=False))
    elif not jobs:
        click.echo("nothing to collect")
    for problem in problems:
        click.secho(f"Error: {problem}", fg="red", err=True)
    if any(not j.healthy for j in jobs):
        sys.exit(EXIT_UNHEALTHY)
    if problems:
        sys.exit(EXIT_UNREACHABLE)


@cluster.command()
@click.argument("job")
@click.option("--config", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--project", **PROJECT_OPTION)
@click.option("--node", "node_name", help="The node running the job (default: the one that has it).")
def cancel(job: str, config: str | None, project: str, node_name: str | None) -> None:
    """Cancel a pending or running job (what it found is collected, judged unhealthy, closes nothing).

    Example: offres cluster cancel 6487ec79947edab326d6db28a2d86511e8247444
    """
    from pipeline.cluster.scrapyd import ScrapydClient, ScrapydError

    for node in nodes_or_fail(config):
        if node_name and node.name != node_name:
            continue
        client = ScrapydClient(node)
        try:
            jobs = client.list_jobs(project)
            if any(j["id"] == job for state in ("pending", "running") for j in jobs.get(state, [])):
                previous = client.cancel(project, job).get("prevstate")
                click.echo(f"{node.name}: job {job} cancelled (was {previous})")
                return
        except ScrapydError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
    error(f"no pending or running job {job}", 1)

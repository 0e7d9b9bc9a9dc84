"""Commands that only read the database (opened read-only, never created): stats, changes, explain, taxonomy."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click

from commands.base import Output, common_options, json_option, out, read_db

LIST_LIMIT = 20  # lines per kind of change before "… and N more"


def run_health(run: dict) -> str:
    """How a run was judged, in words: healthy, with warnings, unhealthy, accepted (by whom, why)."""
    if run.get("state") == "interrupted":
        return "INTERRUPTED (killed before its end)"
    if run.get("state") == "running":
        return "running"
    if run["accepted"]:
        return (f"UNHEALTHY ({'; '.join(run['health_notes'])}), accepted by {run['accepted_by']} "
                f"at {run['accepted_at']}: {run['accepted_reason']}")
    if run["unreachable"]:
        return f"UNREACHABLE: {run['unreachable']}"
    if run["healthy"] is False:
        return f"UNHEALTHY: {'; '.join(run['health_notes'])}"
    if run["health_warnings"]:
        return f"healthy, warning: {'; '.join(run['health_warnings'])}"
    return "healthy"


@click.command()
@click.option("--runs", default=5, show_default=True, help="How many recent runs to list.")
@click.option("--plot", type=click.Path(dir_okay=False),
              help="Also draw open digital offers by family and region and open offers over the runs (SVG file).")
@json_option
@common_options
@click.pass_context
def stats(ctx: click.Context, runs: int, as_json: bool, plot: str | None) -> None:
    """Offers by status, category, region, family and source; the last runs and their health.

    Example: offres stats --db data/offres.db --runs 10
    """
    from pipeline.reports import database_stats

    say = out(ctx, as_json)
    data = database_stats(read_db(ctx), runs=runs)
    if plot:
        from pipeline.charts import write_plot

        write_plot(read_db(ctx), plot)
        say.echo(f"Wrote the charts to {plot}", err=True)
    if as_json:
        return say.json(data)
    say.echo(f"{data['offers']} offers, {data.get('digital_open', 0)} open digital"
             + (f" ({data['digital_open_outside_numerique']} outside the board's Numérique listing, found by "
                "the open-data file)" if data.get("digital_open_outside_numerique") else ""))
    if data.get("unlisted_pages"):
        say.echo("Their board pages: " + ", ".join(f"{n} {state}" for state, n in data["unlisted_pages"].items()))
    for title, key in (("Offers by status", "by_status"), ("Open offers by category", "by_category"),
                       ("Open offers by region", "by_region"), ("Open digital offers by family", "by_family"),
                       ("Postings by source", "postings_by_source")):
        say.echo(f"\n{title}:")
        for value, count in data.get(key) or []:
            say.echo(f"  {count:>6}  {value}")
    say.echo("\nLast runs:")
    for run in data.get("runs", []):
        n = {k: run.get(k) or 0 for k in ("offers_seen", "offers_new", "offers_updated", "offers_closed", "errors")}
        unchanged = " (the same file as before: nothing downloaded)" if run.get("finish_reason") == "unchanged" else ""
        say.echo(f"  #{run['id']} {run['kind']} {run['source']} {run['started_at']}: {n['offers_seen']} seen, "
                 f"{n['offers_new']} new, {n['offers_updated']} updated, {n['offers_closed']} closed, "
                 f"{n['errors']} errors, {run_health(run)}{unchanged}")


def since_value(value: str | None) -> str | None:
    """--since as the ISO UTC text the events are stamped with (a date is its midnight UTC)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date or time: {value!r}", param_hint="--since") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def event_line(event: dict) -> str:
    detail = event["reason"] or (", ".join(event["fields"] or []) if event["kind"] == "updated" else "")
    return f"  {event['reference'] or event['offer_id']}  {event['title']}" + (f" ({detail})" if detail else "")


def print_events(say: Output, events: list[dict], show_all: bool) -> None:
    from pipeline.reports import EVENT_KINDS

    for kind in EVENT_KINDS:
        rows = [e for e in events if e["kind"] == kind]
        say.echo(f"\n{kind}: {len(rows)}")
        shown = rows if show_all else rows[:LIST_LIMIT]
        for event in shown:
            say.echo(event_line(event))
        if len(rows) > len(shown):
            say.echo(f"  … and {len(rows) - len(shown)} more (--all lists them, --json gives them all)")


@click.command()
@click.option("--run", "run_id", type=int, help="Changes made by this run (default: the latest).")
@click.option("--since", help="Changes recorded at or after this date or time (ISO 8601), by any run.")
@click.option("--all", "show_all", is_flag=True, help=f"List every change (default: the first {LIST_LIMIT} of each kind).")
@json_option
@common_options
@click.pass_context
def changes(ctx: click.Context, run_id: int | None, since: str | None, show_all: bool, as_json: bool) -> None:
    """What a run changed, as recorded when it happened: new, updated, closed, reopened, merged offers.

    Reads the events every rebuild records (crawl, ingest, accept, reprocess):
    `--run N` lists run N's changes, `--since DATE` every change since then.

    Example: offres changes --since 2026-12-01 --json
    """
    from pipeline.reports import EVENT_KINDS, errors_of_run, recorded_events, run_record

    say = out(ctx, as_json)
    db = read_db(ctx)
    moment = since_value(since)
    run = None
    if run_id is not None or moment is None:
        sql = "select * from runs where id = ?" if run_id is not None else "select * from runs order by id desc limit 1"
        row = next(db.query(sql, [run_id] if run_id is not None else []), None) if db.table("runs").exists() else None
        if row is None:
            say.fail("no run recorded yet" if run_id is None else f"no run {run_id}")
        run = run_record(row)
    events = recorded_events(db, run_id=run["id"] if run else None, since=moment)
    errors = errors_of_run(db, run["id"]) if run else []
    if as_json:
        return say.json({"run": run, "since": moment, "counts": {k: sum(e["kind"] == k for e in events)
                                                                  for k in EVENT_KINDS},
                         "events": events, "errors": errors})
    if run:
        say.echo(f"Run #{run['id']} ({run['kind']} {run['source']}, {run['started_at']}): {run_health(run)}")
    else:
        say.echo(f"Changes since {moment}")
    print_events(say, events, show_all)
    if run:
        counters = json.loads(next(db.query("select stats from runs where id = ?", [run["id"]]))["stats"] or "{}")
        if counters:
            say.echo("\ncounters: " + ", ".join(f"{k} {v}" for k, v in counters.items()))
    if errors:
        say.echo(f"\nerrors (first {len(errors)}):")
        for error in errors:
            say.echo(f"  {error['location']} [{error['field']}] {error['message']}")


@click.command()
@click.argument("reference")
@json_option
@common_options
@click.pass_context
def explain(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Why an offer is what it is: its postings, merges, rejected candidates, status.

    Example: offres explain DEF_15-00064919
    """
    from pipeline.explain import explain_offer, format_explanation

    say = out(ctx, as_json)
    report = explain_offer(read_db(ctx), reference)
    if report is None:
        say.fail(f"no offer or posting with reference or id {reference!r}")
    if as_json:
        return click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    say.echo(format_explanation(report))


@click.group()
def taxonomy() -> None:
    """The job-family taxonomy (data/taxonomy/).

    Example: offres taxonomy unmapped
    """


@taxonomy.command()
@common_options
@click.pass_context
def unmapped(ctx: click.Context) -> None:
    """Métier labels seen in the database that the taxonomy does not map.

    Example: offres taxonomy unmapped --db data/offres.db
    """
    from pipeline.classify import taxonomy_version, unmapped_metiers

    say = out(ctx)
    db = read_db(ctx)
    counts = {r["metier"]: r["n"] for r in db.query(
        "select metier, count(*) as n from offers where metier is not null group by metier")}
    labels = unmapped_metiers(counts)
    say.echo(f"taxonomy {taxonomy_version()}: {len(labels)} unmapped métier labels", err=True)
    for label in sorted(labels, key=lambda label: (-counts.get(label, 0), label)):
        say.echo(f"{counts.get(label, 0):>6}  {label}")

"""Commands that need no database: normalize, classify (the library's pure functions), demo."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from commands.base import EXIT_PARTIAL, echo_json, fail, parse_now


@click.command()
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


@click.command()
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


@click.command()
@click.option("--offers", "count", default=250, show_default=True, help="Offers on the replica.")
@click.option("--seed", default=1, show_default=True, help="Seed of the generated offers.")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-output"),
              show_default=True)
def demo(count: int, seed: int, output_dir: Path) -> None:
    """Run the whole pipeline offline on local replicas of the boards.

    Starts replicas of the board, of emploi-territorial.fr and of data.gouv.fr, and a
    fake France Travail API, on 127.0.0.1; crawls both boards and France Travail, reads
    the weekly open-data file, exports, changes the replicas (offers added, edited,
    removed), crawls and exports again, and prints a summary.

    Example: offres demo --offers 500 --output-dir /tmp/demo
    """
    from pipeline.export import ExportRefused
    from replica.demo import run_demo

    try:
        run_demo(output_dir, count=count, seed=seed, echo=click.echo)
    except (RuntimeError, ExportRefused) as exc:
        fail(str(exc))

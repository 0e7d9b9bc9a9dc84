"""Accepting an open-data file its checks refused: `offres accept RUN` on a `csp-opendata` run.

A file far smaller than the last accepted one is refused (exit 3): an archive or a partial
file looks like that, and so does the first file of a new year if the board starts the
cumulative file again in January. The operator who has looked says which it is. The refused
run kept its file (`runs.stats` `opendata/candidate`): accepting reads it again with no size
or row floor, stores what matters as an accepted file would have, rebuilds the offers (their
events carry the run's id) and makes it the file the next week is compared with. A file
whose header, format or encoding was refused cannot be accepted: it would be refused again.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlite_utils import Database

from parsers.csp_opendata import SOURCE
from pipeline.lifecycle import RebuildStats, rebuild_offers
from pipeline.opendata import FileChecks, file_summary, ingest_file, last_accepted
from pipeline.reports import run_stats

ANY_SIZE = FileChecks(min_bytes=0, min_rows=0, min_ratio=0.0)


class FileNotAcceptable(ValueError):
    """The refused run has no file that accepting could take (named in the message)."""


def refused_file(run: dict) -> tuple[Path, dict]:
    """The file a refused run of the source kept, and what the run noted of it (`opendata/candidate`);
    FileNotAcceptable when there is none."""
    candidate = run_stats(run).get("opendata/candidate")
    candidate = candidate if isinstance(candidate, dict) else {}
    name = candidate.get("title") or "its file"
    if not candidate.get("file") or not candidate.get("read_whole"):
        raise FileNotAcceptable(f"run {run['id']} refused {name} before it was read whole "
                                f"({run['health_notes']}): there is no file to accept")
    path = Path(candidate["file"])
    if not path.is_file():
        raise FileNotAcceptable(f"run {run['id']} kept {name} at {path}, which is no longer there")
    return path, candidate


def accept_refused_file(db: Database, run: dict, today: date | None = None) -> tuple[int, RebuildStats]:
    """Read the refused run's file again with no size floor and store it as accepted, inside the
    caller's transaction; returns (offers seen, the rebuild). FileNotAcceptable when the file is
    refused for another reason than its size (header, format, encoding)."""
    path, candidate = refused_file(run)
    run_id = run["id"]
    db.execute("delete from errors where run_id = ? and source = ?", [run_id, SOURCE])  # recorded again below
    accepted, problems, reading = ingest_file(db, run_id, path, today or date.today(), last_accepted(db), ANY_SIZE)
    if not accepted:
        raise FileNotAcceptable(f"{candidate.get('title') or path.name} cannot be taken: {'; '.join(problems)}")
    resource = {k: candidate.get(k) for k in ("id", "title", "url", "checksum", "filesize", "last_modified")}
    rebuilt = rebuild_offers(db, run_id=run_id)
    db.table("runs").update(run_id, {
        "complete": 1, "errors": len(reading.errors),
        "stats": json.dumps({"opendata/resource": file_summary(resource, path, reading)})})
    return len(reading.selected) + len(reading.unchanged), rebuilt

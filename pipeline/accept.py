"""The operator accepts a crawl the health gate refused (a real drop): `offres accept`.

The run becomes the health baseline of its source (`store.last_healthy_run`), and what a
healthy run would have done happens now: its versions are promoted, the postings it did
not see are gone, the offers are rebuilt (their events carry the run's id). Who accepted
it, when and why are kept in the run's row. An open-data file refused for its size is read
again and stored instead (`pipeline.opendata_accept`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from parsers.csp_opendata import SOURCE as OPENDATA_SOURCE
from pipeline.lifecycle import RebuildStats, rebuild_offers
from pipeline.store import mark_gone, promote_run, utcnow, write_transaction


class AcceptRefused(Exception):
    """The run cannot be accepted (named in the message); nothing was changed."""


@dataclass
class Acceptance:
    """What accepting a run did."""

    run: dict
    postings_gone: int
    rebuild: RebuildStats


def check_acceptable(db: Database, run_id: int) -> dict:
    """The run's row, if it is a finished, complete (or an open-data file refused, its file kept),
    unhealthy, unaccepted latest crawl of its source."""
    run = next(db.query("select * from runs where id = ?", [run_id]), None)
    if run is None:
        raise AcceptRefused(f"no run {run_id}")
    if run["kind"] != "crawl":
        raise AcceptRefused(f"run {run_id} is an {run['kind']}, not a crawl: only a crawl can be accepted")
    if run.get("accepted_at"):
        raise AcceptRefused(f"run {run_id} was already accepted by {run['accepted_by']} at {run['accepted_at']}")
    if run["healthy"]:
        raise AcceptRefused(f"run {run_id} is healthy: there is nothing to accept")
    if not run["finished_at"]:
        raise AcceptRefused(f"run {run_id} has not finished")
    if refused_file_run(run):  # the open-data file its size refused: its kept file is what is accepted
        from pipeline.opendata_accept import FileNotAcceptable, refused_file

        try:
            refused_file(run)
        except FileNotAcceptable as exc:
            raise AcceptRefused(str(exc)) from None
    elif not run["complete"] or run.get("unreachable"):
        raise AcceptRefused(f"run {run_id} did not crawl its listing to the end ({run['health_notes']}): "
                            "accepting it would close offers it never saw")
    latest = next(db.query("select max(id) as id from runs where kind = 'crawl' and source = ?", [run["source"]]))
    if latest["id"] != run_id:
        raise AcceptRefused(f"run {run_id} is not the latest crawl of {run['source']} (run {latest['id']} is): "
                            "accept the latest one")
    return run


def refused_file_run(run: dict) -> bool:
    """Whether the run is an open-data file refused by its checks (`pipeline.opendata_accept`)."""
    return run["source"] == OPENDATA_SOURCE and run["finish_reason"] == "refused"


def accept_run(db: Database, run_id: int, reason: str, by: str) -> Acceptance:
    """Accept an unhealthy crawl as the new state of its source, in one transaction."""
    if not reason.strip():
        raise AcceptRefused("give the reason of the acceptance (--reason)")
    if not by.strip():
        raise AcceptRefused("give who accepts the run (--by)")
    with write_transaction(db):
        run = check_acceptable(db, run_id)
        db.table("runs").update(run_id, {"accepted_at": utcnow(), "accepted_by": by.strip(),
                                         "accepted_reason": reason.strip()})
        if refused_file_run(run):
            from pipeline.opendata_accept import FileNotAcceptable, accept_refused_file

            try:
                seen_count, rebuilt = accept_refused_file(db, run)
            except FileNotAcceptable as exc:
                raise AcceptRefused(str(exc)) from None
            run["offers_seen"], gone = seen_count, 0  # a late source's file closes nothing by its absence
        else:
            promote_run(db, run_id)
            seen = {r["id"] for r in db.query("select id from postings where source = ? and last_run_id = ?",
                                              [run["source"], run_id])}
            gone = mark_gone(db, run["source"], seen, run["started_at"])
            rebuilt = rebuild_offers(db, run_id=run_id)
        db.table("runs").update(run_id, {
            "offers_seen": run["offers_seen"],
            "offers_new": (run["offers_new"] or 0) + rebuilt.new,
            "offers_updated": (run["offers_updated"] or 0) + rebuilt.updated,
            "offers_closed": (run["offers_closed"] or 0) + rebuilt.closed,
            "offers_reopened": (run["offers_reopened"] or 0) + rebuilt.reopened})
    return Acceptance(run=db.table("runs").get(run_id), postings_gone=gone, rebuild=rebuilt)


def preview_accept(db: Database, run_id: int, reason: str, by: str) -> tuple[Acceptance, list[dict]]:
    """What accepting the run would do, and the events it would record, with nothing written:
    the acceptance runs inside a transaction that is rolled back."""
    if db.conn.in_transaction:
        raise RuntimeError("preview_accept needs a connection with no open transaction")
    last = next(db.query("select coalesce(max(id), 0) as id from events"))["id"]
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        done = accept_run(db, run_id, reason=reason, by=by)
        events = [dict(r) for r in db.query("select * from events where id > ? order by id", [last])]
    finally:
        db.conn.rollback()
    return done, events

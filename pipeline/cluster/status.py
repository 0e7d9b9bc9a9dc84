"""One table of every node's daemon status and jobs."""
from __future__ import annotations

from pathlib import Path

from pipeline.cluster.egg import PROJECT
from pipeline.cluster.nodes import Node
from pipeline.cluster.scrapyd import ScrapydClient, ScrapydError


def collected_jobs(db_path: str | None) -> dict[tuple[str, str], int]:
    """(node, job) -> run id of the jobs already collected; read-only, never creates the database."""
    if not db_path or not Path(db_path).exists():
        return {}
    import sqlite3

    connection = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        rows = connection.execute("select node, job, run_id from cluster_jobs").fetchall()
    except sqlite3.OperationalError:  # no job collected yet
        return {}
    finally:
        connection.close()
    return {(node, job): run_id for node, job, run_id in rows}


def cluster_status(nodes: list[Node], db_path: str | None = None, project: str = PROJECT) -> dict:
    """{"nodes": [...], "jobs": [...]}: an unreachable node has an `error` and no jobs."""
    done = collected_jobs(db_path)
    report: dict = {"nodes": [], "jobs": []}
    for node in nodes:
        client = ScrapydClient(node)
        entry = {"name": node.name, "url": node.url, "sources": list(node.sources)}
        try:
            daemon = client.daemon_status()
            jobs = client.list_jobs(project)
        except ScrapydError as exc:
            report["nodes"].append({**entry, "error": str(exc)})
            continue
        entry.update({k: daemon.get(k, 0) for k in ("pending", "running", "finished")})
        report["nodes"].append(entry)
        for state in ("pending", "running", "finished"):
            for job in jobs.get(state, []):
                run_id = done.get((node.name, job["id"]))
                report["jobs"].append({"node": node.name, "id": job["id"], "spider": job.get("spider"),
                                       "state": state, "start_time": job.get("start_time"),
                                       "end_time": job.get("end_time"),
                                       "collected": f"run {run_id}" if run_id else None})
    return report

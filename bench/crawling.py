"""Helpers of the crawl benchmarks: the `offres` command in a child process, timed; exports
compared without their clock fields. Request counts come from the replica's own counters."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
CLOCK_FIELDS = {"first_seen_at", "last_seen_at", "updated_at", "closed_at"}
WHEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*")  # "absent from the complete crawl of csp at <when>"


def offres(db: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """`offres --db DB ARGS...` in a child process; returns it and its wall time."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT,
                          capture_output=True, text=True)
    return done, time.perf_counter() - start


def status(done: subprocess.CompletedProcess) -> str:
    return "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[-160:]}"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def export_without_clock(db: Path) -> list[dict]:
    """`offres export --all` of a database, without the fields that say when a crawl ran."""
    done, _ = offres(db, "export", "--all", "--force", "--allow-empty", "--output", "-")
    offers = json.loads(done.stdout)["offers"]
    return [{k: WHEN.sub("<when>", v) if isinstance(v, str) else v for k, v in offer.items() if k not in CLOCK_FIELDS}
            for offer in offers]

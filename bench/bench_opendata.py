"""The weekly open-data file at its real size: ingest time and peak RSS, an unchanged week, a 5% week.

A 260,000-row file (about 120 MB, like `offres-datagouv-20260913.csv`, with its 0.7% of references
that have a second row, a copy or another variant) is generated,
served by the data.gouv.fr replica, and read by `offres crawl csp-opendata` in a child
process (peak RSS of that process). Targets (issue 12): first ingest <= 180 s and
<= 300 MB; the same file again downloads nothing; next week's file (5% of rows changed,
new rows) costs at most a quarter of the first ingest. `BENCH_OPENDATA_ROWS` sets the size.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from replica.datagouv import DataGouvReplica
from replica.datagouv_rows import OpenDataWeek

PROJECT = Path(__file__).resolve().parent.parent


def timed_crawl(db: Path, base_url: str) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB of the child, last line of its output) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cli", "--db", str(db), "crawl", "csp-opendata", "--base-url",
                           base_url], cwd=PROJECT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    line = (done.stdout.strip().splitlines() or [done.stderr.strip()[-200:]])[-1]
    if done.returncode != 0:
        line = f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
    return seconds, max(peak, before) / 1024, line


def run() -> list[str]:
    rows = int(os.environ.get("BENCH_OPENDATA_ROWS", 260_000))
    today = date.today()
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-opendata-") as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        weeks = {w: OpenDataWeek(rows=rows, seed=3, week=w, added=rows // 100, today=today, repeats=0.007)
                 for w in (0, 1)}
        files = {w: (folder / f"week{w}.csv", spec.write(folder / f"week{w}.csv")) for w, spec in weeks.items()}
        lines.append(f"generated 2 weekly files of {files[0][1]['rows']:,} and {files[1][1]['rows']:,} rows "
                     f"({files[0][1]['bytes'] / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
        db = folder / "offres.db"
        with DataGouvReplica(folder) as replica:
            replica.publish(*files[0], week=0)
            first, rss, summary = timed_crawl(db, replica.base_url)
            lines.append(f"first ingest: {first:.1f} s (target <= 180 s: {'met' if first <= 180 else 'MISSED'}), "
                         f"peak RSS {rss:.0f} MB (target <= 300 MB: {'met' if rss <= 300 else 'MISSED'}); {summary}")
            sent = replica.state.bytes_sent
            same, _, summary = timed_crawl(db, replica.base_url)
            downloaded = replica.state.bytes_sent - sent
            lines.append(f"same file again: {same:.1f} s, {downloaded:,} bytes downloaded "
                         f"(target 0: {'met' if downloaded == 0 else 'MISSED'}); {summary}")
            replica.publish(*files[1], week=1)
            week, rss2, summary = timed_crawl(db, replica.base_url)
            ratio = week / first
            lines.append(f"next week (5% of rows changed): {week:.1f} s = {ratio:.2f}x the first ingest "
                         f"(target <= 0.25x: {'met' if ratio <= 0.25 else 'MISSED'}), peak RSS {rss2:.0f} MB; {summary}")
        lines.append(f"database: {db.stat().st_size / 1e6:.1f} MB" if db.exists() else "database: none")
    return lines

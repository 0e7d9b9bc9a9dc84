"""The weekly open-data file at its real size: ingest time and peak RSS, an unchanged week, a 5% week.

A 260,000-row file (about 120 MB, like `offres-datagouv-20260913.csv`, with its 0.7% of references
that have a second row, a copy or another variant) is generated,
served by the data.gouv.fr replica, and read by `offres crawl csp-opendata` in a child
process (peak RSS of that process). Targets (issue 12): first ingest <= 180 s and
<= 300 MB; the same file again downloads nothing; next week's file (5% of rows changed,
new rows) costs at most a quarter of the first ingest. `BENCH_OPENDATA_ROWS` sets the size.
The first ingest and the week are each run `BENCH_OPENDATA_REPEAT` times (5), alternated (a first
ingest, then a week), their medians compared: on a shared machine one run moves by a third from
the next, and its speed drifts over a minute.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from statistics import median

from replica.datagouv import DataGouvReplica
from replica.datagouv_rows import OpenDataWeek

PROJECT = Path(__file__).resolve().parent.parent


def timed_crawl(db: Path, base_url: str) -> tuple[float, float, str, float]:
    """(seconds, peak RSS in MB, last line of its output, CPU seconds) of one run, the child's own
    (`os.wait4`: RUSAGE_CHILDREN would give the largest peak of every child so far)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "cli", "--db", str(db), "crawl", "csp-opendata",
                                  "--base-url", base_url], cwd=PROJECT, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().strip(), err.read().strip()
    line = (stdout.splitlines() or [stderr[-200:]])[-1]
    if child.returncode != 0:
        line = f"exit {child.returncode}: {stderr[-300:]}"
    return seconds, usage.ru_maxrss / 1024, line, usage.ru_utime + usage.ru_stime


def spread(runs: list[tuple]) -> str:
    """The seconds of repeated runs, for the line that gives their median."""
    return ", ".join(f"{r[0]:.1f}" for r in runs) + " s"


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
        repeat = max(1, int(os.environ.get("BENCH_OPENDATA_REPEAT", 5)))
        with DataGouvReplica(folder) as replica:
            firsts, weeks_run, pairs = [], [], []
            base = None
            for n in range(repeat):  # a first ingest, then a week: alternated, so that a slow spell hits both
                replica.publish(*files[0], week=0)
                db = folder / f"first{n}" / "offres.db"  # each into an empty database of its own
                db.parent.mkdir()
                firsts.append(timed_crawl(db, replica.base_url))
                if base is None:  # the same file again, once; the weeks start from this database
                    base = db
                    sent = replica.state.bytes_sent
                    same, _, same_summary, _ = timed_crawl(db, replica.base_url)
                    downloaded = replica.state.bytes_sent - sent
                replica.publish(*files[1], week=1)
                copy = folder / f"week{n}"  # a copy of the first ingest's database and files
                shutil.copytree(base.parent, copy)
                weeks_run.append(timed_crawl(copy / "offres.db", replica.base_url))
                pairs.append(weeks_run[-1][0] / firsts[-1][0])
            first, first_cpu = median(r[0] for r in firsts), median(r[3] for r in firsts)
            rss, summary = max(r[1] for r in firsts), firsts[-1][2]
            lines.append(f"first ingest: {first:.1f} s, {first_cpu:.1f} s of CPU (median of {spread(firsts)}; "
                         f"target <= 180 s: {'met' if first <= 180 else 'MISSED'}), "
                         f"peak RSS {rss:.0f} MB (target <= 300 MB: {'met' if rss <= 300 else 'MISSED'}); {summary}")
            lines.append(f"same file again: {same:.1f} s, {downloaded:,} bytes downloaded "
                         f"(target 0: {'met' if downloaded == 0 else 'MISSED'}); {same_summary}")
            week, week_cpu = median(r[0] for r in weeks_run), median(r[3] for r in weeks_run)
            rss2, summary = max(r[1] for r in weeks_run), weeks_run[-1][2]
            ratio = week / first
            lines.append(f"next week (5% of rows changed): {week:.1f} s (median of {spread(weeks_run)}) = "
                         f"{ratio:.2f}x the first ingest (target <= 0.25x: {'met' if ratio <= 0.25 else 'MISSED'}; "
                         f"each week against the first ingest run just before it: "
                         f"{', '.join(f'{r:.2f}' for r in pairs)}); "
                         f"{week_cpu:.1f} s of CPU = {week_cpu / first_cpu:.2f}x the first's (the download's thread "
                         f"included), peak RSS {rss2:.0f} MB; {summary}")
            db = copy / "offres.db"
        lines.append(f"database: {db.stat().st_size / 1e6:.1f} MB" if db.exists() else "database: none")
    return lines

"""Cost follows change (issue 11): ingest, incremental ingest, reprocess, export, explain,
database size and peak memory at 10,000 / 50,000 / 100,000 synthetic postings
(`bench/postings.py`, from the replica's generator).

Every command runs as its own process (`offres ...`), timed on the wall clock with its peak
RSS read from the kernel (wait4; this process stays small, as a child's figure includes its
parent's RSS at the fork). The machine is shared, so each row also prints a baseline
measured in the same run, on the same data, in the same kind of process: the bare work any
implementation must do (parse the JSON lines and store them; read every raw record back;
read every offer row and encode it; start the interpreter and open the database), and the
ratio to it. Targets are the issue's.

    python -m bench rebuild                         # 10k, 50k and 100k (several minutes)
    BENCH_REBUILD_SIZES=10000,50000 python -m bench rebuild
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.db_size import summary
from bench.postings import edited

SIZES = tuple(int(s) for s in os.environ.get("BENCH_REBUILD_SIZES", "10000,50000,100000").split(","))
OFFRES = [sys.executable, "-c", "import sys; from cli import main; sys.argv[0] = 'offres'; main()"]
TARGETS = {  # (measure, size) -> (seconds, MB)
    ("ingest", 50_000): (25.0, 250), ("ingest-5", 50_000): (2.0, None),
    ("reprocess", 50_000): (10.0, 300), ("reprocess", 100_000): (20.0, 300),
    ("export", 50_000): (2.0, None), ("export", 100_000): (4.0, None),
    ("explain", 50_000): (0.5, None), ("explain", 100_000): (0.5, None),
}
BASELINES = {
    "ingest": "import json, sqlite3, sys\n"
              "db = sqlite3.connect(sys.argv[2]); db.execute('create table t (id integer primary key, source, url, record)')\n"
              "with db, open(sys.argv[1], 'rb') as fh:\n"
              "    db.executemany('insert into t (source, url, record) values (?, ?, ?)',\n"
              "                   ((r['source'], r['url'], json.dumps(r, ensure_ascii=False)) for r in map(json.loads, fh)))\n",
    "reprocess": "import json, sqlite3, sys\n"
                 "db = sqlite3.connect(sys.argv[1])\n"
                 "n = sum(len(json.loads(r)) for (r,) in db.execute('select record from raw_postings'))\n",
    "export": "import json, sqlite3, sys\n"
              "db = sqlite3.connect(sys.argv[1]); db.row_factory = sqlite3.Row\n"
              "with open(sys.argv[2], 'w') as out:\n"
              "    for row in db.execute('select * from offers order by published_on desc, id'):\n"
              "        out.write(json.dumps(dict(row), ensure_ascii=False) + '\\n')\n",
    "explain": "import sys, sqlite3; import cli\n"
               "db = sqlite3.connect(sys.argv[1]); db.execute('select * from offers limit 1').fetchall()\n",
}


def measure(args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one process."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode not in (0, 4):
            raise RuntimeError(f"{args[-4:]} failed ({proc.returncode}): {err[-500:]}")
        out.seek(0)
        return took, usage.ru_maxrss / 1024, out.read().decode(errors="replace")


def baseline(name: str, *args: str) -> float:
    return measure([sys.executable, "-c", BASELINES[name], *args])[0]


def verdict(name: str, n: int, took: float, rss: float) -> str:
    target = TARGETS.get((name, n))
    if not target:
        return ""
    seconds, mb = target
    ok = took <= seconds and (mb is None or rss <= mb)
    wanted = f"<= {seconds:g} s" + (f", <= {mb} MB" if mb else "")
    return f" (target {wanted}: {'met' if ok else 'NOT met'})"


def row(name: str, n: int, took: float, rss: float, base: float | None, what: str) -> str:
    ratio = f"; baseline {base:.2f} s ({what}), ratio {took / base:.1f}x" if base else ""
    return f"{name:<10} {n:>7,}: {took:6.2f} s, peak RSS {rss:5.0f} MB{verdict(name, n, took, rss)}{ratio}"


def exported_count(path: Path) -> int:
    """The export's `count`, read from its top-level lines (this process stays small: a child's
    peak RSS as the kernel reports it includes its parent's at the fork)."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(' "count":'):
                return int(line.split(":", 1)[1].strip().rstrip(","))
    return -1


def pick_reference(db_path: Path) -> str:
    import sqlite3

    db = sqlite3.connect(db_path)
    found = db.execute("select o.reference from offers o join merges m on m.offer_id = o.id where o.reference is not null "
                       "group by o.id having count(*) > 1 order by o.id limit 1").fetchone()
    return found[0] if found else db.execute("select reference from offers limit 1").fetchone()[0]


def run() -> list[str]:
    lines: list[str] = []
    rss: dict[tuple[str, int], float] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    try:
        for n in SIZES:
            source = work / f"postings-{n}.jsonl"
            measure([sys.executable, "-m", "bench.postings", str(n), str(source)])  # keeps this process small
            db = work / f"offres-{n}.db"
            env = {"OFFRES_DB": str(db)}
            took, peak, _ = measure([*OFFRES, "ingest", str(source)], env)
            rss[("ingest", n)] = peak
            lines.append(row("ingest", n, took, peak, baseline("ingest", str(source), str(work / "bare.db")),
                             "parse the lines, store them"))
            (work / "bare.db").unlink()
            size = db.stat().st_size + sum(p.stat().st_size for p in work.glob(f"offres-{n}.db-wal"))
            lines.append(f"db size    {n:>7,}: {size / 1e6:.1f} MB, {size / n / 1e3:.2f} KB a posting "
                         f"(input {source.stat().st_size / n / 1e3:.2f} KB a posting as JSON lines)")
            lines.append(f"  largest tables, MB: {summary(db)}")
            took, peak, _ = measure([*OFFRES, "reprocess"], env)
            rss[("reprocess", n)] = peak
            lines.append(row("reprocess", n, took, peak, baseline("reprocess", str(db)), "read every raw record"))
            out = work / "export.json"
            took, peak, _ = measure([*OFFRES, "export", "--all", "--force", "-o", str(out)], env)
            rss[("export", n)] = peak
            count = exported_count(out)
            lines.append(row("export", n, took, peak, baseline("export", str(db), str(work / "bare.jsonl")),
                             "read and encode every offer row") + f"; {count:,} offers")
            ref = pick_reference(db)
            took, peak, _ = measure([*OFFRES, "explain", ref], env)
            lines.append(row("explain", n, took, peak, baseline("explain", str(db)), "start, import, open the db"))
            if n == 50_000 or n == SIZES[-1] and 50_000 not in SIZES:
                edits = work / "edits.jsonl"
                with open(source, encoding="utf-8") as fh, open(edits, "w", encoding="utf-8") as out5:
                    for k, line in zip(range(5), fh):
                        out5.write(json.dumps(edited(json.loads(line), k), ensure_ascii=False) + "\n")
                took, peak, _ = measure([*OFFRES, "ingest", str(edits)], env)
                lines.append(row("ingest-5", n, took, peak, baseline("explain", str(db)), "start, import, open the db")
                             + " (5 edited postings)")
            for path in work.glob(f"offres-{n}.db*"):
                path.unlink()
        small, large = SIZES[0], SIZES[-1]
        if large > small:
            for name in ("ingest", "reprocess", "export"):
                growth = rss[(name, large)] / rss[(name, small)]
                lines.append(f"peak RSS {name} {small // 1000}k -> {large // 1000}k: x{growth:.2f} for x{large / small:.0f} "
                             f"postings (target: at most linear: {'met' if growth <= large / small else 'NOT met'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lines


if __name__ == "__main__":
    print("\n".join(run()))

"""Run every benchmark module (`bench/bench_*.py`) and print its report.

Each module exposes `run() -> list[str]`: report lines that state a measured
figure and its ratio to a baseline measured in the same run. Benchmarks are
not tests: they print, they do not assert timings. Each module runs in its own
Python process, so that one benchmark's heap and caches do not slow the next.

    python -m bench [NAME ...]    # all modules, or those whose name contains NAME
"""
from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import bench

ONE = "--in-this-process"


def run_one(name: str) -> int:
    """Import `bench.<name>`, run it and print its report."""
    module = importlib.import_module(f"bench.{name}")
    for line in module.run():
        print(f"   {line}", flush=True)
    return 0


def main(selected: list[str]) -> int:
    if selected[:1] == [ONE]:
        return run_one(selected[1])
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    failed = 0
    for name in names:
        print(f"== {name[len('bench_'):]}", flush=True)
        failed += subprocess.run([sys.executable, "-m", "bench", ONE, name]).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

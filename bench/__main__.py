"""Run every benchmark module (`bench/bench_*.py`) and print its report.

Each module exposes `run() -> list[str]`: report lines that state a measured
figure and its ratio to a baseline measured in the same run. Benchmarks are
not tests: they print, they do not assert timings.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main(selected: list[str]) -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name[len('bench_'):]}", flush=True)
        for line in module.run():
            print(f"   {line}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""France Travail: parser and filter speed, and a whole crawl of the fake API (5,000 offers).

Baselines measured in the same run: `json.loads` of the same answers (parse), and for the
crawl the fewest requests any client needs (one page of 150 a request, no cap) and the time
those take at the allowed 3 requests a second.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from parsers.francetravail import parse_offer
from parsers.francetravail_public import public_employer
from replica.francetravail import FakeConfig, FakeFranceTravail
from replica.francetravail_data import DIGITAL_CODES, generate

OFFERS = 5000
PROJECT = Path(__file__).resolve().parent.parent
SEARCHED = set(DIGITAL_CODES) - {"E1101"}


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run() -> list[str]:
    offers = generate(OFFERS, seed=11, hot_department="75", hot_share=0.3)
    pages = [json.dumps({"resultats": offers[i:i + 150]}) for i in range(0, len(offers), 150)]
    loads = min(timed(lambda: [json.loads(p) for p in pages]) for _ in range(3))
    parse = min(timed(lambda: [parse_offer(o) for p in pages for o in json.loads(p)["resultats"]]) for _ in range(3))
    verdicts = min(timed(lambda: [public_employer(o) for o in offers]) for _ in range(3))
    lines = [f"parse_offer (with the filter): {OFFERS / parse:,.0f} offers/s; json.loads alone {OFFERS / loads:,.0f} "
             f"offers/s (parsing costs {parse / loads:.1f}x the JSON decoding)",
             f"public_employer alone: {OFFERS / verdicts:,.0f} offers/s"]
    fake = FakeFranceTravail(offers, FakeConfig(client_id="bench", client_secret="bench-secret", cap=1150))
    env = {**os.environ, "FRANCETRAVAIL_CLIENT_ID": "bench", "FRANCETRAVAIL_CLIENT_SECRET": "bench-secret"}
    with fake, tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "cli", "--db", f"{tmp}/bench.db", "crawl", "francetravail",
                   "--base-url", fake.base_url]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, env=env)
        crawl = time.perf_counter() - start
    searched = sum(o["romeCode"] in SEARCHED for o in offers)
    fewest = math.ceil(searched / 150) + 3  # pages, plus referential, token and robots.txt
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr[-200:]}"
    lines.append(f"crawl of {OFFERS} offers ({searched} in the digital ROME codes, cap 1,150): {crawl:.1f} s, "
                 f"{fake.stats.requests} requests ({status})")
    lines.append(f"baseline, fewest requests without a cap: {fewest} (the splits cost {fake.stats.requests / fewest:.2f}x); "
                 f"at 3 requests/s: {fewest / 3:.1f} s (the crawl takes {crawl / (fewest / 3):.2f}x)")
    lines.append(f"pace measured by the fake: busiest second {fake.stats.busiest_second} requests (target <= 3), "
                 f"{fake.stats.requests / crawl:.2f} requests/s overall, {fake.stats.early_retries} early retries")
    return lines

"""End to end on loopback: `offres crawl francetravail --base-url` against the fake API.

Crawls run in a child process (Scrapy's reactor runs once per process), with the fake's
credentials in the environment. What the fake measured (busiest second, retries sent
before the Retry-After, tokens, 401s) is checked, and its own count of the offers.
"""
from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from parsers.francetravail import parse_offer
from replica.francetravail import FakeConfig, FakeFranceTravail
from replica.francetravail_data import DIGITAL_CODES, generate, make_offer, relay_of_csp

PROJECT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-replica-value-9f2c"
CLIENT = "replica-client-7d1e"
SEARCHED = set(DIGITAL_CODES) - {"E1101"}  # the referential's label 'Animation de site multimédia' is not digital


def credentials(**changes) -> dict:
    env = {**os.environ, "FRANCETRAVAIL_CLIENT_ID": CLIENT, "FRANCETRAVAIL_CLIENT_SECRET": SECRET, **changes}
    return {k: v for k, v in env.items() if v is not None}


def offres(db: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", "--db", str(db), *args], cwd=PROJECT, capture_output=True,
                          text=True, timeout=600, env=env if env is not None else credentials())


def crawl(db: Path, fake: FakeFranceTravail, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return offres(db, "crawl", "francetravail", "--base-url", fake.base_url,
                  "-s", f"FRANCETRAVAIL_RESULT_CAP={fake.config.cap}", *extra, env=env)


def expected_ids(fake: FakeFranceTravail) -> set[str]:
    """The fake's own count: public employers' offers in the searched ROME codes."""
    return {o["id"] for o in fake.offers() if o["romeCode"] in SEARCHED and parse_offer(o)["public_employer"]["public"]}


def stored_ids(db: Path) -> set[str]:
    return {r["reference"] for r in Database(db).query("select reference from raw_postings where source = 'francetravail'")}


def last_run(db: Path) -> dict:
    run = next(Database(db).query("select * from runs order by id desc limit 1"))
    return {**run, "stats": json.loads(run["stats"] or "{}")}


def config(**changes) -> FakeConfig:
    return FakeConfig(client_id=CLIENT, client_secret=SECRET, **changes)


FAST = ("-s", "FRANCETRAVAIL_MAX_RPS=15")  # where the pace is not what a test checks (fake: max_rps=20)


def test_search_over_the_cap_is_split_and_every_offer_fetched_under_429s(tmp_path):
    offers = generate(500, seed=3, hot_department="75", hot_share=0.7)
    for n, o in enumerate(offers[:4]):  # offers without a département: the split by département misses them
        o["lieuTravail"] = {"libelle": "France", "codePostal": None, "commune": None}
    fake = FakeFranceTravail(offers, config(cap=200, throttle_every=9))
    with fake:
        run = crawl(tmp_path / "db", fake)
    assert run.returncode == 0, run.stderr
    expected = expected_ids(fake)
    assert len(expected) > 200 and stored_ids(tmp_path / "db") == expected
    stats = last_run(tmp_path / "db")
    assert stats["healthy"] == 1 and stats["complete"] == 1, stats["health_notes"]
    counters = stats["stats"]
    assert counters["offres/ft/split_by/departement"] >= 2 and counters["offres/ft/split_by/date"] >= 1
    assert counters["offres/ft/department_shortfall"] >= 1  # the 4 offers without a département
    assert {"100AAAA", "100BAAA", "100CAAA", "100DAAA"} & expected <= stored_ids(tmp_path / "db")
    # the fake measured the pace: never more than 3 requests in a second, no retry before its Retry-After
    assert fake.stats.throttled >= 3
    assert fake.stats.busiest_second <= 3 and fake.stats.early_retries == 0
    assert "range" not in run.stderr  # no paging error


def test_token_expiring_and_revoked_mid_crawl_is_refreshed(tmp_path):
    fake = FakeFranceTravail(generate(300, seed=5), config(cap=200, token_lifetime=1, revoke_after=8, max_rps=20))
    with fake:  # cap 200: last pages start at 50
        run = crawl(tmp_path / "db", fake, *FAST)
    assert run.returncode == 0, run.stderr
    assert stored_ids(tmp_path / "db") == expected_ids(fake)
    counters = last_run(tmp_path / "db")["stats"]
    assert fake.stats.unauthorized >= 1 and counters["offres/ft/token_refreshed_after_401"] >= 1
    assert fake.stats.tokens_issued >= 3  # refreshed before the 1 s expiry too
    assert counters["offres/ft/token_requests"] == fake.stats.tokens_issued


def test_missing_or_refused_credentials(tmp_path):
    fake = FakeFranceTravail(generate(100, seed=2), config(cap=300, max_rps=20))
    with fake:
        missing = crawl(tmp_path / "db", fake, *FAST, env=credentials(FRANCETRAVAIL_CLIENT_SECRET=None))
        assert missing.returncode == 5
        assert missing.stderr.strip().splitlines()[-1] == ("Error: francetravail: FRANCETRAVAIL_CLIENT_SECRET not set "
                                                          "in the environment (see docs/sources/francetravail.md)")
        assert "Traceback" not in missing.stderr and fake.stats.requests == 0

        first = crawl(tmp_path / "db", fake, *FAST)
        assert first.returncode == 0, first.stderr
        kept = stored_ids(tmp_path / "db")
        refused = crawl(tmp_path / "db", fake, *FAST, env=credentials(FRANCETRAVAIL_CLIENT_SECRET="wrong"))
    assert refused.returncode == 5
    lines = [line for line in refused.stderr.splitlines() if line.startswith("Error")]
    assert lines == ["Error: francetravail: the token endpoint refused the credentials (HTTP 401 invalid_client)"]
    assert "Traceback" not in refused.stderr and "wrong" not in refused.stderr
    run = last_run(tmp_path / "db")
    assert run["healthy"] == 0 and run["finish_reason"] == "auth_failed"
    db = Database(tmp_path / "db")
    assert db.execute("select count(*) from offers where status = 'open'").fetchone()[0] == len(kept)


def test_public_filter_merge_with_csp_lifecycle_and_no_secret_anywhere(tmp_path):
    db = tmp_path / "db"
    rng = random.Random(9)
    csp = {"source": "csp", "reference": "2026-2190321", "title": "Développeur web H/F",
           "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/developpeur-web-hf-reference-2026-2190321/",
           "employer": "Ministère de l'Économie et des Finances", "location": "Paris (75)", "published": "15/11/2026",
           "versant": "Fonction publique de l'État", "category": "Catégorie A (cadre)"}
    feed = tmp_path / "csp.jsonl"
    feed.write_text(json.dumps(csp, ensure_ascii=False) + "\n", encoding="utf-8")
    assert offres(db, "ingest", str(feed)).returncode == 0

    offers = generate(150, seed=4)
    public = make_offer(9001, rng, department="33", kind="public")
    public.update(codeNAF="84.11Z", secteurActivite="84", entreprise={"nom": "MAIRIE DE BORDEAUX"}, romeCode="M1805")
    private = copy.deepcopy(public)
    private.update(id="999ZZZZ", codeNAF="62.01Z", secteurActivite="62", entreprise={"nom": "AMILTONE"})
    relayed = relay_of_csp(9002, rng, "2026-2190321", csp["url"], "Développeur web (H/F)", department="75")
    relayed["romeCode"] = "M1805"
    fake = FakeFranceTravail([*offers, public, private, relayed], config(cap=1150, max_rps=20))
    outputs = []
    with fake:
        first = crawl(db, fake, "-v", *FAST)
        outputs.append(first.stdout + first.stderr)
        assert first.returncode == 0, first.stderr

        # only the public one of two offers with the same ROME code; explain names the rule
        assert public["id"] in stored_ids(db) and private["id"] not in stored_ids(db)
        kept = offres(db, "explain", public["id"])
        assert "kept as a public employer's offer by rule naf_84: NAF 84.11Z" in kept.stdout
        dropped = offres(db, "explain", private["id"])
        assert dropped.returncode == 0
        assert "dropped by the public-employer filter: no public-employer rule matched (NAF 62.01Z, " \
               "employer 'AMILTONE')" in dropped.stdout

        # the relayed offer carries the CSP reference: one offer, both sources, the CSP posting canonical
        rows = list(Database(db).query("select * from offers where reference = '2026-2190321'"))
        assert len(rows) == 1
        assert sorted(s["source"] for s in json.loads(rows[0]["sources"])) == ["csp", "francetravail"]
        explained = offres(db, "explain", "2026-2190321")
        assert f"francetravail relays the csp offer 2026-2190321" in explained.stdout

        # France Travail deletes an offer: closed at the next crawl
        gone = next(i for i in sorted(expected_ids(fake)) if i not in (public["id"], relayed["id"]))
        fake.remove(gone)
        second = crawl(db, fake, *FAST)
        outputs.append(second.stdout + second.stderr)
        assert second.returncode == 0, second.stderr
        status = {r["reference"]: r for r in Database(db).query("select reference, status, status_reason from offers")}
        assert status[gone]["status"] == "closed" and "francetravail" in status[gone]["status_reason"]

        # 5xx: unhealthy, exit 3, nothing closed
        other = next(i for i in sorted(expected_ids(fake)) if i not in (public["id"], relayed["id"], gone))
        fake.remove(other)
        fake.config.error_every = 1  # every API call: retried with backoff, then given up
        third = crawl(db, fake, "-v", *FAST)
        outputs.append(third.stdout + third.stderr)
        fake.config.error_every = 0
    assert third.returncode == 3, third.stderr
    assert "crawl looks unhealthy, no offer closed" in third.stderr
    status = {r["reference"]: r["status"] for r in Database(db).query("select reference, status from offers")}
    assert status[other] == "open"

    export = tmp_path / "offres.json"
    done = offres(db, "export", "--all", "--force", "-o", str(export))
    assert done.returncode == 0, done.stderr
    document = json.loads(export.read_text(encoding="utf-8"))
    assert document["sources"]["francetravail"]["last_healthy_crawl"]
    entry = next(o for o in document["offers"] if o["reference"] == public["id"])
    ft = next(s for s in entry["sources"] if s["source"] == "francetravail")
    assert ft["updated_on"] and ft["licence"].startswith("https://")

    # the secret and every token the fake issued: nowhere in the database, the logs or the export
    secrets = [SECRET, *fake.issued]
    assert len(fake.issued) >= 3
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("db"))
    for secret in secrets:
        assert secret.encode() not in stored
        assert secret not in export.read_text(encoding="utf-8")
        assert all(secret not in out for out in outputs)

"""A small database like the demo's, for the preview, charts and Datasette tests.

Two healthy crawls of a mirror of the board (as `make demo` crawls the local
replica): seven digital offers across families, regions, categories and remote
work, one non-digital offer, and one offer the second crawl no longer lists.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import finish_run, mark_gone, open_db, start_run, write_raw_postings
from tests.conftest import make_record

MIRROR = "http://127.0.0.1:8999"
BOARD = "https://choisirleservicepublic.gouv.fr"
OFFERS = [  # reference, title, location, category, remote
    ("2026-1100001", "Data scientist H/F", "Paris (75)", "Catégorie A+ (cadre supérieur)", "Oui"),
    ("2026-1100002", "Chef de projet data H/F", "Lyon (69)", "Catégorie A (cadre)", "Non"),
    ("2026-1100003", "Designer UX/UI H/F", "Paris (75)", "Catégorie A (cadre)", "Oui"),
    ("2026-1100004", "Développeur / Développeuse full stack (H/F)", "Rennes (35)", "Catégorie A (cadre)", "Oui"),
    ("2026-1100005", "Administrateur systèmes et réseaux H/F", "Marseille (13)", "Catégorie B (technicien)", "Non"),
    ("2026-1100006", "Product owner H/F", "Paris (75)", "Catégorie A (cadre)", "Non"),
    ("2026-1100007", "Responsable de la sécurité des systèmes d'information & co < 3 ans", "Lyon (69)",
     "Catégorie A (cadre)", "Oui"),
    ("2026-1100008", "Comptable H/F", "Rennes (35)", "Catégorie B (technicien)", "Non"),
    ("2026-1100009", "Data analyst H/F", "Lyon (69)", "Catégorie A (cadre)", "Oui"),
]
GONE = "2026-1100009"  # listed by the first crawl only


def record(reference: str, title: str, location: str, category: str, remote: str, fetched: str) -> dict:
    other = {"metier": "Comptable", "employer": "Mairie de Vannes", "domain": "Finances publiques"}
    return make_record(reference, title=title, location=location, category=category, remote=remote,
                       url=f"{MIRROR}/offre-emploi/offre-reference-{reference}/", fetched_at=fetched,
                       **(other if "Comptable" in title else {}),
                       missions_html=f"<p>Missions du poste {reference}.</p><img src='https://tracker.example/p.gif'>")


def crawl(db, rows: list[tuple], at: str) -> None:
    run = start_run(db, "crawl", "csp", base_url=MIRROR, started_at=at)
    postings = [RawPosting.from_dict(record(*row, fetched=at)) for row in rows]
    write_raw_postings(db, postings, run)
    finish_run(db, run, complete=1, healthy=1, finished_at=at)
    mark_gone(db, "csp", {p.posting_id() for p in postings}, at)
    rebuild_offers(db, now=datetime.fromisoformat(at), run_id=run)


def build_portal_db(path: Path):
    """The database at `path` (a file: Datasette serves files); returns it open."""
    db = open_db(path)
    crawl(db, OFFERS, "2026-10-05T08:00:00+00:00")
    crawl(db, [o for o in OFFERS if o[0] != GONE], "2026-10-06T08:00:00+00:00")
    return db


def open_digital_references() -> set[str]:
    return {o[0] for o in OFFERS if o[0] != GONE and "Comptable" not in o[1]}


NOW = datetime(2026, 10, 6, 9, tzinfo=timezone.utc)

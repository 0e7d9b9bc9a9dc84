"""`offres browse`: the database in Datasette, with its metadata, views and foreign keys.

`prepare_database` adds, idempotently, what makes the database pleasant to browse:
the foreign keys between runs, raw postings, postings, offers, merges, events and
errors (declared only: SQLite does not enforce them unless `PRAGMA foreign_keys`
is on, which the pipeline never turns on), and SQL views such as
`open_digital_offers`. `datasette_command` is the command line that serves it
with `data/datasette/metadata.json` (titles, licences, column descriptions,
facets) and the plugin that hides the HTML columns from the default table view.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from sqlite_utils import Database

from pipeline.store import write_transaction

DATASETTE_DIR = Path(__file__).resolve().parent.parent / "data" / "datasette"
METADATA = DATASETTE_DIR / "metadata.json"
PLUGINS_DIR = DATASETTE_DIR / "plugins"

#: (table, column, other table, other column): every reference the schema holds.
FOREIGN_KEYS = [
    ("raw_postings", "posting_id", "postings", "id"),
    ("raw_postings", "run_id", "runs", "id"),
    ("raw_postings", "last_run_id", "runs", "id"),
    ("postings", "last_run_id", "runs", "id"),
    ("postings", "raw_id", "raw_postings", "id"),
    ("postings", "latest_raw_id", "raw_postings", "id"),
    ("offers", "canonical_posting_id", "postings", "id"),
    ("merges", "offer_id", "offers", "id"),
    ("merges", "posting_id", "postings", "id"),
    ("events", "run_id", "runs", "id"),
    ("events", "offer_id", "offers", "id"),
    ("errors", "run_id", "runs", "id"),
]

_OFFER_COLUMNS = """o.id, o.reference, o.title, o.employer, o.family, o.category, o.versant, o.contract,
  json_extract(o.location, '$.city') as city, json_extract(o.location, '$.department') as department,
  json_extract(o.location, '$.region') as region, o.remote, o.published_on, o.deadline, o.first_seen_at,
  o.last_seen_at, p.source, o.url"""

#: name -> SELECT; `offres browse` (re)creates them when their text changes.
VIEWS = {
    "open_digital_offers": f"""select {_OFFER_COLUMNS}
from offers o left join postings p on p.id = o.canonical_posting_id
where o.status = 'open' and o.digital = 1
order by o.published_on is null, o.published_on desc, o.id""",
    "closed_offers": f"""select {_OFFER_COLUMNS}, o.closed_at, o.status_reason
from offers o left join postings p on p.id = o.canonical_posting_id
where o.status = 'closed'
order by o.closed_at desc, o.id""",
    "offers_by_family": """select coalesce(family, 'non classée') as family, count(*) as open_offers
from offers where status = 'open' and digital = 1 group by 1 order by open_offers desc, family""",
    "offers_by_region": """select coalesce(json_extract(location, '$.region'), 'inconnue') as region,
  count(*) as open_offers
from offers where status = 'open' and digital = 1 group by 1 order by open_offers desc, region""",
    "run_summary": """select id, kind, source, started_at, finished_at, offers_seen, offers_new, offers_updated,
  offers_closed, offers_reopened, errors, healthy, complete, health_notes
from runs order by id desc""",
    "merged_postings": """select m.offer_id, o.reference, o.title, m.posting_id, p.source, p.url, m.stage, m.score,
  m.reason
from merges m join offers o on o.id = m.offer_id join postings p on p.id = m.posting_id
where m.offer_id in (select offer_id from merges group by offer_id having count(*) > 1)
order by m.offer_id, m.posting_id""",
}


def prepare_database(db: Database, foreign_keys: bool = True) -> dict:
    """Add the missing foreign keys (unless `foreign_keys` is false) and create or refresh the views.

    Adding a foreign key rebuilds its table once; `offres browse` skips it while a crawl
    runs, so that a long rebuild does not hold the crawl's writes. Returns what it did.
    """
    done = {"foreign_keys": 0, "views": []}
    with write_transaction(db):
        missing = []
        for table, column, other, other_column in FOREIGN_KEYS if foreign_keys else []:
            if not (db.table(table).exists() and db.table(other).exists()):
                continue
            if not any(fk.column == column and fk.other_table == other for fk in db.table(table).foreign_keys):
                missing.append((table, column, other, other_column))
        if missing:
            db.add_foreign_keys(missing)
            done["foreign_keys"] = len(missing)
        for name, sql in VIEWS.items():
            before = db[name].schema if name in db.view_names() else None
            db.create_view(name, sql, replace=True)
            if db[name].schema != before:
                done["views"].append(name)
    return done


def metadata_for(db_path: str | Path) -> dict:
    """The metadata file's content, its database section named after this database (Datasette uses the file stem)."""
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if databases:
        section = databases.pop(next(iter(databases)))
        metadata["databases"] = {Path(db_path).stem: section}
    return metadata


def write_metadata(db_path: str | Path, folder: str | Path) -> Path:
    """`metadata_for(db_path)` written to `folder/metadata.json`; returns its path."""
    path = Path(folder) / "metadata.json"
    path.write_text(json.dumps(metadata_for(db_path), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def datasette_executable() -> str:
    """The `datasette` of this environment (beside the running Python), else the one on PATH."""
    local = Path(sys.executable).with_name("datasette")
    if local.exists():
        return str(local)
    found = shutil.which("datasette")
    if not found:
        raise FileNotFoundError("datasette is not installed (pip install -e '.[browse]')")
    return found


def datasette_command(db_path: str | Path, metadata: str | Path, port: int = 8001, host: str = "127.0.0.1",
                      open_browser: bool = False) -> list[str]:
    """The command line serving the database (not in immutable mode: a crawl may write meanwhile)."""
    command = [datasette_executable(), "serve", str(db_path), "--metadata", str(metadata),
               "--plugins-dir", str(PLUGINS_DIR), "--host", host, "--port", str(port),
               "--setting", "default_page_size", "50", "--setting", "facet_time_limit_ms", "500"]
    if open_browser:
        command.append("--open")
    return command

"""Where a database's bytes go: pages per table (its indexes together), from SQLite's `dbstat`.

`python -m bench.db_size DB` prints them; `bench_rebuild` adds the largest to its size line."""
from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

QUERY = """select case when name like 'idx_%' or name like 'sqlite_autoindex_%' then '(indexes)' else name end,
                  sum(pgsize), sum(payload), sum(unused)
           from dbstat group by 1 order by 2 desc"""


def table_sizes(path: str | Path) -> list[tuple[str, int, int, int]]:
    """(table, bytes in pages, bytes of content, bytes unused) per table, largest first;
    [] when this SQLite has no `dbstat` table."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [tuple(row) for row in conn.execute(QUERY)]
    except sqlite3.OperationalError:  # built without SQLITE_ENABLE_DBSTAT_VTAB
        return []
    finally:
        conn.close()


def summary(path: str | Path, top: int = 4) -> str:
    """The `top` largest tables in MB, e.g. 'raw_postings 21.1, offers 16.4, ...'."""
    return ", ".join(f"{name} {size / 1e6:.1f}" for name, size, _, _ in table_sizes(path)[:top])


if __name__ == "__main__":
    for name, size, payload, unused in table_sizes(sys.argv[1]):
        print(f"{name:16s} {size / 1e6:8.2f} MB  content {payload / 1e6:8.2f} MB  unused {unused / 1e6:6.2f} MB")

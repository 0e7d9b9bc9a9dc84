"""Which offers an export holds: one selection shared by every format."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlite_utils import Database


@dataclass(frozen=True)
class Selection:
    """The filters of an export (`--all`, ...); the default is the open digital offers."""

    include_all: bool = False

    def where(self) -> tuple[str, list]:
        """An SQL condition on the `offers` table and its parameters."""
        clauses: list[str] = []
        params: list = []
        if not self.include_all:
            clauses.append("status = 'open' and digital = 1")
        return (" and ".join(clauses) or "1 = 1"), params


ORDER = "published_on is null, published_on desc, id"


def select_offers(db: Database, selection: Selection) -> Iterator[dict]:
    """The `offers` rows of a selection, in the export's stable order (newest first, then id)."""
    where, params = selection.where()
    return db.query(f"select * from offers where {where} order by {ORDER}", params)

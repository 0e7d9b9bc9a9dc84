"""Which offers an export holds: one selection shared by every format."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlite_utils import Database


@dataclass(frozen=True)
class Selection:
    """The filters of an export (`--all`, `--family`, ...); the default is the open digital offers.

    Each filter given narrows the selection; several values of one filter are
    alternatives (`--family design --family produit`). `employer` matches a part
    of the employer's name, case-insensitively (ASCII letters); `region` is a
    region code (`11`) or name (`Île-de-France`); `since` is an ISO date: offers
    published on or after it (first seen on or after it when the board gives no date).
    """

    include_all: bool = False
    families: tuple[str, ...] = ()
    employers: tuple[str, ...] = ()
    versants: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    since: str | None = None

    def where(self) -> tuple[str, list]:
        """An SQL condition on the `offers` table and its parameters."""
        clauses: list[str] = []
        params: list = []
        if not self.include_all:
            clauses.append("status = 'open' and digital = 1")
        if self.families:
            clauses.append(f"family in ({', '.join('?' * len(self.families))})")
            params.extend(self.families)
        if self.employers:
            clauses.append("(" + " or ".join("employer like ?" for _ in self.employers) + ")")
            params.extend(f"%{e}%" for e in self.employers)
        if self.versants:
            clauses.append(f"versant in ({', '.join('?' * len(self.versants))})")
            params.extend(self.versants)
        if self.regions:
            marks = ", ".join("?" * len(self.regions))
            clauses.append(f"(json_extract(location, '$.region_code') in ({marks}) "
                           f"or json_extract(location, '$.region') in ({marks}))")
            params.extend(self.regions * 2)
        if self.since:
            clauses.append("coalesce(published_on, substr(first_seen_at, 1, 10)) >= ?")
            params.append(self.since[:10])
        return (" and ".join(clauses) or "1 = 1"), params


ORDER = "published_on is null, published_on desc, id"


def select_offers(db: Database, selection: Selection) -> Iterator[dict]:
    """The `offers` rows of a selection, in the export's stable order (newest first, then id)."""
    where, params = selection.where()
    return db.query(f"select * from offers where {where} order by {ORDER}", params)

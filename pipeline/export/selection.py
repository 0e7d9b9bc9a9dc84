"""Which offers an export holds: one selection shared by every format."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator

from sqlite_utils import Database


#: The names an employer is written under on the board (an acronym alone, or the full name alone).
EMPLOYER_NAMES = {"DINUM": ("DINUM", "Direction interministérielle du numérique")}


def fold(text: str) -> str:
    """Lower case without accents, for comparing names."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def employer_matches(employer: str | None, wanted: str) -> bool:
    """Whether `wanted` (or one of its names in EMPLOYER_NAMES) is whole words of `employer`, ignoring case and accents."""
    names = EMPLOYER_NAMES.get(wanted.upper(), (wanted,))
    folded = fold(employer or "")
    return any(re.search(rf"(?<!\w){re.escape(fold(name))}(?!\w)", folded) for name in names)


def register_functions(db: Database) -> None:
    """The SQL functions `Selection.where` uses, on this connection."""
    db.conn.create_function("offres_employer_matches", 2, employer_matches, deterministic=True)


@dataclass(frozen=True)
class Selection:
    """The filters of an export (`--all`, `--family`, ...); the default is the open digital offers.

    Each filter given narrows the selection; several values of one filter are
    alternatives (`--family design --family produit`). `employer` matches whole
    words of the employer's name, ignoring case and accents (`employer_matches`:
    `DINUM` also finds its full name); `region` is a
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
        """An SQL condition on the `offers` table and its parameters (`register_functions` first)."""
        clauses: list[str] = []
        params: list = []
        if not self.include_all:
            clauses.append("status = 'open' and digital = 1")
        if self.families:
            clauses.append(f"family in ({', '.join('?' * len(self.families))})")
            params.extend(self.families)
        if self.employers:
            clauses.append("(" + " or ".join("offres_employer_matches(employer, ?)" for _ in self.employers) + ")")
            params.extend(self.employers)
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
    register_functions(db)
    return db.query(f"select * from offers where {where} order by {ORDER}", params)

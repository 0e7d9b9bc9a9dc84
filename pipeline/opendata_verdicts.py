"""What the accepted open-data files said of each row, and the latest variant of each reference.

A weekly file holds about 260,000 rows, nearly all of them unchanged since last week and
of no interest (not digital, of no stored offer). Such a row is settled by its digest
alone; to recognise it, only `digest -> publication start` of those rows is loaded
(`Verdicts.settles`, two small values a row). A reference's full verdict (digest, digital,
publication start) is asked for only for the rows that are read (`Verdicts.get`).
"""
from __future__ import annotations

from typing import Callable

from sqlite_utils import Database

from pipeline.store import chunks

Verdict = tuple[str, int, int]  # (digest, digital, publication start as an ordinal)
TABLE = "opendata_rows"


class Verdicts:
    """The accepted files' verdicts: `settles` (digest -> publication start of the rows that
    may be settled unread: not digital, of no stored offer) and `get(reference)`."""

    def __init__(self, settles: dict[str, int], lookup: Callable[[str], Verdict | None]) -> None:
        self.settles = settles
        self._lookup = lookup
        self._asked: dict[str, Verdict | None] = {}

    @classmethod
    def from_db(cls, db: Database, known: set[str]) -> Verdicts:
        """The verdicts stored in `opendata_rows` (none before a first accepted file)."""
        if not db.table(TABLE).exists():
            return cls({}, lambda reference: None)
        conn = db.conn
        settles = dict(conn.execute(f"select digest, rank from {TABLE} where digital = 0"))
        for part in chunks(sorted(known), 500):  # a stored offer's row is always read
            marks = ", ".join("?" * len(part))
            for (digest,) in conn.execute(f"select digest from {TABLE} where reference in ({marks})", part):
                settles.pop(digest, None)
        query = f"select digest, digital, rank from {TABLE} where reference = ?"
        return cls(settles, lambda reference: conn.execute(query, (reference,)).fetchone())

    @classmethod
    def from_dict(cls, verdicts: dict[str, Verdict], known: set[str]) -> Verdicts:
        """The verdicts of a dict reference -> (digest, digital, publication start)."""
        settles = {v[0]: v[2] for ref, v in verdicts.items() if not v[1] and ref not in known}
        return cls(settles, verdicts.get)

    def get(self, reference: str) -> Verdict | None:
        """The verdict of a reference's row in the last accepted file, None when it had none."""
        try:
            return self._asked[reference]
        except KeyError:
            found = self._lookup(reference)
            verdict = self._asked[reference] = tuple(found) if found else None
            return verdict

    def asked(self) -> dict[str, Verdict | None]:
        """The verdicts asked for so far (those of the rows read)."""
        return self._asked


class Latest:
    """The publication start of the latest variant of each reference met in a file.

    A row is settled by its digest alone when the digest is in `verdicts.settles`, not in
    `settled` yet and not `claimed` (the last winner of a reference already read): it is
    then the last accepted file's winner of its reference, which is not decoded unless
    another row of the same reference is read (`keep` then takes the settled row's start
    first). So the outcome is that of reading every row in order: the latest publication
    start wins, the later row on a tie."""

    def __init__(self, verdicts: Verdicts) -> None:
        self.verdicts = verdicts
        self.starts: dict[str, int] = {}
        self.settled: set[str] = set()   # digests of the rows settled unread
        self.claimed: set[str] = set()   # digests of the last winners of the references read
        self._taken = 0                  # settled rows whose reference was read after all
        self.variants = 0                # rows of a reference met before

    def keep(self, reference: str, before: Verdict | None, rank: int) -> bool:
        """Whether a read row of `reference` starting at `rank` is its latest variant so far."""
        if before is not None:
            self.claimed.add(before[0])
            if before[0] in self.settled and reference not in self.starts:
                self.starts[reference] = before[2]
                self._taken += 1
        if reference in self.starts:
            self.variants += 1
            if rank < self.starts[reference]:
                return False
        self.starts[reference] = rank
        return True

    def references(self) -> int:
        """How many distinct references were met."""
        return len(self.starts) + len(self.settled) - self._taken

"""What the accepted open-data files said of each row, and the latest variant of each reference.

A weekly file holds about 260,000 rows, nearly all of them unchanged since last week and
of no interest (not digital, of no stored offer). Such a row is settled by its digest
alone. To recognise it, only the set of the digests of the stored non-digital rows is
loaded: one blob of 64-bit integers (`opendata_index`, kept beside `opendata_rows` in the
same transaction, rebuilt from it when missing). A reference's full verdict (digest,
digital, publication start) is asked for only for the rows that are read (`Verdicts.get`).
"""
from __future__ import annotations

from array import array
from typing import Callable, Iterable

from sqlite_utils import Database

from pipeline.store import chunks, write_transaction

Verdict = tuple[str, int, int]  # (digest in hex, digital, publication start as an ordinal)
TABLE = "opendata_rows"
INDEX = "opendata_index"  # one row: the digests of the non-digital rows of TABLE, as unsigned 64-bit integers


class Verdicts:
    """The accepted files' verdicts: `settles` (digests, as integers, of the rows that may be
    settled unread: not digital, of no stored offer) and `get(reference)` (`lookup` None:
    there is none, before a first accepted file)."""

    def __init__(self, non_digital: set[int], known_digests: set[int], lookup: Callable[[str], Verdict | None] | None,
                 lookup_many: Callable[[list[str]], Iterable[tuple]] | None = None) -> None:
        self.non_digital = non_digital  # of every stored row
        self.settles = non_digital - known_digests if known_digests else non_digital
        self._lookup, self._lookup_many = lookup, lookup_many
        self._asked: dict[str, Verdict | None] = {}

    @classmethod
    def from_db(cls, db: Database, known: set[str]) -> Verdicts:
        """The verdicts stored in `opendata_rows` (none before a first accepted file)."""
        if not db.table(TABLE).exists():  # a first file: no verdict to ask for (nor to remember)
            return cls(set(), set(), None)
        conn = db.conn
        found = conn.execute(f"select digests from {INDEX} where id = 1").fetchone() \
            if db.table(INDEX).exists() else None
        if found is not None:
            stored = array("Q")
            stored.frombytes(found[0])
            non_digital = set(stored)
        else:  # a database of before the index: built from the rows once
            non_digital = {int(digest, 16) for (digest,) in conn.execute(f"select digest from {TABLE} where digital = 0")}
        known_digests = set()
        for part in chunks(sorted(known), 500):  # a stored offer's row is always read
            marks = ", ".join("?" * len(part))
            known_digests.update(int(d, 16) for (d,) in conn.execute(
                f"select digest from {TABLE} where reference in ({marks})", part))
        query = f"select digest, digital, rank from {TABLE} where reference = ?"

        def lookup_many(references: list[str]) -> Iterable[tuple]:
            marks = ", ".join("?" * len(references))
            return conn.execute(f"select reference, digest, digital, rank from {TABLE} where reference in ({marks})",
                                references)

        return cls(non_digital, known_digests, lambda reference: conn.execute(query, (reference,)).fetchone(),
                   lookup_many)

    @classmethod
    def from_dict(cls, verdicts: dict[str, Verdict], known: set[str]) -> Verdicts:
        """The verdicts of a dict reference -> (digest, digital, publication start)."""
        non_digital = {int(v[0], 16) for v in verdicts.values() if not v[1]}
        return cls(non_digital, {int(verdicts[ref][0], 16) for ref in known if ref in verdicts}, verdicts.get)

    @property
    def any(self) -> bool:
        """Whether there are verdicts at all (an accepted file before)."""
        return self._lookup is not None

    def get(self, reference: str) -> Verdict | None:
        """The verdict of a reference's row in the last accepted file, None when it had none."""
        if self._lookup is None:
            return None
        try:
            return self._asked[reference]
        except KeyError:
            found = self._lookup(reference)
            verdict = self._asked[reference] = tuple(found) if found else None
            return verdict

    def prefetch(self, references: Iterable[str]) -> None:
        """Ask for the verdicts of many references at once (500 a query): `get` then answers from memory."""
        if self._lookup is None:
            return
        asked = self._asked
        wanted = sorted({r for r in references if r not in asked})  # in index order: a third cheaper
        if self._lookup_many is None:
            for reference in wanted:
                self.get(reference)
            return
        for part in chunks(wanted, 500):
            for reference in part:
                asked[reference] = None
            for reference, *verdict in self._lookup_many(part):
                asked[reference] = tuple(verdict)

    def save(self, db: Database, verdicts: Iterable[tuple[str, Verdict]]) -> int:
        """Store the verdicts of the rows read (reference, verdict) that differ from the stored ones,
        and the index with them (one transaction); returns how many were written."""
        changed = []
        for reference, verdict in verdicts:
            before = self.get(reference)
            if before != verdict:
                changed.append((reference, *verdict))
                if before is not None and not before[1]:
                    self.non_digital.discard(int(before[0], 16))
                if not verdict[1]:
                    self.non_digital.add(int(verdict[0], 16))
        with write_transaction(db):
            if not db.table(TABLE).exists():  # clustered on its key: a reference's verdict is one b-tree search
                db.execute(f"create table {TABLE} (reference text primary key, digest text, digital integer, "
                           "rank integer) without rowid")
            db.conn.executemany(f"insert into {TABLE} (reference, digest, digital, rank) values (?, ?, ?, ?) "
                                "on conflict (reference) do update set digest = excluded.digest, "
                                "digital = excluded.digital, rank = excluded.rank", changed)  # in place: 40% cheaper
            if not db.table(INDEX).exists():
                db.table(INDEX).create({"id": int, "digests": bytes}, pk="id")
            db.conn.execute(f"insert or replace into {INDEX} (id, digests) values (1, ?)",
                            (array("Q", self.non_digital).tobytes(),))
        return len(changed)


class Latest:
    """The publication start of the latest variant of each reference met in a file.

    A row is settled by its digest alone when the digest is in `verdicts.settles` and met
    for the first time: it is then the last accepted file's winner of its reference, which
    is not decoded unless another row of the same reference is read (that row `claimed` the
    digest): after it, `keep` takes the settled row's start first; once the digest is claimed,
    the cut reads a row of it like any other (`parsers.csv_records.record_batches`,
    `read_anyway`); a row settled before an earlier row of its reference claimed it (the rows
    read wait for their verdicts) is taken after all, at its line
    (`pipeline.opendata.take_pending`). So the outcome is that of
    reading every row in order: the latest publication start wins, the later row on a tie."""

    def __init__(self, verdicts: Verdicts) -> None:
        self.verdicts = verdicts
        self.starts: dict[str, int] = {}
        self.settled: dict[int, int] = {}  # digest -> line of the rows settled unread
        self.claimed: set[int] = set()  # digests of the last winners of the references read
        self._taken = 0                  # settled rows whose reference was read after all
        self.variants = 0                # rows of a reference met before

    def keep(self, reference: str, before: Verdict | None, rank: int, line: int) -> bool:
        """Whether a read row of `reference` (at `line`) starting at `rank` is its latest variant so far."""
        if before is not None:
            digest = int(before[0], 16)
            self.claimed.add(digest)
            if self.settled.get(digest, line) < line and reference not in self.starts:
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

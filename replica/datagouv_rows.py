"""Real-shaped rows of the open-data file, generated at any size, one week after another.

Values come from 52 real rows of `offres-datagouv-20260913.csv` (tests/fixtures/csp_opendata/,
keys renamed by their publisher: `KEY_MAP`) and, for the digital offers, from the CSP
replica's vocabulary. Row `i` of week `w` is a pure function of (seed, i, w): a file of
260,000 rows is written as a stream, never held in memory, and next week's file differs
from this week's in a chosen share of rows (edited or closed) plus new rows.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator

from parsers.csp_opendata import COLUMNS
from .generator import vocabulary

IDENTICAL_SHARE = 656 / (656 + 1146)  # of the second rows, copies (the others: variants)
REAL_ROWS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "csp_opendata" / "rows-2026-lot01-head.jsonl"
KEY_MAP = {
    "reference": "Référence", "organisme": "Organisme de rattachement", "versant": "Versant", "metier": "Métier",
    "statut_poste": "Statut du poste", "nature_emploi": "Nature de l'emploi", "duree_contrat": "Durée du contrat",
    "intitule": "Intitulé du poste", "localisation": "Localisation du poste", "lieu_affectation": "Lieu d'affectation",
    "niveau_etudes": "Niveau d'études", "experience_minimale": "Niveau d'expérience min. requis",
    "date_vacance": "Date de vacance de l'emploi", "publication_debut": "Date de début de publication par défaut",
    "publication_fin": "Date de fin de publication par défaut", "premiere_publication": "Date de première publication",
    "specialisation": "Spécialisation", "teletravail": "Télétravail", "employeur": "Employeur",
    "categorie": "Catégorie", "competences_attendues": "Compétences attendues", "nature_contrat": "Nature de contrat",
}
DIGITAL_METIERS = ("Développeuse / Développeur", "Administratrice / Administrateur systèmes et réseaux",
                   "Cheffe / Chef de projet maîtrise d’œuvre SI", "Technicienne / Technicien support utilisateurs",
                   "Data scientist", "Responsable de la sécurité des systèmes d'information")


def real_rows() -> list[dict[str, str]]:
    """The 52 real rows, as CSV cells by column name (the 8 dropped columns empty)."""
    rows = []
    for line in REAL_ROWS.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        rows.append({column: data.get(key) or "" for key, column in KEY_MAP.items()})
    return rows


@dataclass
class OpenDataWeek:
    """The file of one week: `rows` base rows, `changed` share edited or closed since week 0,
    `added` new rows per week, `digital` share of digital offers, `open_share` of rows still open,
    `repeats` share of references given a second row further on (in the 2026-09-13 file, 0.7%:
    656 identical copies and 1,146 variants with another publication start)."""

    rows: int = 1000
    seed: int = 1
    week: int = 0
    changed: float = 0.05
    added: int = 0
    digital: float = 0.02
    open_share: float = 0.2
    today: date = date(2026, 10, 6)
    repeats: float = 0.0

    def total(self) -> int:
        return self.rows + self.added * self.week

    def row(self, index: int) -> dict[str, str]:
        """Row `index` as it is in this week's file."""
        real = REAL_ROWS_CACHE or _load()
        rng = random.Random(f"{self.seed}:{index}")
        base = dict(real[rng.randrange(len(real))])
        digital = rng.random() < self.digital
        if digital:
            title, metier = rng.choice(vocabulary()["state_titles"] + vocabulary()["hospital_titles"])
            base["Intitulé du poste"], base["Métier"] = title, metier
        else:
            base["Intitulé du poste"] = f"{base['Intitulé du poste']} ({index % 997})" if index % 3 else \
                base["Intitulé du poste"]
        base["Référence"] = self.reference(index, rng)
        opened = rng.random() < self.open_share
        start = self.today - timedelta(days=rng.randrange(1, 60) if opened else rng.randrange(70, 330))
        end = start + timedelta(days=rng.choice((30, 45, 60, 90))) if rng.random() > 0.03 else date(2099, 12, 31)
        if opened and end < self.today:
            end = self.today + timedelta(days=rng.randrange(5, 40))
        for column, value in (("Date de début de publication par défaut", start),
                              ("Date de première publication", start), ("Date de fin de publication par défaut", end)):
            base[column] = value.strftime("%d/%m/%Y")
        for week in range(1, self.week + 1):  # what happened to the row since week 0
            roll = random.Random(f"{self.seed}:{index}:w{week}").random()
            if roll < self.changed / 2:
                base["Intitulé du poste"] += " - poste modifié"
            elif roll < self.changed:
                base["Date de fin de publication par défaut"] = (self.today - timedelta(days=1)).strftime("%d/%m/%Y")
        return base

    def reference(self, index: int, rng: random.Random) -> str:
        shape = rng.random()
        if shape < 0.45:  # territorial, from emploi-territorial.fr: O + département + yymmdd + number
            return f"O{rng.choice(('034', '017', '093', '974', '069', '075')):s}{26:02d}{(index // 997) % 12 + 1:02d}" \
                   f"{index % 28 + 1:02d}{index:06d}"[:16].ljust(16, "0")
        if shape < 0.8:
            return f"2026-{2000000 + index}"
        return f"DEF_{index % 90 + 10}-{index:08d}"

    def iter_rows(self) -> Iterator[dict[str, str]]:
        later: dict[int, list[dict[str, str]]] = {}  # position -> second rows due after it
        for index in range(self.total()):
            row = self.row(index)
            yield row
            rng = random.Random(f"{self.seed}:{index}:again")
            if self.repeats and rng.random() < self.repeats:
                again = dict(row) if rng.random() < IDENTICAL_SHARE else self.variant(row, rng)
                later.setdefault(index + rng.randrange(1, 3000), []).append(again)
            yield from later.pop(index, ())
        for position in sorted(later):
            yield from later[position]

    @staticmethod
    def variant(row: dict[str, str], rng: random.Random) -> dict[str, str]:
        """The same offer published again: another start (earlier or later), sometimes another title."""
        start = datetime.strptime(row["Date de début de publication par défaut"], "%d/%m/%Y").date()
        moved = (start + timedelta(days=rng.choice((-1, 1)) * rng.randrange(1, 40))).strftime("%d/%m/%Y")
        again = {**row, "Date de début de publication par défaut": moved, "Date de première publication": moved}
        if rng.random() < 0.3:
            again["Intitulé du poste"] = row["Intitulé du poste"] + " (republication)"
        return again

    def write(self, path: Path, bom: bool = True) -> dict:
        """Write the file; returns {"rows", "bytes", "sha1", "sha256"}."""
        sha1, sha256, size = hashlib.sha1(), hashlib.sha256(), 0
        with open(path, "wb") as out:
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            writer.writerow(COLUMNS)
            count = 0
            for row in self.iter_rows():
                writer.writerow([row.get(c, "") for c in COLUMNS])
                count += 1
                if count % 2000 == 0:
                    chunk = buffer.getvalue().encode("utf-8")
                    if bom and size == 0:
                        chunk = "\ufeff".encode() + chunk
                    out.write(chunk)
                    sha1.update(chunk), sha256.update(chunk)
                    size += len(chunk)
                    buffer.seek(0), buffer.truncate()
            chunk = buffer.getvalue().encode("utf-8")
            if chunk:
                out.write(chunk), sha1.update(chunk), sha256.update(chunk)
                size += len(chunk)
        return {"rows": count, "bytes": size, "sha1": sha1.hexdigest(), "sha256": sha256.hexdigest()}


REAL_ROWS_CACHE: list[dict[str, str]] = []


def _load() -> list[dict[str, str]]:
    REAL_ROWS_CACHE.extend(real_rows())
    return REAL_ROWS_CACHE

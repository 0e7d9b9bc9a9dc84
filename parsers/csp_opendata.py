"""The weekly open-data file of choisirleservicepublic.gouv.fr: rows into raw posting records.

Pure: a CSV text stream in, records out; no network, no database. The file is
`;`-separated UTF-8 (maybe with a BOM), quoted cells with newlines, the 30 columns
of `COLUMNS`, dates dd/mm/yyyy, an end date in 2090 or later meaning "no end".
It has no URL: the board's short form `/offre-emploi/<Référence>/` resolves.
See docs/sources/csp_opendata.md.
"""
from __future__ import annotations

import csv
import html
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from typing import Iterator, TextIO

SOURCE = "csp-opendata"
PARSER_VERSION = "csp-opendata/1"
BOARD = "https://choisirleservicepublic.gouv.fr"
NO_END_YEAR = 2090
FIELD_SIZE_LIMIT = 4_000_000  # a cell of "Compétences attendues" can be long; the default is 128 KB
COLUMNS = (
    "Organisme de rattachement", "Référence", "Versant", "Métier", "Statut du poste", "Nature de l'emploi",
    "Durée du contrat", "Intitulé du poste", "Localisation du poste", "Lieu d'affectation", "Niveau d'études",
    "Niveau d'expérience min. requis", "Date de vacance de l'emploi", "Date de début de publication par défaut",
    "Date de fin de publication par défaut", "Date de première publication", "Spécialisation", "Télétravail",
    "Management", "Employeur", "Catégorie", "Temps Plein", "Durée du poste", "Langues", "Niveaux",
    "Lieu d'affectation (sans géolocalisation)", "Avis de vacances au JO", "Compétences attendues",
    "Documents à transmettre", "Nature de contrat",
)
DATE_COLUMNS = ("Date de vacance de l'emploi", "Date de début de publication par défaut",
                "Date de fin de publication par défaut", "Date de première publication")
# Kept in the record's `extra` under these names (the other columns map to record fields).
EXTRA_COLUMNS = {
    "Durée du contrat": "contract_duration", "Niveau d'études": "education", "Spécialisation": "specialisation",
    "Temps Plein": "full_time", "Durée du poste": "post_duration", "Langues": "languages", "Niveaux": "levels",
    "Avis de vacances au JO": "jo_notice", "Documents à transmettre": "documents", "Nature de contrat": "contract_kind",
    "Date de vacance de l'emploi": "vacancy_date", "Date de début de publication par défaut": "publication_start",
    "Date de fin de publication par défaut": "publication_end", "Date de première publication": "first_published",
    "Lieu d'affectation": "workplace_address", "Employeur": "employer_block",
}
_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


class RowError(ValueError):
    """A row that cannot be read: names its line and column."""

    def __init__(self, line: int, column: str, message: str) -> None:
        super().__init__(f"line {line}: field '{column}': {message}")
        self.line, self.column, self.message = line, column, message


INDEX = {name: i for i, name in enumerate(COLUMNS)}


@dataclass(frozen=True)
class Row:
    """One data row: its first line in the file, its cells (in column order), a hash of its content."""

    line: int
    values: list[str]
    digest: str

    def __getitem__(self, column: str) -> str:
        return self.values[INDEX[column]]

    @property
    def cells(self) -> dict[str, str]:
        return dict(zip(COLUMNS, self.values))


def header_problem(header: list[str]) -> str | None:
    """Why a header is not the 30 known columns in order, or None."""
    names = [name.strip() for name in header]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]
    if names == list(COLUMNS):
        return None
    if len(names) != len(COLUMNS):
        return f"{len(names)} columns where {len(COLUMNS)} are expected"
    diff = next(i for i, (a, b) in enumerate(zip(names, COLUMNS)) if a != b)
    return f"column {diff + 1} is {names[diff][:60]!r} where {COLUMNS[diff]!r} is expected"


def read_cells(stream: TextIO) -> Iterator[tuple[int, list[str], str] | RowError]:
    """(first line, cells, digest) of each data row after a checked header, or the RowError
    naming it: `read_rows` without building rows (a caller that settles most rows by their
    digest alone reads them this way). The digest tells a row from its last week's self.

    Raises ValueError when the header is not the known one: nothing of such a file is read.
    """
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(stream, delimiter=";", quotechar='"', strict=False)
    header = next(reader, None)
    if header is None:
        raise ValueError("empty file: no header")
    problem = header_problem(header)
    if problem:
        raise ValueError(f"not the open-data file's header: {problem}")
    width, crc = len(COLUMNS), zlib.crc32
    start = reader.line_num + 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if len(cells) != width:
            if len(cells) <= 1 and not "".join(cells).strip():  # a blank line
                continue
            yield row_width_error(line, cells)
            continue
        data = "\x1f".join(cells).encode("utf-8", "surrogatepass")
        yield line, cells, f"{crc(data):08x}{len(data):x}"


def row_width_error(line: int, cells: list[str]) -> RowError:
    """The error of a row with more or fewer cells than the 30 columns."""
    if len(cells) > len(COLUMNS):
        return RowError(line, "*", f"{len(cells)} cells for {len(COLUMNS)} columns")
    return RowError(line, COLUMNS[len(cells)], f"missing: the row has {len(cells)} cells")


def read_rows(stream: TextIO) -> Iterator[Row | RowError]:
    """Each data row of the file (after a checked header), or the RowError naming it.

    Raises ValueError when the header is not the known one: nothing of such a file is read.
    """
    for item in read_cells(stream):
        yield item if isinstance(item, RowError) else Row(*item)


@lru_cache(maxsize=4096)  # a file holds a few thousand distinct dates for about a million date cells
def parse_date(value: str | None) -> date | None:
    """dd/mm/yyyy as a date; None for an empty cell; ValueError for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"not a dd/mm/yyyy date: {value[:40]!r}")
    day, month, year = map(int, match.groups())
    return date(year, month, day)  # ValueError for 31/02/2026


def row_date(row: Row, column: str) -> date | None:
    """A date cell of a row; RowError naming the line and column when it is not a date."""
    try:
        return parse_date(row[column])
    except ValueError as exc:
        raise RowError(row.line, column, str(exc)) from None


def publication_window(row: Row) -> tuple[date | None, date | None]:
    """(start, end) of the row's publication; end None when open-ended (2090 or later)."""
    start = row_date(row, "Date de début de publication par défaut") or row_date(row, "Date de première publication")
    end = row_date(row, "Date de fin de publication par défaut")
    return start, (None if end and end.year >= NO_END_YEAR else end)


def is_open(row: Row, today: date) -> bool:
    """Whether the row's publication window holds `today` (a row with no dates is open)."""
    start, end = publication_window(row)
    return end is None or end >= today


def text_html(text: str | None) -> str | None:
    """Plain text as escaped HTML paragraphs (line breaks kept)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n")) if p.strip()]
    if not paragraphs:
        return None
    return "".join("<p>" + "<br>".join(html.escape(line.strip()) for line in p.split("\n") if line.strip()) + "</p>"
                   for p in paragraphs)


def first_line(text: str | None) -> str | None:
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return None


def offer_url(reference: str) -> str:
    """The board's short form, which resolves to the offer's page."""
    from urllib.parse import quote

    return f"{BOARD}/offre-emploi/{quote(reference.strip(), safe='')}/"


def parse_row(row: Row, fetched_at: str | None = None) -> dict:
    """The raw posting record of one row; RowError for a bad date or a missing reference/title."""
    cells = {k: (v if v.strip() else None) for k, v in row.cells.items()}
    for column in ("Référence", "Intitulé du poste"):
        if not cells[column]:
            raise RowError(row.line, column, "required, empty")
    for column in DATE_COLUMNS:
        row_date(row, column)
    employer = first_line(cells["Employeur"])
    record = {
        "source": SOURCE, "url": offer_url(cells["Référence"]), "title": cells["Intitulé du poste"],
        "reference": cells["Référence"].strip(),
        # The organisme is the employer of a State offer, the kind of employer of a territorial one
        # ("Communes"): the normaliser tells them apart; "Employeur" names a service or the employer.
        "employer": employer or cells["Organisme de rattachement"],
        "employer_category": cells["Organisme de rattachement"] if employer else None,
        "location": cells["Lieu d'affectation (sans géolocalisation)"] or cells["Lieu d'affectation"],
        "location_area": cells["Localisation du poste"], "category": cells["Catégorie"],
        "versant": cells["Versant"], "contract": cells["Nature de l'emploi"], "remote": cells["Télétravail"],
        "metier": cells["Métier"], "published": cells["Date de début de publication par défaut"]
        or cells["Date de première publication"], "experience": cells["Niveau d'expérience min. requis"],
        "management": cells["Management"], "post_status": cells["Statut du poste"],
        "profile_html": text_html(cells["Compétences attendues"]), "fetched_at": fetched_at,
        "extra": {"line": row.line, **{name: cells[column] for column, name in EXTRA_COLUMNS.items()
                                       if cells[column]}},
    }
    _, end = publication_window(row)
    if end:  # the board's window: past it the offer is no longer published
        record["deadline"] = end.strftime("%d/%m/%Y")
    return {k: v for k, v in record.items() if v not in (None, "", {})}

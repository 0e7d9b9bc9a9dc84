"""Employer: cleaned name, matching key, and the board's employer category.

On choisirleservicepublic.gouv.fr the "Employeur" of a territorial offer is a category
("Conseils départementaux"); the real employer is then the title suffix after " - ".
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from pipeline.normalize.text import clean, fold, key
from pipeline.normalize.title import strip_gender_markers

# Employer categories used by the board (and its Talentsoft back office) in place of an employer.
EMPLOYER_CATEGORIES: tuple[str, ...] = (
    "Communes", "Mairies", "Conseils départementaux", "Départements", "Conseils régionaux", "Régions",
    "Centres de gestion", "Centres de gestion de la fonction publique territoriale",
    "Etablissements publics de coopération intercommunale", "EPCI",
    "Etablissements publics locaux", "Autres établissements publics locaux",
    "Etablissements publics territoriaux", "Structures de coopération territoriale",
    "Centres communaux d'action sociale", "Centres intercommunaux d'action sociale", "CCAS",
    "Services départementaux d'incendie et de secours", "SDIS",
    "Métropoles", "Communautés de communes", "Communautés d'agglomération", "Communautés urbaines",
    "Syndicats intercommunaux", "Syndicats mixtes", "Syndicats", "Offices publics de l'habitat",
    "Caisses des écoles", "Collectivités territoriales", "Collectivités à statut particulier",
    "Collectivités d'outre-mer", "Autres collectivités territoriales", "Fonction Publique Territoriale",
)
CATEGORY_KEYS: frozenset[str] = frozenset(key(c) for c in EMPLOYER_CATEGORIES)
_SUFFIX_SEP = re.compile(r"\s+[-–—]\s+")
_EMPTY = {"employer": None, "employer_key": None, "employer_category": None}
MAX_EMPLOYER_LEN = 160


def is_employer_category(value: str | None) -> bool:
    """True when the value is one of the board's employer categories (not an employer)."""
    text = clean(value)
    return text is not None and key(text) in CATEGORY_KEYS


EMPLOYER_KINDS_CSV = Path(__file__).resolve().parents[2] / "data" / "employer_kinds.csv"


@lru_cache(maxsize=1)
def _kinds_pattern() -> re.Pattern[str]:
    """One word-bounded regex of every employer kind of data/employer_kinds.csv."""
    with EMPLOYER_KINDS_CSV.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        patterns = [row["pattern"].strip() for row in rows if row.get("pattern", "").strip()]
    return re.compile(r"\b(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + r")s?\b")


def names_employer(value: str | None) -> bool:
    """True when a text names an employer: a kind of data/employer_kinds.csv (mairie, département,
    CCAS...) or a commune of data/geo/communes.csv; unbalanced brackets never do."""
    text = clean(value)
    if text is None or text.count("[") != text.count("]") or text.count("(") != text.count(")"):
        return False
    folded = re.sub(r"[^a-z0-9]+", " ", fold(text.replace(".", "")))
    if _kinds_pattern().search(folded):
        return True
    from pipeline.normalize.geography import get_geography, key as geo_key

    return geo_key(text) in get_geography().commune_keys  # a bare commune name: the commune itself


def title_suffix(title: str | None) -> str | None:
    """The part of a title after its last " - " (gender markers removed) when it names an
    employer (see names_employer), else None."""
    text = clean(title)
    if text is None:
        return None
    parts = _SUFFIX_SEP.split(strip_gender_markers(text))
    if len(parts) < 2:
        return None
    suffix = parts[-1].strip(" -–")
    return suffix if suffix and names_employer(suffix) else None


@lru_cache(maxsize=65536)
def clean_employer(value: str | None) -> str | None:
    """Whitespace folded, apostrophes unified; a multi-line blurb gives its first line when short."""
    if value is None:
        return None
    lines = [line for line in (clean(x) for x in str(value).splitlines()) if line]
    if not lines:
        return None
    if lines[0].endswith(":"):
        return None  # a blurb such as "PRESENTATION du service :"
    joined = clean(" ".join(lines))
    if joined is not None and len(joined) <= MAX_EMPLOYER_LEN:
        return joined
    return lines[0] if len(lines[0]) <= MAX_EMPLOYER_LEN else None


def normalize_employer(value: str | None, title: str | None = None) -> dict:
    """Return {"employer", "employer_key", "employer_category"}; a category takes the employer from the title suffix."""
    return dict(_normalize_employer(value, title))


@lru_cache(maxsize=65536)
def _normalize_employer(value: str | None, title: str | None = None) -> dict:
    text = clean_employer(value)
    if text is None:
        return dict(_EMPTY)
    if key(text) in CATEGORY_KEYS:
        employer = clean_employer(title_suffix(title))
        return {"employer": employer, "employer_key": key(employer) if employer else None, "employer_category": text}
    return {"employer": text, "employer_key": key(text) or None, "employer_category": None}

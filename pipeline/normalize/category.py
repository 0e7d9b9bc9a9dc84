"""Hierarchical category (A+, A, B, C) and grade lists; category deduced from grades via data/grades.csv.

Rule for grades of several categories (e.g. "Attaché Rédacteur"): the category is None unless the
category value (or the grade text itself, "cat. B") names one. See docs/normalisation.md.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from pipeline.normalize.text import clean, fold
from pipeline.normalize.title import title_key

GRADES_CSV = Path(__file__).resolve().parents[2] / "data" / "grades.csv"

_LETTER = r"(?:a\s*\+|[abc])(?![a-z0-9])"
_EXPLICIT = re.compile(rf"(?:\bcategories?|\bcat\b\.?)\s*[:.]?\s*({_LETTER}(?:\s*(?:ou|et|/|,|-)\s*{_LETTER})*)")
_LETTERS = re.compile(r"a\s*\+|[abc](?![a-z0-9])")
_BARE = re.compile(r"\s*(a\s*\+|[abc])\s*(?:\(.*\))?\s*")
_DROP_WORDS = re.compile(r"\b(?:territorial|territoriale|territoriaux|territoriales)\b")
_NOT_GRADES = {"vacataire", "vacation", "non renseigne", "contractuel", "emploi contractuel"}
MAX_HEAD_WORDS = 7


@lru_cache(maxsize=1)
def grade_table() -> dict[str, str]:
    """{folded grade prefix: category} from data/grades.csv."""
    with GRADES_CSV.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {title_key(row["grade"]): row["category"].strip() for row in rows if row.get("grade")}


def _grade_key(text: str) -> str:
    return " ".join(_DROP_WORDS.sub(" ", title_key(text)).split())


@lru_cache(maxsize=16384)
def grade_category(grade: str) -> str | None:
    """Category of one grade by the longest matching prefix in the grades table, else None."""
    words = _grade_key(grade).split()
    table = grade_table()
    for n in range(min(len(words), MAX_HEAD_WORDS), 0, -1):
        category = table.get(" ".join(words[:n]))
        if category:
            return category
    return None


def _starts_grade(words: list[str], i: int) -> bool:
    if not words[i][:1].isupper():
        return False
    keys = _grade_key(" ".join(words[i : i + MAX_HEAD_WORDS])).split()
    table = grade_table()
    return any(" ".join(keys[:n]) in table for n in range(1, len(keys) + 1))


@lru_cache(maxsize=16384)
def parse_grades(value: str | None) -> tuple[str, ...]:
    """Split a grade list ("A, B", or emploi-territorial's space-joined "Attaché Rédacteur ...")."""
    text = clean(value)
    if text is None:
        return ()
    out: list[str] = []
    for part in re.split(r"\s*[,;\n•]\s*|\s+-\s+", text):
        words = part.split()
        if not words:
            continue
        current: list[str] = []
        for i, word in enumerate(words):
            if current and _starts_grade(words, i):
                out.append(" ".join(current))
                current = []
            current.append(word)
        out.append(" ".join(current))
    seen: dict[str, None] = {}
    for grade in out:
        grade = grade.strip(" .:")
        if grade and grade not in seen:
            seen[grade] = None
    return tuple(seen)


@lru_cache(maxsize=16384)
def explicit_categories(value: str | None) -> frozenset[str]:
    """Categories named by a value ("Catégorie A (cadre)", "cat. B", bare "A", "Catégorie A ou B")."""
    text = clean(value)
    if text is None:
        return frozenset()
    folded = fold(text)
    bare = _BARE.fullmatch(folded)
    found = {x.replace(" ", "").upper() for m in _EXPLICIT.findall(folded) for x in _LETTERS.findall(m)}
    if bare:
        found.add(bare.group(1).replace(" ", "").upper())
    return frozenset(found)


def explicit_category(value: str | None) -> str | None:
    """The category named by a value; None if none or several."""
    found = explicit_categories(value)
    return next(iter(found)) if len(found) == 1 else None


ORDER = ("A+", "A", "B", "C")


@lru_cache(maxsize=16384)
def _normalize_category(value: str | None, grades: str | None
                        ) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    grade_list = parse_grades(grades)
    category = explicit_category(value)
    if category is None and grades:
        category = explicit_category(grades)
    spanned = set(explicit_categories(value) or explicit_categories(grades))  # "Catégorie A ou B"
    if category is None and not spanned and grade_list:
        spanned = {grade_category(g) for g in grade_list}
        spanned.discard(None)
        category = next(iter(spanned)) if len(spanned) == 1 else None
    if grade_list and all(fold(g) in _NOT_GRADES or _EXPLICIT.search(fold(g)) for g in grade_list):
        grade_list = ()  # "Vacataire", "Emploi contractuel de cat. C": not grades
    categories = (category,) if category else tuple(c for c in ORDER if c in spanned)
    return category, grade_list, categories


def normalize_category(value: str | None, grades: str | None = None) -> dict:
    """Return {"category": "A+"|"A"|"B"|"C"|None, "grades": [str, ...], "categories": [...]}.

    `categories` lists every category the offer is open at: the category, or, when the
    grades span several (category None), each of theirs."""
    category, grade_list, categories = _normalize_category(value, grades)
    return {"category": category, "grades": list(grade_list), "categories": list(categories)}


def grade_categories(grades: str | None) -> dict[str, str | None]:
    """{grade: category or None} for a grade list (coverage report, debugging)."""
    return {g: grade_category(g) for g in parse_grades(grades)}

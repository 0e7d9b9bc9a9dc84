"""Is an offer a digital job, and in which family? Rules as data in data/taxonomy/.

See docs/classification.md for the decision order and the evaluation figures.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from pipeline.classify_matcher import Matcher as _Matcher
from pipeline.classify_matcher import combined as _combined
from pipeline.classify_matcher import finditer3 as _finditer3
from pipeline.classify_matcher import pattern as _pattern

TAXONOMY_DIR = Path(__file__).resolve().parents[1] / "data" / "taxonomy"
FAMILIES = (
    "developpement", "donnees", "design", "produit", "projet", "architecture",
    "infrastructure", "securite", "support", "pilotage", "fonctions-support",
)
# When a title names several specialties, the first family here wins ("architecte SSI" -> securite).
SPECIALTY_PRIORITY = (
    "securite", "donnees", "design", "produit", "architecture", "developpement",
    "infrastructure", "support", "projet", "pilotage",
)
ROLE_ORDER = ("projet", "infrastructure", "architecture", "donnees", "pilotage", "support")
# A topic of these families says more about the job than a generic role word ("ingénieur", "assistant").
SPECIFIC_TOPICS = frozenset({"developpement", "donnees", "infrastructure"})
TOPIC_ORDER = ("developpement", "infrastructure", "donnees", "projet", "support", "pilotage")


@dataclass(frozen=True)
class Classification:
    """Digital yes/no, its family, and the rule that decided."""

    digital: bool
    family: str | None
    reason: str

    def as_dict(self) -> dict:
        return {"digital": self.digital, "family": self.family, "reason": self.reason}


# ---------------------------------------------------------------- folding
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")
# gender marks left as separate tokens by "(e)", ".e", "-trice", "/fe", "·e" ...
_GENDER_TOKENS = frozenset("e E fe FE ffe se SE euse ne NE ere ve ive trice TRICE rice ice es ES".split())
_SPECIAL_CHARS = tuple((chr(k), v) for k, v in _APOSTROPHES.items())  # (sign, replacement)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Accents stripped, punctuation to single spaces, gender marks dropped, case kept, padded."""
    if not text.isascii():  # str.replace per special sign: the result of str.translate, several times cheaper
        for sign, repl in _SPECIAL_CHARS:
            if sign in text:
                text = text.replace(sign, repl)
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    kept = [t for t in _NON_ALNUM.sub(" ", text).split() if t not in _GENDER_TOKENS]
    return " " + " ".join(kept) + " " if kept else " "


_FEM = (("euses", "eur"), ("euse", "eur"), ("trices", "teur"), ("trice", "teur"), ("iennes", "ien"), ("ienne", "ien"),
        ("eres", "er"), ("ere", "er"), ("ffes", "f"), ("ffe", "f"), ("ees", "e"), ("ee", "e"), ("ives", "if"), ("ive", "if"))
_STOP = frozenset("de du des la le les l d et ou en a au aux un une pour sur".split())


def _token_key(tok: str) -> str:
    for suffix, repl in _FEM:
        if tok.endswith(suffix) and len(tok) > len(suffix) + 2:
            tok = tok[: -len(suffix)] + repl
            break
    if tok.endswith(("nte", "rte")):
        tok = tok[:-1]
    if len(tok) > 3 and tok[-1] in "sx":
        tok = tok[:-1]
    return tok


@lru_cache(maxsize=65536)
def metier_key(label: str) -> str:
    """Key of a métier label: case, accents, apostrophes, '*', codes in parentheses, gender pairs folded away."""
    s = re.sub(r"\([^)]*\)", " ", label)
    seen: list[str] = []
    for tok in fold(s).lower().split():
        if tok in _STOP:
            continue
        k = _token_key(tok)
        if k not in seen:
            seen.append(k)
    return " ".join(seen)


# ---------------------------------------------------------------- taxonomy
class _Taxonomy:
    def __init__(self, data: dict) -> None:
        self.version = str(data["version"])
        m = data["metiers"]
        self.metiers: dict[str, str | None] = {}
        for label in m["not_digital"]:
            self.metiers[metier_key(label)] = None
        for family, labels in m["digital"].items():
            for label in labels:
                self.metiers[metier_key(label)] = family
        self.uninformative = frozenset(metier_key(x) for x in m["uninformative"])
        t = data["title"]
        entries: list[tuple[str, str]] = []
        role_entries: list[tuple[str, str]] = []
        self.kinds: dict[str, tuple[str, str | None]] = {}

        def add(kind: str, family: str | None, patterns: list[str], into: list[tuple[str, str]]) -> None:
            for p in patterns:
                name = f"g{len(self.kinds)}"
                into.append((name, p))
                self.kinds[name] = (kind, family)

        # pass 1: specialties before topics, so "technicien informatique" is one specialty, not a topic
        add("veto", None, t["veto"], entries)
        for family in SPECIALTY_PRIORITY:
            add("specialty", family, t["specialty"].get(family, []), entries)
        for family in TOPIC_ORDER:
            add("topic", family, t["topic"].get(family, []), entries)
        # pass 2: role words, scanned apart so that a role never hides a specialty
        for family, patterns in t.get("in_digital_organisation", {}).items():
            add("orgrole", family, patterns, role_entries)
        for family in ROLE_ORDER:
            add("role", family, t["role"].get(family, []), role_entries)
        for family, patterns in t.get("generic_role", {}).items():
            add("grole", family, patterns, role_entries)
        org = data["organisations"]
        macros = data.get("macros", {})
        self.title_re = _Matcher(entries, macros)
        self.role_re = _Matcher(role_entries, macros)
        self.org_re = _Matcher([(f"o{i}", p) for i, p in enumerate(org["names"] + org["acronyms"])], macros)
        self.tables = _combined((self.org_re, self.title_re, self.role_re))
        self.domain_re = _Matcher([(f"d{i}", p) for i, p in enumerate(data["domains"]["digital"])], macros)


@lru_cache(maxsize=1)
def _taxonomy() -> _Taxonomy:
    return _Taxonomy(json.loads((TAXONOMY_DIR / "taxonomy.json").read_text(encoding="utf-8")))


def taxonomy_version() -> str:
    """Version string of the taxonomy data in use."""
    return _taxonomy().version


# ---------------------------------------------------------------- signals
@dataclass(frozen=True)
class _Hits:
    specialty: tuple[tuple[str, str], ...]  # (family, matched text), title order
    role: tuple[tuple[str, str, str], ...]  # (family, text, kind: role / grole (generic) / orgrole), title order
    topic: tuple[tuple[str, str], ...]
    veto: tuple[str, ...]
    org: tuple[str, ...]


@lru_cache(maxsize=65536)
def _scan(text: str) -> _Hits:
    """Keyword hits in a title; words inside an organisation's name (a unit named in the title) are not job words."""
    tax = _taxonomy()
    folded = fold(text)
    org_found, title_found, role_found = _finditer3(tax.tables, folded)
    org_spans = [m.span() for m in org_found]
    spec, role, topic, veto = [], [], [], []
    for m in (*title_found, *role_found):
        kind, family = tax.kinds[m.lastgroup]
        if org_spans and kind != "veto":
            a, b = m.span()
            if any(x <= a and b <= y for x, y in org_spans):
                continue
        found = m.group().strip()
        if kind == "specialty":
            spec.append((family, found))
        elif kind in ("role", "grole", "orgrole"):
            role.append((family, found, kind))
        elif kind == "topic":
            topic.append((family, found))
        else:
            veto.append(found)
    org = tuple(folded[x:y].strip() for x, y in org_spans)
    return _Hits(tuple(spec), tuple(role), tuple(topic), tuple(veto), org)


@lru_cache(maxsize=16384)
def _employer_org(employer: str) -> str | None:
    m = _taxonomy().org_re.search(fold(employer))
    return m.group().strip() if m else None


@lru_cache(maxsize=1024)
def _domain_digital(domain: str) -> bool:
    return _taxonomy().domain_re.search(fold(domain)) is not None


_UNKNOWN = "?"  # métier absent, uninformative or unmapped


def _metier_family(metier: str | None) -> str | None:
    """A family slug, None (a known non-digital métier) or _UNKNOWN."""
    if not metier or not metier.strip():
        return _UNKNOWN
    tax = _taxonomy()
    key = metier_key(metier)
    if key in tax.uninformative:
        return _UNKNOWN
    return tax.metiers.get(key, _UNKNOWN)


def _family(hits: _Hits, metier: str | None, mfam: str | None, in_org: bool) -> tuple[str, str]:
    """Family of an offer already judged digital, and why (docs/classification.md, "Family")."""
    roles = [r for r in hits.role if in_org or r[2] != "orgrole"]
    topics = [t for t in hits.topic if not (in_org and t[0] == "pilotage")]
    if hits.specialty:
        fam, word = min(hits.specialty, key=lambda h: SPECIALTY_PRIORITY.index(h[0]))
        return fam, f"title keyword '{word}' -> {fam}"
    if roles and topics and not hits.veto:
        if topics[0][0] in SPECIFIC_TOPICS:
            return topics[0][0], f"title topic '{topics[0][1]}' -> {topics[0][0]}"
        return roles[0][0], f"title role '{roles[0][1]}' on topic '{topics[0][1]}' -> {roles[0][0]}"
    if mfam not in (None, _UNKNOWN):
        return mfam, f"métier '{metier}' -> {mfam}"  # type: ignore[return-value]
    if in_org and (hits.veto or not topics):
        # a technical role word still tells the family; managers and generic roles are support functions
        tech = [r for r in roles if r[2] == "orgrole" or (r[2] == "role" and r[0] != "pilotage")]
        if tech and not hits.veto:
            return tech[0][0], f"title role '{tech[0][1]}' in a digital organisation -> {tech[0][0]}"
        return "fonctions-support", "non-technical role in a digital organisation -> fonctions-support"
    if roles:
        return roles[0][0], f"title role '{roles[0][1]}' -> {roles[0][0]}"
    if topics:
        return topics[0][0], f"title topic '{topics[0][1]}' -> {topics[0][0]}"
    return "support", "no family clue -> support"


# ---------------------------------------------------------------- classify
def classify(title: str, metier: str | None = None, employer: str | None = None, domain: str | None = None) -> Classification:
    """Decide digital yes/no and the family of one offer (see docs/classification.md)."""
    hits = _scan(title or "")
    mfam = _metier_family(metier)
    if mfam == _UNKNOWN and metier and metier_key(metier) not in _taxonomy().uninformative:
        extra = _scan(metier)  # unmapped métier: its job words count like the title's, after them
        hits = _Hits(hits.specialty + extra.specialty, hits.role + extra.role, hits.topic + extra.topic,
                     hits.veto, hits.org)
    org = hits.org[0] if hits.org else (_employer_org(employer) if employer else None)
    mdigital = mfam not in (None, _UNKNOWN)

    if hits.specialty:
        return Classification(True, *_family(hits, metier, mfam, bool(org)))
    if org:
        fam, why = _family(hits, metier, mfam, True)
        return Classification(True, fam, f"digital organisation '{org}'; {why}")
    if mdigital:
        if hits.veto and not hits.topic:
            return Classification(False, None, f"title '{hits.veto[0]}' is not digital (overrides métier '{metier}')")
        fam, why = _family(hits, metier, mfam, False)
        return Classification(True, fam, why if why.startswith("métier") else f"métier '{metier}' is digital; {why}")
    if hits.topic:
        if hits.veto:
            return Classification(False, None, f"title '{hits.veto[0]}' is not digital (overrides '{hits.topic[0][1]}')")
        if mfam is None:
            return Classification(False, None, f"métier '{metier}' is not digital (overrides title '{hits.topic[0][1]}')")
        fam, why = _family(hits, metier, mfam, False)
        return Classification(True, fam, f"title topic '{hits.topic[0][1]}' is digital; {why}")
    if domain and _domain_digital(domain):
        if hits.veto or mfam is None:
            return Classification(False, None, f"title or métier is not digital (overrides domain '{domain}')")
        fam, why = _family(hits, metier, mfam, False)
        return Classification(True, fam, f"domain '{domain}' is digital; {why}")
    if mfam is None:
        return Classification(False, None, f"métier '{metier}' is not digital")
    return Classification(False, None, "no digital signal")


def unmapped_metiers(labels: Iterable[str]) -> list[str]:
    """Métier labels (as seen) the taxonomy maps neither to a family nor to non-digital; sorted, deduplicated."""
    tax = _taxonomy()
    out = set()
    for label in labels:
        if not label or not label.strip():
            continue
        key = metier_key(label)
        if key not in tax.metiers and key not in tax.uninformative:
            out.add(label.strip())
    return sorted(out)

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
_GENDER_TOKENS = re.compile(r"(?<= )(?:e|E|fe|FE|ffe|se|SE|euse|ne|NE|ere|ve|ive|trice|TRICE|rice|ice|es|ES)(?= )")
_SPACES = re.compile(r" {2,}")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Accents stripped, punctuation to single spaces, gender marks dropped, case kept, padded."""
    s = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    s = s.encode("ascii", "ignore").decode("ascii")
    s = " " + _NON_ALNUM.sub(" ", s).strip() + " "
    s = _GENDER_TOKENS.sub("", s)
    return _SPACES.sub(" ", s)


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
def _pattern(p: str) -> str:
    """A fragment in capitals is an acronym (case-sensitive); anything else is case-insensitive."""
    return p if re.fullmatch(r"[A-Z0-9]+", p) else f"(?i:{p})"


def _alternation(entries: list[tuple[str, str]]) -> re.Pattern[str]:
    parts = [f"(?P<{name}>{_pattern(p)})" for name, p in entries]
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(parts) + r")(?![A-Za-z0-9])")


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
        self.kinds: dict[str, tuple[str, str | None]] = {}

        def add(kind: str, family: str | None, patterns: list[str]) -> None:
            for p in patterns:
                name = f"g{len(entries)}"
                entries.append((name, p))
                self.kinds[name] = (kind, family)

        org = data["organisations"]
        add("veto", None, t["veto"])
        for family in SPECIALTY_PRIORITY:
            add("specialty", family, t["specialty"].get(family, []))
        for family, patterns in t.get("in_digital_organisation", {}).items():
            add("orgrole", family, patterns)
        for family in ROLE_ORDER:
            add("role", family, t["role"].get(family, []))
        for family in TOPIC_ORDER:
            add("topic", family, t["topic"].get(family, []))
        self.title_re = _alternation(entries)
        self.org_re = _alternation([(f"o{i}", p) for i, p in enumerate(org["names"] + org["acronyms"])])
        self.domain_re = _alternation([(f"d{i}", p) for i, p in enumerate(data["domains"]["digital"])])


@lru_cache(maxsize=1)
def _taxonomy() -> _Taxonomy:
    return _Taxonomy(json.loads((TAXONOMY_DIR / "taxonomy.json").read_text(encoding="utf-8")))


def taxonomy_version() -> str:
    """Version string of the taxonomy data in use."""
    return _taxonomy().version


# ---------------------------------------------------------------- signals
@dataclass(frozen=True)
class _Hits:
    specialty: tuple[tuple[str, str], ...]  # (family, matched text)
    role: tuple[tuple[str, str], ...]
    topic: tuple[tuple[str, str], ...]
    veto: tuple[str, ...]
    org: tuple[str, ...]
    org_role: tuple[tuple[str, str], ...] = ()  # role words that only mean something in a digital organisation
    role_pos: tuple[int, ...] = ()
    org_role_pos: tuple[int, ...] = ()


@lru_cache(maxsize=65536)
def _scan(text: str) -> _Hits:
    """Keyword hits in a title; words inside an organisation's name (a unit named in the title) are not job words."""
    tax = _taxonomy()
    folded = fold(text)
    org_spans = [m.span() for m in tax.org_re.finditer(folded)]
    spec, role, topic, veto, org_role, role_pos, org_role_pos = [], [], [], [], [], [], []
    for m in tax.title_re.finditer(folded):
        kind, family = tax.kinds[m.lastgroup]
        if org_spans and kind != "veto":
            a, b = m.span()
            if any(x <= a and b <= y for x, y in org_spans):
                continue
        found = m.group().strip()
        if kind == "specialty":
            spec.append((family, found))
        elif kind == "role":
            role.append((family, found))
            role_pos.append(m.start())
        elif kind == "orgrole":
            org_role.append((family, found))
            org_role_pos.append(m.start())
        elif kind == "topic":
            topic.append((family, found))
        else:
            veto.append(found)
    org = tuple(folded[x:y].strip() for x, y in org_spans)
    return _Hits(tuple(spec), tuple(role), tuple(topic), tuple(veto), org,
                 tuple(org_role), tuple(role_pos), tuple(org_role_pos))


@lru_cache(maxsize=16384)
def _employer_org(employer: str) -> str | None:
    m = _taxonomy().org_re.search(fold(employer))
    return m.group().strip() if m else None


@lru_cache(maxsize=1024)
def _domain_digital(domain: str) -> bool:
    return _taxonomy().domain_re.search(fold(domain)) is not None


_UNKNOWN = object()


def _metier_family(metier: str | None) -> object:
    """A family slug, None (known non-digital), or _UNKNOWN (absent, uninformative or unmapped)."""
    if not metier or not metier.strip():
        return _UNKNOWN
    tax = _taxonomy()
    key = metier_key(metier)
    if key in tax.uninformative:
        return _UNKNOWN
    return tax.metiers.get(key, _UNKNOWN)


def _best_specialty(spec: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    best = None
    for family, found in spec:
        if best is None or SPECIALTY_PRIORITY.index(family) < SPECIALTY_PRIORITY.index(best[0]):
            best = (family, found)
    return best


# ---------------------------------------------------------------- classify
def classify(title: str, metier: str | None = None, employer: str | None = None, domain: str | None = None) -> Classification:
    """Decide digital yes/no and the family of one offer (see docs/classification.md)."""
    hits = _scan(title or "")
    mfam = _metier_family(metier)
    if mfam is _UNKNOWN and metier and metier_key(metier) not in _taxonomy().uninformative:
        extra = _scan(metier)  # unmapped métier: its words count like the title's, after them
        hits = _Hits(hits.specialty + extra.specialty, hits.role + extra.role, hits.topic + extra.topic, hits.veto, hits.org)
    org = hits.org[0] if hits.org else (_employer_org(employer) if employer else None)
    if org:
        # In a digital organisation "numérique" names the employer's field, not the job,
        # and a few role words take their digital meaning ("responsable des opérations").
        roles = tuple(r for _, r in sorted(zip(hits.role_pos + hits.org_role_pos, hits.role + hits.org_role)))
        topics = tuple(x for x in hits.topic if x[0] != "pilotage")
        hits = _Hits(hits.specialty, roles, topics, hits.veto, hits.org)
    spec = _best_specialty(hits.specialty)
    mdigital = isinstance(mfam, str)

    def family_of_digital(default: str) -> tuple[str, str]:
        if spec:
            return spec[0], f"title keyword '{spec[1]}' -> {spec[0]}"
        if hits.role and hits.topic and not hits.veto:
            tf, tw = hits.topic[0]
            if tf in SPECIFIC_TOPICS:
                return tf, f"title topic '{tw}' -> {tf}"
            f, w = hits.role[0]
            return f, f"title role '{w}' on topic '{tw}' -> {f}"
        if mdigital:
            return mfam, f"métier '{metier}' -> {mfam}"  # type: ignore[return-value]
        if org and hits.org_role_pos == () and hits.role and not hits.veto:
            f, w = hits.role[0]
            if any(w == x[1] for x in _scan(title or "").org_role):
                return f, f"title role '{w}' in a digital organisation -> {f}"
        if org and (hits.veto or not hits.topic):
            return "fonctions-support", "non-technical role -> fonctions-support"
        if hits.role:
            f, w = hits.role[0]
            return f, f"title role '{w}' -> {f}"
        if hits.topic:
            f, w = hits.topic[0]
            return f, f"title topic '{w}' -> {f}"
        return default, f"no family clue -> {default}"

    if spec:
        fam, why = family_of_digital("support")
        return Classification(True, fam, why)
    if org:
        fam, why = family_of_digital("fonctions-support")
        return Classification(True, fam, f"digital organisation '{org}'; {why}")
    if mdigital:
        if hits.veto and not hits.topic:
            return Classification(False, None, f"title '{hits.veto[0]}' is not digital (overrides métier '{metier}')")
        fam, why = family_of_digital(mfam)  # type: ignore[arg-type]
        return Classification(True, fam, why if why.startswith("métier") else f"métier '{metier}' is digital; {why}")
    if mfam is None and not hits.topic:
        return Classification(False, None, f"métier '{metier}' is not digital")
    if hits.topic:
        if hits.veto:
            return Classification(False, None, f"title '{hits.veto[0]}' is not digital (overrides '{hits.topic[0][1]}')")
        if mfam is None:
            return Classification(False, None, f"métier '{metier}' is not digital (overrides title '{hits.topic[0][1]}')")
        fam, why = family_of_digital("support")
        return Classification(True, fam, f"title topic '{hits.topic[0][1]}' is digital; {why}")
    if domain and _domain_digital(domain):
        if hits.veto or mfam is None:
            return Classification(False, None, f"title/métier not digital (overrides domain '{domain}')")
        fam, why = family_of_digital("support")
        return Classification(True, fam, f"domain '{domain}' is digital; {why}")
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

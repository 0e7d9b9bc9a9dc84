"""Is a France Travail offer a public employer's? No API field says so: rules, in order.

Pure (no network, no database). The rules and their known misses are documented in
docs/sources/francetravail.md; `public_employer(offer)` returns which rule decided.

1. ``naf_84``: NAF division 84 (`codeNAF` 84.xxx or `secteurActivite` 84: public
   administration, defence, justice, fire services...).
2. ``naf_public_name``: a NAF code that public and private bodies share (hospitals 86.10Z,
   universities 85.42Z, social action 88.xx...) with a public name (data/public_employers.csv).
3. ``employer_name``: a public employer's name whatever the NAF (MAIRIE, COMMUNE DE, CONSEIL
   DEPARTEMENTAL, CENTRE HOSPITALIER, MINISTERE, CCAS, SDIS, COMMUNAUTE DE COMMUNES...),
   unless the name also says private (CLINIQUE, PRIVE, SAS, SARL...).
4. ``board_reference``: the offer carries a reference or URL of choisirleservicepublic.gouv.fr
   or emploi-territorial.fr (boards of public employers only), in its text or its origin.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.normalize.text import key

PUBLIC_EMPLOYERS_CSV = Path(__file__).resolve().parents[1] / "data" / "public_employers.csv"
# NAF codes a public body often has, but private ones too: a public name is needed.
SHARED_NAF = ("86.10Z", "86.90", "85.42Z", "85.41Z", "85.59", "87.", "88.", "91.01Z", "91.02Z", "72.19Z",
              "72.11Z", "36.00Z", "37.00Z", "38.11Z", "49.31Z", "93.11Z")
PRIVATE_MARKS = re.compile(r"\b(?:prive|privee|privees|clinique|sas|sasu|sarl|eurl|interim|groupe [a-z]+ sa)\b")
RULES = ("naf_84", "naf_public_name", "employer_name", "board_reference")

# References and URLs of the public boards (a relayed offer names its origin).
CSP_URL = re.compile(r"https?://(?:www\.)?(?:choisirleservicepublic|place-emploi-public)\.gouv\.fr/offre-emploi/"
                     r"[^\s\"'<>)]+", re.I)
ET_URL = re.compile(r"https?://(?:www\.)?emploi-territorial\.fr/offre/[^\s\"'<>)]+", re.I)
ET_REF = re.compile(r"(?<![\w-])[oO]\d{15}(?![\w-])")
# A board reference written in the text: "Référence : 2026-2190321", "Réf. DEF_15-00064919".
WRITTEN_REF = re.compile(r"\br[ée]f(?:[ée]rence)?(?:\s+(?:de l'offre|CSP|PEP))?\s*[.:°n]*\s*"
                         r"((?:19|20)\d{2}-\d{5,8}|[A-Z]{2,6}_[A-Z0-9]+(?: \d+)?-\d+|[oO]\d{15})(?![\w-])", re.I)


@dataclass(frozen=True)
class PublicVerdict:
    """Kept (`public`) or not, the rule that decided (None when dropped) and why, in words."""

    public: bool
    rule: str | None
    reason: str

    def as_dict(self) -> dict:
        return {"public": self.public, "rule": self.rule, "reason": self.reason}


@lru_cache(maxsize=1)
def _name_rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    rules = []
    for line in PUBLIC_EMPLOYERS_CSV.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        pattern, kind = line.rsplit(",", 1)
        rules.append((re.compile(pattern), kind.strip()))
    return tuple(rules)


def public_name(name: str | None) -> str | None:
    """The kind of public employer a name says (commune, hopital, etat...), else None."""
    if not name or not name.strip():
        return None
    folded = key(name)
    if PRIVATE_MARKS.search(folded):
        return None
    return next((kind for pattern, kind in _name_rules() if pattern.search(folded)), None)


def board_references(offer: dict) -> list[str]:
    """CSP / emploi-territorial references and URLs the offer carries (text, origin, partners), in order."""
    origin = offer.get("origineOffre") or {}
    texts = [str(offer.get("description") or ""), str(origin.get("urlOrigine") or "")]
    for partner in origin.get("partenaires") or ():
        if isinstance(partner, dict):
            texts.append(str(partner.get("url") or ""))
    found: list[str] = []
    for text in texts:
        for pattern in (CSP_URL, ET_URL):
            found += [m.group(0).rstrip(".,;") for m in pattern.finditer(text)]
        found += [m.group(1) for m in WRITTEN_REF.finditer(text)]
        found += [m.group(0) for m in ET_REF.finditer(text)]
    return list(dict.fromkeys(found))


def public_employer(offer: dict) -> PublicVerdict:
    """Which rule, if any, makes this raw API offer a public employer's (see the module doc)."""
    naf = str(offer.get("codeNAF") or "").strip().upper()
    sector = str(offer.get("secteurActivite") or "").strip()
    name = ((offer.get("entreprise") or {}).get("nom") or "").strip() or None
    if naf.startswith("84.") or (not naf and sector == "84"):
        return PublicVerdict(True, "naf_84", f"NAF {naf or 'division ' + sector}: public administration")
    kind = public_name(name)
    if kind and naf.startswith(SHARED_NAF):
        return PublicVerdict(True, "naf_public_name", f"NAF {naf} with a public name {name!r} ({kind})")
    if kind:
        return PublicVerdict(True, "employer_name", f"public employer name {name!r} ({kind})")
    refs = board_references(offer)
    if refs:
        return PublicVerdict(True, "board_reference", f"relays a public board's offer: {refs[0]}")
    return PublicVerdict(False, None, f"no public-employer rule matched (NAF {naf or 'none'}, "
                                      f"employer {name!r})")

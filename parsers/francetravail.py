"""Pure parsers for the France Travail "Offres d'emploi v2" API: JSON -> raw posting dicts.

No network, no database. Values are kept as the API gives them (dates as written, salary
text as written); normalisation happens in `pipeline.normalize`. Contact details are not
kept (`contact.nom` holds recruiters' names). See docs/sources/francetravail.md.
"""
from __future__ import annotations

import html
import json
import re
from urllib.parse import urlsplit

from parsers.francetravail_public import board_references, public_employer
from pipeline.normalize.reference import reference_from_url

PARSER_VERSION = "francetravail/1"
SOURCE = "francetravail"
OFFER_URL = "https://candidat.francetravail.fr/offres/recherche/detail/{id}"
FT_HOSTS = ("francetravail.fr", "pole-emploi.fr", "francetravail.io")
CONTENT_RANGE = re.compile(r"^\s*offres\s+(-?\d+)\s*-\s*(-?\d+)\s*/\s*(\d+)\s*$", re.I)
_BLANK_LINES = re.compile(r"\n\s*\n+")


class ParseError(ValueError):
    """An API answer that cannot be read; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"field '{field}': {message}")
        self.field = field


def content_range(value: str | None) -> tuple[int, int, int] | None:
    """(first, last, total) of a `Content-Range: offres 0-149/353` header; None if absent or unreadable."""
    match = CONTENT_RANGE.match(value or "")
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def parse_results(body: bytes | str) -> list[dict]:
    """The offers of a search answer (`{"resultats": [...], "filtresPossibles": ...}`)."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ParseError("*", f"not JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("resultats", []), list):
        raise ParseError("resultats", "expected an object with a 'resultats' list")
    return [o for o in data.get("resultats", []) if isinstance(o, dict)]


def text_html(text: str | None) -> str | None:
    """Plain text with line breaks as escaped HTML paragraphs (`<p>`, `<br>`)."""
    if not text or not str(text).strip():
        return None
    paragraphs = [p.strip() for p in _BLANK_LINES.split(str(text).replace("\r\n", "\n")) if p.strip()]
    return "".join("<p>" + "<br>".join(html.escape(line.strip()) for line in p.split("\n")) + "</p>"
                   for p in paragraphs)


def _items(values, label: str = "libelle") -> list[str]:
    return [str(v[label]).strip() for v in values or () if isinstance(v, dict) and str(v.get(label) or "").strip()]


def profile_html(offer: dict) -> str | None:
    """Education, skills and qualities the offer lists, as HTML lists (codes not needed)."""
    education = [{"libelle": " ".join(str(f[k]) for k in ("niveauLibelle", "domaineLibelle") if f.get(k))}
                 for f in offer.get("formations") or () if isinstance(f, dict)]
    parts = []
    for title, values in (("Formation", education), ("Compétences", offer.get("competences")),
                          ("Savoir-être professionnels", offer.get("qualitesProfessionnelles")),
                          ("Langues", offer.get("langues")), ("Permis", offer.get("permis"))):
        items = _items(values)
        if items:
            parts.append(f"<p>{html.escape(title)}</p><ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items)
                         + "</ul>")
    return "".join(parts) or None


def _contract(offer: dict) -> str | None:
    """The contract as written: 'CDD - 12 Mois (Contrat travail)'."""
    kind = offer.get("typeContratLibelle") or offer.get("typeContrat")
    nature = offer.get("natureContrat")
    if not kind and not nature:
        return None
    return f"{kind or ''}{f' ({nature})' if nature else ''}".strip()


def relayed_references(offer: dict) -> list[str]:
    """The public board's reference (CSP, emploi-territorial) this offer relays, canonical.

    The origin (`origineOffre`) is trusted first; else the text, when it names exactly one
    reference (two would join two offers of that board: none is taken, nothing is guessed)."""
    origin = offer.get("origineOffre") if isinstance(offer.get("origineOffre"), dict) else {}
    from_origin = _canonical_refs(board_references({"origineOffre": origin}))
    if from_origin:
        return from_origin[:1]
    from_text = _canonical_refs(board_references({"description": offer.get("description")}))
    return from_text if len(from_text) == 1 else []


def _canonical_refs(found: list[str]) -> list[str]:
    refs = []
    for item in found:
        ref = reference_from_url(item) if "://" in item else item
        if ref:
            refs.append(ref[0].upper() + ref[1:] if re.fullmatch(r"[oO]\d{15}", ref) else ref)
    return list(dict.fromkeys(refs))


def parse_offer(offer: dict, fetched_at: str | None = None) -> dict:
    """One API offer -> a raw posting record (README "The raw posting record"); extra keys kept."""
    if not isinstance(offer, dict):
        raise ParseError("*", f"expected an object, got {type(offer).__name__}")
    offer_id = str(offer.get("id") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9]{4,20}", offer_id):
        raise ParseError("id", f"missing or not an offer id: {offer_id[:40]!r}")
    title = str(offer.get("intitule") or "").strip()
    if not title:
        raise ParseError("intitule", "missing")
    place = offer.get("lieuTravail") if isinstance(offer.get("lieuTravail"), dict) else {}
    company = offer.get("entreprise") if isinstance(offer.get("entreprise"), dict) else {}
    origin = offer.get("origineOffre") if isinstance(offer.get("origineOffre"), dict) else {}
    salary = offer.get("salaire") if isinstance(offer.get("salaire"), dict) else {}
    original = str(origin.get("urlOrigine") or "").strip() or None
    if original and (urlsplit(original).hostname or "").endswith(FT_HOSTS):
        original = None  # the France Travail page itself
    verdict = public_employer(offer)
    record = {
        "source": SOURCE,
        "url": OFFER_URL.format(id=offer_id),
        "title": title,
        "reference": offer_id,
        "employer": (company.get("nom") or "").strip() or None,
        "location": (place.get("libelle") or "").strip() or None,
        "contract": _contract(offer),
        "metier": (offer.get("romeLibelle") or offer.get("appellationlibelle") or "").strip() or None,
        "published": offer.get("dateCreation"),
        "modified": offer.get("dateActualisation"),
        "experience": (offer.get("experienceLibelle") or "").strip() or None,
        "salary": (salary.get("libelle") or "").strip() or None,
        "missions_html": text_html(offer.get("description")),
        "profile_html": profile_html(offer),
        "about_html": text_html(company.get("description")),
        "original_url": original,
        "fetched_at": fetched_at,
        # kept apart (unknown keys of the raw record): the INSEE code the API gives, and what decided
        "location_insee": str(place.get("commune") or "").strip() or None,
        "location_postal_code": str(place.get("codePostal") or "").strip() or None,
        "contract_type": offer.get("typeContrat"),
        "contract_nature": offer.get("natureContrat"),
        "working_time": offer.get("dureeTravailLibelleConverti"),
        "salary_extras": [str(salary[k]) for k in ("complement1", "complement2") if salary.get(k)] or None,
        "rome_code": offer.get("romeCode"),
        "naf_code": offer.get("codeNAF"),
        "sector": offer.get("secteurActiviteLibelle"),
        "positions": offer.get("nombrePostes"),
        "origin": {"origine": origin.get("origine"),
                   "partners": _items(origin.get("partenaires"), "nom")} if origin else None,
        "relayed_references": relayed_references(offer) or None,
        "public_employer": verdict.as_dict(),
    }
    for name in ("published", "modified"):
        if record[name] is not None and not isinstance(record[name], str):
            raise ParseError("dateCreation" if name == "published" else "dateActualisation",
                             f"not a date string: {record[name]!r}")
    return {k: v for k, v in record.items() if v is not None}

"""Readable case for names written all in capitals ("CONSEIL DEPARTEMENTAL DE LA VENDEE").

Only a text with no lower-case letter is changed. Place names come back as the official
geography writes them (accents, hyphens: "Vendée", "La Roche-sur-Yon"), the usual words of
employer names get their accents back from a small table, connector words are lower-case,
known acronyms stay in capitals. Everything else is capitalised as is (accents written on
the page are kept).
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.normalize.text import fold

# Words of employer names whose accents an all-caps text often drops.
ACCENTED = {w_fold: w for w in (
    "départemental", "départementale", "départementaux", "département", "régional", "régionale", "région",
    "métropole", "métropolitain", "métropolitaine", "communauté", "collectivité", "établissement",
    "établissements", "intercommunalité", "énergie", "électricité", "électrique", "sécurité", "secrétariat",
    "système", "systèmes", "réseau", "réseaux", "général", "générale", "médico-social", "médico-sociale",
    "hôpital", "hospitalier", "hospitalière", "résidence", "école", "écoles", "crèche", "bibliothèque",
    "médiathèque", "théâtre", "musée", "aéroport", "eaux", "incendie", "secours", "d'intérêt",
    "intérêt", "numérique", "développement", "aménagement", "équipement", "économique", "création",
    "cohésion", "agglomération", "hérault", "pôle", "côte", "côtes", "île", "îles", "vallée", "pays", "cœur", "être", "rhône", "lèze",
) for w_fold in [fold(w)]}
SMALL = {"de", "du", "des", "la", "le", "les", "et", "en", "sur", "sous", "aux", "au", "à", "a", "l", "d", "pour"}
ACRONYMS = {"ccas", "cias", "sdis", "cdg", "epci", "sivom", "sivu", "sictom", "smictom", "fpt", "oph", "cnfpt",
            "sig", "dsi", "ehpad", "crous", "sem", "spl", "sem", "cc", "ca", "cu", "cd", "ccs", "caf", "cnas",
            "siaep", "sdea", "syded", "sydev", "cge", "cdc", "dgs", "ssiad", "smur", "rh", "ue"}
_TOKEN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿŒœ]+(?:[-'’][A-Za-zÀ-ÖØ-öø-ÿŒœ]+)*|[^A-Za-zÀ-ÖØ-öø-ÿŒœ]+")
MAX_PLACE_WORDS = 6


@lru_cache(maxsize=1)
def _places() -> dict[str, str]:
    """{folded name: official spelling} of départements, régions and communes."""
    from pipeline.normalize.geography import get_geography

    geo = get_geography()
    names: dict[str, str] = {}
    for commune in geo.communes.values():
        if commune.kind == "C":
            names.setdefault(fold(commune.name), commune.name)
    for department in geo.departments.values():
        names[fold(department.name)] = department.name
    for region in geo.regions.values():
        names[fold(region)] = region
    return names


def _word(word: str, first: bool) -> str:
    folded = fold(word)
    if folded in ACRONYMS and not first or (folded in ACRONYMS and len(word) <= 4):
        return word.upper()
    if "'" in word or "’" in word:  # l'Oise, d'Hères: the article small, the word after capitalised
        head, _, tail = word.replace("’", "'").partition("'")
        if fold(head) in ("l", "d"):
            place = _places().get(fold(tail))
            return (head.capitalize() if first else head.lower()) + "'" + (place or _word(tail, False))
    if not first and folded in SMALL:
        return word.lower()
    if "-" in word:
        return "-".join(_word(part, i == 0 and first or fold(part) not in SMALL) for i, part in enumerate(word.split("-")))
    spelled = ACCENTED.get(folded, word.lower())
    return spelled[:1].upper() + spelled[1:] if first else spelled


@lru_cache(maxsize=16384)
def readable_case(text: str | None) -> str | None:
    """`text` in readable case when it is written all in capitals, else unchanged."""
    if not text or any(c.islower() for c in text) or len(re.findall(r"[^\W\d_]{2,}", text)) < 2:
        return text
    tokens = _TOKEN.findall(text)
    words = [i for i, t in enumerate(tokens) if t[:1].isalpha()]
    out = list(tokens)
    places = _places()
    done: set[int] = set()
    for n, i in enumerate(words):
        if i in done:
            continue
        for size in range(min(MAX_PLACE_WORDS, len(words) - n), 0, -1):
            span = words[n: n + size]
            if size == 1 and fold(tokens[i]) in SMALL | {"commune", "ville", "mairie"}:
                continue
            name = places.get(fold("".join(tokens[span[0]: span[-1] + 1])))
            if name and (size > 1 or len(tokens[i]) > 3):
                out[span[0]: span[-1] + 1] = [name] + [""] * (span[-1] - span[0])
                done.update(range(span[0], span[-1] + 1))
                break
        else:
            out[i] = _word(tokens[i], first=(n == 0))
    result = "".join(out)
    return result[:1].upper() + result[1:]

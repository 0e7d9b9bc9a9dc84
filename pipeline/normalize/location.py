"""Location normaliser: free-text job locations -> commune, department, region, territory.

Evidence, strongest first: a department code in parentheses (``Paris (75)``), a postal
code (CEDEX/CS codes by their department prefix), department/region names, commune
names (restricted to the department or postal code when one is known). Nothing is
guessed: an ambiguous commune name without a department stays unresolved.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pipeline.normalize.geography import (
    ABBREVIATIONS, STOPWORDS, Geography, ascii_fold, get_geography,
)

KEYS = ("label", "city", "postal_code", "insee", "department_code", "department",
        "region_code", "region", "territory_code", "territory", "territory_kind")

# Words that start a street name: commune names right after them are street names.
STREET_WORDS = frozenset(
    "rue r avenue av ave bd boulevard blvd place pl quai allee all chemin ch route rte "
    "impasse imp cours square sq passage esplanade lices voie parvis rond carrefour "
    "faubourg fbg promenade mail sentier villa hameau porte "
    "general gal marechal docteur dr president professeur colonel commandant".split())
# Tokens before a 5-digit number that make it a box number, not a postal code.
BOX_WORDS = frozenset({"cs", "bp", "tsa", "sp", "cp", "case", "cidex"})
# Places (folded keys) whose words contain another place's name ("Corée du Nord",
# "Costa Rica", "Marne-la-Vallée"): matched first so that they hide those names.
FOREIGN = frozenset(
    "coreedunord afriquedunord ameriquedunord irlandedunord macedoinedunord capvert "
    "costarica saintmarin saintchristopheetnieves saintvincentetlesgrenadines "
    "moyenorient montreal".split()) | frozenset(
    # French places that are not communes and would read as another place.
    "ladefense parisladefense marnelavallee".split())
# Common words that are also commune names, found by running the matcher over the
# sample offers' full text: only communes when a department or postal code is known.
COMMON_WORDS = frozenset(
    "charge son sens bonne bonnes marches plan relevant rue force champs salles ecole "
    "cours serez lies campagne vue corps centres ligne grand ville y vers ars frais "
    "termes degre long mer contre celle celles portes moyen champagne pannes bords "
    "courant pia erp jury port eps ade hermes eu issus ponts marie maisons ange bois "
    "maire fins simple premieres lire bu hommes job engins cercles signes seuil dangers "
    "bannieres fourneaux viviers albert francois blaise descartes buffon saone "
    "villeneuve laval".split())
# Countries that are also commune names: communes only inside a known department.
COUNTRY_WORDS = frozenset({"argentine", "grenade", "soudan", "suisse"})
NOISE = frozenset({"cedex", "france"})  # never the start of a name; cedex ends one
_AFTER_NUMBER = STREET_WORDS | {"bis", "ter"}  # "Paris 12 rue ...": a street number

_PAREN_CODE = re.compile(r"\(\s*(2[ab]|\d{2,3})\s*\)")
_BARE_CODE = re.compile(r"^\s*(2[ab]|\d{2,3})\s*$")
_TOKEN = re.compile(r"[a-z]+|[0-9]+|[(),;:/|\[\]]| -|- ")
_SPACES = re.compile(r"\s+")


@dataclass(slots=True)
class _Match:
    start: int
    end: int
    key: str
    communes: tuple[str, ...]
    former: bool  # communes come from a commune déléguée/associée name
    dept: str | None
    region: str | None
    street: bool
    common: bool  # a common word that is also a commune name ("son", "plan")
    tail: bool = False  # several words ending a segment ("route du fort Ivry-sur-Seine")


def _tokenize(folded: str) -> list[str]:
    """Words and digit runs; '|' marks a hard boundary, '-' a spaced dash."""
    out: list[str] = []
    for tok in _TOKEN.findall(folded):
        if tok[0].isalnum():
            out.append(ABBREVIATIONS.get(tok, tok))
        elif tok.strip() == "-":
            out.append("-")
        else:
            out.append("|")
    return out


def _street_flags(tokens: list[str]) -> list[int]:
    """Per token: 0 free text, 1 inside a street name, 2 first words of a street name."""
    flags = [0] * len(tokens)
    state = 0
    for i, tok in enumerate(tokens):
        if tok in ("|", "-", "a") or tok.isdigit():
            state = 0
        elif tok in STREET_WORDS:
            flags[i] = 2
            state = 2
            continue
        elif state == 2 and tok not in STOPWORDS:
            flags[i] = 2
            state = 1
            continue
        flags[i] = state
    return flags


def _scan(geo: Geography, tokens: list[str], whole_key: str) -> list[_Match]:
    """Greedy longest matches of commune, department and region names over the tokens."""
    flags = _street_flags(tokens)
    matches: list[_Match] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        if tok in ("|", "-") or tok.isdigit() or tok in NOISE:
            i += 1
            continue
        spans: list[tuple[int, list[str]]] = []
        parts: list[str] = []
        j = i
        while j < n and len(parts) < geo.max_tokens:
            t = tokens[j]
            if t == "|":
                break
            if t != "-":
                if t == "cedex":
                    break
                parts.append(t)
                spans.append((j + 1, list(parts)))
            j += 1
        found = None
        for end, words in reversed(spans):
            if flags[i] == 2 and (tok not in STREET_WORDS or len(words) < 2):
                break  # a street name's first words are never a place ("rue de Paris")
            found = _lookup(geo, tokens, i, end, words, whole_key, flags[i])
            if found and flags[i] == 2 and not found.communes:
                found = None
            if found:
                found.start = i
                found.tail = end - i > 1 and (end == n or tokens[end] in ("|", "-", "cedex"))
                matches.append(found)
                i = end
                break
        if not found:
            i += 1
    return matches


def _lookup(geo: Geography, tokens: list[str], start: int, end: int, words: list[str],
            whole_key: str, flag: int) -> _Match | None:
    k = "".join(words)
    if k in FOREIGN:  # hides the names inside; a commune only within a known department
        return _Match(0, end, k, geo.commune_keys.get(k, ()), False, None, None, False, True)
    if words[-1].isdigit() and (
            end < len(tokens) and tokens[end] in _AFTER_NUMBER
            or start and tokens[start - 1] in ("universite", "univ")):
        return None  # "Paris 12 rue ...", "Université Lyon 2": not arrondissements
    loose = "".join(w for w in words if w not in STOPWORDS)
    exact_only = words[0] in STOPWORDS or words[-1] in STOPWORDS
    dept = geo.department_keys.get(k) or (None if exact_only else geo.department_keys.get(loose))
    region = geo.region_keys.get(k) or (None if exact_only else geo.region_keys.get(loose))
    communes = geo.commune_keys.get(k)
    formers = geo.former_keys.get(k)
    former = communes is None and formers is not None
    if communes and formers:
        communes = tuple(dict.fromkeys(communes + formers))
    elif formers:
        communes = formers
    if not (communes or dept or region):
        return None
    common = (len(k) < 3 or k in COMMON_WORDS) and k != whole_key or k in COUNTRY_WORDS
    return _Match(0, end, k, communes or (), former, dept, region, flag == 1, common)


def _postcodes(geo: Geography, tokens: list[str]) -> list[str]:
    """Plausible postal codes in order (box numbers such as ``CS 10205`` left out)."""
    out = []
    for i, tok in enumerate(tokens):
        if len(tok) == 5 and tok.isdigit() and (i == 0 or tokens[i - 1] not in BOX_WORDS):
            if geo.postcode_departments(tok):
                out.append(tok)
    return out


def _family(geo: Geography, insees: tuple[str, ...]) -> tuple[str, ...]:
    """Drop a commune when one of its municipal arrondissements is also listed."""
    parents = {geo.communes[i].parent for i in insees}
    return tuple(i for i in insees if i not in parents)


def _in_postcode(geo: Geography, insee: str, cands: tuple[str, ...]) -> str | None:
    """The candidate for this commune among a postal code's communes (arrondissement if any)."""
    sub = [c for c in cands if geo.communes[c].parent == insee]
    if len(sub) == 1:
        return sub[0]
    return insee if insee in cands else None


def _pick_postcode(geo: Geography, codes: list[str], dept: str | None,
                   matches: list[_Match]) -> str | None:
    """The postal code a commune name confirms, else the last one known (in ``dept``)."""
    usable = [p for p in codes if dept is None or dept in geo.postcode_departments(p)]
    for p in reversed(usable):
        cands = geo.postal.get(p)
        pdeps = geo.postcode_departments(p)
        for m in matches:
            for i in m.communes:
                if (cands and _in_postcode(geo, i, cands)) or (
                        not cands and geo.communes[i].department in pdeps):
                    return p
    known = [p for p in usable if p in geo.postal]
    return (known or usable or [None])[-1]


def _resolve(label: str, hint: str | None = None) -> tuple[str | None, ...]:
    geo = get_geography()
    folded = ascii_fold(label)
    tokens = _tokenize(folded)
    whole_key = "".join(t for i, t in enumerate(tokens) if t not in ("|", "-")
                        and t not in NOISE and not (i and tokens[i - 1] == "cedex"))
    codes = [c.upper() for c in _PAREN_CODE.findall(folded) if c.upper() in geo.departments]
    bare = _BARE_CODE.match(folded)
    if bare and bare.group(1).upper() in geo.departments:
        codes.append(bare.group(1).upper())
    dept = codes[-1] if codes else None
    matches = _scan(geo, tokens, whole_key)
    postcode = _pick_postcode(geo, _postcodes(geo, tokens), dept, matches)
    allowed: frozenset[str] | None = frozenset({dept}) if dept else None
    if dept is None and postcode:
        allowed = geo.postcode_departments(postcode)
        dept = geo.department_of_postcode(postcode)
    if allowed is None:
        dept = _department_from_names(matches) or hint
        allowed = frozenset({dept}) if dept else None
    constrained = allowed is not None

    # Commune evidence: a name that is the department's own name is not a commune
    # (``Belfort (90)``, ``Paris (75)``) unless a postal code says it is one.
    cands = geo.postal.get(postcode) if postcode else None
    evidence: list[tuple[_Match, list[str]]] = []
    for m in matches:
        if not m.communes or (m.dept and m.dept == dept and not postcode):
            continue
        if not constrained and (m.dept or m.region or m.common):
            continue
        hits = [h for h in (_in_postcode(geo, i, cands) for i in m.communes) if h] if cands else []
        targets = hits or [i for i in m.communes
                           if allowed is None or geo.communes[i].department in allowed]
        if targets:
            evidence.append((m, targets))
    strong = [e for e in evidence if not e[0].street] or (
        evidence if constrained else [e for e in evidence if e[0].tail])
    if cands:  # names confirmed by the postal code first
        strong = [e for e in strong if any(t in cands for t in e[1])] or strong
    strong = [e for e in strong if not e[0].former] or strong

    insee = city = region = None
    distinct = {t for _, ts in strong for t in ts}
    if len(distinct) == 1:
        insee = distinct.pop()
    elif strong and constrained and len(set(strong[-1][1])) == 1:
        insee = strong[-1][1][0]
    elif distinct:  # one name, several communes: the name is known, not the commune
        names = {geo.communes[t].city for t in distinct}
        deps = {geo.communes[t].department for t in distinct}
        whole = all(e[0].key == whole_key for e in strong)
        city = names.pop() if len(names) == 1 and whole else None
        if dept is None and len(deps) == 1:
            dept = deps.pop()
        regions = {geo.departments[geo.communes[t].department].region_code for t in distinct}
        region = regions.pop() if len(regions) == 1 else None  # "Dijon ou Besançon"
    elif cands:
        family = _family(geo, cands)
        if len(family) == 1:
            insee = family[0]
    if insee is None and city is None and dept == "75":
        insee = "75056"  # the department of Paris is the commune of Paris
    if insee:
        commune = geo.communes[insee]
        city, dept = commune.city, commune.department
        if postcode is None and len(commune.postal_codes) == 1:
            postcode = commune.postal_codes[0]
    if postcode and dept and dept not in geo.postcode_departments(postcode):
        postcode = None

    if dept:
        region = geo.departments[dept].region_code
    elif region is None:
        regions = {m.region for m in matches if m.region and not m.street}
        region = regions.pop() if len(regions) == 1 else None
    return _place(geo, label, city, postcode, insee, dept, region)


def _place(geo: Geography, label: str, city: str | None, postcode: str | None, insee: str | None,
           dept: str | None, region: str | None) -> tuple[str | None, ...]:
    """The KEYS values. An overseas collectivity (975, 977, 978, 984, 986-989) is neither a
    département nor a région: its code goes to ``territory_code`` only (docs/export.md)."""
    if dept is None and region in geo.departments and not geo.is_department(region):
        dept = region  # a collectivity named alone ("Polynésie française" as a region name)
    territory = dept
    if dept and not geo.is_department(dept):
        dept = region = None
    return (label, city, postcode, insee, dept,
            geo.departments[dept].name if dept else None,
            region, geo.regions.get(region) if region else None,
            territory, geo.departments[territory].name if territory else None,
            geo.territory_kind(territory) if territory else None)


def upgrade_location(location: dict) -> dict:
    """A location stored before the territory keys existed, in today's form: a collectivity
    code moved from ``department_code``/``region_code`` to ``territory_code``."""
    if not location or "territory_code" in location:
        return location
    geo = get_geography()
    dept = location.get("department_code")
    if dept not in geo.departments:
        dept = None
    region = location.get("region_code")
    values = _place(geo, location.get("label"), location.get("city"), location.get("postal_code"),
                    location.get("insee"), dept, region if region in geo.regions else None)
    return {**location, **dict(zip(KEYS, values))}


def _department_from_names(matches: list[_Match]) -> str | None:
    """The one department named outside street names (names that are also communes
    are dropped when the names disagree: ``Vienne, Isère`` is Isère)."""
    named = [m for m in matches if m.dept and not m.street]
    codes = {m.dept for m in named}
    if len(codes) > 1:
        codes = {m.dept for m in named if not m.communes}
    return codes.pop() if len(codes) == 1 else None


@functools.lru_cache(maxsize=65536)
def _cached(label: str, hint: str | None) -> tuple[str | None, ...]:
    alone = _cached(label, None) if hint else _resolve(label)
    return alone if not hint or alone[KEYS.index("territory_code")] else _resolve(label, hint)


def normalize_location(value: str | None, department: str | None = None) -> dict[str, str | None]:
    """Normalise a location string to label, city, postal code, INSEE code, department,
    region and territory (each None when unknown).

    ``territory_code``/``territory``/``territory_kind`` name the département or, overseas,
    the collectivity the place is in; for a collectivity (``com``, ``sui_generis``,
    ``taaf``, ``clipperton``) the département and région keys are None.

    ``department`` (a code such as ``"93"``, e.g. from the board's separate department
    field) is used only when the string alone gives no department: it then settles
    ambiguous city names (``ST DENIS Cedex``, ``FRESNES``).
    """
    if value is None:
        return dict.fromkeys(KEYS)
    label = _SPACES.sub(" ", str(value)).strip()
    if not label:
        return dict.fromkeys(KEYS)
    if department is not None:
        department = str(department).strip().upper().zfill(2)
        if department not in get_geography().departments:
            department = None
    return dict(zip(KEYS, _cached(label, department)))

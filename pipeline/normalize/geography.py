"""Official French geography (COG) loaded once from the vendored ``data/geo/`` files.

Provides the folding used for matching (case, accents, punctuation, ``St``/``Ste``
abbreviations) and dict indexes from folded names and postal codes to communes,
departments and regions. Built by ``scripts/build_geography.py``; see ``data/geo/SOURCE.md``.
``departments`` also holds the overseas collectivities (975-989), as the source does; their
legal kind (``territory_kind``, from ``data/geo/territories.csv``) tells them apart.
"""
from __future__ import annotations

import csv
import functools
import operator
import pathlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pipeline.normalize import geography_cache

GEO_DIR = pathlib.Path(__file__).resolve().parents[2] / "data" / "geo"

# Token-level expansions applied before matching (folded, lower-case tokens).
ABBREVIATIONS = {
    "st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes",
    "hte": "haute", "htes": "hautes", "ht": "haut", "hts": "hauts",
}
# Connector words dropped in the loose keys used for department and region names.
STOPWORDS = frozenset({"de", "du", "des", "d", "la", "le", "les", "l", "et", "en", "sur"})

# Extra department names seen on job boards (folded by ``loose_key``).
DEPARTMENT_ALIASES = {
    "90": ("Belfort", "Territoire de Belfort"),
    "974": ("Réunion", "Ile de la Réunion", "La Reunion"),
    "973": ("Guyane française",),
    "2A": ("Corse du Sud",),
    "2B": ("Haute Corse",),
    "975": ("Saint-Pierre et Miquelon", "SPM"),
    "986": ("Wallis-et-Futuna",),
    "987": ("Polynésie",),
    "984": ("TAAF", "Terres australes françaises", "Terres australes et antarctiques"),
    "989": ("Clipperton", "Île Clipperton"),
}
# Extra region names: common spellings, abbreviations and the pre-2016 regions
# (each lies wholly inside the current region it maps to).
REGION_ALIASES = {
    "11": ("Ile de France", "IDF", "Région parisienne"),
    "24": ("Centre Val de Loire", "Région Centre"),
    "27": ("Bourgogne", "Franche-Comté", "BFC"),
    "28": ("Haute-Normandie", "Basse-Normandie"),
    "32": ("Nord-Pas-de-Calais", "Picardie", "Nord Pas de Calais Picardie"),
    "44": ("Alsace", "Lorraine", "Champagne-Ardenne", "Alsace Champagne Ardenne Lorraine"),
    "52": ("Pays de Loire",),
    "75": ("Aquitaine", "Limousin", "Poitou-Charentes", "Aquitaine Limousin Poitou Charentes"),
    "76": ("Midi-Pyrénées", "Languedoc-Roussillon", "Languedoc Roussillon Midi Pyrénées"),
    "84": ("Rhône-Alpes", "Auvergne", "Auvergne Rhone Alpes"),
    "93": ("PACA", "Provence Alpes Cote d Azur", "Région Sud", "Provence"),
    "94": ("Corse",),
    "04": ("Réunion", "Ile de la Réunion"),
}

# Usual names of communes that are not (or no longer) official: merged or renamed
# communes. A name shared with an official commune stays ambiguous ("Évry": 89 or 91).
COMMUNE_ALIASES = {
    "Évry": ("91228",),
    "Montreuil-sous-Bois": ("93048",),
    "Cherbourg": ("50129",),
    "Châlons-sur-Marne": ("51108",),
    "Boulogne": ("92012", "62160"),
    # districts of the TAAF and Wallis-et-Futuna's main town, by their usual names (not the
    # bare "Kerguelen", a Breton name of streets and schools, nor "Crozet", a commune of the Ain)
    "Îles Kerguelen": ("98412",),
    "Îles Crozet": ("98413",),
    "Terre Adélie": ("98414",),
    "Îles Éparses": ("98415",),
    "Saint-Paul et Amsterdam": ("98411",),
    "Mata-Utu": ("98613",),
}

#: Kind of a territory whose code is not in ``territories.csv`` (a metropolitan département).
METROPOLITAN = "departement"
#: Kinds that are départements (they have a département and a région code in the export).
DEPARTMENT_KINDS = frozenset({METROPOLITAN, "drom"})

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_SPECIAL = str.maketrans({
    "œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss",
    "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
    "–": " - ", "—": " - ", "‐": "-", "‑": "-", "\u00a0": " ",
})


_SPECIAL_SIGNS = tuple((chr(k), v) for k, v in _SPECIAL.items())  # (sign, replacement)


def ascii_fold(text: str) -> str:
    """Lower-case ASCII form: accents stripped, typographic quotes and dashes unified."""
    if text.isascii():  # the one ASCII sign of _SPECIAL; NFKD leaves ASCII unchanged
        return text.replace("`", "'").lower()
    for sign, repl in _SPECIAL_SIGNS:  # str.replace per sign: the result of str.translate, cheaper
        if sign in text:
            text = text.replace(sign, repl)
    text = unicodedata.normalize("NFKD", text.lower())
    return text.encode("ascii", "ignore").decode("ascii")


def fold_tokens(text: str) -> list[str]:
    """Lower-case, strip accents, split on non-alphanumerics and expand abbreviations."""
    return [ABBREVIATIONS.get(t, t) for t in _NON_ALNUM.split(ascii_fold(text)) if t]


def key(text: str) -> str:
    """Compact matching key: folded tokens joined without separators."""
    return "".join(fold_tokens(text))


def loose_key(tokens: list[str]) -> str:
    """Compact key of tokens without connector words (for department/region names)."""
    return "".join(t for t in tokens if t not in STOPWORDS)


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune (``kind`` C) or municipal arrondissement (``kind`` A)."""

    insee: str
    name: str
    kind: str
    department: str
    parent: str  # the commune's INSEE code for an arrondissement, else ""
    postal_codes: tuple[str, ...]

    @property
    def city(self) -> str:
        """The commune name (for an arrondissement: its commune's name)."""
        return self.name.split(" ", 1)[0] if self.kind == "A" else self.name


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    region_code: str


class CommuneIndex(Mapping):
    """INSEE code -> Commune, each built from its row when first asked for (35,000 rows, a few used)."""

    def __init__(self, rows: dict[str, tuple]) -> None:
        self.rows = rows
        self._built: dict[str, Commune] = {}

    def __getitem__(self, insee: str) -> Commune:
        commune = self._built.get(insee)
        if commune is None:
            commune = self._built[insee] = Commune(*self.rows[insee])
        return commune

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


_FILES = ("regions.csv", "departments.csv", "territories.csv", "communes.csv")
_STATE = ("regions", "region_keys", "department_keys", "commune_keys", "former_keys", "postal",
          "territory_kinds", "max_tokens")


class Geography:
    """Indexes over the vendored COG files; build once with :func:`get_geography`.

    The built indexes are kept in the user's cache (`geography_cache`), keyed by the files
    and this module's code, so that a later process loads them instead of building them."""

    def __init__(self, geo_dir: pathlib.Path = GEO_DIR) -> None:
        self.regions: dict[str, str] = {}
        self.departments: dict[str, Department] = {}
        self.communes: Mapping[str, Commune] = CommuneIndex({})
        self.region_keys: dict[str, str] = {}
        self.department_keys: dict[str, str] = {}
        self.commune_keys: dict[str, tuple[str, ...]] = {}
        self.former_keys: dict[str, tuple[str, ...]] = {}  # communes déléguées/associées
        self.postal: dict[str, tuple[str, ...]] = {}
        self.territory_kinds: dict[str, str] = {}  # code -> kind, for the non-metropolitan ones
        self.max_tokens = 1
        key = geography_cache.sources_key([pathlib.Path(__file__), *(geo_dir / name for name in _FILES)])
        state = geography_cache.load(key)
        if state is None or not self._restore(state):
            self._load(geo_dir)
            geography_cache.save(key, self._state())

    def _state(self) -> dict:
        """The indexes as plain values (what `marshal` keeps)."""
        state = {name: getattr(self, name) for name in _STATE}
        state["departments"] = {code: (d.code, d.name, d.region_code) for code, d in self.departments.items()}
        state["communes"] = {insee: (c.insee, c.name, c.kind, c.department, c.parent, c.postal_codes)
                             for insee, c in self.communes.items()}
        return state

    def _restore(self, state: dict) -> bool:
        """Take the indexes from a kept state; False (nothing taken) when it lacks one."""
        if not all(name in state for name in (*_STATE, "departments", "communes")):
            return False
        for name in _STATE:
            setattr(self, name, state[name])
        self.departments = {code: Department(*row) for code, row in state["departments"].items()}
        self.communes = CommuneIndex(state["communes"])
        return True

    def _rows(self, path: pathlib.Path) -> list[dict[str, str]]:
        with path.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh, delimiter=";"))

    @staticmethod
    def _tuples(path: pathlib.Path, *columns: str) -> list[tuple[str, ...]]:
        """The named columns of each row (cheaper than a dict per row for the 37,000 communes)."""
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter=";")
            header = next(reader)
            at = [header.index(c) for c in columns]
            width, pick = len(header), operator.itemgetter(*at)
            return [pick(row) if len(row) == width else tuple(row[k] if k < len(row) else None for k in at)
                    for row in reader if row]

    def _load(self, geo_dir: pathlib.Path) -> None:
        for row in self._rows(geo_dir / "regions.csv"):
            self.regions[row["code"]] = row["name"]
            self._add_loose(self.region_keys, row["name"], row["code"])
        for code, names in REGION_ALIASES.items():
            for name in names:
                self._add_loose(self.region_keys, name, code)
        for row in self._rows(geo_dir / "departments.csv"):
            dep = Department(row["code"], row["name"], row["region_code"])
            self.departments[dep.code] = dep
            self._add_loose(self.department_keys, dep.name, dep.code)
        for code, names in DEPARTMENT_ALIASES.items():
            for name in names:
                self._add_loose(self.department_keys, name, code)
        for row in self._rows(geo_dir / "territories.csv"):
            self.territory_kinds[row["code"]] = row["kind"]

        names: dict[str, list[str]] = {}
        former: dict[str, list[str]] = {}
        postal: dict[str, list[str]] = {}
        rows = self._tuples(geo_dir / "communes.csv", "insee", "name", "type", "department", "parent", "postal_codes")
        communes: dict[str, Commune] = {}
        for insee, name, kind, department, parent, postal_codes in rows:
            tokens = fold_tokens(name)
            if len(tokens) >= self.max_tokens:
                self.max_tokens = len(tokens) + 1
            if kind in "DS":
                _append(former, "".join(tokens), parent)
                continue
            commune = Commune(insee, name, kind, department, parent, tuple(postal_codes.split()))
            communes[insee] = commune
            for code in commune.postal_codes:
                _append(postal, code, insee)
            if kind == "C":
                _append(names, "".join(tokens), insee)
            else:
                for alias in _arrondissement_keys(tokens):
                    _append(names, alias, insee)
        for name, insees in COMMUNE_ALIASES.items():
            for insee in insees:
                _append(names, key(name), insee)
        self.communes = communes
        self.commune_keys = {k: tuple(v) for k, v in names.items()}
        self.former_keys = {k: tuple(v) for k, v in former.items()}
        self.postal = {k: tuple(v) for k, v in postal.items()}

    @staticmethod
    def _add_loose(index: dict[str, str], name: str, code: str) -> None:
        tokens = fold_tokens(name)
        index.setdefault("".join(tokens), code)
        index.setdefault(loose_key(tokens), code)

    def territory_kind(self, code: str) -> str:
        """``departement``, ``drom``, ``com``, ``sui_generis``, ``taaf`` or ``clipperton``
        (data/geo/territories.csv) for a code of ``departments``."""
        return self.territory_kinds.get(code, METROPOLITAN)

    def is_department(self, code: str) -> bool:
        """Whether a code of ``departments`` is a real département (metropolitan or overseas),
        not one of the overseas collectivities that the source files list beside them."""
        return self.territory_kind(code) in DEPARTMENT_KINDS

    def postcode_departments(self, postcode: str) -> frozenset[str]:
        """Departments a postal code may belong to: those of the communes using it, else
        (CEDEX and CS codes) the one given by its prefix; both 2A and 2B for a Corsican
        code other than 200xx/201xx (2A) and 202xx/206xx (2B). Empty if not a postcode."""
        insees = self.postal.get(postcode)
        if insees:
            return frozenset(self.communes[i].department for i in insees)
        if postcode.startswith("20"):
            return _CORSICA.get(postcode[:3], frozenset({"2A", "2B"}))
        prefix = postcode[:3] if postcode[:2] in ("97", "98") else postcode[:2]
        return frozenset({prefix}) if prefix in self.departments else frozenset()

    def department_of_postcode(self, postcode: str) -> str | None:
        """The department of a postal code when it is certain, else None."""
        deps = self.postcode_departments(postcode)
        return next(iter(deps)) if len(deps) == 1 else None


_CORSICA = {"200": frozenset({"2A"}), "201": frozenset({"2A"}),
            "202": frozenset({"2B"}), "206": frozenset({"2B"})}


def _append(index: dict[str, list[str]], k: str, value: str) -> None:
    values = index.setdefault(k, [])
    if value not in values:
        values.append(value)


def _arrondissement_keys(tokens: list[str]) -> list[str]:
    """Match keys for 'Paris 7e Arrondissement': paris7e, paris7eme, paris7, ..."""
    city, ordinal = tokens[0], tokens[1]
    number = ordinal.rstrip("abcdefghijklmnopqrstuvwxyz")
    suffixes = ["", "e", "eme", "ieme", "em", "me"] + (["er", "ere", "re"] if number == "1" else [])
    keys = [city + number + s for s in suffixes]
    return keys + [k + "arrondissement" for k in keys] + [k + "arr" for k in keys]


@functools.lru_cache(maxsize=1)
def get_geography() -> Geography:
    """The geography, loaded lazily once per process."""
    return Geography()

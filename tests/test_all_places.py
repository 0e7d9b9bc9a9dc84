"""Every place of the vendored geography (data/geo/) through the location normaliser, and
the resulting location valid against the export contract (`$defs/location` of
docs/export-v1.schema.json): communes, municipal arrondissements, communes déléguées and
associées, départements, régions and overseas collectivities (issue 17).
"""
from __future__ import annotations

import csv

import pytest

from pipeline.export.document import location_entry, validator
from pipeline.normalize.geography import GEO_DIR, get_geography
from pipeline.normalize.location import normalize_location

COLLECTIVITY_KINDS = {"com", "sui_generis", "taaf", "clipperton"}


def _places() -> list[tuple[str, str, str | None, str | None]]:
    """(kind, string, expected territory code, expected INSEE code or None)."""
    geo = get_geography()
    with (GEO_DIR / "communes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    places = []
    for row in rows:
        name, dept = row["name"], row["department"]
        if row["type"] == "C":
            places.append(("commune", f"{name} ({dept})", dept, None))
        elif row["type"] == "A":
            places.append(("arrondissement", name, dept, row["insee"]))
        else:  # commune déléguée or associée: a place people still write
            places.append(("former commune", f"{name} ({dept})", dept, None))
    for code, dep in geo.departments.items():
        kind = "département" if geo.is_department(code) else "collectivity"
        places += [(kind, dep.name, code, None), (kind, f"{dep.name} ({code})", code, None)]
    for code, name in geo.regions.items():
        places.append(("région", name, code if code in geo.departments and not geo.is_department(code) else None,
                       None))
    return places


PLACES = _places()


def test_the_geography_is_all_there():
    kinds = {}
    for kind, *_ in PLACES:
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds["commune"] > 34000 and kinds["arrondissement"] == 45 and kinds["former commune"] > 2000
    assert kinds["département"] == 2 * 101 and kinds["collectivity"] == 2 * 8 and kinds["région"] == 26
    assert len(PLACES) > 37000


def test_every_place_passes_the_contract():
    """Each place resolves to its own territory, and its location is valid against the schema."""
    geo = get_geography()
    check = validator("location")
    invalid, misplaced = [], []
    for kind, value, territory, insee in PLACES:
        location = location_entry(normalize_location(value))
        error = next(iter(check.iter_errors(location)), None)
        if error is not None:
            invalid.append((kind, value, ".".join(map(str, error.absolute_path)), error.message))
        if territory and location["territory_code"] != territory or insee and location["insee"] != insee:
            misplaced.append((kind, value, location["territory_code"], location["insee"]))
        code = location["territory_code"]
        if code and not geo.is_department(code):
            assert location["territory_kind"] in COLLECTIVITY_KINDS, value
            assert location["department_code"] is location["region_code"] is None, value
            assert location["display"].endswith(f"({code})"), value
        elif location["department_code"]:
            assert location["territory_code"] == location["department_code"], value
            assert location["territory_kind"] in ("departement", "drom"), value
            assert location["region_code"] == geo.departments[code].region_code, value
    assert not invalid, f"{len(invalid)} places break the contract, e.g. {invalid[:5]}"
    assert not misplaced, f"{len(misplaced)} places resolved elsewhere, e.g. {misplaced[:5]}"


@pytest.mark.parametrize("code", ["975", "977", "978", "984", "986", "987", "988", "989"])
def test_each_collectivity_by_code(code):
    geo = get_geography()
    location = location_entry(normalize_location(f"({code})"))
    assert (location["territory_code"], location["territory"]) == (code, geo.departments[code].name)
    assert location["territory_kind"] == geo.territory_kind(code) != "departement"
    assert location["department_code"] is None and location["region_code"] is None
    assert next(iter(validator("location").iter_errors(location)), None) is None


def test_a_collectivity_code_as_department_breaks_the_contract():
    """The schema itself still refuses what issue 17 found: 987 as a département and a région."""
    location = location_entry(normalize_location("Paris"))
    broken = {**location, "department_code": "987", "region_code": "987"}
    assert next(iter(validator("location").iter_errors(broken)), None) is not None
    papeete = location_entry(normalize_location("Papeete"))
    assert next(iter(validator("location").iter_errors({**papeete, "region_code": "11"})), None) is not None


def test_territories_file_covers_every_overseas_code():
    """data/geo/territories.csv names the status of every overseas code of the source, and only those."""
    geo = get_geography()
    overseas = {code for code in geo.departments if len(code) == 3}
    assert set(geo.territory_kinds) == overseas
    assert {code for code, kind in geo.territory_kinds.items() if kind == "drom"} == {"971", "972", "973", "974", "976"}
    assert {code for code in overseas if not geo.is_department(code)} == {
        "975", "977", "978", "984", "986", "987", "988", "989"}
    for code in overseas - {"971", "972", "973", "974", "976"}:
        assert geo.departments[code].region_code == code  # the source's "region" of a collectivity is itself


def test_overseas_aliases_are_no_other_commune_name():
    """The usual names added for the TAAF districts and Mata-Utu name no commune elsewhere
    (a bare "Crozet" would have hidden the commune of the Ain)."""
    from pipeline.normalize.geography import COMMUNE_ALIASES, key

    geo = get_geography()
    official = {key(c.name) for c in geo.communes.values() if c.kind == "C"}
    overseas = {name: insees for name, insees in COMMUNE_ALIASES.items() if insees[0][:3] in ("984", "986")}
    assert len(overseas) >= 5
    for name in overseas:
        assert key(name) not in official or geo.commune_keys[key(name)] == tuple(overseas[name]), name

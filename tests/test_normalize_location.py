"""Tests for the location normaliser and the vendored geography (no network)."""
from __future__ import annotations

import csv
import json
import pathlib
import time

import pytest

from pipeline.normalize.geography import GEO_DIR, fold_tokens, get_geography, key
from pipeline.normalize.location import KEYS, normalize_location

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "location"

# value -> expected (city, postal_code, insee, department_code, region_code); "*" = not checked
CASES: list[tuple[object, tuple[str | None, ...]]] = [
    # department with code
    ("Paris (75)", ("Paris", None, "75056", "75", "11")),
    ("Corrèze (19 )", (None, None, None, "19", "75")),
    ("Guyane (973)", (None, None, None, "973", "03")),
    ("Corse-du-Sud (2A)", (None, None, None, "2A", "94")),
    ("Haute Corse (2b)", (None, None, None, "2B", "94")),
    ("Hauts-de-Seine (92)", (None, None, None, "92", "11")),
    ("Hauts-de-Seine (92), France", (None, None, None, "92", "11")),
    ("Cher (18 )", (None, None, None, "18", "24")),
    ("Martinique (972)", (None, None, None, "972", "02")),
    ("Belfort (90)", (None, None, None, "90", "27")),
    # department names without code, variant spellings and the board's abbreviations
    ("Haute Vienne", (None, None, None, "87", "75")),
    ("Val de Marne", (None, None, None, "94", "11")),
    ("Seine Saint-Denis", (None, None, None, "93", "11")),
    ("Seine St Denis", (None, None, None, "93", "11")),
    ("Val d'Oise", (None, None, None, "95", "11")),
    ("Val d’Oise", (None, None, None, "95", "11")),
    ("Alpes Hte Provence", (None, None, None, "04", "93")),
    ("Bas Rhin", (None, None, None, "67", "44")),
    ("Côtes d Armor", (None, None, None, "22", "53")),
    ("Cote d'Or ", (None, None, None, "21", "27")),
    ("Corse du Sud", (None, None, None, "2A", "94")),
    ("Réunion", (None, None, None, "974", "04")),
    ("Mayotte", (None, None, None, "976", "06")),
    ("Belfort", (None, None, None, "90", "27")),
    ("Vienne", (None, None, None, "86", "75")),
    # overseas collectivities: neither département nor région (their code is the territory's)
    ("St Pierre-et-Miquelon", (None, None, None, None, None)),
    ("Nouvelle Calédonie", (None, None, None, None, None)),
    ("Préfecture de l'Eure", (None, None, None, "27", "28")),
    ("Préfecture du Val-d'Oise", (None, None, None, "95", "11")),
    ("2B", (None, None, None, "2B", "94")),
    # nested forms (emploi-territorial)
    ("Sarcelles (Val-d'Oise (95))", ("Sarcelles", "95200", "95585", "95", "11")),
    ("Jauregia, Espelette (Pyrénées-Atlantiques (64))", ("Espelette", "64250", "64213", "64", "75")),
    ("1, boulevard Carnot, Sarcelles (Val-d'Oise (95))", ("Sarcelles", "95200", "95585", "95", "11")),
    ("Mairie, 23 rue de Paris, Joinville-le-Pont (Val-de-Marne (94))",
     ("Joinville-le-Pont", "94340", "94042", "94", "11")),
    ("Hôtel de Ville -15 Pl. du Maréchal Leclerc - CS 10 569, Poitiers (Vienne (86))",
     ("Poitiers", "86000", "86194", "86", "75")),
    ("Place alexandre israël - bp 767, Troyes (Aube (10))", ("Troyes", "*", "10387", "10", "44")),
    ("DDT 41 - BLOIS (Loir et Cher)", ("Blois", "41000", "41018", "41", "24")),
    ("Vienne (38)", ("Vienne", "38200", "38544", "38", "84")),
    ("Vienne, Isère", ("Vienne", "38200", "38544", "38", "84")),
    # addresses
    ("27 BOULEVARD DE STALINGRAD 92240 MALAKOFF", ("Malakoff", "92240", "92046", "92", "11")),
    ("75015-PARIS", ("Paris", "75015", "75115", "75", "11")),
    ("173/175 rue de Bercy CS 10205 : 75588 Paris", ("Paris", "75588", "75056", "75", "11")),
    ("97300 - CAYENNE", ("Cayenne", "97300", "97302", "973", "03")),
    ("N.C 92522 NEUILLY SUR SEINE CEDEX", ("Neuilly-sur-Seine", "92522", "92051", "92", "11")),
    ("N.C 94477 BOISSY ST LEGER CEDEX", ("Boissy-Saint-Léger", "94477", "94004", "94", "11")),
    ("N.C 93205 ST DENIS CEDEX", ("Saint-Denis", "93205", "93066", "93", "11")),
    ("33000", ("Bordeaux", "33000", "33063", "33", "75")),
    (33000, ("Bordeaux", "33000", "33063", "33", "75")),
    ("59 boulevard Vincent-Auriol 75013 - Métro Chevaleret (ligne 6) ou Bibliothèque "
     "François Mitterrand (ligne 14)", ("Paris", "75013", "75113", "75", "11")),
    ("DITP TSA  70732 20 avenue de Ségur 75334 PARIS CEDEX 07", ("Paris", "75334", "75056", "75", "11")),
    ("5 Allée Antonio Machado   31058 Toulouse Cedex 09", ("Toulouse", "31058", "31555", "31", "76")),
    ("6 et 8 avenue Blaise-Pascal  Cité Descartes – Champs-sur-Marne 77455 Marne-la-Vallée Cedex 2",
     ("Champs-sur-Marne", "77455", "77083", "77", "11")),
    ("Laboratoire de police scientifique de PARIS 3 rue Georges Politzer – 93200 SAINT-DENIS  courriel",
     ("Saint-Denis", "93200", "93066", "93", "11")),
    ("CRS39 -11RUEGAL LECLERC-54140JARVILLE LA MALGRANGE",
     ("Jarville-la-Malgrange", "54140", "54274", "54", "44")),
    ("6 bis AVENUE DES PYRENEES 31240 L' UNION", ("L'Union", "31240", "31561", "31", "76")),
    ("1 avenue ds tilleuls - BP80 17110 St georges de didonne",
     ("Saint-Georges-de-Didonne", "17110", "17333", "17", "75")),
    ("Avenue gambetta - BP 90090 28702 Auneau-Bleury-Saint-Symphorien cedex",
     ("Auneau-Bleury-Saint-Symphorien", "28702", "28015", "28", "24")),
    ("Hôtel de ville - place du général de gaulle - cs 31402 76037 Rouen",
     ("Rouen", "76037", "76540", "76", "28")),
    ("18 quai claude bernard 69007 lyon", ("Lyon", "69007", "69387", "69", "84")),
    ("13001 Marseille", ("Marseille", "13001", "13201", "13", "93")),
    ("75116 Paris", ("Paris", "75116", "75116", "75", "11")),
    ("33 Boulevard du Port   95000", (None, "95000", None, "95", "11")),
    ("6-8 avenue blaise pascal 77 champs sur marne", ("Champs-sur-Marne", "77420", "77083", "77", "11")),
    ("2 route du fort ivry sur seine", ("Ivry-sur-Seine", "94200", "94041", "94", "11")),
    ("90 rue de Tolbiac, Paris 13ème et/ou son annexe du 17 rue de Tolbiac",
     ("Paris", "75013", "75113", "75", "11")),
    # Corsica and overseas postal codes (CEDEX codes by prefix or by name)
    ("20090 Ajaccio", ("Ajaccio", "20090", "2A004", "2A", "94")),
    ("20600 Bastia", ("Bastia", "20600", "2B033", "2B", "94")),
    ("20700 AJACCIO CEDEX 9", ("Ajaccio", "20700", "2A004", "2A", "94")),
    ("20189 AJACCIO CEDEX 2", ("Ajaccio", "20189", "2A004", "2A", "94")),
    ("97400 Saint-Denis", ("Saint-Denis", "97400", "97411", "974", "04")),
    ("97133 Saint-Barthélemy", ("Saint-Barthélemy", "97133", "97701", None, None)),
    ("97150 Saint-Martin", ("Saint-Martin", "97150", "97801", None, None)),
    ("98800 Nouméa", ("Nouméa", "98800", "98818", None, None)),
    ("DTPN 973 STPAF SAINT-LAURENT DU MARONI", ("Saint-Laurent-du-Maroni", "97320", "97311", "973", "03")),
    # bare cities
    ("Vannes", ("Vannes", "56000", "56260", "56", "53")),
    ("SATHONAY-CAMP", ("Sathonay-Camp", "69580", "69292", "69", "84")),
    ("LE MANS", ("Le Mans", None, "72181", "72", "52")),
    ("NIORT", ("Niort", "79000", "79191", "79", "75")),
    ("Saint-Lô", ("Saint-Lô", "50000", "50502", "50", "28")),
    ("Malakoff Cédex", ("Malakoff", "92240", "92046", "92", "11")),
    ("Caen, France", ("Caen", "14000", "14118", "14", "28")),
    ("ANSES Maisons-Alfort", ("Maisons-Alfort", "94700", "94046", "94", "11")),
    ("Préfecture de Nanterre", ("Nanterre", "92000", "92050", "92", "11")),
    ("Préfecture de la Haute-Loire - LE PUY-EN-VELAY", ("Le Puy-en-Velay", "43000", "43157", "43", "84")),
    ("campus cité scientifique villeneuve d'ascq", ("Villeneuve-d'Ascq", None, "59009", "59", "32")),
    ("Cherbourg-Octeville", ("Cherbourg-en-Cotentin", None, "50129", "50", "28")),
    # Paris and its arrondissements
    ("Paris", ("Paris", None, "75056", "75", "11")),
    ("Paris, France", ("Paris", None, "75056", "75", "11")),
    ("Paris (télétravail possible)", ("Paris", None, "75056", "75", "11")),
    ("Paris 7e", ("Paris", "75007", "75107", "75", "11")),
    ("Paris 13ème", ("Paris", "75013", "75113", "75", "11")),
    ("Paris 1er", ("Paris", "75001", "75101", "75", "11")),
    ("Paris 16e", ("Paris", None, "75116", "75", "11")),
    ("Lyon 3e", ("Lyon", "69003", "69383", "69", "84")),
    ("Marseille 1er arrondissement", ("Marseille", "13001", "13201", "13", "93")),
    ("Atrium 5 place des Vins de France Paris 12", ("Paris", "75012", "75112", "75", "11")),
    # regions only
    ("Ile-de-France", (None, None, None, None, "11")),
    ("Île-de-France", (None, None, None, None, "11")),
    ("Centre-Val deLoire", (None, None, None, None, "24")),
    ("Centre - Val de Loire", (None, None, None, None, "24")),
    ("Nouvelle Aquitaine", (None, None, None, None, "75")),
    ("Hauts de France", (None, None, None, None, "32")),
    ("Pays de La Loire", (None, None, None, None, "52")),
    ("Provence-Alpes-Côte-D'Azur", (None, None, None, None, "93")),
    ("Corse", (None, None, None, None, "94")),
    ("Bretagne", (None, None, None, None, "53")),
    ("Alsace", (None, None, None, None, "44")),
    # ambiguous names: settled by a department or postal code, else left unresolved
    ("Saint-Denis", ("Saint-Denis", None, None, None, None)),
    ("ST DENIS Cedex", ("Saint-Denis", None, None, None, None)),
    ("Saint-Denis (93)", ("Saint-Denis", None, "93066", "93", "11")),
    ("Saint-Denis, La Réunion", ("Saint-Denis", None, "97411", "974", "04")),
    ("Sainte-Marie", ("Sainte-Marie", None, None, None, None)),
    ("Sainte-Marie (972)", ("Sainte-Marie", "97230", "97228", "972", "02")),
    ("rue Rol-Tanguy à Montreuil", (None, None, None, None, None)),
    ("Dijon ou Besançon", (None, None, None, None, "27")),  # two departments, one region
    ("Metz / Nancy", (None, None, None, None, "44")),
    ("Metz / Lille", (None, None, None, None, None)),
    ("Evry", (None, None, None, None, None)),  # Évry (89) or Évry-Courcouronnes (91)
    ("Évry (91)", ("Évry-Courcouronnes", None, "91228", "91", "11")),
    ("Boulogne", (None, None, None, None, None)),
    ("MONTREUIL SOUS BOIS", ("Montreuil", "93100", "93048", "93", "11")),
    ("Marne-la-Vallée", (None, None, None, None, None)),
    ("Tour Séquoia, 92055 Paris La Défense Cedex", (None, "92055", None, "92", "11")),
    ("Université Lyon 2", ("Lyon", None, "69123", "69", "84")),
    ("Université Paris 1, 12 place du Panthéon 75005 Paris", ("Paris", "75005", "75105", "75", "11")),
    ("Ecole de gendarmerie de Chaumont", (None, None, None, None, None)),
    # street names are not places; foreign places are not French ones
    ("98 rue de richelieu", (None, None, None, None, None)),
    ("rue de la Porte de Saint-Cloud", (None, None, None, None, None)),
    ("Immeuble Lumière–40 avenue des terroirs-de-France", (None, None, None, None, None)),
    ("Belgique", (None, None, None, None, None)),
    ("Suisse", (None, None, None, None, None)),
    ("Grenade", (None, None, None, None, None)),
    ("Grenade (31)", ("Grenade", "31330", "31232", "31", "76")),
    ("Corée du Nord", (None, None, None, None, None)),
    ("Costa Rica", (None, None, None, None, None)),
    ("Cap Vert", (None, None, None, None, None)),
    ("Saint-Marin", (None, None, None, None, None)),
    ("Europe (hors France)", (None, None, None, None, None)),
    ("DOM", (None, None, None, None, None)),
    ("Monaco", (None, None, None, None, None)),
]


@pytest.mark.parametrize("value,expected", CASES, ids=[str(c[0])[:50] for c in CASES])
def test_normalize_location(value, expected):
    result = normalize_location(value)
    got = (result["city"], result["postal_code"], result["insee"],
           result["department_code"], result["region_code"])
    for name, want, have in zip(("city", "postal_code", "insee", "department_code", "region_code"),
                                expected, got):
        if want != "*":
            assert have == want, f"{name} of {value!r}: {have!r} != {want!r} ({result})"


def test_keys_and_names():
    result = normalize_location("  Sarcelles  (Val-d'Oise\n(95))  ")
    assert tuple(result) == KEYS
    assert set(result) == {"label", "city", "postal_code", "insee", "department_code",
                           "department", "region_code", "region", "territory_code", "territory",
                           "territory_kind"}
    assert (result["territory_code"], result["territory"], result["territory_kind"]) == (
        "95", "Val-d'Oise", "departement")
    assert result["label"] == "Sarcelles (Val-d'Oise (95))"
    assert result["department"] == "Val-d'Oise"
    assert result["region"] == "Île-de-France"


def test_official_names():
    result = normalize_location("Corse-du-Sud (2A)")
    assert (result["department"], result["region"]) == ("Corse-du-Sud", "Corse")
    result = normalize_location("Guyane (973)")
    assert (result["department"], result["region"]) == ("Guyane", "Guyane")
    assert normalize_location("Alpes Hte Provence")["department"] == "Alpes-de-Haute-Provence"


@pytest.mark.parametrize("value", [None, "", "   ", "\n"])
def test_empty(value):
    assert normalize_location(value) == dict.fromkeys(KEYS)


def test_department_only_has_no_city():
    for value in ("Hauts-de-Seine (92)", "Val de Marne", "Belfort (90)", "Guyane (973)"):
        result = normalize_location(value)
        assert result["city"] is None and result["insee"] is None, value


def test_region_always_from_department():
    geo = get_geography()
    for code, dep in geo.departments.items():
        result = normalize_location(f"{dep.name} ({code})")
        assert result["territory_code"] == code, dep.name
        if not geo.is_department(code):
            continue  # an overseas collectivity: test_overseas_collectivities
        assert result["department_code"] == code, dep.name
        assert result["region_code"] == dep.region_code
        assert result["region"] == geo.regions[dep.region_code]


# value -> (city, insee, territory_code, territory_kind); department and region always null
COLLECTIVITIES = [
    ("Papeete", ("Papeete", "98735", "987", "com")),
    ("98714 Papeete", ("Papeete", "98735", "987", "com")),
    ("Polynésie française (987)", (None, None, "987", "com")),
    ("Polynésie", (None, None, "987", "com")),
    ("Nouméa", ("Nouméa", "98818", "988", "sui_generis")),
    ("Nouvelle-Calédonie", (None, None, "988", "sui_generis")),
    ("97500 Saint-Pierre", ("Saint-Pierre", "97502", "975", "com")),
    ("Saint-Pierre-et-Miquelon", (None, None, "975", "com")),
    ("97133 Saint-Barthélemy", ("Saint-Barthélemy", "97701", "977", "com")),
    ("Saint-Martin", (None, None, "978", "com")),
    ("Wallis et Futuna", (None, None, "986", "com")),
    ("Mata-Utu", ("Uvea", "98613", "986", "com")),
    ("TAAF", (None, None, "984", "taaf")),
    ("Îles Kerguelen", ("Archipel des Kerguelen", "98412", "984", "taaf")),
    ("Archipel des Crozet", ("Archipel des Crozet", "98413", "984", "taaf")),
    ("Terres australes et antarctiques françaises", (None, None, "984", "taaf")),
    ("Clipperton", (None, None, "989", "clipperton")),
]


@pytest.mark.parametrize("value,expected", COLLECTIVITIES, ids=[c[0] for c in COLLECTIVITIES])
def test_overseas_collectivities(value, expected):
    result = normalize_location(value)
    assert (result["city"], result["insee"], result["territory_code"], result["territory_kind"]) == expected
    assert result["department_code"] is result["department"] is None
    assert result["region_code"] is result["region"] is None
    assert result["territory"] == get_geography().departments[expected[2]].name


def test_collectivity_aliases_hide_no_commune():
    assert normalize_location("Crozet")["insee"] == "01135"  # a commune of the Ain
    assert normalize_location("Lycée Kerguelen")["territory_code"] is None
    assert normalize_location("Lycée Kerguelen, Brest")["territory_code"] == "29"


def test_departments_are_their_own_territory():
    for value, code, kind in (("Paris", "75", "departement"), ("Guyane (973)", "973", "drom"),
                              ("Mamoudzou", "976", "drom"), ("20090 Ajaccio", "2A", "departement")):
        result = normalize_location(value)
        assert (result["department_code"], result["territory_code"], result["territory_kind"]) == (code, code, kind)


def test_upgrade_stored_location():
    from pipeline.normalize.location import upgrade_location

    old = {"label": "Papeete", "city": "Papeete", "postal_code": "98714", "insee": "98735",
           "department_code": "987", "department": "Polynésie française", "region_code": "987",
           "region": "Polynésie française"}
    assert upgrade_location(old) == normalize_location("Papeete")
    paris = {k: v for k, v in normalize_location("Paris 7e").items() if not k.startswith("territory")}
    assert upgrade_location(paris) == normalize_location("Paris 7e")
    assert upgrade_location({}) == {}


def test_cache_cannot_be_corrupted():
    first = normalize_location("Paris 7e")
    first["city"] = "Lyon"
    first.clear()
    assert normalize_location("Paris 7e")["city"] == "Paris"
    assert normalize_location("Paris 7e") is not normalize_location("Paris 7e")


def test_folding():
    assert fold_tokens("St-Étienne-du-Rouvray") == ["saint", "etienne", "du", "rouvray"]
    assert key("L’Haÿ-les-Roses") == key("L'HAY LES ROSES") == "lhaylesroses"
    assert key("Ste Œuvre") == "sainteoeuvre"


def test_sample_strings_regression():
    """Every real location string of the shared samples (copied into the fixture)."""
    cases = json.loads((FIXTURES / "sample_locations.json").read_text(encoding="utf-8"))["cases"]
    wrong = []
    for case in cases:
        result = normalize_location(case["value"])
        got = (result["department_code"], result["region_code"], result["insee"], result["territory_code"])
        want = (case["department_code"], case["region_code"], case["insee"],
                case.get("territory_code", case["department_code"]))
        if got != want:
            wrong.append((case["value"], got))
    assert not wrong


def test_sample_coverage():
    """At least 99.5% of the sample strings naming a French department or address resolve one."""
    cases = json.loads((FIXTURES / "sample_locations.json").read_text(encoding="utf-8"))["cases"]
    french = [c for c in cases if not c["source"].startswith("csp-localisations")
              and "Region" not in c["source"]]
    resolved = [c for c in french if normalize_location(c["value"])["department_code"]]
    assert len(resolved) / len(french) >= 0.95  # per string; per record it is 99.9%


def test_vendored_geography():
    geo = get_geography()
    assert len(geo.regions) >= 18
    for code in ["01", "2A", "2B", "75", "95", "971", "972", "973", "974", "976"]:
        assert code in geo.departments
    assert geo.communes["75107"].postal_codes == ("75007",)
    assert geo.communes["75107"].city == "Paris"
    assert geo.communes["69123"].name == "Lyon"
    assert len(geo.communes) > 34000
    assert (GEO_DIR / "SOURCE.md").read_text(encoding="utf-8").count("Licence Ouverte") >= 1
    with (GEO_DIR / "communes.csv").open(encoding="utf-8") as fh:
        header = next(csv.reader(fh, delimiter=";"))
    assert header == ["insee", "name", "type", "department", "parent", "postal_codes"]
    assert geo.department_of_postcode("20700") is None
    assert geo.department_of_postcode("20189") == "2A"
    assert geo.department_of_postcode("97133") == "977"
    assert geo.department_of_postcode("98000") is None  # Monaco


def test_build_script(tmp_path):
    """The build step (without npm) turns the package JSON into the CSV files."""
    import importlib.util

    path = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "build_geography.py"
    spec = importlib.util.spec_from_file_location("build_geography", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data = tmp_path / "package" / "data"
    data.mkdir(parents=True)
    (data / "regions.json").write_text(json.dumps([{"code": "11", "nom": "Île-de-France"}]))
    (data / "departements.json").write_text(
        json.dumps([{"code": "75", "nom": "Paris", "region": "11"}]))
    (data / "communes.json").write_text(json.dumps([
        {"code": "75056", "nom": "Paris", "type": "commune-actuelle", "departement": "75",
         "codesPostaux": ["75001", "75007"]},
        {"code": "75107", "nom": "Paris 7e Arrondissement", "type": "arrondissement-municipal",
         "commune": "75056", "departement": "75", "codesPostaux": ["75007"]},
    ]))
    out = tmp_path / "geo"
    counts = module.build(tmp_path / "package", out)
    module.write_source(out, "6.0.0", counts)
    assert counts == {"regions": 1, "departments": 1, "communes": 2}
    rows = (out / "communes.csv").read_text(encoding="utf-8").splitlines()
    assert rows[1:] == ["75056;Paris;C;75;;75001 75007", "75107;Paris 7e Arrondissement;A;75;75056;75007"]
    assert "millésime 2026" in (out / "SOURCE.md").read_text(encoding="utf-8")


def test_speed_repeated_strings():
    values = [c[0] for c in CASES] * 20
    normalize_location("Paris")
    start = time.perf_counter()
    for _ in range(5):
        for value in values:
            normalize_location(value)
    rate = 5 * len(values) / (time.perf_counter() - start)
    assert rate > 50_000, f"{rate:.0f} calls/s"


@pytest.mark.parametrize("value,department,expected", [
    ("FRESNES", "94", ("Fresnes", "94034", "94")),
    ("ST DENIS Cedex", "93", ("Saint-Denis", "93066", "93")),
    ("Saint-Denis", "974", ("Saint-Denis", "97411", "974")),
    ("rue Rol-Tanguy à Montreuil", "93", ("Montreuil", "93048", "93")),
    ("Dijon ou Besançon", "21", ("Dijon", "21231", "21")),
    ("98 rue de richelieu", "75", ("Paris", "75056", "75")),
    ("Préfecture de l'Eure", "27", (None, None, "27")),
    ("Saint-Denis", "2a", (None, None, "2A")),
    ("Saint-Denis", "99", ("Saint-Denis", None, None)),  # not a department: ignored
    # the string's own department always wins over the hint
    ("Vannes", "35", ("Vannes", "56260", "56")),
    ("75007 Paris, France", "35", ("Paris", "75107", "75")),
])
def test_department_hint(value, department, expected):
    result = normalize_location(value, department=department)
    assert (result["city"], result["insee"], result["department_code"]) == expected

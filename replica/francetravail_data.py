"""Real-shaped France Travail offers for the fake API, built from the real samples.

Every generated offer is a deep copy of one of the real API offers of
`replica/francetravail_samples/`, so it keeps their keys and quirks (salaries "Mensuel de
40000.0 Euros", `courriel` holding a sentence, competences without a code, a missing
`entreprise.nom`...). Only the id, title, employer, NAF code, place, dates, ROME code and
the text change. The mix: public employers of every kind the filter knows (NAF 84,
hospitals and universities with a public name, a CCAS under NAF 88, offers relayed from
choisirleservicepublic.gouv.fr carrying its reference) and private ones (IT firms, a
private clinic under the hospitals' NAF code), so the filter has work to do.
"""
from __future__ import annotations

import copy
import csv
import json
import random
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "francetravail_samples"
GEO = Path(__file__).resolve().parents[1] / "data" / "geo"
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)

# (code, label): ROME 3 labels of the information-systems group and ROME 4.0's M1811 (seen in
# the samples), plus non-digital codes the spider must leave out.
METIERS = [
    ("M1801", "Administration de systèmes d'information"),
    ("M1802", "Expertise et support en systèmes d'information"),
    ("M1803", "Direction des systèmes d'information"),
    ("M1805", "Études et développement informatique"),
    ("M1806", "Conseil et maîtrise d'ouvrage en systèmes d'information"),
    ("M1810", "Production et exploitation de systèmes d'information"),
    ("M1811", "Data engineer"),
    ("E1101", "Animation de site multimédia"),
    ("M1607", "Secrétariat"),
    ("J1506", "Soins infirmiers généralistes"),
    ("K2111", "Formation professionnelle"),
    ("F1201", "Conduite de travaux du BTP et de travaux paysagers"),
    ("N4101", "Conduite de transport de marchandises sur longue distance"),
]
DIGITAL_CODES = ("M1801", "M1802", "M1803", "M1805", "M1806", "M1810", "M1811", "E1101")
TITLES = {
    "M1801": ["Administrateur systèmes et réseaux (H/F)", "Administrateur / Administratrice systèmes Linux"],
    "M1802": ["Technicien support informatique (H/F)", "Technicien de proximité informatique H/F"],
    "M1803": ["Directeur des systèmes d'information (H/F)", "Responsable du service informatique H/F"],
    "M1805": ["Développeur web (H/F)", "Développeur / Développeuse full stack", "Ingénieur logiciel H/F"],
    "M1806": ["Chef de projet informatique (H/F)", "Chef de projet SI H/F"],
    "M1810": ["Technicien d'exploitation informatique (H/F)", "Ingénieur de production (H/F)"],
    "M1811": ["Data engineer (H/F)", "Data ingénieur (H/F)", "Data engineer"],
    "E1101": ["Webmestre (H/F)", "Chargé de communication numérique H/F"],
}
# (employer pattern, NAF, sector, sector label, kind): {place} is the commune's name, upper-cased.
EMPLOYERS = [
    ("MAIRIE DE {place}", "84.11Z", "84", "Administration publique générale", "public"),
    ("COMMUNE DE {place}", "84.11Z", "84", "Administration publique générale", "public"),
    ("CONSEIL DEPARTEMENTAL", "84.11Z", "84", "Administration publique générale", "public"),
    ("COMMUNAUTE DE COMMUNES DU PAYS DE {place}", "84.11Z", "84", "Administration publique générale", "public"),
    ("SDIS", "84.25Z", "84", "Services du feu et de secours", "public"),
    ("MINISTERE DE L'INTERIEUR", "84.11Z", "84", "Administration publique générale", "public"),
    ("CENTRE HOSPITALIER DE {place}", "86.10Z", "86", "Activités hospitalières", "public"),
    ("UNIVERSITE DE {place}", "85.42Z", "85", "Enseignement supérieur", "public"),
    ("CCAS DE {place}", "88.99B", "88", "Action sociale sans hébergement n.c.a.", "public"),
    ("VILLE DE {place}", "", "", "", "public"),
    ("ARTIALYS", "62.02A", "62", "Conseil en systèmes et logiciels informatiques", "private"),
    ("AMILTONE", "62.01Z", "62", "Programmation informatique", "private"),
    ("WIZBII", "62.01Z", "62", "Programmation informatique", "private"),
    ("LCL CREDIT LYONNAIS", "64.19Z", "64", "Autres intermédiations monétaires", "private"),
    ("CLINIQUE SAINT {place}", "86.10Z", "86", "Activités hospitalières", "private"),
    ("VILLENEUVE AUTOMOBILES", "45.11Z", "45", "Commerce de voitures et de véhicules automobiles légers", "private"),
]
WEIGHTS = [10, 6, 5, 5, 3, 4, 6, 3, 2, 3, 12, 10, 8, 4, 2, 2]
CONTRACTS = [("CDD", "Contrat à durée déterminée - 12 Mois"), ("CDD", "Contrat à durée déterminée - 36 Mois"),
             ("CDI", "Contrat à durée indéterminée"), ("MIS", "Mission intérimaire - 6 Mois")]
SALARIES = ["Mensuel de 40000.0 Euros à 50000.0 Euros sur 12.0 mois", "Mensuel de 2100.0 Euros à 2800.0 Euros sur 12.0 mois",
            "Annuel de 36000.0 Euros à 45000.0 Euros sur 12.0 mois", "Mensuel de 28000.0 Euros à 40000.0 Euros sur 12.0 mois",
            "Selon grille indiciaire de la fonction publique"]
EXPERIENCES = [("D", "Débutant accepté"), ("E", "2 An(s)"), ("E", "4 An(s)"), ("S", "1 An(s)"), ("E", "6 Mois")]
ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
INTRO = ["Au sein de la direction du numérique, vous rejoignez une équipe de douze agents.",
         "Le service pilote la modernisation des outils métiers et des démarches en ligne.",
         "Vous participez au schéma directeur des systèmes d'information adopté cette année.",
         "Rattaché au responsable d'exploitation, vous assurez le maintien en condition opérationnelle.",
         "La collectivité engage la refonte de son portail citoyen et de sa gestion de la relation usager.",
         "Vous travaillez avec les directions métiers sur l'ouverture des données publiques.",
         "Le poste comprend des astreintes techniques une semaine sur six.",
         "Vous encadrez deux prestataires et suivez leurs livrables.",
         "Le télétravail est possible deux jours par semaine après la période d'intégration.",
         "L'équipe gère un parc de huit cents postes et une quarantaine de serveurs.",
         "Vous contribuez à la sécurité des systèmes d'information et à la conformité au RGPD.",
         "Une première expérience en environnement public est appréciée."]


@lru_cache(maxsize=1)
def templates() -> list[dict]:
    """The real offers, in file order (the 2024 single offer, then the 2025 four)."""
    one = json.loads((SAMPLES / "francetravail-offre-2024-11.json").read_text(encoding="utf-8"))
    four = json.loads((SAMPLES / "francetravail-5-offres-2025-01.json").read_text(encoding="utf-8"))
    return [one, *four]


@lru_cache(maxsize=1)
def communes() -> list[tuple[str, str, str, str]]:
    """(insee, name, department, postal code) of the communes with one postal code (plain communes)."""
    with (GEO / "communes.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter=";") if r["type"] in "CA" and r["postal_codes"]]
    return [(r["insee"], r["name"], r["department"], r["postal_codes"].split()[0]) for r in rows]


def offer_id(n: int) -> str:
    """A France Travail-like id: three digits and four letters (`184TRJB`), unique for n < 24**4 * 1000."""
    letters = "".join(ID_ALPHABET[(n // 24 ** k) % 24] for k in range(4))
    return f"{100 + (n // 24 ** 4) % 900:03d}{letters}"


def make_offer(n: int, rng: random.Random, department: str | None = None, now: datetime = NOW,
               relay_csp: bool = False, kind: str | None = None) -> dict:
    """One real-shaped offer; `department` forces its place, `kind` ('public'/'private') its employer."""
    offer = copy.deepcopy(templates()[n % len(templates())])
    places = [c for c in communes() if department is None or c[2] == department] or communes()
    insee, name, dep, postal = places[rng.randrange(len(places))]
    choices = [(e, w) for e, w in zip(EMPLOYERS, WEIGHTS) if kind is None or e[4] == kind]
    employer = rng.choices([e for e, _ in choices], weights=[w for _, w in choices])[0]
    if relay_csp:
        employer = ("", "", "", "", "relay")  # no NAF, no name: only the reference says public
    code = rng.choice(DIGITAL_CODES)
    created = now - timedelta(days=rng.uniform(0, 120), seconds=rng.randrange(86400))
    updated = created + timedelta(days=rng.uniform(0, 3))
    oid = offer_id(n)
    contract = rng.choice(CONTRACTS)
    experience = rng.choice(EXPERIENCES)
    place_upper = name.upper()
    offer.update(
        id=oid, intitule=rng.choice(TITLES[code]), romeCode=code, romeLibelle=dict(METIERS)[code],
        appellationlibelle=dict(METIERS)[code],
        dateCreation=created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        typeContrat=contract[0], typeContratLibelle=contract[1], experienceExige=experience[0],
        experienceLibelle=experience[1],
        lieuTravail={"libelle": f"{dep} - {place_upper}", "latitude": offer["lieuTravail"]["latitude"],
                     "longitude": offer["lieuTravail"]["longitude"], "codePostal": postal, "commune": insee},
    )
    if n % 7 == 3:
        offer.pop("dateActualisation", None)  # the real quirk: sometimes missing
    else:
        offer["dateActualisation"] = updated.strftime("%Y-%m-%dT%H:%M:%S.") + f"{updated.microsecond // 1000:03d}Z"
    offer["salaire"] = {**offer.get("salaire", {}), "libelle": rng.choice(SALARIES)}
    if employer[1]:
        offer.update(codeNAF=employer[1], secteurActivite=employer[2], secteurActiviteLibelle=employer[3])
    else:
        for k in ("codeNAF", "secteurActivite", "secteurActiviteLibelle"):
            offer.pop(k, None)
    company = {k: v for k, v in (offer.get("entreprise") or {}).items() if k != "nom"}
    if employer[0] and (n % 11 != 5 or employer[4] == "public" and employer[1][:2] != "84"):  # no name: 186JDCG
        company["nom"] = employer[0].format(place=place_upper)
    offer["entreprise"] = company
    intro = " ".join(rng.sample(INTRO, 3))
    offer["description"] = f"{intro}\n\n{offer['description']}"
    url = f"https://candidat.francetravail.fr/offres/recherche/detail/{oid}"
    offer["origineOffre"] = {"origine": "1", "urlOrigine": url}
    offer["contact"] = {k: (v.replace(templates()[n % len(templates())]["id"], oid) if isinstance(v, str) else v)
                        for k, v in (offer.get("contact") or {}).items()}
    return offer


def relay_of_csp(n: int, rng: random.Random, csp_reference: str, csp_url: str, title: str,
                 department: str | None = None, now: datetime = NOW) -> dict:
    """A choisirleservicepublic.gouv.fr offer relayed on France Travail (partner origin, reference in the text)."""
    offer = make_offer(n, rng, department=department, now=now, relay_csp=True)
    offer["intitule"] = title
    offer["description"] = (f"{offer['description']}\n\nRéférence de l'offre : {csp_reference}\n"
                            f"Pour postuler : {csp_url}")
    offer["origineOffre"] = {"origine": "2", "urlOrigine": csp_url,
                             "partenaires": [{"nom": "CHOISIR LE SERVICE PUBLIC", "url": csp_url, "logo": ""}]}
    return offer


def generate(count: int, seed: int = 1, now: datetime = NOW, hot_department: str | None = None,
             hot_share: float = 0.0) -> list[dict]:
    """`count` offers; `hot_share` of them in `hot_department` (to put one département over the cap)."""
    rng = random.Random(seed)
    with (GEO / "departments.csv").open(encoding="utf-8", newline="") as fh:
        # the 101 départements (overseas collectivities, whose region code is their own, left out)
        departments = sorted(r["code"] for r in csv.DictReader(fh, delimiter=";") if len(r["region_code"]) == 2)
    out = []
    for n in range(count):
        dep = hot_department if hot_department and rng.random() < hot_share else rng.choice(departments)
        out.append(make_offer(n, rng, department=dep, now=now))
    return out

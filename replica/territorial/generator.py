"""Deterministic emploi-territorial offers; the territorial offers of the CSP replica have
their ET twin (same reference, the real employer, grades), others exist only on ET."""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from replica.generator import NOW, Offer, site_slug, vocabulary

IT_FAMILY = ("A7", "Informatique et système d'information")
OTHER_FAMILIES = (("C5", "Sport"), ("A1", "Affaires juridiques"), ("B3", "Voirie et infrastructures"))
SUBFAMILIES = ("Architecture, développement et administration des systèmes d'information",
               "Réseaux et télécommunications", "Données et SIG", "Support et assistance aux utilisateurs")
IT_TITLES = ("Technicien Administrateur Systèmes et Réseaux - Sécurité (H/F)", "Développeur web (F/H)",
             "Chef de projet SIG", "Ingénieur exploitation d'applications containerisées (H/F)",
             "Data analyst (h/f)", "Responsable de la sécurité des systèmes d'information (RSSI) F/H",
             "Technicien informatique de proximité H/F", "Administrateur bases de données (H/F)")
A7_NOT_IT = ("Technicien réseau d'eau potable (H/F)",)  # filed in A7, not a digital job
OTHER_TITLES = ("Éducateur sportif (H/F)", "Juriste marchés publics F/H", "Agent de voirie (H/F)")
GRADES = {"A": ("Ingénieur", "Ingénieur principal", "Attaché"), "B": ("Technicien", "Technicien principal de 2ème classe",
                                                                     "Rédacteur"),
          "C": ("Adjoint technique", "Adjoint technique principal de 2ème classe")}
EMPLOYERS = (("Mairie de Montbonnot-St-Martin", "Isère", "38", "Montbonnot-Saint-Martin"),
             ("CONSEIL DEPARTEMENTAL DE LA VENDEE", "Vendée", "85", "La Roche-sur-Yon"),
             ("Ville de cherbourg-en-cotentin", "Manche", "50", "Cherbourg-en-Cotentin"),
             ("Communauté d'Agglomération Roissy Pays de France", "Val-d'Oise", "95", "Sarcelles"),
             ("CCAS de Grenoble", "Isère", "38", "Grenoble"),
             ("Département de la Guadeloupe", "Guadeloupe", "971", "Basse-Terre"),
             ("Mairie de Foix", "Ariège", "09", "Foix"))
DEPARTMENT_NAMES = {"56": "Morbihan", "94": "Val-de-Marne", "91": "Essonne", "54": "Meurthe-et-Moselle",
                    "60": "Oise", "78": "Yvelines", "10": "Aube", "50": "Manche", "38": "Isère", "63": "Puy-de-Dôme"}
ATS = ("https://app.beetween.com/WeaselWeb/p/#/apply/job/{n}", "https://careers.flatchr.io/fr/company/cd/vacancy/{n}/")
SECTION_ORDER = ("about", "description", "missions", "profile", "modalites", "handicap")


def employer_id(name: str) -> str:
    """A stable board id for an employer name (the replica's `search-col` value)."""
    return str(10000 + int(hashlib.md5(name.encode()).hexdigest(), 16) % 90000)


@dataclass(frozen=True)
class EtOffer:
    """One offer as the ET replica publishes it (values as written on the site)."""

    reference: str
    title: str
    employer: str
    department: str            # the département name shown in the row ("Isère")
    location: str              # "Lieu de travail"
    published: date
    family_code: str = IT_FAMILY[0]
    family: str = IT_FAMILY[1]
    categories: tuple[str, ...] = ("B",)
    filiere: str = "Technique"
    kind: str = "Emploi permanent"
    job_type: str = "Emploi permanent - vacance d'emploi"
    grades: tuple[str, ...] = ("Technicien",)
    metier: str = "Administrateur ou administratrice systèmes et bases de données"
    contractuels: str | None = "Oui, à titre dérogatoire par rapport aux candidatures de fonctionnaires"
    working_time: str | None = "Temps complet"
    remote: str | None = "Oui"
    management: str | None = "Non"
    experience: str | None = "Confirmé"
    salary: str | None = None
    deadline: date | None = None
    start: str | None = "Dès que possible"
    apply_url: str | None = None
    about_html: str | None = None
    description_html: str | None = None
    missions_html: str | None = None
    profile_html: str | None = None
    modalites_html: str | None = None
    handicap_html: str | None = None
    section_order: tuple[str, ...] = SECTION_ORDER
    version: int = field(default=0, compare=False)

    @property
    def employer_id(self) -> str:
        return employer_id(self.employer)

    @property
    def path(self) -> str:
        return f"/offre/{self.reference.lower()}-{site_slug(self.title)[:60].strip('-')}"

    @property
    def dept_code3(self) -> str:
        return self.reference[1:4]


def _body(rng: random.Random, vocab: dict) -> dict:
    tasks = rng.sample(vocab["tasks"], k=3)
    return {
        "about_html": f"<p>{rng.choice(vocab['abouts'])}</p>",
        "description_html": f"<p>{rng.choice(vocab['missions'])}</p>",
        "missions_html": "<ul>" + "".join(f"<li>{t}</li>" for t in tasks) + "</ul>",
        "profile_html": "<p>" + "<br>".join(rng.sample(vocab["profiles"], k=2)) + "</p>",
        "modalites_html": "<p>CV et lettre de motivation.</p>",
        "handicap_html": "<p>Conformément au principe d'égalité d'accès à l'emploi public, cet emploi est ouvert "
                         "à tous les candidats remplissant les conditions statutaires requises.</p>",
    }


def _variant(rng: random.Random, i: int, categories: tuple[str, ...], published: date) -> dict:
    """The variety the issue asks for: several grades/catégories, deadline or not, ATS link,
    missing labels, reordered sections."""
    grades = tuple(dict.fromkeys(g for c in categories for g in rng.sample(GRADES[c], k=rng.randint(1, 2))))
    out: dict = {"grades": grades}
    if rng.random() < 0.3:
        out["apply_url"] = rng.choice(ATS).format(n=1000 + i)
    if rng.random() < 0.15:
        out.update(remote=None, management=None)  # labels absent from the page
    if rng.random() < 0.1:
        out.update(salary="Selon grille indiciaire + RIFSEEP")
    if rng.random() < 0.2:
        order = list(SECTION_ORDER)
        rng.shuffle(order)
        out["section_order"] = tuple(order)
    roll = rng.random()
    if roll < 0.1:
        out["start"] = None
    elif roll < 0.4:
        out["start"] = f"{published + timedelta(days=rng.choice([30, 45, 60])):%d/%m/%Y}"
    return out


def from_csp(offer: Offer, rng: random.Random | None = None) -> EtOffer:
    """The ET posting of a territorial offer of the CSP replica (same reference)."""
    rng = rng or random.Random(offer.reference)
    vocab = vocabulary()
    code = offer.reference[1:4]
    code2 = code if code.startswith("97") else code[1:]
    title = offer.title
    employer = offer.real_employer
    if employer and title.endswith(" - " + employer):
        title = title[: -len(" - " + employer)]
    if not employer:  # CSP showed only a category: ET knows the employer (one of that département)
        employer = next((name for name, _kind, dept in vocab["territorial_employers"] if dept == offer.department),
                        f"Conseil départemental ({code2})")
    named = tuple(dict.fromkeys(c.rstrip("+") for c in re.findall(r"Cat[ée]gorie (A\+|A|B|C)", offer.category or "")))
    categories = named or tuple(c for c in ("A", "B", "C") if rng.random() < 0.5) or ("B",)
    extra = _variant(rng, int(offer.reference[-6:]), categories, offer.published)
    if offer.grades:  # the same offer: the grades CSP shows
        extra["grades"] = tuple(g.strip() for g in offer.grades.split(",") if g.strip())
    return EtOffer(reference=offer.reference, title=title, employer=employer,
                   department=DEPARTMENT_NAMES.get(code2, offer.department.split(" (")[0]),
                   location=offer.location, published=offer.published, deadline=offer.deadline,
                   categories=categories, **{**_body(rng, vocab), **extra})


def generate_territorial(n: int, seed: int, csp_offers: list[Offer] | None = None, *, start: int = 0,
                         today: date | None = None) -> list[EtOffer]:
    """The ET twins of `csp_offers`' territorial offers, plus `n` offers of ET only (most in A7,
    some in other families, one A7 offer not digital), newest first."""
    rng = random.Random(f"et-replica:{seed}:{start}")
    vocab = vocabulary()
    today = today or NOW.date()
    offers = [from_csp(o, random.Random(f"{seed}:{o.reference}")) for o in csp_offers or [] if o.territorial]
    taken = {o.reference for o in offers}
    for i in range(n):
        name, department, code, town = rng.choice(EMPLOYERS)
        published = today - timedelta(days=min(int(rng.expovariate(1 / 12)), 60))
        roll = rng.random()
        metier = EtOffer.metier
        if roll < 0.8:
            family_code, family, title = IT_FAMILY[0], f"{IT_FAMILY[1]} > {rng.choice(SUBFAMILIES)}", rng.choice(IT_TITLES)
        elif roll < 0.85:
            family_code, family, title = IT_FAMILY[0], f"{IT_FAMILY[1]} > Réseaux", A7_NOT_IT[0]
            metier = "Agent d'exploitation des réseaux d'eau potable"
        else:
            (family_code, family), title = rng.choice(OTHER_FAMILIES), rng.choice(OTHER_TITLES)
            metier = "Chargé ou chargée d'accueil"
        while True:
            reference = f"O{code.zfill(3)}{published:%y%m%d}{rng.randint(1, 999999):06d}"
            if reference not in taken:
                taken.add(reference)
                break
        categories = tuple(c for c in ("A", "B", "C") if rng.random() < 0.45) or (rng.choice("ABC"),)
        deadline = published + timedelta(days=rng.choice([15, 30, 31])) if rng.random() < 0.85 else None
        offers.append(EtOffer(
            reference=reference, title=title, employer=name, department=department, location=town,
            published=published, family_code=family_code, family=family, categories=categories, metier=metier,
            filiere="Technique" if family_code == "A7" else "Administrative", deadline=deadline,
            job_type=rng.choice(["Emploi permanent - vacance d'emploi", "Emploi permanent - création d'emploi",
                                 "Emploi temporaire"]),
            **{**_body(rng, vocab), **_variant(rng, start + i, categories, published)}))
    offers.sort(key=lambda o: (o.published, o.reference), reverse=True)
    return offers

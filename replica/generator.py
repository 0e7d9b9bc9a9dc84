"""Deterministic generation of CSP-like offers (``generate_offers``)."""

from __future__ import annotations

import dataclasses
import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.entities import codepoint2name
from pathlib import Path

#: The replica's fixed "now": dates are generated relative to it, never to the wall clock.
NOW = datetime(2026, 10, 6, 9, 0, 0)

VERSANT_STATE = "Fonction publique de l'État"
VERSANT_TERRITORIAL = "Fonction publique Territoriale"
VERSANT_HOSPITAL = "Fonction publique Hospitalière"
#: card/hero label -> value of the hidden ``content_versant`` input (as on the real site).
CONTENT_VERSANT = {
    VERSANT_STATE: "Fonction Publique de l'Etat",
    VERSANT_TERRITORIAL: "Fonction Publique Territoriale",
    VERSANT_HOSPITAL: "Fonction Publique Hospitalière",
}
DOMAIN = "Numérique"

_VOCAB_PATH = Path(__file__).with_name("vocabulary.json")
_VOCAB: dict | None = None


def vocabulary() -> dict:
    """The vocabulary of ``vocabulary.json`` (loaded once)."""
    global _VOCAB
    if _VOCAB is None:
        _VOCAB = json.loads(_VOCAB_PATH.read_text(encoding="utf-8"))
    return _VOCAB


@dataclass(frozen=True)
class Offer:
    """One offer as the replica publishes it (values as written on the site)."""

    reference: str
    title: str
    slug: str
    versant: str  # card/hero label, e.g. "Fonction publique de l'État"
    employer: str  # "Employeur" field (an employer category for territorial offers)
    department: str  # "Hauts-de-Seine (92)"
    region: str
    location: str  # precise hero location
    published: date
    modified: date
    domain: str = DOMAIN
    category: str | None = None
    metier: str | None = None
    deadline: date | None = None
    contract: str = "Emploi ouvert aux titulaires et aux contractuels"
    experience: str = "Confirmé"
    salary: str = "Non renseignée"
    management: str = "Non"
    remote: str | None = None  # "Oui" / "Non" / None (cell absent)
    missions_html: str = ""
    profile_html: str = ""
    about_html: str = ""
    extra_html: str = ""
    conditions_html: str = ""
    post_status: str = ""
    contact: str = ""
    original_url: str | None = None
    grades: str | None = None
    real_employer: str | None = None  # territorial: the title suffix, for tests
    version: int = field(default=0, compare=False)

    @property
    def content_versant(self) -> str:
        """Value of the hidden ``content_versant`` input."""
        return CONTENT_VERSANT.get(self.versant, self.versant)

    @property
    def territorial(self) -> bool:
        return self.versant == VERSANT_TERRITORIAL

    @property
    def path(self) -> str:
        """Canonical path ``/offre-emploi/<slug>-reference-<REF>/``."""
        return f"/offre-emploi/{self.slug}-reference-{self.reference}/"


def site_slug(title: str) -> str:
    """Slug the way the real site builds it: accented capitals are dropped,
    accented small letters lose their accent, spaces/apostrophes/hyphens become
    ``-`` (not collapsed), other punctuation disappears."""
    out = []
    for ch in title:
        if ch.isascii():
            if ch.isalnum():
                out.append(ch.lower())
            elif ch in " '-":
                out.append("-")
            continue
        if ch in "’\u00a0":
            out.append("-")
            continue
        if ch.isupper():
            continue  # the site drops accented capitals ("DÉPARTEMENTAL" -> "dpartemental")
        if ch == "œ":
            out.append("oe")
            continue
        base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append("".join(c for c in base.lower() if c.isalnum()))
    return "".join(out).strip("-")


def _para(rng: random.Random, text: str, tasks: list[str]) -> str:
    """A description fragment with the HTML the real boards produce."""
    picked = rng.sample(tasks, k=rng.randint(2, 4))
    style = rng.random()
    if style < 0.4:
        body = f"<p>{text}<br>- " + "<br>- ".join(picked) + "</p>"
    elif style < 0.75:
        body = f"<p>{text}</p><ul>" + "".join(f"<li>{t}</li>" for t in picked) + "</ul>"
    else:
        body = f"<p>{text.replace('’', '&rsquo;')}&nbsp;:</p><p>" + " ; ".join(picked) + " &amp; plus.</p>"
    hostile = rng.random()
    if hostile < 0.05:
        body += "<script>alert('xss')</script>"
    elif hostile < 0.10:
        body += '<p onclick="track()">Cliquez <a href="javascript:void(0)">ici</a></p>'
    return body


class _Refs:
    """Unique reference factory."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def _unique(self, make) -> str:
        while True:
            ref = make()
            if ref not in self.seen:
                self.seen.add(ref)
                return ref

    def state(self, prefix: str, published: date) -> str:
        r, y = self.rng, published.year
        if prefix == "DEF":
            return self._unique(lambda: f"DEF_{r.choice(['15', '30', '02'])}-{r.randint(60000, 69999):08d}")
        if prefix == "MEF":
            return self._unique(lambda: f"MEF_{y}-{r.randint(30000, 39999)}")
        if prefix == "MINT":
            return self._unique(
                lambda: f"MINT_{r.choice(['BS', 'BA', 'SG'])}{r.randint(1, 95):03d}"
                f"{''.join(r.choice('ABCDEFGHNPT') for _ in range(3))}-{r.randint(100000, 199999)}"
            )
        return self._unique(lambda: f"{y}-{r.randint(2200000, 2499999)}")

    def territorial(self, dept_code: str, published: date) -> str:
        code = dept_code[-3:].zfill(3)
        return self._unique(lambda: f"O{code}{published:%y%m%d}{self.rng.randint(1, 1999):06d}")


def html_entities(text: str) -> str:
    """Encode non-ASCII characters as named entities, like the site's accordions."""
    return "".join(f"&{codepoint2name[ord(c)]};" if ord(c) in codepoint2name and ord(c) > 127 else c for c in text)


def filed_elsewhere(template: Offer, reference: str, title: str, domain: str = "Finances publiques",
                    **changes: object) -> Offer:
    """The board's offer `reference` filed under another domain than Numérique, shaped like
    `template` (with `changes`): its page answers (short form included), the Numérique listing
    does not show it."""
    return dataclasses.replace(template, reference=reference, title=title, slug=f"offre-{reference.lower()}",
                               domain=domain, **changes)


def generate_offers(n: int, seed: int, now: datetime | None = None, *, start: int = 0) -> list[Offer]:
    """``n`` deterministic offers (same ``n``/``seed`` -> same offers), newest first.

    ``start`` offsets the generation (used to add fresh offers to a running site)."""
    vocab = vocabulary()
    now = now or NOW
    rng = random.Random(f"csp-replica:{seed}:{start}")
    refs = _Refs(rng)
    depts = {d[0]: d for d in vocab["departments"]}
    offers: list[Offer] = []
    for i in range(n):
        published = (now - timedelta(days=min(int(rng.expovariate(1 / 12)), 60))).date()
        modified = min(published + timedelta(days=rng.choice([0, 0, 0, 1, 2, 5])), now.date())
        roll = rng.random()
        deadline = None
        grades = None
        original_url = None
        real_employer = None
        if roll < 0.62:  # State
            versant = VERSANT_STATE
            prefix = rng.choice(["", "", "DEF", "MEF", "MINT"])
            employer = rng.choice(vocab["state_employers"][prefix])
            title, metier = rng.choice(vocab["state_titles"])
            dept = depts[rng.choice(["Paris (75)"] * 4 + [d[0] for d in vocab["departments"]])]
            reference = refs.state(prefix, published)
            if rng.random() < 0.15:
                deadline = published + timedelta(days=rng.choice([21, 30, 45]))
        elif roll < 0.90:  # Territorial
            versant = VERSANT_TERRITORIAL
            real_employer, employer, dept_name = rng.choice(vocab["territorial_employers"])
            dept = depts[dept_name]
            base = rng.choice(vocab["territorial_titles"])
            title = base if rng.random() < 0.15 else f"{base} - {real_employer}"
            if title == base:
                real_employer = None
            metier = None if rng.random() < 0.5 else "Administratrice / Administrateur systèmes et réseaux"
            reference = refs.territorial(dept[1], published)
            deadline = published + timedelta(days=rng.choice([15, 30, 31, 45]))
            grades = rng.choice(vocab["territorial_grades"])
            original_url = f"https://www.emploi-territorial.fr/offre/{reference.lower()}-{site_slug(base)[:60].strip('-')}"
        else:  # Hospital
            versant = VERSANT_HOSPITAL
            employer, dept_name = rng.choice(vocab["hospital_employers"])
            title, metier = rng.choice(vocab["hospital_titles"])
            dept = depts[dept_name]
            reference = refs.state("", published)
            grades = rng.choice(vocab["hospital_grades"])
            if rng.random() < 0.3:
                deadline = published + timedelta(days=30)
        if rng.random() < 0.1:
            metier = None
        category = rng.choice(vocab["categories"]) if rng.random() > 0.1 else None
        remote = rng.choice(["Oui", "Oui", "Non"]) if rng.random() > 0.2 else None
        location = rng.choice(dept[3]) if versant != VERSANT_TERRITORIAL else dept[3][0]
        missions = _para(rng, rng.choice(vocab["missions"]), vocab["tasks"])
        if original_url:
            missions += (
                f'<p>Offre publiée sur <a href="{original_url}" target="_blank">emploi-territorial.fr</a> '
                f'(voir l’offre d’origine&nbsp;: {original_url})</p>'
            )
        conditions = [rng.choice(vocab["conditions"])]
        if versant == VERSANT_TERRITORIAL:
            conditions.insert(0, f"Grade(s) recherché(s) : {grades}")
        elif grades:
            conditions.insert(0, f"Grade : {grades}")
        vacancy = published + timedelta(days=rng.choice([0, 15, 30, 60]))
        contact_host = {VERSANT_TERRITORIAL: "collectivite.fr", VERSANT_HOSPITAL: "chu.fr"}.get(versant, "rh.gouv.fr")
        offers.append(
            Offer(
                reference=reference,
                title=title,
                slug=site_slug(title),
                versant=versant,
                employer=employer,
                department=dept[0],
                region=dept[2],
                location=location,
                published=published,
                modified=modified,
                category=category,
                metier=metier,
                deadline=deadline,
                contract=rng.choice(vocab["contracts"]),
                experience=rng.choice(vocab["experiences"]),
                salary=rng.choice(vocab["salaries"]),
                management=rng.choice(["Non", "Non", "Oui"]),
                remote=remote,
                missions_html=missions,
                profile_html="<p>" + "<br>- ".join(rng.sample(vocab["profiles"], k=2)) + "</p>",
                about_html=f"<p>{rng.choice(vocab['abouts'])}</p>",
                extra_html=html_entities(f"<p>{rng.choice(vocab['extras'])}</p>"),
                conditions_html=html_entities("<p>" + "<br>".join(conditions) + "</p>"),
                post_status=rng.choice([f"Vacant à partir du {vacancy:%d/%m/%Y}", "Susceptible d'être vacant"]),
                contact=f"recrutement.{start + i}@{contact_host}",
                original_url=original_url,
                grades=grades,
                real_employer=real_employer,
            )
        )
    offers.sort(key=lambda o: (o.published, o.reference), reverse=True)
    return offers

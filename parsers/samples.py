"""Adapters: the sample files of shared/samples/ as raw posting records (docs/architecture.md).

Each adapter is pure apart from reading its file and returns a list of records. `source` is
`csp` for the board's own exports (Talentsoft JSON and CSV, the Pôle emploi `|` file) and
`emploi-territorial` for emploi-territorial.fr.
"""
from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path
from typing import Callable, Iterator

PROJECT = Path(__file__).resolve().parent.parent
# shared/ sits beside the project's clone; OFFRES_SAMPLES points elsewhere.
SAMPLES_DIR = Path(os.environ.get("OFFRES_SAMPLES") or PROJECT.parent / "shared" / "samples")
# Subsets of the same files, committed with the tests (tests/fixtures/normalize/README.md).
FIXTURE_SAMPLES = {
    "pep-talentsoft-2021.json": "talentsoft-2021-sample.json",
    "pep-talentsoft-2021-01.csv": "talentsoft-2021-01-sample.csv",
    "pep-to-pole-emploi-2021.csv": "pep-to-pole-emploi-2021-sample.csv",
    "emploi-territorial-2026.json": "emploi-territorial-2026.json",
}
OLD_BOARD = "https://place-emploi-public.gouv.fr/offre-emploi/{ref}/"
_TERRITORIAL = re.compile(r"territorial", re.IGNORECASE)
_LABEL_LINE = re.compile(r"(?:^|\\n|\n)\s*(Cat[ée]gorie|Corps|Grades?)\s*:\s*([^\\\n]+)")


def _value(row: dict, *names: str) -> str | None:
    for name in names:
        value = row.get(name)
        if value is not None and str(value).strip():
            return str(value)
    return None


def _record(**fields: object) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


def _talentsoft(row: dict) -> dict:
    """One Talentsoft back-office row (JSON export or `;` CSV) -> raw posting."""
    ref = _value(row, "Offer_Reference_")
    versant = _value(row, "Origin_Entity_With2", "JobDescription_SalaryRange_")
    entity = _value(row, "Origin_Entity_")
    employer, employer_category = entity, None
    named = _value(row, "Offer_CustomFieldsTranslation_LongText2_")
    if versant and _TERRITORIAL.search(versant) and named and "\n" not in named.strip():
        employer, employer_category = named, entity  # territorial rows: entity is a category
    return _record(
        source="csp",
        url=OLD_BOARD.format(ref=ref) if ref else None,
        title=_value(row, "JobDescriptionTranslation_JobTitle_"),
        reference=ref,
        employer=employer,
        employer_category=employer_category,
        location=_value(row, "Location_JobLocation_", "Location_CustomFieldsTranslation_ShortText1_"),
        location_area=_value(row, "Location_Department_Department_"),
        region=_value(row, "Location_Region_Region_"),
        category=_value(row, "JobDescription_CustomFields_CustomCodeTableValue1_"),
        versant=versant,
        contract=_value(row, "JobDescription_Contract_"),
        metier=_value(row, "JobDescription_PrimaryProfile_"),
        published=_value(row, "FirstPublicationDate", "SchedulingData_DefaultPublicationBeginDate_"),
        modified=_value(row, "Offer_ModificationDate_"),
        deadline=_value(row, "OF_CustomFields_Date1_", "Offer_CustomFields_Date1_"),
        experience=_value(row, "ApplicantCriteria_ExperienceLevel_"),
        post_status=_value(row, "JobDescription_ProfessionalCategory_"),
        missions_html=_value(row, "JobDescriptionTranslation_Description1_"),
        profile_html=_value(row, "JobDescriptionTranslation_Description2_"),
    )


def talentsoft_json(path: Path) -> list[dict]:
    """pep-talentsoft-2021.json: a list of Talentsoft offers."""
    return [_talentsoft(row) for row in json.loads(Path(path).read_text(encoding="utf-8"))]


def talentsoft_csv(path: Path) -> list[dict]:
    """pep-talentsoft-2021-01.csv: `;`-separated Talentsoft rows."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [_talentsoft(row) for row in csv.DictReader(handle, delimiter=";")]


def pole_emploi_csv(path: Path) -> list[dict]:
    """pep-to-pole-emploi-2021.csv: the `|` import format of the national employment agency."""
    out = []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="|"):
            description = _value(row, "Description") or ""
            labels = {m.group(1)[:3].lower(): m.group(2).strip() for m in _LABEL_LINE.finditer(description)}
            dep, dep_code = (_value(row, "DEP_libelle") or "").strip(), (_value(row, "DEP_cle") or "").strip()
            out.append(_record(
                source="csp",
                url=_value(row, "Par_URL_offre"),
                title=_value(row, "Libelle_metier_OGR"),
                reference=_value(row, "Par_ref_offre"),
                location_area=f"{dep} ({dep_code})" if dep and dep_code else (dep or None),
                category=labels.get("cat"),
                grades=labels.get("cor") or labels.get("gra"),
                published=_value(row, "Off_date_creation"),
                modified=_value(row, "Off_date_modification"),
                missions_html=description or None,
            ))
    return out


def emploi_territorial_json(path: Path) -> list[dict]:
    """emploi-territorial-2026.json: label/value pairs scraped from emploi-territorial.fr detail pages.

    No reference field (it is in the URL); `datePoste` is the start date, not a publication date.
    """
    out = []
    for row in json.loads(Path(path).read_text(encoding="utf-8")):
        out.append(_record(
            source="emploi-territorial",
            url=_value(row, "url"),
            title=_value(row, "titre"),
            employer=_value(row, "employeur"),
            location=_value(row, "lieuTravail"),
            grades=_value(row, "grades"),
            contract=_value(row, "contractuels"),
            remote=_value(row, "teletravail"),
            metier=_value(row, "metiers"),
            domain=_value(row, "familleMetiers"),
            deadline=_value(row, "dateLimite"),
            post_status=_value(row, "typeEmploi"),
            experience=_value(row, "experience"),
            salary=_value(row, "remuneration"),
            management=_value(row, "management"),
            about_html=_value(row, "descriptionEmployeur"),
            missions_html=_value(row, "missions"),
            profile_html=_value(row, "profilRecherche"),
            extra_html=_value(row, "descriptifEmploi"),
        ))
    return out


ADAPTERS: dict[str, Callable[[Path], list[dict]]] = {
    "pep-talentsoft-2021.json": talentsoft_json,
    "pep-talentsoft-2021-01.csv": talentsoft_csv,
    "pep-to-pole-emploi-2021.csv": pole_emploi_csv,
    "emploi-territorial-2026.json": emploi_territorial_json,
}


def iter_samples(directory: Path | None = None) -> Iterator[tuple[str, dict]]:
    """(file name, raw posting) for every offer of every sample file present.

    Default: shared/samples when present, else the subsets in tests/fixtures/normalize."""
    fixtures = directory is None and not SAMPLES_DIR.exists()
    directory = PROJECT / "tests" / "fixtures" / "normalize" if fixtures else Path(directory or SAMPLES_DIR)
    for name, adapter in ADAPTERS.items():
        path = directory / (FIXTURE_SAMPLES[name] if fixtures else name)
        if path.exists():
            for record in adapter(path):
                yield name, record

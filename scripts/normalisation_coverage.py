"""Run the normalisers over every sample file and write docs/normalisation.md (coverage per field).

Usage: python scripts/normalisation_coverage.py [--samples DIR] [--out FILE] [--bench]
"""
from __future__ import annotations

import argparse
import collections
from datetime import datetime, timezone
from pathlib import Path

from parsers.samples import SAMPLES_DIR, iter_samples
from pipeline.normalize import normalize_posting
from pipeline.normalize.category import grade_categories
from pipeline.normalize.employer import title_suffix
from pipeline.normalize.reference import match_reference
from pipeline.normalize.text import is_blank
from pipeline.normalize.title import GENDER_MARKER

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 10, 6, tzinfo=timezone.utc)  # fixed crawl time: the report is reproducible
TOP = 8

# field -> (raw keys whose non-empty value counts as "seen", how to read the result)
FIELDS = {
    "title": (("title",), lambda r: r["title"]),
    "reference": (("reference",), lambda r: r["reference"]),
    "employer": (("employer", "employer_category"), lambda r: r["employer"] or r["employer_category"]),
    "versant": (("versant",), lambda r: r["versant"]),
    "category": (("category", "grades"), lambda r: r["category"]),
    "contract": (("contract",), lambda r: r["contract"]),
    "remote": (("remote",), lambda r: r["remote"]),
    "location (department)": (("location", "location_area"), lambda r: r["location"].get("department_code") or r["location"].get("territory_code")),
    "location (city)": (("location",), lambda r: r["location"].get("city")),
    "published": (("published",), lambda r: r["published_on"]),
    "deadline": (("deadline",), lambda r: r["deadline"]),
    "metier": (("metier",), lambda r: r["metier"]),
    "domain": (("domain",), lambda r: r["domain"]),
}


def _raw_value(raw: dict, keys: tuple[str, ...]) -> str | None:
    values = [str(raw[k]).strip() for k in keys if not is_blank(raw.get(k))]
    return " | ".join(values) if values else None


def measure(directory: Path) -> dict:
    """Counters per field and per target."""
    per_field = {name: collections.Counter() for name in FIELDS}
    unresolved = {name: collections.Counter() for name in FIELDS}
    files = collections.Counter()
    targets = collections.Counter()
    mixed = collections.Counter()
    markers_left: list[str] = []
    unknown_refs: list[str] = []
    title_changes = collections.Counter()
    for name, raw in iter_samples(directory):
        files[name] += 1
        result = normalize_posting(raw, NOW)
        for field, (keys, read) in FIELDS.items():
            value = _raw_value(raw, keys)
            if value is None:
                continue
            per_field[field]["seen"] += 1
            if read(result) is None:
                unresolved[field][value[:110]] += 1
            else:
                per_field[field]["resolved"] += 1
        if result["title"] and GENDER_MARKER.search(result["title"]):
            markers_left.append(result["title"])
        if GENDER_MARKER.search(raw["title"]):
            title_changes["gender marker removed"] += 1
        if result["positions"]:
            title_changes["number of posts extracted"] += 1
        if result["employer_category"] and result["employer"] and result["employer"] == title_suffix(raw["title"]):
            title_changes["employer suffix moved to employer"] += 1
        if not is_blank(raw.get("reference")):
            targets["reference given"] += 1
            if match_reference(str(raw["reference"]).strip()):
                targets["reference recognised"] += 1
            else:
                unknown_refs.append(str(raw["reference"]))
        elif result["reference"]:
            targets["reference from url"] += 1
        if not is_blank(raw.get("grades")):
            targets["grades given"] += 1
            if result["category"]:
                targets["grades -> category"] += 1
            if result["categories"]:
                targets["grades -> categories"] += 1
            if not result["category"]:
                cats = sorted({c or "?" for c in grade_categories(raw["grades"]).values()})
                mixed[f"{'/'.join(cats) or 'no grade'}: {raw['grades'][:80]}"] += 1
        if not is_blank(raw.get("location")) or not is_blank(raw.get("location_area")):
            targets["department carried"] += 1
            if result["location"].get("department_code") or result["location"].get("territory_code"):
                targets["department resolved"] += 1
    return {"fields": per_field, "unresolved": unresolved, "files": files, "targets": targets, "mixed": mixed,
            "markers_left": markers_left, "unknown_refs": unknown_refs, "title_changes": title_changes}


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def render(m: dict, bench_lines: list[str] | None = None) -> str:
    """The Markdown report."""
    t, total = m["targets"], sum(m["files"].values())
    lines = [
        "# Normalisation coverage",
        "",
        "Generated by `python scripts/normalisation_coverage.py` (do not edit by hand): every record of",
        "`/work/shared/samples/` (through `parsers/samples.py`) goes through `normalize_posting`",
        f"with a fixed crawl time ({NOW.date().isoformat()}). *Seen*: records whose raw value is non-empty;",
        "*resolved*: the normalised value is not None. Design decisions are at the end.",
        "",
        "| sample file | records |",
        "| --- | ---: |",
        *[f"| `{name}` | {count} |" for name, count in m["files"].items()],
        f"| **total** | **{total}** |",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "| --- | --- | --- |",
        f"| department resolved for >= 99.5% of records carrying a department or an address | "
        f"{t['department resolved']}/{t['department carried']} = {_pct(t['department resolved'], t['department carried'])} | "
        f"{'yes' if t['department carried'] and t['department resolved'] >= 0.995 * t['department carried'] else 'no'} |",
        f"| category for every record with a non-empty grade field (`categories`: every category the grades allow) | "
        f"{t['grades -> categories']}/{t['grades given']} (single `category`: {t['grades -> category']}) | "
        f"{'yes' if t['grades -> categories'] == t['grades given'] else 'no (see below)'} |",
        f"| no gender marker left in any display title | {len(m['markers_left'])} left | {'yes' if not m['markers_left'] else 'no'} |",
        f"| every reference recognised | {t['reference recognised']}/{t['reference given']} given references match a known shape; "
        f"{t['reference from url']} more taken from the URL | {'yes' if not m['unknown_refs'] else 'no'} |",
        "",
        "Records with grades but no single category (their `categories` list shows the span):",
        "",
        *([f"- {count} x {value}" for value, count in m["mixed"].most_common()] or ["- none"]),
        "",
        "## Per field",
        "",
        "| field | seen | resolved | unresolved | resolved % |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for field, counter in m["fields"].items():
        seen, resolved = counter["seen"], counter["resolved"]
        lines.append(f"| {field} | {seen} | {resolved} | {seen - resolved} | {_pct(resolved, seen)} |")
    lines += ["", "### Most frequent unresolved values", ""]
    for field, counter in m["unresolved"].items():
        if counter:
            lines.append(f"- **{field}**: " + "; ".join(f"`{v}` ({n})" for v, n in counter.most_common(TOP)))
    lines += ["", "### Titles", ""]
    lines += [f"- {name}: {count}" for name, count in m["title_changes"].items()]
    if bench_lines:
        lines += ["", "## Throughput (`python -m bench normalize`, one core, measured with this report)", ""]
        lines += [f"- {line}" for line in bench_lines]
    lines += ["", DECISIONS]
    return "\n".join(lines) + "\n"


DECISIONS = """## Decisions

- **Unknown is None.** Every normaliser returns None rather than a guess; `normalize_posting`
  lists in `unresolved` the fields whose raw value was non-empty but normalised to None.
- **Title.** Gender markers (`H/F`, `(F-H)`, `(h/f/x)`, doubled, mid-title) are removed from the
  display title; inclusive spellings are kept as published. Only clear internal codes are dropped
  (`(réf.XXX)`, `- Réf : XXX`, a leading `2026-8271 `, `- 1-0001853`, emploi-territorial's
  `- Offre 2507`); `(10 postes)` / `- 2 POSTES` become `positions`. `title_key` folds case, accents,
  inclusive forms (`Chef.fe`, `Chef(fe)`, `Chef·fe`, `Chef/fe`...), feminine words (`Cheffe`,
  `Directrice`, `Infirmière`, `Chargée`) and pairs (`Magasinière / Magasinier`,
  `Rédactrice ou Rédacteur`) to the masculine form. For a CSP territorial offer whose employer is
  the title suffix, the display title drops the suffix (`title_raw` keeps it).
- **Category.** An explicit category (`Catégorie A (cadre)`, `cat. B`, bare `A`, `A+`) wins. Otherwise
  it is deduced from the grades through `data/grades.csv` (longest matching corps/grade prefix).
  **If the grades span several categories** (emploi-territorial's "Attaché Rédacteur ..." = A and B),
  **the category is None** unless the value names one: the offer is open at several levels and
  choosing one would be a guess. The export's `categories` then lists every category the
  grades allow (`["A", "B"]`), so portals can still filter on it; `Catégorie A ou B` gives the
  same. `Vacataire` and `Emploi contractuel de cat. C` are not grades (grades `[]`; the latter
  gives category C), so the one `Vacataire` record legitimately has no category.
- **Contract.** emploi-territorial's `contractuels` field: `Non` -> titulaires; `Oui (...)` ->
  titulaires_et_contractuels, except `Seul un contractuel peut être recruté` and vacations ->
  contractuels; `Poste à pourvoir prioritairement par voie statutaire` (direct entry as a
  fonctionnaire into a C grade) -> titulaires.
- **Dates.** `dd/mm/yyyy[ HH:MM[:SS]]`, ISO, `du X au Y` (date and end), French month names and
  relative dates (`il y a 3 jours`, `hier`, computed from the injected crawl time, None without it)
  go through a precompiled fast path. dateparser (`languages=["fr"]`, DMY, strict, day+month+year
  required, `RELATIVE_BASE=now`) is the fallback only for short strings holding a digit or a month
  word, so `Vacant` gives None. Any year >= 2090 means "no end" and gives None; years before 1990
  are rejected.
- **References.** Canonical form = the reference as published, trimmed, inner whitespace folded to
  one space (`MINT_SIDSIC 95-18401` keeps its space). The only case change: the leading `o` of
  emploi-territorial references is upper-cased (`o056261001001569` -> `O056261001001569`,
  `o09261-201633` -> `O09261-201633`), because the site prints `O` and the lower case comes from URL
  slugs. Other references keep their case (`UMR6613-SANCHA-040`); case-folding for matching is the
  dedup stage's job. Missing references come from the URL (`-reference-<REF>/`,
  `/offre-emploi/<REF>/`, emploi-territorial `/offre/o...-slug`, old place-emploi-public.gouv.fr).
- **Employer.** When the "Employeur" value is one of the board's employer categories (table in
  `pipeline/normalize/employer.py`), the employer is the title suffix after the last " - " (gender
  markers removed first); without a suffix the employer is None and the category is kept.
- **Location.** The precise string and the coarser `location_area` are both resolved; the most
  precise resolved one wins, but when they resolve to different departments the board's
  structured department field (`location_area`) wins, so a city is never paired with another
  department. A `(télétravail possible)` in the location string sets `remote` and is removed
  before resolving.
- **Samples.** The Talentsoft exports give the deadline in `OF_CustomFields_Date1_`; territorial
  rows of the January CSV carry the real employer in `Offer_CustomFieldsTranslation_LongText2_`
  and the category in `Origin_Entity_`. The versant is read from `Origin_Entity_With2` (the
  entity's versant) before `JobDescription_SalaryRange_`, which disagrees with it on 2 offers.
  emploi-territorial's `datePoste` is the start date (not a publication date) and is not mapped.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES_DIR)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "normalisation.md")
    parser.add_argument("--bench", action="store_true", help="also run bench/bench_normalize.py and add its figures")
    args = parser.parse_args()
    bench_lines = None
    if args.bench:
        import sys

        sys.path.insert(0, str(ROOT))  # bench/ is a folder of the repository, not an installed package
        from bench.bench_normalize import run

        bench_lines = run()
    report = render(measure(args.samples), bench_lines)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

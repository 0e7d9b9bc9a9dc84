#!/usr/bin/env python3
"""Build data/geo/ from the official npm package @etalab/decoupage-administratif.

Downloads the package with ``npm pack`` into a temporary directory, reads its JSON
(communes, arrondissements municipaux, communes déléguées/associées, départements,
régions) and writes compact, diff-friendly CSV files plus SOURCE.md. The pipeline
reads only these vendored files at run time (no npm needed).

Usage: python3 scripts/build_geography.py [--version 6.0.0] [--out data/geo]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@etalab/decoupage-administratif"
DEFAULT_VERSION = "6.0.0"
# Millésime (COG year) per package version, from the package README table.
VINTAGES = {"6.0.0": "2026", "5.3.0": "2025", "4.1.0": "2024", "3.1.1": "2023"}
TYPE_CODES = {
    "commune-actuelle": "C",
    "arrondissement-municipal": "A",
    "commune-deleguee": "D",
    "commune-associee": "S",
}


def fetch_package(version: str, workdir: pathlib.Path) -> pathlib.Path:
    """Run ``npm pack`` for the package and unpack it; return the package dir."""
    out = subprocess.run(
        ["npm", "pack", f"{PACKAGE}@{version}", "--silent"],
        cwd=workdir, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    with tarfile.open(workdir / out) as tar:
        try:
            tar.extractall(workdir, filter="data")
        except TypeError:  # Python without extraction filters
            tar.extractall(workdir)
    return workdir / "package"


def _write_csv(path: pathlib.Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build(pkg: pathlib.Path, out: pathlib.Path) -> dict[str, int]:
    """Write regions.csv, departments.csv and communes.csv; return row counts."""
    data = pkg / "data"
    regions = json.loads((data / "regions.json").read_text(encoding="utf-8"))
    departments = json.loads((data / "departements.json").read_text(encoding="utf-8"))
    communes = json.loads((data / "communes.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)

    _write_csv(out / "regions.csv", ["code", "name"],
               [[r["code"], r["nom"]] for r in sorted(regions, key=lambda r: r["code"])])
    _write_csv(out / "departments.csv", ["code", "name", "region_code"],
               [[d["code"], d["nom"], d["region"]]
                for d in sorted(departments, key=lambda d: d["code"])])

    rows = []
    for c in communes:
        kind = TYPE_CODES.get(c.get("type", ""))
        if kind is None:
            continue
        if kind == "A":
            parent = c["commune"]
        elif kind in "DS":
            parent = c["chefLieu"]
        else:
            parent = ""
        rows.append([c["code"], c["nom"], kind, c["departement"], parent,
                     " ".join(c.get("codesPostaux", []))])
    rows.sort(key=lambda r: (r[0], "CADS".index(r[2]), r[1]))
    _write_csv(out / "communes.csv",
               ["insee", "name", "type", "department", "parent", "postal_codes"], rows)
    return {"regions": len(regions), "departments": len(departments), "communes": len(rows)}


def write_source(out: pathlib.Path, version: str, counts: dict[str, int]) -> None:
    """Record provenance, vintage and licence in SOURCE.md."""
    vintage = VINTAGES.get(version, "unknown (see the package README)")
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    (out / "SOURCE.md").write_text(f"""# French official geography (vendored)

| what | value |
| --- | --- |
| source | npm package `{PACKAGE}` version {version} (Etalab / data.gouv.fr, repository etalab/decoupage-administratif) |
| vintage | Code officiel géographique (COG) INSEE millésime {vintage}; postal codes from the Base officielle des codes postaux (La Poste) as bundled in the package |
| licence | data: Licence Ouverte / Open Licence (Etalab), as stated in the package README; the package's code is MIT |
| built | {today} |
| command | `python3 scripts/build_geography.py --version {version}` (needs npm; the pipeline itself reads only these files) |

Files (`;`-separated, UTF-8, header line):

- `regions.csv` ({counts['regions']} rows): `code;name` (INSEE region code; the overseas
  collectivities 975-989 are their own "region" in the source).
- `departments.csv` ({counts['departments']} rows): `code;name;region_code` (incl. 2A/2B,
  971-976 and the overseas collectivities 975, 977, 978, 984, 986-989).
- `communes.csv` ({counts['communes']} rows): `insee;name;type;department;parent;postal_codes`
  where `type` is `C` commune, `A` municipal arrondissement (Paris, Lyon, Marseille;
  `parent` = the commune), `D` commune déléguée or `S` commune associée (`parent` = the
  commune it belongs to now); `postal_codes` space-separated (C and A rows only;
  CEDEX codes are not in the source).
- `territories.csv` (kept by hand, not built by this script): `code;kind;status`, the
  legal status of every territory that is not a metropolitan département: `drom`
  (départements and régions d'outre-mer, article 73 of the Constitution), `com`
  (collectivités d'outre-mer, article 74), `sui_generis` (Nouvelle-Calédonie, title XIII),
  `taaf` (Terres australes et antarctiques françaises, law 55-1052), `clipperton` (State
  land under the Government's direct authority). Source: the Constitution and law
  55-1052 of 6 August 1955 as published on Légifrance; INSEE's COG lists 975-989 as
  "collectivités d'outre-mer" (its `comer` file) without telling these statuses apart.
""", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=DEFAULT_VERSION)
    parser.add_argument("--out", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent.parent / "data" / "geo")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        pkg = fetch_package(args.version, pathlib.Path(tmp))
        counts = build(pkg, args.out)
    write_source(args.out, args.version, counts)
    print(f"wrote {args.out}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

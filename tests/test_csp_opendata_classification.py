"""Digital offers outside the board's Numérique filter: the classifier on real rows of every domain.

The labelled set is the hand-labelled evaluation set of the classifier
(tests/fixtures/classification/offers.jsonl, labelling rules in its README), restricted to
offers from sources that carry every domain of the board (2021 back-office exports,
emploi-territorial.fr), not the Numérique listing nor the DINUM page; plus the 52 real rows of
the 2026 open-data file, labelled here (none is a digital job). Each becomes a row of the file
(title, métier, organisme) and goes through `pipeline.opendata.row_is_digital`, the ingest's rule.
"""
from __future__ import annotations

import json
from pathlib import Path

from parsers.csp_opendata import COLUMNS, Row
from pipeline.opendata import row_is_digital
from replica.datagouv_rows import real_rows

FIXTURES = Path(__file__).parent / "fixtures"
ALL_DOMAINS = ("samples/pep-talentsoft-2021.json", "samples/pep-talentsoft-2021-01.csv",
               "samples/pep-to-pole-emploi-2021.csv", "samples/emploi-territorial-2026.json")


def labelled_rows() -> list[tuple[Row, bool]]:
    rows = []
    for line in (FIXTURES / "classification" / "offers.jsonl").read_text(encoding="utf-8").splitlines():
        offer = json.loads(line)
        if offer["source"] in ALL_DOMAINS and not offer.get("domain"):
            cells = dict.fromkeys(COLUMNS, "")
            cells.update({"Intitulé du poste": offer["title"], "Métier": offer.get("metier") or "",
                          "Organisme de rattachement": offer.get("employer") or ""})
            rows.append((Row(len(rows) + 2, [cells[c] for c in COLUMNS], ""), bool(offer["digital"])))
    for cells in real_rows():
        rows.append((Row(len(rows) + 2, [cells.get(c, "") for c in COLUMNS], ""), False))
    return rows


def scores() -> dict:
    rows = labelled_rows()
    tp = sum(1 for row, label in rows if label and row_is_digital(row))
    fp = sum(1 for row, label in rows if not label and row_is_digital(row))
    fn = sum(1 for row, label in rows if label and not row_is_digital(row))
    return {"rows": len(rows), "digital": tp + fn, "precision": tp / (tp + fp), "recall": tp / (tp + fn)}


def test_digital_precision_and_recall_on_rows_of_every_domain():
    figures = scores()
    assert figures["rows"] >= 300 and figures["digital"] >= 50
    assert figures["precision"] >= 0.95 and figures["recall"] >= 0.95, figures


if __name__ == "__main__":  # the figures docs/classification.md reports
    print(scores())

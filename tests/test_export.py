"""The export contract (schema v1), the default filter, the refusal rules, atomic writes."""
import json
from datetime import datetime, timezone

import jsonschema
import pytest

from pipeline.export import ExportRefused, build_export, export_offers, validate_export
from pipeline.lifecycle import rebuild_offers
from pipeline.record import RawPosting
from pipeline.store import finish_run, start_run, write_raw_postings
from tests.conftest import make_record

NOW = datetime(2026, 10, 10, 12, tzinfo=timezone.utc)


@pytest.fixture
def filled(db, real_offer_record):
    run = start_run(db, "crawl", "csp")
    records = [make_record("2026-1"), make_record("2026-2", title="Comptable H/F", metier="Comptable",
                                                  employer="Mairie de Vannes", domain="Finances publiques"),
               make_record("2026-3", deadline="01/10/2026"), real_offer_record,
               make_record("2026-4", missions_html='<p onclick="x()">Missions<script>alert(1)</script></p>')]
    write_raw_postings(db, [RawPosting.from_dict(r) for r in records], run)
    finish_run(db, run, complete=1, healthy=1)
    rebuild_offers(db, now=NOW)
    return db


def test_export_is_valid_and_only_open_digital_by_default(filled):
    document = build_export(filled, now=NOW)
    validate_export(document)
    references = {o["reference"] for o in document["offers"]}
    assert references == {"2026-1", "2026-4"}  # not the accountant, not the closed one, not the HR offer
    assert document["schema_version"] == 1 and document["count"] == 2
    assert document["generated_at"] == "2026-10-10T12:00:00+00:00"


def test_all_offers_and_real_capture_fields(filled):
    document = build_export(filled, include_all=True, now=NOW)
    validate_export(document)
    assert document["count"] == 5
    offer = next(o for o in document["offers"] if o["reference"] == "DEF_15-00064919")
    assert offer["title"] == "CHARGE DE RECRUTEMENT ET DE LA MOBILITE"
    assert offer["employer"] == "Direction du renseignement et de la sécurité de la Défense (DRSD)"
    assert (offer["versant"], offer["category"], offer["contract"], offer["remote"]) == (
        "etat", "A", "titulaires_et_contractuels", True)
    assert offer["location"]["department_code"] == "92" and offer["location"]["region"] == "Île-de-France"
    assert offer["published_on"] == "2026-10-02" and offer["deadline"] is None
    assert offer["url"] == "https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-et-de-la-mobilite-reference-DEF_15-00064919/"
    assert offer["metier"] == "Chargée / Chargé de gestion administrative et/ou de paie"
    assert offer["domain"] == "Ressources humaines"
    assert offer["sources"] == [{"source": "csp", "url": offer["url"], "reference": "DEF_15-00064919"}]


def test_html_is_sanitised(filled):
    offer = next(o for o in build_export(filled, now=NOW)["offers"] if o["reference"] == "2026-4")
    assert offer["missions_html"] == "<p>Missions</p>"


def test_order_is_stable(filled):
    a = build_export(filled, include_all=True, now=NOW)
    b = build_export(filled, include_all=True, now=NOW)
    assert a == b


def test_schema_rejects_a_broken_offer(filled):
    document = build_export(filled, now=NOW)
    document["offers"][0]["category"] = "Catégorie A"
    with pytest.raises(jsonschema.ValidationError):
        validate_export(document)


def test_written_atomically_and_refusals(filled, tmp_path):
    output = tmp_path / "out" / "offres.json"
    export_offers(filled, output, include_all=True, now=NOW)
    assert json.loads(output.read_text())["count"] == 5
    assert [p.name for p in output.parent.iterdir()] == ["offres.json"]
    with pytest.raises(ExportRefused, match="drop from 5 to 2"):
        export_offers(filled, output, now=NOW)
    assert json.loads(output.read_text())["count"] == 5  # the good export is kept
    export_offers(filled, output, now=NOW, force=True)
    assert json.loads(output.read_text())["count"] == 2


def test_unhealthy_latest_crawl_refuses(filled, tmp_path):
    run = start_run(filled, "crawl", "csp")
    finish_run(filled, run, complete=0, healthy=0, health_notes="listing not crawled to its last page")
    with pytest.raises(ExportRefused, match="listing not crawled"):
        export_offers(filled, tmp_path / "o.json", now=NOW)
    assert not (tmp_path / "o.json").exists()


def test_empty_export_refused_unless_allowed(db, tmp_path):
    with pytest.raises(ExportRefused, match="no offer"):
        export_offers(db, tmp_path / "o.json", now=NOW)
    export_offers(db, tmp_path / "o.json", now=NOW, allow_empty=True)
    assert json.loads((tmp_path / "o.json").read_text())["offers"] == []


def test_new_export_follows_the_umask(filled, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        output = tmp_path / "new.json"
        export_offers(filled, output, include_all=True, now=NOW)
    finally:
        os.umask(old)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644


def test_replaced_export_keeps_its_mode(filled, tmp_path):
    import os
    import stat

    output = tmp_path / "kept.json"
    output.write_text('{"count": 1}')
    os.chmod(output, 0o640)
    export_offers(filled, output, include_all=True, now=NOW)
    assert stat.S_IMODE(output.stat().st_mode) == 0o640
    assert json.loads(output.read_text())["count"] == 5


def test_portal_fields_present_and_valid(filled, real_offer_record):
    from pipeline.classify import taxonomy_version

    document = build_export(filled, include_all=True, now=NOW)
    validate_export(document)
    assert document["taxonomy_version"] == taxonomy_version()
    offer = next(o for o in document["offers"] if o["reference"] == "DEF_15-00064919")
    assert offer["experience"] == "Débutant"
    assert offer["salary"].startswith("Fourchette indicative pour les contractuels : Non renseignée")
    assert offer["about_html"].startswith("<p>Le ministère des Armées")
    assert (offer["category_label"], offer["versant_label"], offer["contract_label"]) == (
        "Cadre/Catégorie A", "Fonction publique de l'État", "Ouvert aux titulaires et aux contractuels")
    assert offer["location"]["display"] == "Malakoff (92)"
    assert offer["updated_at"] == "2026-10-10T12:00:00+00:00" and offer["closed_at"] is None
    assert offer["status_reason"] is None
    developer = next(o for o in document["offers"] if o["reference"] == "2026-1")
    assert developer["family_label"] == "Développement" and developer["location"]["display"] == "Paris (75)"
    closed = next(o for o in document["offers"] if o["reference"] == "2026-3")
    assert closed["status"] == "closed" and closed["closed_at"] == "2026-10-10T12:00:00+00:00"
    assert closed["status_reason"] == "deadline 2026-10-01 passed"
    accountant = next(o for o in document["offers"] if o["reference"] == "2026-2")
    assert accountant["family_label"] is None and accountant["experience"] is None


def test_about_html_is_sanitised(db):
    run = start_run(db, "crawl", "csp")
    write_raw_postings(db, [RawPosting.from_dict(make_record("2026-9", about_html='<p onclick="x()">Nous<script>1</script></p>'))], run)
    finish_run(db, run, complete=1, healthy=1)
    rebuild_offers(db, now=NOW)
    assert build_export(db, now=NOW)["offers"][0]["about_html"] == "<p>Nous</p>"

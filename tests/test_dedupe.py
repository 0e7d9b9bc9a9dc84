"""Deduplication: labelled real-shaped pairs (precision/recall), rules, determinism, explain."""
from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from pipeline.dedupe import Posting, dedupe, explain
from pipeline.dedupe.near import TEXT_WORDS, WordCodes, fold_words

FIXTURES = Path(__file__).parent / "fixtures" / "dedupe"
MIN_PRECISION = 0.98
MIN_RECALL = 0.98


def load_postings() -> list[Posting]:
    return [Posting(**p) for p in json.loads((FIXTURES / "postings.json").read_text(encoding="utf-8"))]


def load_pairs() -> list[dict]:
    return json.loads((FIXTURES / "pairs.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def result():
    return dedupe(load_postings())


def P(pid: str, **kw) -> Posting:
    base = dict(posting_id=pid, source="csp", url="", reference=None, title_key="chef de projet numerique",
                employer_key="mairie de troyes", department_code="10", published_on="2026-06-01",
                text="", first_seen_at="2026-06-01T08:00:00Z", completeness=5)
    base.update(kw)
    return Posting(**base)


TEXT = ("Au sein de la direction du numérique, vous pilotez les projets applicatifs de la collectivité, "
        "coordonnez les prestataires, rédigez les cahiers des charges et accompagnez les services utilisateurs "
        "dans la conduite du changement. Vous assurez le suivi budgétaire et le reporting. ") * 3
OTHER_TEXT = ("Rattaché au service des systèmes d'information, vous administrez le parc de serveurs et le réseau, "
              "assurez le support de niveau 2, gérez les sauvegardes et la sécurité des postes de travail, "
              "et participez aux astreintes techniques de la direction. ") * 3


# -- labelled pairs -----------------------------------------------------------------------------

def test_labelled_set_is_large_and_mixed():
    pairs = load_pairs()
    assert len(pairs) >= 150
    kinds = Counter((p["duplicate"], p["kind"]) for p in pairs)
    assert sum(v for (dup, _), v in kinds.items() if dup) >= 100
    assert sum(v for (dup, _), v in kinds.items() if not dup) >= 50


def test_precision_and_recall_on_labelled_pairs(result):
    tp = fp = fn = tn = 0
    errors = []
    for p in load_pairs():
        merged = result.cluster_of(p["a"]) is result.cluster_of(p["b"])
        if p["duplicate"] and merged:
            tp += 1
        elif p["duplicate"]:
            fn += 1
            errors.append(("missed", p["kind"], p["a"], p["b"]))
        elif merged:
            fp += 1
            errors.append(("wrongly merged", p["kind"], p["a"], p["b"]))
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\npairs={tp + fp + fn + tn} tp={tp} fp={fp} fn={fn} tn={tn} "
          f"precision={precision:.3f} recall={recall:.3f}")
    assert precision >= MIN_PRECISION, errors
    assert recall >= MIN_RECALL, errors


def test_every_fixture_merge_is_explained(result):
    for cluster in result.clusters:
        assert cluster.members[0].posting_id == cluster.canonical_id
        for m in cluster.members[1:]:
            assert m.stage in {"reference", "url", "near"} and m.reason and m.via in cluster.posting_ids


# -- stages -------------------------------------------------------------------------------------

def test_same_reference_on_two_boards_case_folded():
    r = dedupe([P("a", reference="O056261001001569"),
                P("b", source="emploi-territorial", reference="o056261001001569", employer_key="communes")])
    c = r.cluster_of("a")
    assert c is r.cluster_of("b") and c.canonical_id == "a"
    assert c.members[1].stage == "reference"


def test_same_canonical_url_variants_merge():
    r = dedupe([P("a", reference="2023-1201312",
                  url="https://choisirleservicepublic.gouv.fr/offre-emploi/chef-fe-du-pole-datalab-hf-reference-2023-1201312/"),
                P("b", source="dinum-page", url="https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1201312/"),
                P("c", source="newsletter", url="http://www.place-emploi-public.gouv.fr/offre-emploi/2023-1201312?utm_source=x#top")])
    assert len(r.clusters) == 1
    assert {m.stage for m in r.clusters[0].members} == {"canonical", "url"}


def test_same_url_with_a_different_reference_is_not_merged():
    url = "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1196743/"
    r = dedupe([P("a", reference="2023-1196743", url=url), P("b", source="dinum-page", reference="2023-1202957", url=url)])
    assert r.cluster_of("a") is not r.cluster_of("b")
    assert "reference_conflict" in {x.code for x in r.rejected}


def test_same_url_with_an_unrelated_title_is_not_merged():
    url = "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1196743/"
    r = dedupe([P("a", reference="2023-1196743", url=url, title_key="data scientist"),
                P("b", source="dinum-page", url=url, title_key="analyste de donnees")])
    assert r.cluster_of("a") is not r.cluster_of("b")
    assert r.rejected[0].code == "title_conflict"


def test_reingesting_the_same_posting_makes_one_offer():
    url = "https://www.emploi-territorial.fr/offre/o010260306000173-professeur-art-plastique"
    r = dedupe([P("x1", source="emploi-territorial", url=url, text=TEXT),
                P("x2", source="emploi-territorial", url=url, text=TEXT, first_seen_at="2026-06-02T08:00:00Z")])
    assert len(r.clusters) == 1 and "re-ingested" in r.clusters[0].members[1].reason


def test_republication_under_a_new_reference_merges():
    r = dedupe([P("a", reference="O094260812000320", published_on="2026-08-12", text=TEXT),
                P("b", reference="O094261002000713", published_on="2026-10-02", text=TEXT + " Poste à pourvoir.")])
    assert r.cluster_of("a") is r.cluster_of("b")
    member = r.cluster_of("a").members[1]
    assert member.stage == "near" and "republished" in member.reason and member.score > 0.95


@pytest.mark.parametrize("change, code", [
    (dict(text=OTHER_TEXT), "different_references_weak_evidence"),
    (dict(published_on="2026-06-01"), "parallel_positions"),
    (dict(published_on="2027-01-15"), "date_gap"),
    (dict(title_key="chef de projet numerique senior"), "title_below_threshold"),
    (dict(text=""), "different_references_no_text"),
])
def test_different_references_need_strong_evidence(change, code):
    a = P("a", reference="2026-100001", published_on="2026-06-01", text=TEXT)
    b = P("b", **{**dict(reference="2026-100777", published_on="2026-07-20", text=TEXT), **change})
    r = dedupe([a, b])
    assert r.cluster_of("a") is not r.cluster_of("b")
    assert [x.code for x in r.rejected] == [code]


def test_same_title_in_two_departments_is_never_merged():
    r = dedupe([P("a", text=TEXT), P("b", department_code="51", text=TEXT)])
    assert len(r.clusters) == 2
    assert [x.code for x in r.rejected] == ["different_department"]


def test_posting_without_reference_cannot_bridge_two_references():
    r = dedupe([P("a", reference="2026-100001", text=TEXT, published_on="2026-06-01"),
                P("b", reference="2026-100002", text=TEXT, published_on="2026-06-01"),
                P("c", source="dinum-page", text=TEXT, published_on="2026-06-02")])
    assert r.cluster_of("a") is not r.cluster_of("b")
    assert r.cluster_of("c") in (r.cluster_of("a"), r.cluster_of("b"))
    assert "would_join_different_references" in {x.code for x in r.rejected}


def test_republication_cannot_join_parallel_positions():
    r = dedupe([P("a", reference="2026-100001", text=TEXT, published_on="2026-06-01"),
                P("b", reference="2026-100002", text=TEXT, published_on="2026-06-01"),
                P("c", reference="2026-200000", text=TEXT, published_on="2026-07-20")])
    assert r.cluster_of("a") is not r.cluster_of("b")
    assert "would_join_parallel_positions" in {x.code for x in r.rejected}


# -- descriptions: compared word by word --------------------------------------------------------

def test_descriptions_compare_words_not_spacing_case_or_accents():
    plain = TEXT.upper().replace("é", "e").replace(", ", " ,  ").replace(". ", ".\n\n")
    r = dedupe([P("a", reference="2026-100001", published_on="2026-06-01", text=TEXT),
                P("b", reference="2026-100777", published_on="2026-07-20", text=plain)])
    assert r.cluster_of("a") is r.cluster_of("b")
    assert "description 100.0" in r.cluster_of("a").members[1].reason


def test_only_the_start_of_the_descriptions_is_compared():
    start = " ".join(f"mot{k}" for k in range(TEXT_WORDS))
    r = dedupe([P("a", text=start + " " + TEXT), P("b", text=start + " " + OTHER_TEXT)])
    assert len(r.clusters) == 1
    moved = " ".join(f"mot{k}" for k in range(TEXT_WORDS // 2, TEXT_WORDS))
    r = dedupe([P("a", text=start), P("b", text=moved + " " + OTHER_TEXT)])
    assert len(r.clusters) == 2 and [x.code for x in r.rejected] == ["text_below_threshold"]


def test_word_codes_skip_surrogates():
    codes = WordCodes((f"w{k}", chr(k)) for k in range(0xD800))
    assert codes.encode(["new", "w1", "new"]) == "\ue000\x01\ue000"
    assert fold_words("Élaborer l'état-major,  L’ÉTAT") == ["elaborer", "l", "etat", "major", "l", "etat"]


# -- rejections: reasons written on demand ------------------------------------------------------

def test_rejected_for_matches_the_full_list(result):
    every = result.rejected
    assert {r.code for r in every} >= {"parallel_positions", "different_department", "title_conflict"}
    for pid in result.postings:
        assert result.rejected_for([pid]) == [r for r in every if pid in (r.posting_id, r.other_id)]
    assert all(r.reason for r in every)


# -- canonical, ids, determinism ----------------------------------------------------------------

def test_canonical_rule_official_then_complete_then_earliest():
    r = dedupe([P("et", source="emploi-territorial", reference="O1234567", completeness=12),
                P("csp-late", reference="O1234567", completeness=6, first_seen_at="2026-06-03T00:00:00Z"),
                P("csp-early", reference="O1234567", completeness=6, first_seen_at="2026-06-02T00:00:00Z"),
                P("csp-poor", reference="O1234567", completeness=2, first_seen_at="2026-06-01T00:00:00Z")])
    assert r.clusters[0].canonical_id == "csp-early"


def test_cluster_id_is_stable_when_postings_are_added():
    first = dedupe([P("a", reference="O1234567")])
    later = dedupe([P("a", reference="O1234567"),
                    P("b", source="emploi-territorial", reference="o1234567", first_seen_at="2026-07-01T00:00:00Z"),
                    P("z", reference="O7654321")])
    assert later.cluster_of("a").cluster_id == first.cluster_of("a").cluster_id


def test_deterministic_and_order_independent():
    postings = load_postings()
    once = dedupe(postings).to_dict()
    shuffled = postings[:]
    random.Random(7).shuffle(shuffled)
    assert dedupe(shuffled).to_dict() == once
    assert dedupe(postings).to_dict() == once


def test_idempotent_on_duplicated_input():
    postings = load_postings()
    assert dedupe(postings + postings[:50]).to_dict() == dedupe(postings).to_dict()
    with pytest.raises(ValueError):
        dedupe([P("a"), P("a", title_key="autre")])


# -- from_offer_fields and explain --------------------------------------------------------------

def test_from_offer_fields():
    fields = {"reference": "DEF_15-00064919", "url": "https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-DEF_15-00064919/",
              "title_key": "charge de recrutement", "employer_key": "drsd", "title": None,
              "location": {"department_code": "92", "city": None}, "published_on": "2026-10-02",
              "missions_html": "<p>Recueillir les besoins&nbsp;;</p><ul><li>Publier</li></ul>", "profile_html": ""}
    p = Posting.from_offer_fields("raw-1", "csp", "2026-10-06T09:00:00Z", fields)
    assert p.department_code == "92" and p.text == "Recueillir les besoins ; Publier"
    assert p.completeness == 7


def test_explain_by_reference_any_case(result):
    out = explain(result, "o094261002000713")
    assert out["found"] and out["matched_by"] == "reference"
    stages = {p["posting_id"]: p["stage"] for p in out["postings"]}
    assert "near" in stages.values() and sum(p["canonical"] for p in out["postings"]) == 1
    parallel = explain(result, "O038261001001474")
    assert any(r["code"] == "parallel_positions" for r in parallel["rejected"])
    assert explain(result, "nope-000000")["found"] is False


def test_explain_by_url_and_posting_id(result):
    by_url = explain(result, "http://www.choisirleservicepublic.gouv.fr/offre-emploi/O094260812000320?utm_source=x")
    assert by_url["found"] and by_url["matched_by"] == "url"
    by_id = explain(result, "dinum-04")
    assert by_id["matched_by"] == "posting_id"
    assert any(r["code"] == "title_conflict" and not r["same_cluster"] for r in by_id["rejected"])
    json.dumps(by_id)  # plain data, ready for the CLI


def test_dedupe_leaves_the_garbage_collector_as_it_found_it_and_its_objects_unscanned():
    import gc

    postings = [P(f"p{k}", reference=f"R{k % 40}") for k in range(200)]
    assert gc.isenabled()
    gc.collect()
    young = gc.get_count()[0]
    result = dedupe(postings)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert gc.get_count()[0] <= young + 5  # what it made went to the oldest generation, not left to be scanned
    assert any(result.clusters[0] is o for o in gc.get_objects(generation=2))
    gc.disable()
    try:
        assert len(dedupe(postings).clusters) == len(result.clusters)
        assert not gc.isenabled()  # off stays off
    finally:
        gc.enable()
    gc.freeze()  # a program that froze its objects (before forking, say) keeps them frozen
    try:
        frozen = gc.get_freeze_count()
        dedupe(postings)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()

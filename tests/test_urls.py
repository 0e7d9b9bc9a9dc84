"""URL canonicalisation: the spellings of one posting's address give one key."""
from __future__ import annotations

import re

import pytest

import pipeline.urls as urls
from pipeline.urls import board_reference, canonical_url, url_key

CSP_KEY = "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1131152/"


@pytest.mark.parametrize("url", [
    # the seed page's slug link on the old domain, and the short form
    "https://place-emploi-public.gouv.fr/offre-emploi/responsable-operationnel-de-la-plateforme-franceconnect-hf-reference-2023-1131152/",
    "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1131152/",
    "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1131152",
    "http://www.choisirleservicepublic.gouv.fr/offre-emploi/2023-1131152/",
    "HTTPS://Choisirleservicepublic.Gouv.FR/offre-emploi/2023-1131152/#candidater",
    "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1131152/?xtor=RSS-12",
    "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1131152/?utm_source=newsletter&utm_medium=email&utm_campaign=x",
    "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1131152/?at_medium=sl&at_campaign=rs&fbclid=IwAR0",
    "https://choisirleservicepublic.gouv.fr//offre-emploi//responsable-reference-2023-1131152/?gclid=abc",
    "  https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-2023-1131152/  ",
])
def test_csp_spellings_share_one_key(url):
    assert canonical_url(url) == CSP_KEY


def test_csp_reference_is_upper_cased_and_slug_ignored():
    a = canonical_url("https://choisirleservicepublic.gouv.fr/offre-emploi/charge-de-recrutement-hf---champigny-sur-marne-reference-O094260812000320/")
    b = canonical_url("https://choisirleservicepublic.gouv.fr/offre-emploi/o094260812000320/")
    assert a == b == "https://choisirleservicepublic.gouv.fr/offre-emploi/O094260812000320/"
    assert canonical_url("https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-DEF_15-00064919/") \
        .endswith("/DEF_15-00064919/")


def test_different_references_stay_different():
    assert canonical_url("https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1196743/") != \
        canonical_url("https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1202957/")


@pytest.mark.parametrize("url", [
    "https://www.emploi-territorial.fr/offre/o056261001001569-charge-de-recrutement",
    "https://emploi-territorial.fr/offre/O056261001001569",
    "http://www.emploi-territorial.fr/offre/o056261001001569-autre-slug/?mesrecherches=12&utm_source=x",
])
def test_emploi_territorial_keyed_on_reference(url):
    assert canonical_url(url) == "https://emploi-territorial.fr/offre/o056261001001569"


def test_emploi_territorial_older_numbering():
    assert board_reference("https://www.emploi-territorial.fr/offre/o09261-198718-juriste") == "O09261-198718"


def test_url_key_joins_the_two_boards_on_a_territorial_reference():
    assert url_key("https://www.emploi-territorial.fr/offre/o056261001001569-slug") == \
        url_key("https://choisirleservicepublic.gouv.fr/offre-emploi/x-reference-O056261001001569/") == \
        "ref:o056261001001569"
    assert url_key("https://example.org/jobs/12") == "https://example.org/jobs/12"


def test_other_sites_keep_meaningful_parameters_sorted():
    assert canonical_url("https://Example.org/Jobs/12/?b=2&a=1&utm_medium=x&fbclid=abc&mtm_campaign=z#frag") == \
        "https://example.org/Jobs/12?a=1&b=2"
    assert canonical_url("https://example.org/") == "https://example.org/"
    assert canonical_url("example.org/jobs/12") == "https://example.org/jobs/12"


def test_non_detail_csp_pages_keep_their_path():
    assert canonical_url("https://choisirleservicepublic.gouv.fr/nos-offres/filtres/domaine/3522/page/2") == \
        "https://choisirleservicepublic.gouv.fr/nos-offres/filtres/domaine/3522/page/2/"
    assert board_reference("https://choisirleservicepublic.gouv.fr/nos-offres/") is None


def test_empty():
    assert canonical_url("") == "" and canonical_url("   ") == ""
    assert board_reference(None) is None


@pytest.mark.parametrize("url", [
    "https://choisirleservicepublic.gouv.fr/offre-emploi/2023-1201312/",
    "http://www.Place-Emploi-Public.gouv.fr/offre-emploi/chef-reference-2023-1131152/?xtor=RSS-1#top",
    "https://place-emploi-public.gouv.fr/offre-emploi/2020-454766",
    "https://choisirleservicepublic.gouv.fr/offre-emploi/mint_ba079atb-30519/",
    "https://www.emploi-territorial.fr/offre/o064260305001172-asvp",
    "HTTPS://WWW.EMPLOI-TERRITORIAL.FR/offre/O09261-198718-juriste?x=1",
])
def test_fast_path_agrees_with_general_path(url, monkeypatch):
    fast = canonical_url(url)
    monkeypatch.setattr(urls, "_FAST_CSP", re.compile(r"^\b$"))
    monkeypatch.setattr(urls, "_FAST_ET", re.compile(r"^\b$"))
    assert canonical_url(url) == fast

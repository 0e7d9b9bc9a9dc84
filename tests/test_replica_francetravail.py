"""The fake France Travail API: the real paging semantics, the cap, tokens, the rate limit."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from parsers.francetravail import parse_offer
from replica.francetravail import FakeConfig, FakeFranceTravail
from replica.francetravail_data import generate, templates

SEARCH = "/partenaire/offresdemploi/v2/offres/search"


def call(fake, path, token=None, data=None):
    request = urllib.request.Request(fake.base_url + path, data=data,
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def token(fake, secret=None):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": fake.config.client_id,
                                   "client_secret": secret or fake.config.client_secret,
                                   "scope": "api_offresdemploiv2 o2dsoffre"}).encode()
    return call(fake, "/connexion/oauth2/access_token?realm=/partenaire", data=form)


@pytest.fixture
def fake():
    with FakeFranceTravail(generate(400, seed=1), FakeConfig(max_rps=1000, cap=300)) as server:
        yield server


def test_offers_keep_the_real_keys():
    real_keys = set().union(*(set(t) for t in templates()))
    for offer in generate(50):
        assert set(offer) <= real_keys | {"dateActualisation"}
        assert {"id", "intitule", "description", "dateCreation", "lieuTravail", "romeCode", "typeContrat",
                "salaire", "origineOffre"} <= set(offer)
        parse_offer(offer)


def test_paging_206_200_204_and_content_range(fake):
    status, body_token, body = token(fake)
    assert status == 200
    answer = json.loads(body)
    assert answer["expires_in"] == 1499 and answer["token_type"] == "Bearer"
    access = answer["access_token"]
    total = len(fake.matching({"codeROME": "M1805,M1811,M1801,M1802,M1810"}))
    assert 150 < total <= 300
    status, headers, body = call(fake, f"{SEARCH}?codeROME=M1805,M1811,M1801,M1802,M1810&range=0-149", access)
    assert status == 206 and headers["Content-Range"] == f"offres 0-149/{total}"
    assert len(json.loads(body)["resultats"]) == 150
    status, headers, body = call(fake, f"{SEARCH}?codeROME=M1805,M1811,M1801,M1802,M1810&range=150-299", access)
    assert status == 200 and headers["Content-Range"] == f"offres 150-{total - 1}/{total}"
    status, headers, body = call(fake, f"{SEARCH}?codeROME=M1805,M1811,M1801,M1802,M1810&range=150-299&page=0&size=5", access)
    assert len(json.loads(body)["resultats"]) == total - 150  # page/size ignored
    status, headers, body = call(fake, f"{SEARCH}?codeROME=ZZZZ&range=0-149", access)
    assert status == 204 and body == b""


def test_the_cap_and_bad_parameters(fake):
    access = json.loads(token(fake)[2])["access_token"]
    status, _, body = call(fake, f"{SEARCH}?range=0-150", access)
    assert status == 400 and "150" in json.loads(body)["message"]  # 151 asked
    status, _, body = call(fake, f"{SEARCH}?range=200-299", access)
    assert status == 400 and "150" in json.loads(body)["message"]  # first index over cap - 150
    status, _, body = call(fake, f"{SEARCH}?range=150-300", access)
    assert status == 400 and "299" in json.loads(body)["message"]  # last index over cap - 1
    status, _, _ = call(fake, f"{SEARCH}?departement=01,02,03,04,05,06", access)
    assert status == 400
    status, _, _ = call(fake, f"{SEARCH}?minCreationDate=2026-01-01T00:00:00Z", access)
    assert status == 400


def test_tokens_refused_expired_revoked(fake):
    assert token(fake, secret="wrong")[0] == 401 and fake.stats.auth_refused == 1
    assert call(fake, f"{SEARCH}?range=0-149")[0] == 401
    fake.config.token_lifetime = 0.2
    access = json.loads(token(fake)[2])["access_token"]
    assert call(fake, f"{SEARCH}?range=0-149", access)[0] in (200, 206)
    time.sleep(0.3)
    assert call(fake, f"{SEARCH}?range=0-149", access)[0] == 401
    fake.config.token_lifetime = 1499
    access = json.loads(token(fake)[2])["access_token"]
    fake.revoke_all()
    assert call(fake, f"{SEARCH}?range=0-149", access)[0] == 401


def test_rate_limit_and_early_retries(fake):
    access = json.loads(token(fake)[2])["access_token"]
    fake.config.max_rps = 3
    time.sleep(1.1)
    statuses = [call(fake, "/partenaire/offresdemploi/v2/referentiel/metiers", access)[0] for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    assert fake.stats.busiest_second >= 4 and fake.stats.early_retries >= 1  # the 5th came inside Retry-After
    status, headers, _ = call(fake, "/partenaire/offresdemploi/v2/referentiel/metiers", access)
    assert headers.get("Retry-After") == "1"


def test_detail_and_referential(fake):
    access = json.loads(token(fake)[2])["access_token"]
    offer = fake.offers()[0]
    status, _, body = call(fake, f"/partenaire/offresdemploi/v2/offres/{offer['id']}", access)
    assert status == 200 and json.loads(body)["id"] == offer["id"]
    assert call(fake, "/partenaire/offresdemploi/v2/offres/000ZZZZ", access)[0] == 404
    status, _, body = call(fake, "/partenaire/offresdemploi/v2/referentiel/metiers", access)
    assert {"code": "M1811", "libelle": "Data engineer"} in json.loads(body)

"""A fake of the France Travail "Offres d'emploi v2" API on 127.0.0.1 (tests, demo, benchmarks).

Same paths and semantics as the real API (docs/sources/francetravail.md):

- `POST /connexion/oauth2/access_token?realm=/partenaire` (form: grant_type=client_credentials,
  client_id, client_secret, scope) -> `{"access_token", "token_type", "expires_in", "scope"}`;
  wrong credentials -> 401 `invalid_client`;
- `GET /partenaire/offresdemploi/v2/offres/search` with `codeROME`, `departement` (<= 5),
  `secteurActivite` (<= 2), `minCreationDate`/`maxCreationDate` (both or neither),
  `publieeDepuis`, `origineOffre`, `range=a-b` (<= 150 a call, a <= cap - 150, b <= cap - 1):
  206 + `Content-Range: offres a-b/total`, 200 for the last page, 204 past the end or for no
  result, 400 with the API's wording for a bad range or parameter;
- `GET /partenaire/offresdemploi/v2/offres/{id}`, `GET /partenaire/offresdemploi/v2/referentiel/metiers`;
- a bearer token on every API call (401 when missing, unknown or expired); tokens expire after
  `token_lifetime` seconds, or are all revoked after `revoke_after` API calls (an expiry the
  client cannot foresee);
- a rate limit: more than `max_rps` calls in any second -> 429 with `Retry-After`; `throttle_every`
  answers every N-th call with a 429 anyway. The fake measures the busiest second and any
  retry sent before the `Retry-After` it asked (`stats()`).
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .francetravail_data import METIERS, generate

TOKEN_PATH = "/connexion/oauth2/access_token"
API = "/partenaire/offresdemploi/v2"
PAGE_MAX = 150


@dataclass
class FakeConfig:
    """The fake's behaviour; every field can be changed while it runs (`server.config`)."""

    client_id: str = "replica-client"
    client_secret: str = "replica-secret"
    cap: int = 1150                 # results reachable by one query (the real API: 1150, or 3150)
    token_lifetime: float = 1499.0  # seconds, as announced in `expires_in`
    revoke_after: int = 0           # revoke every token after this many API calls (0: never)
    max_rps: int = 3                # calls allowed in any one second before 429s
    retry_after: int = 1            # seconds asked by a 429
    throttle_every: int = 0         # answer every N-th API call with a 429 (0: never)
    error_every: int = 0            # answer every N-th API call with a 503 (0: never)


@dataclass
class FakeStats:
    """What the fake saw."""

    requests: int = 0
    api_calls: int = 0
    tokens_issued: int = 0
    auth_refused: int = 0
    unauthorized: int = 0
    throttled: int = 0
    errors: int = 0
    early_retries: int = 0
    busiest_second: int = 0
    paths: Counter = field(default_factory=Counter)


def _parse_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _created(offer: dict) -> datetime:
    return datetime.fromisoformat(offer["dateCreation"].replace("Z", "+00:00"))


class FakeFranceTravail:
    """The fake API's state and its threaded HTTP server."""

    def __init__(self, offers: list[dict] | None = None, config: FakeConfig | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or FakeConfig()
        self.stats = FakeStats()
        self._lock = threading.RLock()
        self._offers: dict[str, dict] = {}
        self.publish(offers if offers is not None else generate(500))
        self._tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.issued: list[str] = []  # every token given out (tests grep them)
        self._window: deque[float] = deque()
        self._calls_at_revoke = 0
        self._not_before: float = 0.0  # after a 429: earliest allowed call
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # -- state ---------------------------------------------------------------------------
    def publish(self, offers: list[dict]) -> None:
        """Add or replace offers."""
        with self._lock:
            for offer in offers:
                self._offers[offer["id"]] = offer

    def remove(self, offer_id: str) -> dict:
        """Withdraw an offer (France Travail deleted it)."""
        with self._lock:
            return self._offers.pop(offer_id)

    def offers(self) -> list[dict]:
        with self._lock:
            return list(self._offers.values())

    def matching(self, params: dict[str, str]) -> list[dict]:
        """The offers a search's filters select, newest first (then by id)."""
        romes = {c for c in params.get("codeROME", "").split(",") if c}
        deps = {d for d in params.get("departement", "").split(",") if d}
        sectors = {s for s in params.get("secteurActivite", "").split(",") if s}
        low, high = _parse_date(params.get("minCreationDate", "")), _parse_date(params.get("maxCreationDate", ""))
        origin = params.get("origineOffre")
        since = int(params["publieeDepuis"]) if params.get("publieeDepuis", "").isdigit() else None
        now = datetime.now(timezone.utc)
        out = []
        for o in self.offers():
            created = _created(o)
            if romes and o.get("romeCode") not in romes:
                continue
            if deps and o["lieuTravail"]["libelle"].split(" - ")[0] not in deps:
                continue
            if sectors and o.get("secteurActivite") not in sectors:
                continue
            if low and (created < low or created > high):
                continue
            if origin and (o.get("origineOffre") or {}).get("origine") != origin:
                continue
            if since is not None and (now - created).days > since:
                continue
            out.append(o)
        out.sort(key=lambda o: (o["dateCreation"], o["id"]), reverse=True)
        return out

    def issue_token(self) -> str:
        with self._lock:
            token = secrets.token_urlsafe(24)
            self._tokens[token] = time.monotonic() + self.config.token_lifetime
            self.issued.append(token)
            self.stats.tokens_issued += 1
            return token

    def revoke_all(self) -> None:
        """Expire every token now (the next API call with one gets a 401)."""
        with self._lock:
            self._tokens.clear()

    def token_valid(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        expiry = self._tokens.get(header[7:].strip())
        return expiry is not None and expiry > time.monotonic()

    # -- one request ---------------------------------------------------------------------
    def count(self, path: str) -> tuple[int, float]:
        """Record a request; returns (calls in the last second, now)."""
        now = time.monotonic()
        with self._lock:
            self.stats.requests += 1
            self.stats.paths[path] += 1
            self._window.append(now)
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            self.stats.busiest_second = max(self.stats.busiest_second, len(self._window))
            if now < self._not_before:
                self.stats.early_retries += 1
            return len(self._window), now

    def throttle(self, now: float) -> tuple[int, dict, bytes]:
        self.stats.throttled += 1
        self._not_before = max(self._not_before, now + self.config.retry_after)
        body = json.dumps({"code": 429, "message": "Limit Exceeded"}).encode()
        return 429, {"Retry-After": str(self.config.retry_after)}, body

    def token(self, form: dict[str, str]) -> tuple[int, dict, bytes]:
        if form.get("grant_type") != "client_credentials":
            return 400, {}, json.dumps({"error": "unsupported_grant_type"}).encode()
        if form.get("client_id") != self.config.client_id or form.get("client_secret") != self.config.client_secret:
            self.stats.auth_refused += 1
            return 401, {}, json.dumps({"error": "invalid_client", "error_description": "Client authentication failed"}).encode()
        body = {"scope": form.get("scope", ""), "expires_in": int(self.config.token_lifetime),
                "token_type": "Bearer", "access_token": self.issue_token()}
        return 200, {}, json.dumps(body).encode()

    def api(self, path: str, params: dict[str, str], authorization: str | None) -> tuple[int, dict, bytes]:
        cfg = self.config
        with self._lock:
            self.stats.api_calls += 1
            calls = self.stats.api_calls
            if cfg.revoke_after and calls - self._calls_at_revoke > cfg.revoke_after:
                self._calls_at_revoke = calls
                self._tokens.clear()
        if not self.token_valid(authorization):
            self.stats.unauthorized += 1
            return 401, {}, json.dumps({"message": "Invalid access token"}).encode()
        if cfg.error_every and calls % cfg.error_every == 0:
            self.stats.errors += 1
            return 503, {}, b'{"message": "Service Unavailable"}'
        if path == f"{API}/referentiel/metiers":
            return 200, {}, json.dumps([{"code": c, "libelle": label} for c, label in METIERS],
                                       ensure_ascii=False).encode()
        if path == f"{API}/offres/search":
            return self.search(params)
        if path.startswith(f"{API}/offres/"):
            offer = self._offers.get(path.rsplit("/", 1)[1])
            if offer is None:
                return 404, {}, json.dumps({"message": "Offre non trouvée"}, ensure_ascii=False).encode()
            return 200, {}, json.dumps(offer, ensure_ascii=False).encode()
        return 404, {}, b'{"message": "Not found"}'

    def search(self, params: dict[str, str]) -> tuple[int, dict, bytes]:
        def bad(message: str) -> tuple[int, dict, bytes]:
            return 400, {}, json.dumps({"codeHttp": 400, "message": message}, ensure_ascii=False).encode()

        cap = self.config.cap
        if len([d for d in params.get("departement", "").split(",") if d]) > 5:
            return bad("Le nombre de départements ne doit pas dépasser 5.")
        if len([s for s in params.get("secteurActivite", "").split(",") if s]) > 2:
            return bad("Le nombre de secteurs d'activité ne doit pas dépasser 2.")
        if bool(params.get("minCreationDate")) != bool(params.get("maxCreationDate")):
            return bad("Les paramètres minCreationDate et maxCreationDate doivent être renseignés ensemble.")
        for name in ("minCreationDate", "maxCreationDate"):
            if params.get(name) and _parse_date(params[name]) is None:
                return bad(f"Le format de {name} est invalide (yyyy-MM-dd'T'hh:mm:ss'Z').")
        first, last = 0, PAGE_MAX - 1
        if params.get("range"):
            try:
                first, last = (int(x) for x in params["range"].split("-", 1))
            except ValueError:
                return bad("Le paramètre range est invalide.")
        if first > cap - PAGE_MAX:
            return bad(f"La position de début doit être inférieure ou égale à {cap - PAGE_MAX}.")
        if last > cap - 1:
            return bad(f"La position de fin doit être inférieure ou égale à {cap - 1}.")
        if last < first or last - first + 1 > PAGE_MAX:
            return bad(f"Le nombre d'offres demandées doit être inférieur ou égal à {PAGE_MAX}.")
        found = self.matching(params)
        total = len(found)
        headers = {"Accept-Range": f"offres {PAGE_MAX}"}
        if total == 0 or first >= total:
            return 204, {**headers, "Content-Range": f"offres -1--1/{total}"} if total else headers, b""
        end = min(last, total - 1)
        body = json.dumps({"resultats": found[first:end + 1], "filtresPossibles": []}, ensure_ascii=False).encode()
        status = 200 if end == total - 1 else 206
        return status, {**headers, "Content-Range": f"offres {first}-{end}/{total}"}, body

    def handle(self, method: str, raw_path: str, body: bytes, authorization: str | None) -> tuple[int, dict, bytes]:
        parts = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        in_second, now = self.count(parts.path)
        if in_second > self.config.max_rps:
            return self.throttle(now)
        if method == "POST" and parts.path == TOKEN_PATH:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            return self.token(form)
        if method == "GET" and parts.path.startswith(API):
            if self.config.throttle_every and (self.stats.api_calls + 1) % self.config.throttle_every == 0:
                self.stats.api_calls += 1
                return self.throttle(now)
            return self.api(parts.path, query, authorization)
        return 404, {}, b'{"message": "Not found"}'

    # -- server --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeFranceTravail":
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FakeFranceTravail":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence
        pass

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner: FakeFranceTravail = self.server.owner  # type: ignore[attr-defined]
        status, headers, payload = owner.handle(method, self.path, body, self.headers.get("Authorization"))
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")


def main(argv: list[str] | None = None) -> int:
    """`python -m replica.francetravail --offers 2000 --port 8001`: serve the fake until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m replica.francetravail", description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--cap", type=int, default=1150)
    args = parser.parse_args(argv)
    fake = FakeFranceTravail(generate(args.offers, args.seed), FakeConfig(cap=args.cap), args.host, args.port)
    with fake:
        cfg = fake.config
        print(fake.base_url, flush=True)
        print(f"credentials: FRANCETRAVAIL_CLIENT_ID={cfg.client_id} FRANCETRAVAIL_CLIENT_SECRET=<the fake's, "
              "see replica/francetravail.py>", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A local replica of data.gouv.fr for the open-data source: the dataset API and its files.

`GET /api/1/datasets/<id or slug>/` answers the real resource inventory's shape
(tests/fixtures/csp_opendata/resources-2026-10.json: archives, referentials, the
1.68 MB trap archive, the rolling resource), its URLs pointing here; files are served
from a folder with `Range` support. Faults: a file cut off once after N bytes (to test
resumption), an HTML page instead of the CSV, a wrong checksum.

    with DataGouvReplica(folder) as replica:
        replica.publish(OpenDataWeek(rows=30000).write(...), week=0)
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

DATASET_ID = "6322e99e12175f7eb26ff465"
DATASET_SLUG = "les-offres-diffusees-sur-choisir-le-service-public"
ROLLING_ID = "867034a2-2fa1-41b4-bd39-c84691ea618f"
INVENTORY = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "csp_opendata" / "resources-2026-10.json"
BLOCK_PAGE = b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Service indisponible</body></html>"


@dataclass
class Resource:
    id: str
    title: str
    format: str
    path: Path | None          # served from disk; None: a declared resource with no file here
    last_modified: str
    filesize: int
    checksum: dict | None = None
    url_path: str = ""


@dataclass
class ReplicaState:
    resources: list[Resource] = field(default_factory=list)
    cut_after: int | None = None     # the next file download stops after this many bytes (once)
    html_instead: bool = False       # file URLs answer an HTML page with status 200
    requests: dict[str, int] = field(default_factory=dict)
    bytes_sent: int = 0


def inventory_resources() -> list[Resource]:
    """The real inventory (without the rolling file, which `publish` provides)."""
    data = json.loads(INVENTORY.read_text(encoding="utf-8"))
    out = []
    for entry in data["ressources"]:
        if entry["id"] == ROLLING_ID:
            continue
        out.append(Resource(entry["id"], entry["titre"], entry["format"], None, entry["modifie_le"],
                            entry["taille_octets_declaree"], None, urlsplit(entry["url"]).path))
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        replica: DataGouvReplica = self.server.replica  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        state = replica.state
        state.requests[path] = state.requests.get(path, 0) + 1
        if re.fullmatch(rf"/api/1/datasets/({DATASET_ID}|{DATASET_SLUG})/", path):
            return self.send(200, json.dumps(replica.dataset()).encode(), "application/json")
        resource = next((r for r in state.resources if r.url_path == path), None)
        if resource is None or resource.path is None:
            return self.send(404, b'{"message": "Not found"}', "application/json")
        if state.html_instead:
            return self.send(200, BLOCK_PAGE, "text/html; charset=utf-8")
        self.send_file(resource.path, state)

    def send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_file(self, path: Path, state: ReplicaState) -> None:
        size = path.stat().st_size
        start, status = 0, 200
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match:
            start, status = int(match.group(1)), 206
            if start >= size:
                return self.send(416, b"", "text/plain", {"Content-Range": f"bytes */{size}"})
        self.send_response(status)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(size - start))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        cut, state.cut_after = state.cut_after, None
        if cut is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        remaining = (size - start) if cut is None else min(cut, size - start)
        with open(path, "rb") as source:  # sent by the kernel (sendfile), as a web server sends a file
            while remaining > 0:
                sent = self.connection.sendfile(source, offset=start, count=min(1 << 20, remaining))
                if not sent:
                    break
                state.bytes_sent += sent
                start += sent
                remaining -= sent


class DataGouvReplica:
    """Serves the dataset API and files on 127.0.0.1 from a background thread (context manager)."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = folder
        self.host, self.port = host, port
        self.state = ReplicaState(resources=inventory_resources())
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def publish(self, path: Path, info: dict, week: int = 0, title: str | None = None,
                resource_id: str = ROLLING_ID) -> Resource:
        """Make `path` the rolling resource (new URL, same id), as every Monday."""
        modified = datetime(2026, 10, 5, 6, 1, 2, tzinfo=timezone.utc) + timedelta(weeks=week)
        stamp = modified.strftime("%Y%m%d-%H%M%S")
        title = title or f"offres-datagouv-{(modified - timedelta(days=22)).strftime('%Y%m%d')}.csv"
        resource = Resource(resource_id, title, "csv", path, modified.isoformat(), info["bytes"],
                            {"type": "sha1", "value": info["sha1"]},
                            f"/resources/{DATASET_SLUG}/{stamp}/{title}")
        self.state.resources = [r for r in self.state.resources if r.id != resource_id] + [resource]
        return resource

    def dataset(self) -> dict:
        resources = [{
            "id": r.id, "title": r.title, "format": r.format, "url": self.base_url + r.url_path,
            "latest": f"{self.base_url}/api/1/datasets/r/{r.id}", "checksum": r.checksum,
            "filesize": r.filesize, "mime": "text/csv" if r.format == "csv" else None,
            "last_modified": r.last_modified, "type": "main"} for r in self.state.resources]
        return {"id": DATASET_ID, "slug": DATASET_SLUG, "title": "Les offres diffusées sur Choisir le Service Public",
                "license": "lov2", "frequency": "weekly", "resources": resources,
                "organization": {"name": "Direction générale de l'administration et de la fonction publique"}}

    def start(self) -> "DataGouvReplica":
        self._httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.replica = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "DataGouvReplica":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

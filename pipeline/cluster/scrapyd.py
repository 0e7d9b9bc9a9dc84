"""A small client of Scrapyd's HTTP JSON API (https://scrapyd.readthedocs.io/en/latest/api.html)."""
from __future__ import annotations

import base64
import json
import uuid
from typing import Iterator
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen

from pipeline.cluster.nodes import Node

TIMEOUT = 30.0


class ScrapydError(RuntimeError):
    """A node did not answer, or answered with an error (one line, no secret)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ScrapydClient:
    """One node's API: deploy, schedule, list, cancel, and read a job's files."""

    def __init__(self, node: Node, timeout: float = TIMEOUT) -> None:
        self.node = node
        self.timeout = timeout

    def request(self, path: str, data: bytes | None = None, content_type: str | None = None):
        request = Request(urljoin(self.node.url, path.lstrip("/")), data=data)
        if content_type:
            request.add_header("Content-Type", content_type)
        if self.node.auth:
            token = base64.b64encode(":".join(self.node.auth).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            return urlopen(request, timeout=self.timeout)
        except HTTPError as exc:
            hint = " (check the node's username and password)" if exc.code == 401 else ""
            raise ScrapydError(f"{self.node.name}: HTTP {exc.code} on {path.split('?')[0]}{hint}", exc.code) from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ScrapydError(f"{self.node.name} ({self.node.url}) unreachable: {reason}") from None

    def call(self, endpoint: str, params: list[tuple[str, str]] | None = None, post: bool = False,
             body: bytes | None = None, content_type: str | None = None) -> dict:
        """A JSON endpoint; raises ScrapydError unless it answers `status: ok`."""
        query = urlencode(params or [])
        if post and body is None:
            body, content_type = query.encode(), "application/x-www-form-urlencoded"
        path = endpoint if post else f"{endpoint}?{query}"
        with self.request(path, body, content_type) as response:
            try:
                answer = json.load(response)
            except ValueError:
                raise ScrapydError(f"{self.node.name}: {endpoint} did not answer JSON") from None
        if answer.get("status") != "ok":
            message = str(answer.get("message", answer)).strip().splitlines()
            raise ScrapydError(f"{self.node.name}: {endpoint}: {message[-1] if message else 'error'}")
        return answer

    def add_version(self, project: str, version: str, egg: bytes) -> dict:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                 for name, value in (("project", project), ("version", version))]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="{project}.egg"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + egg + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.call("addversion.json", post=True, body=body,
                         content_type=f"multipart/form-data; boundary={boundary}")

    def schedule(self, project: str, spider: str, args: dict[str, str] | None = None,
                 settings: dict[str, str] | None = None) -> str:
        params = [("project", project), ("spider", spider)]
        params += [("setting", f"{name}={value}") for name, value in (settings or {}).items()]
        params += [(name, str(value)) for name, value in (args or {}).items()]
        return self.call("schedule.json", params, post=True)["jobid"]

    def cancel(self, project: str, job: str, signal: str = "INT") -> dict:
        return self.call("cancel.json", [("project", project), ("job", job), ("signal", signal)], post=True)

    def list_jobs(self, project: str) -> dict:
        return self.call("listjobs.json", [("project", project)])

    def list_spiders(self, project: str) -> list[str]:
        return self.call("listspiders.json", [("project", project)])["spiders"]

    def daemon_status(self) -> dict:
        return self.call("daemonstatus.json")

    def lines(self, path: str, missing_ok: bool = False) -> Iterator[bytes]:
        """The lines of a job's file (its items feed or log), streamed.

        With `missing_ok`, a file the node no longer has (404: Scrapyd keeps only
        `jobs_to_keep` per spider) reads as empty."""
        try:
            response = self.request(path)
        except ScrapydError as exc:
            if missing_ok and exc.status == 404:
                return
            raise
        with response:
            yield from response

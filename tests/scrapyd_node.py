"""A real Scrapyd process on 127.0.0.1 for the cluster tests (a free port, a temporary folder)."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen
import base64


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ScrapydNode:
    """`scrapyd` started in its own folder with its own scrapyd.conf; stopped on exit."""

    def __init__(self, folder: Path, username: str | None = None, password: str | None = None) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.auth = (username, password) if username else None
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["[scrapyd]", "bind_address = 127.0.0.1", f"http_port = {self.port}", "eggs_dir = eggs",
                 "logs_dir = logs", "items_dir = items", "dbs_dir = dbs", "poll_interval = 0.2",
                 "max_proc = 2", "jobs_to_keep = 50"]
        if username:
            lines += [f"username = {username}", f"password = {password}"]
        (folder / "scrapyd.conf").write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> "ScrapydNode":
        executable = shutil.which("scrapyd", path=str(Path(sys.executable).parent))
        assert executable, "scrapyd is installed by the test extra (pyproject.toml)"
        self.log = open(self.folder / "scrapyd.out", "wb")
        self.process = subprocess.Popen([executable], cwd=self.folder, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("daemonstatus.json")["status"] == "ok":
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"scrapyd did not start: {(self.folder / 'scrapyd.out').read_text()[-2000:]}")

    def get(self, path: str) -> dict:
        request = Request(self.url + path)
        if self.auth:
            request.add_header("Authorization", "Basic " + base64.b64encode(":".join(self.auth).encode()).decode())
        with urlopen(request, timeout=10) as response:
            return json.load(response)

    def jobs(self, project: str = "offres") -> dict:
        return self.get(f"listjobs.json?project={project}")

    def wait_finished(self, job: str, project: str = "offres", timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.jobs(project).get("finished", []):
                if entry["id"] == job:
                    return entry
            time.sleep(0.3)
        raise TimeoutError(f"job {job} did not finish; log: {self.job_log(job)[-2000:]}")

    def wait_running(self, job: str, project: str = "offres", timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.jobs(project).get("running", []):
                if entry["id"] == job:
                    return entry
            time.sleep(0.2)
        raise TimeoutError(f"job {job} never ran")

    def job_log(self, job: str) -> str:
        logs = list((self.folder / "logs").rglob(f"{job}.log"))
        return logs[0].read_text(errors="replace") if logs else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self) -> "ScrapydNode":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

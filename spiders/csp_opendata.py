"""data.gouv.fr: the dataset of the board's weekly open-data file, and its download.

Not a Scrapy spider: one API call and one file of 120-170 MB, streamed to disk with
a size cap, resumed with HTTP Range after an interruption, its checksum verified.
The same politeness as the crawls: an identifying User-Agent, one request at a time,
backoff honouring Retry-After. See docs/sources/csp_opendata.md.
"""
from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from spiders.download_stream import BackgroundDownload
from spiders.settings import USER_AGENT

DEFAULT_BASE_URL = "https://www.data.gouv.fr"
DATASET_ID = "6322e99e12175f7eb26ff465"
ROLLING_ID = "867034a2-2fa1-41b4-bd39-c84691ea618f"
TITLE_PATTERN = re.compile(r"^offres-datagouv-\d{8}\.csv$")
TIMEOUT = 60.0
CHUNK = 1 << 20


class OpenDataRefused(RuntimeError):
    """The dataset or its file is not what the pipeline accepts (exit 3: nothing changed)."""


class OpenDataUnreachable(RuntimeError):
    """data.gouv.fr could not be reached or kept failing (exit 5: nothing changed)."""


def get(url: str, headers: dict | None = None, retries: int = 3, backoff: float = 2.0):
    """An HTTP response (caller closes); retries 429/5xx and network errors, honouring Retry-After."""
    for attempt in range(retries + 1):
        try:
            return urlopen(Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})}), timeout=TIMEOUT)
        except HTTPError as exc:
            if exc.code not in (429, 500, 502, 503, 504) or attempt == retries:
                raise OpenDataUnreachable(f"HTTP {exc.code} from {url}") from None
            wait = retry_after(exc.headers.get("Retry-After"), backoff * 2 ** attempt)
        except (URLError, OSError) as exc:
            if attempt == retries:
                raise OpenDataUnreachable(f"{url}: {getattr(exc, 'reason', exc)}") from None
            wait = backoff * 2 ** attempt
        time.sleep(wait)
    raise AssertionError("unreachable")


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), never less than asked."""
    if not value:
        return default
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return default


def fetch_dataset(base_url: str = DEFAULT_BASE_URL, dataset: str = DATASET_ID) -> dict:
    """The dataset's metadata from the data.gouv.fr API (`/api/1/datasets/<id>/`)."""
    with get(f"{base_url.rstrip('/')}/api/1/datasets/{dataset}/") as response:
        try:
            return json.load(response)
        except ValueError:
            raise OpenDataRefused("the dataset API did not answer JSON") from None


def pick_resource(dataset: dict, rolling_id: str = ROLLING_ID) -> dict:
    """The rolling weekly CSV: by its id, else the latest CSV titled offres-datagouv-YYYYMMDD.csv."""
    resources = dataset.get("resources") or []
    rolling = [r for r in resources if r.get("id") == rolling_id]
    candidates = rolling or [r for r in resources if (r.get("format") or "").lower() == "csv"
                             and TITLE_PATTERN.match(r.get("title") or "")]
    if not candidates:
        raise OpenDataRefused("no offres-datagouv-YYYYMMDD.csv resource in the dataset")
    return max(candidates, key=lambda r: r.get("last_modified") or "")


def download_path(resource: dict, folder: Path) -> Path:
    """Where the resource's file is kept (named by its id, date and title)."""
    name = re.sub(r"[^\w.-]", "_", resource.get("title") or resource["id"])
    return folder / f"{resource['id']}-{(resource.get('last_modified') or '')[:19].replace(':', '')}-{name}"


def download(resource: dict, folder: Path, max_bytes: int, progress: Callable[[int, int | None], None] | None = None,
             retries: int = 5, written: Callable[[Path, int], None] | None = None) -> Path:
    """Stream the resource's file to `folder` (resumed with Range after a cut), checksum verified.

    `written(partial file, bytes)` is told of each chunk once it is on disk (`spiders.download_stream`)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = download_path(resource, folder)
    if final.exists():  # kept from an earlier run: reused only when it is still the declared file
        try:
            verify_checksum(final, resource.get("checksum"))
            return final
        except OpenDataRefused:
            pass  # removed: downloaded again
    partial = final.with_name(final.name + ".part")
    expected = resource.get("filesize")
    for attempt in range(retries + 1):
        done = partial.stat().st_size if partial.exists() else 0
        headers = {"Range": f"bytes={done}-"} if done else {}
        try:
            response = get(resource["url"], headers, retries=2)
        except OpenDataUnreachable:
            if attempt == retries:
                raise
            time.sleep(min(30, 2 ** attempt))
            continue
        with response:
            kind = response.headers.get("Content-Type", "")
            if "html" in kind or "json" in kind:
                raise OpenDataRefused(f"the file's URL answered {kind.split(';')[0]}, not a CSV file")
            if done and response.status != 206:
                done = 0  # the server ignored the range: start again
            digest = hasher(resource.get("checksum"))  # of the file as it is written
            if done and digest is not None:
                hash_file(partial, digest)  # resumed: what is on disk first
            buffer = memoryview(bytearray(CHUNK))  # one buffer for every chunk: no fresh megabyte to fault in each time
            with open(partial, "ab" if done else "wb") as out:
                try:
                    while count := response.readinto(buffer):
                        chunk = buffer[:count]
                        done += count
                        if done > max_bytes:
                            raise OpenDataRefused(f"the file is larger than the cap of {max_bytes:,} bytes")
                        out.write(chunk)
                        if digest is not None:
                            digest.update(chunk)
                        if written:
                            out.flush()
                            written(partial, done)
                        if progress:
                            progress(done, expected)
                except (OSError, ValueError):  # cut off: resume from what is on disk
                    pass
        if expected is None or done >= expected:
            break
        if attempt == retries:
            raise OpenDataUnreachable(f"download of {resource['url']} kept breaking off at {done:,} bytes")
    check_digest(partial, digest, resource.get("checksum"))
    partial.rename(final)
    return final


def hasher(checksum: dict | None):
    """A hash object of the kind the API declares, None when it declares none we know."""
    if not checksum or not checksum.get("value"):
        return None
    kind = (checksum.get("type") or "sha1").lower()
    return hashlib.new(kind) if kind in hashlib.algorithms_available else None


def hash_file(path: Path, digest) -> None:
    """Feed a file's bytes to a hash object."""
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)


def check_digest(path: Path, digest, checksum: dict | None) -> None:
    """Raise OpenDataRefused (the file deleted) when a file's digest is not the declared one."""
    if digest is not None and digest.hexdigest() != checksum["value"].lower():
        path.unlink()
        raise OpenDataRefused(f"the file's {digest.name} differs from the checksum the dataset declares")


def verify_checksum(path: Path, checksum: dict | None) -> None:
    """Raise OpenDataRefused when the file's digest differs from the one the API declares."""
    digest = hasher(checksum)
    if digest is not None:
        hash_file(path, digest)
    check_digest(path, digest, checksum)


def run_opendata(db_path: str, base_url: str | None = None, settings: dict | None = None,
                 today=None, progress: Callable[[str], None] | None = None) -> dict:
    """One run of the source: dataset, resource, download unless unchanged, checks, ingest, rebuild.

    Returns the `runs` row; an OpenDataUnreachable propagates (exit 5) after the run is recorded.
    """
    from datetime import date as date_type

    from parsers.csp_opendata import PARSER_VERSION, SOURCE
    from pipeline.lifecycle import rebuild_offers
    from pipeline.opendata import FileChecks, file_summary, ingest_file, last_accepted
    from pipeline.store import finish_run, open_db, start_run

    settings = settings or {}
    db = open_db(db_path)
    base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    today = today or date_type.today()
    checks = FileChecks(int(settings.get("OPENDATA_MIN_BYTES", FileChecks.min_bytes)),
                        int(settings.get("OPENDATA_MIN_ROWS", FileChecks.min_rows)),
                        float(settings.get("OPENDATA_MIN_RATIO", FileChecks.min_ratio)))
    folder = Path(settings.get("OPENDATA_DIR") or Path(db_path).resolve().parent / "opendata")
    run_id = start_run(db, "crawl", SOURCE, base_url=base_url, parser_version=PARSER_VERSION)
    last = last_accepted(db)

    def refuse(notes: list[str], reason: str = "refused", extra: dict | None = None) -> dict:
        return finish_run(db, run_id, complete=0, healthy=0, finish_reason=reason, health_notes="; ".join(notes),
                          stats=json.dumps(extra or {}, default=str))

    try:
        resource = pick_resource(fetch_dataset(base_url, settings.get("OPENDATA_DATASET", DATASET_ID)),
                                 settings.get("OPENDATA_RESOURCE", ROLLING_ID))
    except OpenDataRefused as exc:
        return refuse([str(exc)])
    except OpenDataUnreachable as exc:
        refuse([str(exc)], "unreachable")
        raise
    info = {k: resource.get(k) for k in ("id", "title", "url", "checksum", "filesize", "last_modified")}
    if last and (last.get("checksum") == info["checksum"] and info["checksum"]
                 or last.get("last_modified") == info["last_modified"] and last.get("id") == info["id"]):
        # Nothing new this week: nothing downloaded, nothing changed; the baseline carries on.
        return finish_run(db, run_id, complete=1, healthy=1, finish_reason="unchanged", offers_seen=0,
                          offers_new=0, offers_updated=0, offers_closed=0, offers_reopened=0,
                          health_notes=f"resource unchanged since {last.get('last_modified')}: nothing downloaded",
                          stats=json.dumps({"opendata/resource": last, "opendata/downloaded_bytes": 0}))
    if progress:  # the download's thread and the reading both report: one line at a time
        progress = one_at_a_time(progress)
    show = (lambda done, total: progress(f"  downloaded {done / 1e6:.1f} of {(total or 0) / 1e6:.1f} MB")) \
        if progress else None
    max_bytes = int(settings.get("OPENDATA_MAX_BYTES", 1 << 30))
    fetch = BackgroundDownload(lambda written: download(resource, folder, max_bytes, throttled(show), written=written))
    fetch.start()  # read as it downloads: nothing is written before the whole file is there and checked
    try:
        accepted, problems, reading = ingest_file(db, run_id, fetch.source(download_path(resource, folder).name),
                                                 today, last, checks,
                                                 (lambda n: progress(f"  {n:,} rows read")) if progress else None)
    except OpenDataRefused as exc:
        return refuse([str(exc)], extra={"opendata/candidate": info})
    except OpenDataUnreachable as exc:
        refuse([str(exc)], "unreachable")
        raise
    finally:
        fetch.cancel()  # a file refused on its header is not downloaded to its end
    path = fetch.finished_file()  # None for a file refused before its end
    summary = file_summary(info, path, reading)
    if not accepted:
        return refuse(problems, extra={"opendata/candidate": summary})
    rebuilt = rebuild_offers(db, run_id=run_id)
    prune(folder, int(settings.get("OPENDATA_KEEP_FILES", 3)), keep=path)
    return finish_run(db, run_id, complete=1, healthy=1, finish_reason="finished",
                      offers_seen=len(reading.selected) + len(reading.unchanged), offers_new=rebuilt.new, offers_updated=rebuilt.updated, offers_closed=rebuilt.closed,
                      offers_reopened=rebuilt.reopened, errors=len(reading.errors),
                      stats=json.dumps({"opendata/resource": summary}))


def one_at_a_time(say: Callable[[str], None]) -> Callable[[str], None]:
    """`say` for several threads: each line written whole before the next."""
    lock = threading.Lock()

    def locked(text: str) -> None:
        with lock:
            say(text)
    return locked


def throttled(callback: Callable[[int, int | None], None] | None, every: int = 8 << 20):
    """The download progress callback, called every `every` bytes only."""
    if callback is None:
        return None
    state = {"next": every}

    def call(done: int, total: int | None) -> None:
        if done >= state["next"] or (total and done >= total):
            state["next"] = done + every
            callback(done, total)
    return call


def prune(folder: Path, keep_files: int, keep: Path) -> None:
    """Delete the oldest downloaded files beyond `keep_files` (never `keep`)."""
    files = sorted((p for p in folder.glob("*.csv") if p != keep), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[max(0, keep_files - 1):]:
        old.unlink(missing_ok=True)

"""A built geography kept between processes: its indexes as one `marshal` file in the user's cache.

Building the indexes from the COG files takes about 0.3 s, which every short command that
normalises a location paid (an ingest of five postings, the rebuild after a crawl, a weekly
file). The file is named by a digest of everything the indexes are made of (the COG files
and the code that reads them), so a change to either builds and keeps a new one. The cache
is an optimisation only: when it cannot be read or written the indexes are built as before.

Where: `$OFFRES_CACHE_DIR`, else `$XDG_CACHE_HOME/offres`, else `~/.cache/offres`;
`OFFRES_CACHE_DIR=""` turns the cache off.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import pathlib
import sys
import tempfile

from pipeline.versions import add_files

PREFIX = "geography-"
SUFFIX = ".marshal"
KEEP = 4  # files kept, the newest first


def cache_dir() -> pathlib.Path | None:
    """The folder of the cache, None when it is turned off."""
    chosen = os.environ.get("OFFRES_CACHE_DIR")
    if chosen is not None:
        return pathlib.Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "offres"


def sources_key(paths: list[pathlib.Path]) -> str:
    """A digest of the files the indexes are built from (their bytes and their names) and of the
    Python that writes the cache (`marshal`'s format is its own)."""
    digest = hashlib.blake2b(sys.version.encode(), digest_size=12)
    add_files(digest, ((path.name, path) for path in paths))
    return digest.hexdigest()


def load(key: str) -> dict | None:
    """The state kept under `key`, None when there is none or it cannot be read."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        state = marshal.loads((folder / f"{PREFIX}{key}{SUFFIX}").read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    return state if isinstance(state, dict) and state.get("key") == key else None


def save(key: str, state: dict) -> None:
    """Keep `state` under `key` (atomically), and drop all but the newest KEEP files; never raises on I/O."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".geography-")
    except OSError:
        return
    target = folder / f"{PREFIX}{key}{SUFFIX}"
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps({**state, "key": key}))
        os.replace(temporary, target)
        kept = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:  # other versions of the code or files (several checkouts may share the cache)
            if old != target:
                old.unlink(missing_ok=True)
    except (OSError, ValueError):
        pathlib.Path(temporary).unlink(missing_ok=True)

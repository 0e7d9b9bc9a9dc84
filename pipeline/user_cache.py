"""Built values kept between processes: one `marshal` file each in the user's cache.

Some values cost a short command more to build than to read back: the geography's
indexes (about 0.3 s from the COG files), the export contract compiled to Python code
(about 0.05 s), the classifier's matcher plan (0.05 s). Each file is named by its kind and a digest of everything the value is
made of (files, code, package versions, the Python that wrote it: `marshal`'s format is
its own), so a change to any of them builds and keeps a new file. The cache is an
optimisation only: when it cannot be read or written the value is built as before.

Where: `$OFFRES_CACHE_DIR`, else `$XDG_CACHE_HOME/offres`, else `~/.cache/offres`;
`OFFRES_CACHE_DIR=""` turns the cache off. A kept value may be code (the compiled export
check), so a file is read only when it belongs to the user running the command and nobody
else may write it (files are written with mode 0600): a cache folder shared with other users
cannot hand this process a value it did not write.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import pathlib
import stat
import sys
import tempfile
from typing import Any

from pipeline.versions import add_files

SUFFIX = ".marshal"
KEEP = 4  # files kept of each kind, the newest first (several checkouts may share the cache)


def cache_dir() -> pathlib.Path | None:
    """The folder of the cache, None when it is turned off."""
    chosen = os.environ.get("OFFRES_CACHE_DIR")
    if chosen is not None:
        return pathlib.Path(chosen) if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "offres"


def sources_key(paths: list[pathlib.Path], *parts: str) -> str:
    """A digest of files (their bytes and names), of other `parts` (versions, a schema) and of
    the Python that writes the cache."""
    digest = hashlib.blake2b(sys.version.encode(), digest_size=12)
    add_files(digest, ((path.name, path) for path in paths))
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def path_of(kind: str, key: str) -> pathlib.Path | None:
    """Where the value of `kind` under `key` is kept (None when the cache is off)."""
    folder = cache_dir()
    return None if folder is None else folder / f"{kind}-{key}{SUFFIX}"


def load(kind: str, key: str) -> Any | None:
    """The value of `kind` kept under `key`, None when there is none or it cannot be read."""
    path = path_of(kind, key)
    if path is None:
        return None
    try:
        with open(path, "rb") as handle:
            if not _written_by_us(os.fstat(handle.fileno())):
                return None
            kept = marshal.loads(handle.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key:
        return kept[1]
    return None


def _written_by_us(status: os.stat_result) -> bool:
    """Whether a file belongs to this process's user and only they may write it."""
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    return status.st_uid == owner and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def save(kind: str, key: str, value: Any) -> None:
    """Keep `value` (what `marshal` writes) under `key`, atomically, and drop all but the newest
    KEEP files of `kind`; never raises on I/O."""
    target = path_of(kind, key)
    if target is None:
        return
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{kind}-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps((key, value)))
        os.replace(temporary, target)
        kept = sorted(folder.glob(f"{kind}-*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            if old != target:
                old.unlink(missing_ok=True)
    except (OSError, ValueError):
        pathlib.Path(temporary).unlink(missing_ok=True)

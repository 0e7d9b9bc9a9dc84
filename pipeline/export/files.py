"""Writing export files atomically: a temporary file in the same folder, then a rename.

The file keeps the mode of the one it replaces, or follows the umask for a new
one (0644 under umask 022), so the web server that serves it can read it.
"""
from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO, Callable, Iterable


def target_mode(output: Path) -> int:
    """The permission bits the written file gets: those of `output` if it exists, else 0666 minus the umask."""
    try:
        return stat.S_IMODE(output.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask: read from /proc where it can be (no change), else set and restored."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def write_atomic(output: Path, write: Callable[[IO[str]], None], newline: str | None = None) -> None:
    """Call `write(handle)` on a temporary text file beside `output`, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    mode = target_mode(output)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dump_document(document: dict, handle: IO[str]) -> None:
    """The JSON document, one final newline: top-level keys one a line, each offer on its own
    line (compact, written by the C encoder: an indented dump takes json's pure-Python path)."""
    offers = document.get("offers")
    if not isinstance(offers, list):
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
        return
    encode = json.JSONEncoder(ensure_ascii=False).encode
    dump_encoded({k: v for k, v in document.items() if k != "offers"}, map(encode, offers), handle)


def dump_encoded(envelope: dict, offers: Iterable[str], handle: IO[str]) -> None:
    """As `dump_document`, the offers given as their JSON texts (compact, `ensure_ascii=False`),
    written after the envelope's keys."""
    handle.write("{\n")
    for key, value in envelope.items():
        handle.write(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    handle.write(' "offers": [')
    first = True
    for text in offers:
        handle.write(("\n  " if first else ",\n  ") + text)
        first = False
    handle.write("]\n}\n" if first else "\n ]\n}\n")


def write_export(document: dict, output: Path) -> None:
    """The JSON document, atomically; `-` writes to standard output."""
    if str(output) == "-":
        dump_document(document, sys.stdout)
        sys.stdout.flush()
        return
    write_atomic(output, lambda handle: dump_document(document, handle))

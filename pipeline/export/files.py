"""Writing export files atomically: a temporary file in the same folder, then a rename."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable, IO


def write_atomic(output: Path, write: Callable[[IO[str]], None], newline: str | None = None) -> None:
    """Call `write(handle)` on a temporary text file beside `output`, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_export(document: dict, output: Path) -> None:
    """The JSON document, atomically."""
    def dump(handle: IO[str]) -> None:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")

    write_atomic(output, dump)

"""A file to read, maybe while it is still being downloaded (`spiders.download_stream`)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

READ_BUFFER = 1 << 16  # a fifth less time cutting a file into records than with the default 8 KB


class StreamBroken(OSError):
    """The file's download started again or failed: what was read of it so far is not the file."""


@dataclass(frozen=True)
class FileSource:
    """`open_stream()`: the file's bytes (as they arrive, or StreamBroken); `complete()`: the
    whole file once downloaded and checked (the download's own error when it failed)."""

    name: str
    open_stream: Callable[[], BinaryIO]
    complete: Callable[[], Path]

    @classmethod
    def of(cls, path: Path | FileSource) -> FileSource:
        """A file already on disk (a FileSource stays as it is)."""
        if isinstance(path, FileSource):
            return path
        return cls(path.name, lambda: open(path, "rb", buffering=READ_BUFFER), lambda: path)

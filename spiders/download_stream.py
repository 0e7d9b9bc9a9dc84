"""A file read while it downloads: the download in a thread, its bytes read as they are written.

On the real site a weekly file of 120 MB takes longer to download than to read; reading it
as it arrives makes a run last about as long as its download. The reader only ever sees
bytes the download has written. When the download starts the file again (a server that
ignored `Range`) or fails, the reader stops with `StreamBroken`; `complete()` then waits for
the download and gives the whole file, or raises the download's own error (refused,
unreachable), so nothing read from a file that was not checked is ever kept.
"""
from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import BinaryIO, Callable

from pipeline.file_source import READ_BUFFER, FileSource, StreamBroken

Written = Callable[[Path, int], None]  # (file being written, bytes in it so far)


class Cancelled(Exception):
    """Raised inside the download when its reader gave up (not an OSError: no retry catches it)."""


class BackgroundDownload:
    """Run `fetch(written)` (a download that reports each chunk it has written, returning
    the final path) in a thread; `open_stream()` reads its bytes as they come."""

    def __init__(self, fetch: Callable[[Written], Path]) -> None:
        self._fetch = fetch
        self._changed = threading.Condition()
        self._path: Path | None = None   # the file being written
        self._written = 0
        self._restarted = False
        self._result: Path | None = None
        self._error: BaseException | None = None
        self._done = False
        self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="opendata-download", daemon=True)

    def start(self) -> BackgroundDownload:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            result = self._fetch(self._note)
        except BaseException as exc:  # handed to the reading thread by `complete()`
            if isinstance(exc, Cancelled) and self._path is not None:
                self._path.unlink(missing_ok=True)  # a file nobody wants: not resumed later
            with self._changed:
                self._error, self._done = exc, True
                self._changed.notify_all()
            return
        with self._changed:
            self._result, self._done = result, True
            self._changed.notify_all()

    def _note(self, path: Path, written: int) -> None:
        with self._changed:
            if path != self._path or written < self._written:
                self._restarted = self._path is not None  # another file, or the same one begun again
                self._path = path
            self._written = written
            self._changed.notify_all()
        if self._cancelled:  # after the path is known: `_run` removes the file, even at its first chunk
            raise Cancelled("the file was refused while it downloaded")

    def wait_for(self, position: int) -> tuple[Path | None, int]:
        """(file, bytes readable in it) once more than `position` bytes are written; once the
        download is over, (the whole file, -1: read it to its end). StreamBroken when the
        download started again or failed."""
        with self._changed:
            while not self._done and self._written <= position and not self._restarted:
                self._changed.wait(1.0)
            if self._restarted or self._error is not None:
                raise StreamBroken("the download started again or failed")
            if self._done:  # renamed to its final name (or a file kept from an earlier run)
                return self._result, -1
            return self._path, self._written

    def open_stream(self) -> BinaryIO:
        """The file's bytes as they are written (a buffered binary stream)."""
        return io.BufferedReader(GrowingFile(self), buffer_size=READ_BUFFER)

    def source(self, name: str) -> FileSource:
        """The file as `pipeline.opendata.ingest_file` reads it."""
        return FileSource(name, self.open_stream, self.complete)

    def cancel(self) -> None:
        """Stop the download at its next chunk (the file was refused) and wait for it to end."""
        self._cancelled = True
        self._thread.join()

    def finished_file(self) -> Path | None:
        """The downloaded file once the download is over, None when it failed or was stopped."""
        self._thread.join()
        return self._result if self._error is None else None

    def complete(self) -> Path:
        """The whole file once downloaded and checked; the download's error when it failed."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


class GrowingFile(io.RawIOBase):
    """Raw reads of a file a `BackgroundDownload` is writing: never past what it has written."""

    def __init__(self, download: BackgroundDownload) -> None:
        self._download = download
        self._file: BinaryIO | None = None
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        path, written = self._download.wait_for(self._position)
        if self._file is None:
            if path is None:
                return 0
            try:
                self._file = open(path, "rb", buffering=0)  # an open file stays readable once renamed
            except FileNotFoundError:  # renamed to its final name since `wait_for`: the download is over
                path, written = self._download.complete(), -1
                self._file = open(path, "rb", buffering=0)
        if written < 0:  # the download is over: the file is whole
            count = self._file.readinto(buffer)
        else:
            count = self._file.readinto(memoryview(buffer)[:max(0, min(len(buffer), written - self._position))])
        self._position += count
        return count

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()

"""A file read while it downloads (spiders/download_stream.py): only written bytes are read; a
download that starts again or fails stops the reader, and `complete()` says what happened."""
from __future__ import annotations

import threading
import time

import pytest

from pipeline.file_source import StreamBroken
from spiders.download_stream import BackgroundDownload, Cancelled

DATA = b"".join(b"%05d;" % i + b"y" * 90 + b"\r\n" for i in range(3000))  # 300 kB


def writer(path, chunks, final=None, pause=0.002, fail=None, gate=None):
    """A fake download: writes `chunks` (byte offsets to restart from may repeat) and reports them."""
    def fetch(written):
        done = 0
        with open(path, "wb") as out:
            for start, chunk in chunks:
                if start < done:  # begun again: what a server ignoring Range makes the download do
                    out.seek(start)
                    out.truncate()
                    done = start
                out.write(chunk)
                out.flush()
                done += len(chunk)
                written(path, done)
                if gate is not None:
                    gate.wait()
                time.sleep(pause)
        if fail:
            raise fail
        return final or path
    return fetch


def pieces(data, size=40_000):
    return [(i, data[i:i + size]) for i in range(0, len(data), size)]


def test_the_bytes_read_are_the_file_written(tmp_path):
    fetch = BackgroundDownload(writer(tmp_path / "f.part", pieces(DATA))).start()
    with fetch.open_stream() as stream:
        lines = list(stream)
    assert b"".join(lines) == DATA and len(lines) == 3000
    assert fetch.complete() == tmp_path / "f.part"


def test_a_download_begun_again_stops_the_reader_and_the_whole_file_comes_after(tmp_path):
    chunks = pieces(DATA)[:3] + pieces(DATA)  # back to byte 0 after three chunks
    fetch = BackgroundDownload(writer(tmp_path / "f.part", chunks)).start()
    with pytest.raises(StreamBroken), fetch.open_stream() as stream:
        stream.read()
    assert fetch.complete().read_bytes() == DATA


def test_a_failed_download_stops_the_reader_and_complete_raises_its_error(tmp_path):
    fetch = BackgroundDownload(writer(tmp_path / "f.part", pieces(DATA)[:2], fail=RuntimeError("refused"))).start()
    with pytest.raises(StreamBroken), fetch.open_stream() as stream:
        stream.read()
    with pytest.raises(RuntimeError, match="refused"):
        fetch.complete()


def test_a_file_kept_from_an_earlier_run_is_read_whole(tmp_path):
    kept = tmp_path / "kept.csv"
    kept.write_bytes(DATA)
    fetch = BackgroundDownload(lambda written: kept).start()
    with fetch.open_stream() as stream:
        assert stream.read() == DATA


def test_the_reader_waits_for_bytes_not_yet_written(tmp_path):
    gate = threading.Event()
    fetch = BackgroundDownload(writer(tmp_path / "f.part", pieces(DATA), pause=0, gate=gate)).start()
    stream = fetch.open_stream()
    first = stream.read1(1 << 20)
    assert first == DATA[:40_000]  # only the first chunk is written while the gate is shut
    gate.set()
    assert first + stream.read() == DATA
    stream.close()


def test_a_cancelled_download_stops_and_leaves_no_partial_file(tmp_path):
    gate = threading.Event()
    part = tmp_path / "f.part"
    fetch = BackgroundDownload(writer(part, pieces(DATA), gate=gate)).start()
    while not part.exists():
        time.sleep(0.001)
    threading.Timer(0.05, gate.set).start()
    fetch.cancel()
    assert not part.exists()
    with pytest.raises(Cancelled):
        fetch.complete()


def test_the_finished_file_is_known_only_for_a_download_that_ended_well(tmp_path):
    good = BackgroundDownload(writer(tmp_path / "a.part", pieces(DATA))).start()
    bad = BackgroundDownload(writer(tmp_path / "b.part", pieces(DATA)[:1], fail=RuntimeError("cut"))).start()
    assert good.finished_file() == tmp_path / "a.part" and bad.finished_file() is None


def test_progress_from_the_download_and_the_reading_comes_a_line_at_a_time():
    from spiders.csp_opendata import one_at_a_time

    out: list[str] = []

    def say(text: str) -> None:  # writes a line in two parts, as a terminal may get it
        out.append(text)
        time.sleep(0.0005)
        out.append("\n")

    locked = one_at_a_time(say)
    threads = [threading.Thread(target=lambda n=n: [locked(f"{n}:{i}") for i in range(50)]) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(out[k + 1] == "\n" and out[k] != "\n" for k in range(0, len(out), 2)) and len(out) == 300


def test_a_file_renamed_to_its_final_name_before_the_reader_opened_it_is_read_whole(tmp_path, monkeypatch):
    """A small file: the download may end, and rename its `.part`, between the reader's
    `wait_for` and its opening the file."""
    part, final = tmp_path / "f.part", tmp_path / "f.csv"

    def fetch(written):
        part.write_bytes(DATA)
        written(part, len(DATA))
        part.rename(final)
        return final

    download = BackgroundDownload(fetch)
    asked = download.wait_for

    def late(position):  # the reader is told of the .part, then the download ends before it opens it
        found = asked(position)
        download._thread.join()
        return found

    monkeypatch.setattr(download, "wait_for", late)
    download.start()
    with download.open_stream() as stream:
        assert stream.read() == DATA
    assert download.complete() == final


def test_a_download_cancelled_before_its_first_chunk_leaves_no_partial_file(tmp_path):
    part, opened, cancelled = tmp_path / "f.part", threading.Event(), threading.Event()

    def fetch(written):
        with open(part, "wb") as out:
            opened.set()
            cancelled.wait()  # the reader gave up before a byte was reported
            out.write(DATA[:100])
            written(part, 100)
        return part

    download = BackgroundDownload(fetch).start()
    opened.wait()
    threading.Timer(0.05, cancelled.set).start()  # released while cancel() waits for the thread
    download.cancel()
    assert not part.exists()
    with pytest.raises(Cancelled):
        download.complete()

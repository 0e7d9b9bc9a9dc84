"""Reading the open-data file by records (bytes first, cells only for what changed) gives what
the csv module gives over the whole file (pipeline/opendata.py, parsers/csp_opendata.py)."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from parsers.csp_opendata import COLUMNS
from parsers.csv_records import record_batches, record_cells, record_digest
from pipeline import opendata
from pipeline.opendata import Known, Misquoted, read_file, read_plain, read_records_of
from pipeline.opendata_verdicts import Verdicts
from replica.datagouv_rows import OpenDataWeek

TODAY = date.today()
AT = "2026-11-30T08:00:00+00:00"
NONE = Verdicts.from_dict({}, set())  # an empty set of verdicts
NO_FILE_YET = Verdicts(set(), set(), None)  # before a first accepted file: none to ask for


def same_reading(a, b) -> None:
    assert (a.rows, a.references, a.variants, a.digital_open_rows) == (b.rows, b.references, b.variants, b.digital_open_rows)
    if not a.settled:  # a settled row's window is not read: it is not counted open or closed
        assert a.open_rows == b.open_rows
    assert a.selected == {k: v for k, v in b.selected.items() if k not in a.unchanged}  # unchanged: stored
    assert a.unchanged <= b.selected.keys() and a.digital_open.keys() == b.digital_open.keys()
    assert {k: v[1:] for k, v in a.digests.items()} == {k: b.digests[k][1:] for k in a.digests}
    assert len(a.digests) + a.settled >= len(b.digests) + b.settled - a.variants  # settled: verdicts as stored
    assert a.errors == b.errors


def records_of(text: bytes) -> list[tuple[int, bytes]]:
    """(first line, bytes) of every record, none settled."""
    return [(line, data) for batch in record_batches(io.BytesIO(text), set()) for line, data, _ in batch]


def test_records_are_csv_rows_with_their_line_numbers():
    text = 'h1;h2\r\n"a\r\nb";"c ""d"""\r\n\r\ne;\r\n'.encode()
    records = records_of(text)
    assert [line for line, _ in records] == [1, 2, 4, 5]
    assert [record_cells(data) for _, data in records] == [["h1", "h2"], ["a\r\nb", 'c "d"'], [], ["e", ""]]
    assert record_cells("\ufeff".encode() + b'"h1";"h2"\r\n') == ["h1", "h2"]
    assert record_cells(b'ab"c;"d\r\n') is None  # a stray quote: the bounds cannot be trusted


@pytest.mark.parametrize("size", [1, 2, 4096])
def test_record_batches_settle_each_digest_once_unless_read_anyway_in_batches_of_any_size(size):
    text = 'h1;h2\r\n"a\r\nb";"c ""d"""\r\nx;y\r\n\r\ne;\r\nx;y\r\n"open\r\nto the end'.encode()
    records = records_of(text)
    assert [line for line, _ in records] == [1, 2, 4, 5, 6, 7, 8]
    assert records[-1] == (8, b'"open\r\nto the end')  # a cell left open: the rest is one record
    settles = {record_digest(b"x;y\r\n"), record_digest(b"h1;h2\r\n"), record_digest(b"e;\r\n")}
    settled, read_anyway = {}, {record_digest(b"e;\r\n")}
    batches = list(record_batches(io.BytesIO(text), settles, size, settled, read_anyway))
    assert batches[0] == [(1, b"h1;h2\r\n", record_digest(b"h1;h2\r\n"))]  # the header: never settled
    assert all(len(batch) <= size for batch in batches[1:])
    assert len(batches) == 1 + -(-6 // size)  # the 6 records after the header, `size` at a time
    pending = [(line, data) for batch in batches for line, data, _ in batch]
    assert settled == {record_digest(b"x;y\r\n"): 4}  # the second copy, line 7, is read
    assert sorted(pending + [(4, b"x;y\r\n")]) == records  # and the one to read anyway, line 6
    assert settles == {record_digest(b"h1;h2\r\n")}  # the digests met are taken out
    assert list(record_batches(io.BytesIO(b""), set())) == []
    only = list(record_batches(io.BytesIO(b'"h1;h2'), set()))  # a header left open
    assert only == [[(1, b'"h1;h2', record_digest(b'"h1;h2'))]]


def test_by_records_and_by_the_csv_module_agree(tmp_path):
    weeks = [OpenDataWeek(rows=4000, seed=11, week=w, added=200, digital=0.08, today=TODAY) for w in (0, 1)]
    paths = [tmp_path / f"w{w}.csv" for w in (0, 1)]
    for spec, path in zip(weeks, paths):
        spec.write(path)
    first = read_file(paths[0], TODAY, set(), NONE, AT)
    same_reading(first, read_plain(paths[0], TODAY, set(), NONE, AT))
    assert first.rows == 4000 and first.digital_open
    same_reading(read_file(paths[0], TODAY, set(), NO_FILE_YET, AT), first)  # no verdict: rows taken as they come
    previous = dict(first.digests)
    known = set(first.selected)
    week = read_file(paths[1], TODAY, known, Verdicts.from_dict(previous, known), AT)
    same_reading(week, read_plain(paths[1], TODAY, known, NONE, AT))
    assert week.settled > 0.8 * 4000  # unchanged rows: recognised by their bytes, not parsed
    assert week.rows == 4200


@pytest.mark.parametrize("pending,cut", [(1000, 4096), (7, 4096), (7, 5), (1, 1)])
def test_second_rows_of_a_reference_read_by_records_give_what_the_csv_module_gives(tmp_path, monkeypatch, pending,
                                                                                  cut):
    monkeypatch.setattr(opendata, "PENDING", pending)
    monkeypatch.setattr(opendata, "CUT_BATCH", cut)  # small batches: a settled row met after a claim of its digest
    weeks = [OpenDataWeek(rows=3000, seed=12, week=w, added=150, digital=0.1, today=TODAY, repeats=0.08) for w in (0, 1)]
    paths = [tmp_path / f"w{w}.csv" for w in (0, 1)]
    metas = [spec.write(path) for spec, path in zip(weeks, paths)]
    assert metas[0]["rows"] > 3000 + 150  # second rows: copies and variants
    first = read_file(paths[0], TODAY, set(), NONE, AT)
    same_reading(first, read_plain(paths[0], TODAY, set(), NONE, AT))
    assert first.variants > 150 and first.references == 3000
    known = set(first.selected)
    week = read_file(paths[1], TODAY, known, Verdicts.from_dict(dict(first.digests), known), AT)
    same_reading(week, read_plain(paths[1], TODAY, known, NONE, AT))
    assert week.settled > 0.8 * 3000 and week.references == 3150


def csv_text(rows: list[dict], quoting: int) -> str:
    """The header and the rows, `;`-separated, as the csv module writes them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=quoting, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return out.getvalue()


def test_a_stray_quote_reads_the_whole_file_with_the_csv_module(tmp_path):
    rows = list(OpenDataWeek(rows=300, seed=2, today=TODAY, digital=0.2).iter_rows())
    text = csv_text(rows, csv.QUOTE_MINIMAL).replace(rows[5]["Intitulé du poste"], 'Chef de "projet', 1)  # bare cell, stray quote
    path = tmp_path / "stray.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(Misquoted):
        read_records_of(path, TODAY, set(), NONE, AT)
    reading = read_file(path, TODAY, set(), NONE, AT)
    same_reading(reading, read_plain(path, TODAY, set(), NONE, AT))
    assert reading.rows + len(reading.errors) >= 1


def test_a_quote_left_open_is_cut_short_and_the_csv_module_reads_the_file(tmp_path, monkeypatch):
    import parsers.csv_records as csv_records

    monkeypatch.setattr(csv_records, "MAX_LINES", 50)
    rows = list(OpenDataWeek(rows=2, seed=4, today=TODAY, digital=0.2).iter_rows())
    head = csv_text(rows, csv.QUOTE_ALL)  # the header and two rows
    path = tmp_path / "open.csv"  # then a cell opened and never closed: the rest would be one record
    path.write_text(head + '"never closed\r\n' + "a line with no quote\r\n" * 60, encoding="utf-8")
    with pytest.raises(Misquoted, match="open for more than 50 lines"):
        read_records_of(path, TODAY, set(), NONE, AT)
    reading = read_file(path, TODAY, set(), NONE, AT)
    same_reading(reading, read_plain(path, TODAY, set(), NONE, AT))
    assert reading.rows == 2 and reading.errors  # the two rows before it; the broken one reported


def test_the_plain_csv_check_accepts_doubled_quotes_and_refuses_stray_ones():
    for good in (b'"a""b";"";c\r\n', b'"x\r\ny";""""\n', b"a;b", b'"\xc3\xa9t\xc3\xa9";2\n'):
        assert record_cells(good) is not None, good
    for bad in (b'"a"b;c\n', b'"a""\n', b'a"b;c\n', b'a\rb\n', b'"a";"b\n'):
        assert record_cells(bad) is None, bad


def with_start(row: dict, day: str, title: str | None = None) -> dict:
    """A variant of a row: another publication start (dd/mm/yyyy), maybe another title."""
    return {**row, "Date de début de publication par défaut": day, **({"Intitulé du poste": title} if title else {})}


@pytest.mark.parametrize("pending", [1000, 1])  # rows waiting for their verdicts: all of them, or each alone
@pytest.mark.parametrize("cut", [4096, 1])  # records cut between two looks at what was settled
@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("day", ["01/01/2020", "SAME", "01/01/2099"])
def test_a_settled_row_and_another_variant_of_its_reference_give_what_reading_every_row_gives(tmp_path, monkeypatch,
                                                                                             where, day, pending, cut):
    monkeypatch.setattr(opendata, "PENDING", pending)
    monkeypatch.setattr(opendata, "CUT_BATCH", cut)
    rows = list(OpenDataWeek(rows=40, seed=5, today=TODAY, digital=0.0).iter_rows())
    first = tmp_path / "first.csv"
    first.write_text(csv_text(rows, csv.QUOTE_ALL), encoding="utf-8")
    accepted = read_file(first, TODAY, set(), NONE, AT)
    previous = Verdicts.from_dict(dict(accepted.digests), set())
    start = rows[7]["Date de début de publication par défaut"]
    variant = with_start(rows[7], start if day == "SAME" else day, title="Gestionnaire de paie")
    week_rows = rows[:7] + [variant, rows[7]] + rows[8:] if where == "before" else rows + [variant]
    week = tmp_path / "week.csv"
    week.write_text(csv_text(week_rows, csv.QUOTE_ALL), encoding="utf-8")
    reading = read_file(week, TODAY, set(), previous, AT)
    every_row = read_plain(week, TODAY, set(), NONE, AT)
    assert reading.settled >= 38 and (reading.references, reading.variants) == (40, 1)
    same_reading(reading, every_row)
    reference = rows[7]["Référence"]
    verdict = reading.digests.get(reference) or accepted.digests[reference]  # settled: the stored verdict stands
    assert verdict[1:] == every_row.digests[reference][1:]


def test_a_stored_offers_row_is_never_settled_unread(tmp_path):
    rows = list(OpenDataWeek(rows=30, seed=6, today=TODAY, digital=0.0).iter_rows())
    path = tmp_path / "file.csv"
    path.write_text(csv_text(rows, csv.QUOTE_ALL), encoding="utf-8")
    accepted = read_file(path, TODAY, set(), NONE, AT)
    known = {rows[3]["Référence"]}
    again = read_file(path, TODAY, known, Verdicts.from_dict(dict(accepted.digests), known), AT)
    assert again.settled == 29 and again.unchanged == known and not again.selected  # its stored version stands
    crawled = Known(known, from_file=())  # stored by the live crawl only: the file's row is stored too
    both = read_file(path, TODAY, crawled, Verdicts.from_dict(dict(accepted.digests), crawled), AT)
    assert set(both.selected) == known and not both.unchanged

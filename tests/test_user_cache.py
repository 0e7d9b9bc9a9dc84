"""Built values kept in the user's cache: read back as built, rebuilt when their sources change."""
from __future__ import annotations

import os
import re
import sqlite3

import pytest

from pipeline import classify_matcher, user_cache
from pipeline.export import document


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("OFFRES_CACHE_DIR", str(folder))
    return folder


def test_a_value_is_read_back_under_its_key_only(cache, tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("one")
    key = user_cache.sources_key([source], "v1")
    user_cache.save("thing", key, {"a": (1, "b")})
    assert user_cache.load("thing", key) == {"a": (1, "b")}
    assert user_cache.load("other", key) is None  # another kind
    source.write_text("two")
    assert user_cache.sources_key([source], "v1") != key  # the file's bytes are in the key
    assert user_cache.sources_key([tmp_path / "source.txt"], "v2") != user_cache.sources_key([source], "v1")
    (cache / f"thing-copy{user_cache.SUFFIX}").write_bytes((cache / f"thing-{key}{user_cache.SUFFIX}").read_bytes())
    assert user_cache.load("thing", "copy") is None  # the file holds its own key


def test_an_unreadable_file_or_a_turned_off_cache_gives_nothing(cache, monkeypatch):
    user_cache.save("thing", "k", [1, 2])
    (cache / f"thing-k{user_cache.SUFFIX}").write_bytes(b"\x00 not marshal")
    assert user_cache.load("thing", "k") is None
    monkeypatch.setenv("OFFRES_CACHE_DIR", "")
    user_cache.save("thing", "k2", [1])  # nowhere, and no error
    assert user_cache.load("thing", "k2") is None


def test_a_file_others_may_write_is_not_read(cache, monkeypatch):
    user_cache.save("thing", "k", [1, 2])
    path = cache / f"thing-k{user_cache.SUFFIX}"
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o664)  # a group could have put it there
    assert user_cache.load("thing", "k") is None
    path.chmod(0o644)
    assert user_cache.load("thing", "k") == [1, 2]
    monkeypatch.setattr(os, "getuid", lambda: path.stat().st_uid + 1)  # the file of another user
    assert user_cache.load("thing", "k") is None


def test_only_the_newest_files_of_a_kind_are_kept(cache):
    for n in range(user_cache.KEEP + 2):
        user_cache.save("thing", f"k{n}", n)
        os.utime(cache / f"thing-k{n}{user_cache.SUFFIX}", (1_000_000 + n, 1_000_000 + n))
    user_cache.save("other", "k", 0)
    user_cache.save("thing", "last", 1)
    names = {p.name for p in cache.glob(f"thing-*{user_cache.SUFFIX}")}
    assert len(names) == user_cache.KEEP and f"thing-last{user_cache.SUFFIX}" in names
    assert f"thing-k0{user_cache.SUFFIX}" not in names
    assert (cache / f"other-k{user_cache.SUFFIX}").exists()  # another kind is not counted


def test_the_compiled_export_check_from_the_cache_judges_like_a_fresh_one(cache, monkeypatch):
    import fastjsonschema

    document._compiled_check.cache_clear()
    built = document._compiled_check("offer")
    [kept] = cache.glob(f"{document.CHECK_KIND}-*")
    document._compiled_check.cache_clear()
    monkeypatch.setattr(fastjsonschema, "compile_to_code", lambda *a, **k: pytest.fail("compiled again"))
    loaded = document._compiled_check("offer")
    monkeypatch.undo()
    monkeypatch.setenv("OFFRES_CACHE_DIR", str(cache))
    bad = {"id": 3}
    for check in (built, loaded):
        with pytest.raises(fastjsonschema.JsonSchemaException):
            check(bad)
    kept.write_bytes(b"broken")  # an unreadable file: compiled again, and kept again
    document._compiled_check.cache_clear()
    with pytest.raises(fastjsonschema.JsonSchemaException):
        document._compiled_check("offer")(bad)
    assert kept.read_bytes() != b"broken"
    document._compiled_check.cache_clear()


def test_a_matcher_plan_comes_from_the_cache_and_regexes_are_compiled_when_reached(cache, monkeypatch):
    entries = [("p0", "cyber\\w*"), ("p1", "SI"), ("p2", "reseaux?(?! d eau)")]
    planned = classify_matcher.plan(entries, {})
    fresh = classify_matcher.Matcher(entries, {})
    assert len(list(cache.glob(f"{classify_matcher.PLAN_KIND}-*"))) == 1
    monkeypatch.setattr(classify_matcher, "plan", lambda *a: pytest.fail("planned again"))
    again = classify_matcher.Matcher(entries, {})
    assert again.sources == fresh.sources == planned
    assert len(again.table) == 0  # nothing compiled before a text reaches a key
    found = [(m.span(), m.lastgroup) for m in again.finditer(" reseaux et cybersecurite du SI ")]
    assert found == [((1, 8), "p2"), ((12, 25), "p0"), ((29, 31), "p1")]
    assert {k for k, rx in again.table.items() if rx is not None} == {"re", "cy", "SI"}
    assert all(isinstance(rx, re.Pattern) for rx in again.table.values() if rx is not None)


def test_the_verdicts_table_is_clustered_on_its_reference(tmp_path):
    from sqlite_utils import Database

    from pipeline.opendata_verdicts import TABLE, Verdicts

    db = Database(tmp_path / "v.db")
    Verdicts.from_db(db, set()).save(db, [("REF-1", ("00000000000000ab", 0, 7))])
    sql = db.execute("select sql from sqlite_master where name = ?", [TABLE]).fetchone()[0]
    assert "without rowid" in sql.lower()
    assert Verdicts.from_db(db, set()).get("REF-1") == ("00000000000000ab", 0, 7)
    conn = sqlite3.connect(tmp_path / "old.db")  # a table of before: with a rowid, read and written the same
    conn.execute(f"create table {TABLE} (reference text primary key, digest text, digital integer, rank integer)")
    conn.commit()
    conn.close()
    old = Database(tmp_path / "old.db")
    Verdicts.from_db(old, set()).save(old, [("REF-2", ("00000000000000cd", 1, 9))])
    assert Verdicts.from_db(old, set()).get("REF-2") == ("00000000000000cd", 1, 9)

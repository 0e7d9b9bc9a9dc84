"""The built geography kept in the user's cache: the same indexes, rebuilt when its sources change."""
from __future__ import annotations

import os
import shutil

import pytest

from pipeline.normalize import geography_cache
from pipeline.normalize.geography import GEO_DIR, Geography


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("OFFRES_CACHE_DIR", str(folder))
    return folder


def kept(folder):
    return sorted(folder.glob("geography-*.marshal"))


def test_a_geography_loaded_from_the_cache_has_the_indexes_of_a_built_one(cache):
    built = Geography()
    assert len(kept(cache)) == 1
    loaded = Geography()
    assert loaded._state() == built._state()
    assert loaded.communes["75107"] == built.communes["75107"]
    assert loaded.communes.get("00000") is None and "75107" in loaded.communes
    assert loaded.departments["2A"] == built.departments["2A"]
    assert loaded.postcode_departments("75007") == built.postcode_departments("75007") == {"75"}


def test_a_changed_source_file_builds_and_keeps_new_indexes(cache, tmp_path):
    geo_dir = tmp_path / "geo"
    shutil.copytree(GEO_DIR, geo_dir)
    assert Geography(geo_dir).regions["11"] == "Île-de-France"
    regions = geo_dir / "regions.csv"
    regions.write_text(regions.read_text(encoding="utf-8").replace("Île-de-France", "Région capitale"),
                       encoding="utf-8")
    assert Geography(geo_dir).regions["11"] == "Région capitale"
    assert len(kept(cache)) == 2  # one per version of the files
    assert Geography(geo_dir).regions["11"] == "Région capitale"  # from the cache now


def test_an_unreadable_cache_file_is_built_again(cache):
    Geography()
    [path] = kept(cache)
    path.write_bytes(b"\x00not marshal")
    assert Geography().regions["11"] == "Île-de-France"
    assert geography_cache.load(path.name[len("geography-"):-len(".marshal")]) is not None  # written again


def test_a_file_of_another_key_is_not_taken(cache):
    Geography()
    [path] = kept(cache)
    other = cache / "geography-0123.marshal"
    other.write_bytes(path.read_bytes())  # holds its own key, not 0123
    assert geography_cache.load("0123") is None


def test_an_empty_cache_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("OFFRES_CACHE_DIR", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Geography().regions["11"] == "Île-de-France"
    assert not list(tmp_path.rglob("*.marshal"))


def test_an_unwritable_cache_folder_only_costs_the_build(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("OFFRES_CACHE_DIR", str(blocker / "cache"))
    assert Geography().regions["11"] == "Île-de-France"


def test_only_the_newest_files_are_kept(cache):
    cache.mkdir()
    for age in range(1, geography_cache.KEEP + 1):  # KEEP older files, one hour apart
        path = cache / f"geography-old{age}.marshal"
        path.write_bytes(b"")
        os.utime(path, (1_000_000 - age * 3600,) * 2)
    geography_cache.save("new", {"n": 1})
    names = {p.name for p in kept(cache)}
    assert names == {"geography-new.marshal"} | {f"geography-old{age}.marshal" for age in range(1, geography_cache.KEEP)}

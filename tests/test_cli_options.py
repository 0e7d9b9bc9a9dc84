"""What every command shares: --db before or after the command, read-only opening (nothing
created, a read-only copy readable), -q, --json, --log-file, NO_COLOR, a closed pipe, progress."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from pipeline.ingest import ingest_lines
from pipeline.store import open_db
from tests.conftest import make_record

PROJECT = Path(__file__).resolve().parent.parent
READ_COMMANDS = [["stats"], ["changes"], ["explain", "2026-1"], ["export", "-o", "-"], ["export", "--format", "csv", "-o", "-"],
                 ["taxonomy", "unmapped"]]


def filled_db(path: Path, count: int = 3, title: str = "Développeur {} (H/F)") -> Path:
    db = open_db(path)
    lines = [json.dumps(make_record(f"2026-{i}", title=title.format(i))) for i in range(1, count + 1)]
    ingest_lines(db, lines, name="feed.jsonl")
    db.conn.close()
    return path


def invoke(*args: str, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_db_before_or_after_the_command(tmp_path):
    db = filled_db(tmp_path / "o.db")
    before = invoke("--db", str(db), "stats", "--json")
    after = invoke("stats", "--db", str(db), "--json")
    assert before.exit_code == after.exit_code == 0 and json.loads(before.output) == json.loads(after.output)
    assert json.loads(after.output)["offers"] == 3
    # after the command wins over before it and over OFFRES_DB
    result = invoke("--db", str(tmp_path / "nope.db"), "stats", "--db", str(db), env={"OFFRES_DB": "/nonexistent"})
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_read_commands_never_create_a_database(tmp_path, command):
    missing = tmp_path / "no" / "such" / "folder" / "o.db"
    result = invoke(*command, "--db", str(missing))
    assert result.exit_code == 1 and result.stderr.strip() == f"Error: database not found: {missing}"
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_read_commands_leave_the_file_unchanged(tmp_path, command):
    db = filled_db(tmp_path / "o.db")
    fingerprint, names = digest(db), sorted(p.name for p in tmp_path.iterdir())
    result = invoke(*command, "--db", str(db))
    assert result.exit_code == 0, result.output
    assert digest(db) == fingerprint
    # a WAL reader may open the (empty) -wal and -shm beside the file: SQLite's own, nothing written
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-shm", "-wal"))) == names
    assert all(p.stat().st_size == 0 for p in tmp_path.glob("*-wal"))


def test_open_db_readonly_refuses_writes(tmp_path):
    import sqlite3

    from pipeline.store import open_db_readonly

    db = open_db_readonly(filled_db(tmp_path / "o.db"))
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("delete from offers")


def read_only_runner(folder: Path):
    """Runs `offres` with `folder` read-only: a read-only bind mount (root ignores file modes), else modes."""
    if os.geteuid() != 0:
        os.chmod(folder, 0o555)
        return lambda *args: subprocess.run([sys.executable, "-m", "cli", *args], cwd=PROJECT, capture_output=True,
                                            text=True, timeout=120)
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {folder} {folder} && "
                            f"mount -o remount,bind,ro {folder} && ! touch {folder}/probe"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root without mount namespaces: no way to make a folder read-only")
    mount = f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && exec "$0" "$@"'
    return lambda *args: subprocess.run(["unshare", "-m", "sh", "-c", mount, sys.executable, "-m", "cli", *args],
                                        cwd=PROJECT, capture_output=True, text=True, timeout=120)


def test_a_read_only_copy_can_be_inspected_and_exported(tmp_path):
    """A read-only database on a read-only folder (a read-only mount): stats, changes and export work."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = filled_db(folder / "o.db")
    os.chmod(db, 0o444)
    offres = read_only_runner(folder)
    try:
        stats = offres("stats", "--db", str(db))
        assert stats.stdout.startswith("3 offers, 3 open digital"), stats.stderr
        exported = offres("export", "-o", "-", "--db", str(db))
        assert exported.returncode == 0, exported.stderr
        assert json.loads(exported.stdout)["count"] == 3
        changes = offres("changes", "--json", "--db", str(db))
        assert json.loads(changes.stdout)["counts"]["new"] == 3
        assert sorted(p.name for p in folder.iterdir()) == ["o.db"]
    finally:
        os.chmod(folder, 0o755)


def test_quiet_prints_nothing_on_success_but_errors(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(make_record("2026-1")) + "\n")
    db = str(tmp_path / "o.db")
    for args in (["ingest", str(feed), "-q"], ["-q", "export", "-o", str(tmp_path / "x.json")],
                 ["reprocess", "-q"], ["stats", "-q"], ["changes", "-q"]):
        result = invoke("--db", db, *args)
        assert result.exit_code == 0 and result.stdout == "" and result.stderr == "", (args, result.output)
    feed.write_text("not json\n" + json.dumps(make_record("2026-2")) + "\n")
    result = invoke("--db", db, "ingest", str(feed), "-q")
    assert result.exit_code == 4 and result.stdout == "" and "feed.jsonl:1" in result.stderr
    result = invoke("--db", db, "explain", "NOPE", "-q")
    assert result.exit_code == 1 and "no offer or posting" in result.stderr


def test_json_summaries(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(make_record("2026-1")) + "\n{}\n")
    db = str(tmp_path / "o.db")
    ingested = invoke("ingest", str(feed), "--json", "--db", db)
    assert ingested.exit_code == 4
    summary = json.loads(ingested.stdout)
    assert summary["ingested"] == 1 and len(summary["rejected"]) == 1 and summary["offers"]["new"] == 1
    written = invoke("export", "-o", str(tmp_path / "x.json"), "--json", "--db", db)
    assert json.loads(written.stdout) == {"output": str(tmp_path / "x.json"), "format": "json", "include_all": False,
                                          "written": True, "count": 1, "notes": [], "set_aside": [],
                                          "files": [{"output": str(tmp_path / "x.json"), "count": 1}]}
    to_stdout = invoke("export", "-o", "-", "--json", "--db", db)
    assert json.loads(to_stdout.stdout)["count"] == 1 and json.loads(to_stdout.stderr)["written"] is True
    runs = json.loads(invoke("stats", "--json", "--db", db).stdout)["runs"]
    assert runs[0]["healthy"] is True and runs[0]["complete"] is True and runs[0]["health_notes"] == []
    changes = json.loads(invoke("changes", "--json", "--db", db).stdout)
    assert changes["counts"]["new"] == 1 and changes["events"][0]["reference"] == "2026-1"
    assert changes["errors"][0]["location"] == "feed.jsonl:2"


def test_log_file_gets_the_summary(tmp_path):
    filled_db(tmp_path / "o.db")
    log = tmp_path / "export.log"
    result = invoke("export", "-o", str(tmp_path / "x.json"), "-q", "--log-file", str(log), "--db",
                    str(tmp_path / "o.db"))
    assert result.exit_code == 0 and result.output == ""
    assert log.read_text().rstrip().endswith(f"offres: Wrote 3 offers (json) to {tmp_path / 'x.json'}")
    again = invoke("export", "-o", str(tmp_path / "x.json"), "--log-file", str(log), "--db",
                     str(tmp_path / "o.db"), "--allow-empty")
    assert again.exit_code == 0
    assert log.read_text().count("offres: Wrote 3 offers (json)") == 2
    nowhere = invoke("export", "--log-file", str(tmp_path / "no" / "x.log"), "--db", str(tmp_path / "o.db"))
    assert nowhere.exit_code == 2 and "cannot write" in nowhere.stderr


def test_no_color(tmp_path):
    missing = str(tmp_path / "missing.db")
    coloured = CliRunner().invoke(main, ["stats", "--db", missing], color=True)
    assert "\x1b[31m" in coloured.stderr
    plain = CliRunner().invoke(main, ["stats", "--db", missing], color=True, env={"NO_COLOR": "1"})
    assert plain.exit_code == 1 and "\x1b" not in plain.stderr and "database not found" in plain.stderr
    piped = subprocess.run([sys.executable, "-m", "cli", "stats", "--db", missing], cwd=PROJECT,
                           capture_output=True, text=True, timeout=60)
    assert piped.returncode == 1 and "\x1b" not in piped.stderr  # not a terminal: no colour


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`offres changes --all | head -1`: no traceback, no 'Error: BrokenPipeError', exit 141 (as cat)."""
    long_title = "Développeur {} " + "des systèmes d'information de l'administration centrale " * 3
    db = filled_db(tmp_path / "o.db", count=600, title=long_title)  # more output than a pipe buffer holds
    # one big write (the --json line) cut short by the reader ends with 0, as `python -c` does
    for command, head, shown, status in ((["changes", "--all"], "-n 1", 1, {141}),
                                         (["changes", "--json"], "-c 100", 0, {0, 141})):
        shell = subprocess.run(
            ["bash", "-c", f'"{sys.executable}" -m cli {" ".join(command)} --db "{db}" | head {head}; '
                           'echo "status=${PIPESTATUS[0]}" >&2'],
            cwd=PROJECT, capture_output=True, text=True, timeout=120)
        assert shell.stdout.count("\n") == shown
        assert shell.stderr.strip() in {f"status={code}" for code in status}, shell.stderr


def test_progress_only_on_a_terminal_and_never_with_quiet(tmp_path):
    import pty

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(make_record(f"2026-{i}")) + "\n" for i in range(50)))

    def stderr_on_a_terminal(*args):
        master, slave = pty.openpty()
        child = subprocess.Popen([sys.executable, "-m", "cli", "--db", str(tmp_path / "o.db"), *args], cwd=PROJECT,
                                 stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        child.wait(timeout=120)
        os.close(master)
        return child.returncode, b"".join(chunks).decode()

    code, shown = stderr_on_a_terminal("ingest", str(feed))
    assert code == 0 and f"ingest (bytes) {feed.stat().st_size}/{feed.stat().st_size} 100%" in shown
    code, shown = stderr_on_a_terminal("ingest", str(feed), "-q")
    assert code == 0 and shown == ""
    piped = invoke("--db", str(tmp_path / "o.db"), "ingest", str(feed))
    assert "ingest (bytes)" not in piped.stderr


def test_crawl_settings_from_the_options(tmp_path, monkeypatch):
    """What `crawl` asks of Scrapy: its log in the log file, silent without -v, no colour under NO_COLOR."""
    import spiders.runner

    seen = []

    def fake_run(source, db_path, base_url=None, max_pages=None, overrides=None, verbose=False):
        seen.append(overrides)
        return {"id": 1, "pages": 1, "offers_seen": 1, "offers_new": 1, "offers_updated": 0, "offers_closed": 0,
                "offers_reopened": 0, "errors": 0, "finish_reason": "finished", "complete": 1, "healthy": 1}

    monkeypatch.setattr(spiders.runner, "run_crawl", fake_run)
    db = str(tmp_path / "o.db")
    assert invoke("crawl", "--db", db, "-q").exit_code == 0
    assert seen[-1]["LOG_LEVEL"] == "CRITICAL" and seen[-1]["OFFRES_PROGRESS"] is False
    assert "LOG_COLOR" not in seen[-1]
    log = str(tmp_path / "c.log")
    assert invoke("crawl", "--db", db, "--log-file", log, env={"NO_COLOR": "1"}).exit_code == 0
    assert seen[-1]["LOG_FILE"] == log and seen[-1]["LOG_LEVEL"] == "INFO" and seen[-1]["LOG_COLOR"] is False
    assert seen[-1]["OFFRES_PROGRESS"] is True  # shown only if stderr is a terminal (pipeline.progress)
    assert invoke("crawl", "--db", db, "-s", "LOG_LEVEL=DEBUG").exit_code == 0 and seen[-1]["LOG_LEVEL"] == "DEBUG"

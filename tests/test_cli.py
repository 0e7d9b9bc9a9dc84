"""The `offres` command: every command has help; library errors become clear messages and exit codes."""
import json
import re

import click
import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import make_record


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in all_commands(main)], ids=" ".join)
def test_every_command_has_help(path):
    command = dict(all_commands(main))[path]
    assert command.help and len(command.help) > 20, f"{' '.join(path)} has no real help"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    example = next((line.strip() for line in result.output.splitlines() if line.strip().startswith("Example:")), "")
    assert example.startswith("Example: ") and "offres " in example, f"{' '.join(path)}: no example in its help"


def run(tmp_path, *args, input=None):
    return CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), *args], input=input)


def test_normalize_reads_values_and_stdin(tmp_path):
    result = run(tmp_path, "normalize", "category", "Catégorie A+ (Encadrement supérieur)", "cat. B")
    assert [json.loads(line)["category"] for line in result.output.splitlines()] == ["A+", "B"]
    result = run(tmp_path, "normalize", "date", "-", "--now", "2026-10-05T08:00:00+00:00",
                 input="il y a 3 jours\n02/10/2026\n")
    assert [json.loads(line)["date"] for line in result.output.splitlines()] == ["2026-10-02", "2026-10-02"]


def test_classify_flags_and_stdin(tmp_path):
    result = run(tmp_path, "classify", "--title", "Ingénieur réseau H/F", "--domain", "Défense")
    assert json.loads(result.output)["digital"] is True
    lines = json.dumps({"title": "Data scientist"}) + "\n" + json.dumps({"title": "Comptable"}) + "\n"
    answers = [json.loads(line) for line in run(tmp_path, "classify", "-", input=lines).output.splitlines()]
    assert [a["digital"] for a in answers] == [True, False]


def test_ingest_then_export_stats_explain(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(make_record("2026-1")) + "\nnot json\n" + json.dumps(make_record("2026-2")) + "\n")
    result = run(tmp_path, "ingest", str(feed))
    assert result.exit_code == 4 and "feed.jsonl:2" in result.output
    out = tmp_path / "export.json"
    result = run(tmp_path, "export", "--output", str(out))
    assert result.exit_code == 0 and json.loads(out.read_text())["count"] == 2
    result = run(tmp_path, "stats")
    assert result.exit_code == 0 and "2 offers, 2 open digital" in result.output
    result = run(tmp_path, "explain", "2026-1")
    assert result.exit_code == 0 and "csp:2026-1" in result.output
    assert run(tmp_path, "explain", "NOPE-404").exit_code == 1
    assert run(tmp_path, "changes").exit_code == 0


def test_export_of_an_empty_database_is_refused(tmp_path):
    from pipeline.store import open_db

    open_db(tmp_path / "o.db").conn.close()
    result = run(tmp_path, "export", "--output", str(tmp_path / "x.json"))
    assert result.exit_code == 3 and "no offer" in result.output


def test_unknown_source_is_a_usage_error_listing_the_sources(tmp_path):
    result = run(tmp_path, "crawl", "nowhere")
    from spiders.runner import FETCHERS, SPIDERS

    sources = sorted({**SPIDERS, **FETCHERS})
    assert {"csp", "dinum-page"} <= set(sources)
    assert result.exit_code == 2 and "'nowhere' is not one of " + ", ".join(f"'{s}'" for s in sources) in result.output
    assert not (tmp_path / "o.db").exists()
    help_text = run(tmp_path, "crawl", "--help").output
    unwrapped = re.sub(r"\s+", "", help_text)  # click wraps the usage line at the terminal's width
    assert f"Sources: {', '.join(sources)}." in help_text and f"[{'|'.join(sources)}]" in unwrapped


def test_db_from_environment(tmp_path, monkeypatch):
    from pipeline.store import open_db

    open_db(tmp_path / "env.db").conn.close()
    monkeypatch.setenv("OFFRES_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(main, ["stats", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["offers"] == 0
    monkeypatch.setenv("OFFRES_DB", str(tmp_path / "missing.db"))
    result = CliRunner().invoke(main, ["stats"])
    assert result.exit_code == 1 and f"database not found: {tmp_path / 'missing.db'}" in result.stderr


def test_a_broken_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite")
    result = CliRunner().invoke(main, ["--db", str(bad), "stats"])
    assert result.exit_code == 1 and "file is not a database" in result.output


def test_export_to_standard_output_and_file_modes(tmp_path, monkeypatch):
    import os
    import stat

    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(make_record("2026-1")) + "\n")
    assert run(tmp_path, "ingest", str(feed)).exit_code == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_text('{"count": 500}')  # a stray file named - is neither read nor replaced
    result = run(tmp_path, "export", "-o", "-")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["count"] == 1 and document["offers"][0]["reference"] == "2026-1"
    assert (tmp_path / "-").read_text() == '{"count": 500}'
    old = os.umask(0o022)
    try:
        assert run(tmp_path, "export", "-o", str(tmp_path / "web.json")).exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "web.json").stat().st_mode) == 0o644
    os.chmod(tmp_path / "web.json", 0o640)
    assert run(tmp_path, "export", "-o", str(tmp_path / "web.json")).exit_code == 0
    assert stat.S_IMODE((tmp_path / "web.json").stat().st_mode) == 0o640


def test_reprocess_dry_run_writes_nothing(tmp_path):
    from datetime import date, timedelta

    deadline = date.today() + timedelta(days=60)  # open at ingest time, passed at --now
    later = f"{deadline + timedelta(days=10)}T00:00:00+00:00"
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(make_record("2026-1", deadline=deadline.strftime("%d/%m/%Y"))) + "\n"
                    + json.dumps(make_record("2026-2")) + "\n")
    assert run(tmp_path, "ingest", str(feed)).exit_code == 0
    from pipeline.store import open_db

    def snapshot():
        db = open_db(tmp_path / "o.db")
        tables = {name: [dict(r) for r in db.query(f"select * from {name} order by rowid")]
                  for name in ("offers", "events", "merges", "errors", "runs")}
        db.conn.close()
        return tables

    before = snapshot()
    result = run(tmp_path, "reprocess", "--dry-run", "--now", later)
    assert result.exit_code == 0, result.output
    assert "nothing written" in result.output and "closed   2026-1" in result.output
    assert f"deadline {deadline} passed" in result.output and "1 closed" in result.output
    assert snapshot() == before
    result = run(tmp_path, "reprocess", "--now", later)
    assert result.exit_code == 0 and snapshot() != before


def test_classify_stdin_reports_bad_lines_on_stderr(tmp_path):
    lines = (json.dumps({"title": "Data scientist"}) + "\nnot json\n[1, 2]\n"
             + json.dumps({"title": 3}) + "\n" + json.dumps({"title": "Comptable"}) + "\n")
    result = run(tmp_path, "classify", "-", input=lines)
    assert result.exit_code == 4
    assert [json.loads(line)["digital"] for line in result.stdout.splitlines()] == [True, False]
    errors = result.stderr.splitlines()
    assert errors[0].startswith("stdin:2: not valid JSON") and errors[1] == "stdin:3: not a JSON object"
    assert errors[2] == "stdin:4: field title: not a string" and len(errors) == 3
    assert "Traceback" not in result.output and "Error" not in result.stderr


def test_normalize_relative_date_without_now_uses_the_current_time(tmp_path):
    from datetime import date, timedelta

    result = run(tmp_path, "normalize", "date", "il y a 3 jours")
    assert result.exit_code == 0
    value = json.loads(result.stdout)["date"]
    assert value is not None
    assert abs(date.fromisoformat(value) - (date.today() - timedelta(days=3))) <= timedelta(days=1)

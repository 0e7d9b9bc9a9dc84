"""What every command shares: exit codes, the common options, output, opening the database.

A command module uses `@common_options` (``--db``, ``-q``), `out(ctx)` to print and
`read_db(ctx)` / `write_db(ctx)` to open the database (see commands/__init__.py).
"""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, NoReturn

import click

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_UNHEALTHY, EXIT_PARTIAL = 0, 1, 2, 3, 4
EXIT_UNREACHABLE = 5
EXIT_LOCKED = 6
EXIT_FINDINGS = 7  # audit: the page has something to fix
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head`
EXIT_CODES_HELP = ("Exit codes: 0 success, 1 failure, 2 usage error, 3 unhealthy crawl or export refused "
                   "(the data looks broken), 4 done but some input records were rejected or offers set aside, 5 the source "
                   "could not be reached, 6 another crawl is running on this database, 7 audit: the page has "
                   "something to fix.")


def color_flag() -> bool | None:
    """False under NO_COLOR (https://no-color.org); else click's own choice (colour only on a tty)."""
    return False if os.environ.get("NO_COLOR") else None


class Output:
    """Where a command writes: the result on stdout, notes on stderr, both mirrored in the log file.

    `quiet` prints nothing but errors; `as_json` replaces the human summary by one JSON document.
    """

    def __init__(self, quiet: bool = False, as_json: bool = False, log_file: str | None = None) -> None:
        self.quiet, self.as_json, self.log_file = quiet, as_json, log_file

    def log(self, message: str) -> None:
        if self.log_file:
            with open(self.log_file, "a", encoding="utf-8") as handle:
                handle.write(f"{datetime.now(timezone.utc).replace(microsecond=0).isoformat()} offres: {message}\n")

    def echo(self, message: str = "", err: bool = False, **style: Any) -> None:
        """A line of the human summary (stdout) or a note (stderr); nothing with -q."""
        if message:
            self.log(message)
        if not self.quiet:
            click.echo(click.style(message, **style) if style else message, err=err, color=color_flag())

    def warn(self, message: str) -> None:
        self.echo(f"Warning: {message}", err=True, fg="yellow")

    def problem(self, message: str) -> None:
        """A problem the run goes on after (a rejected record): on stderr even with -q."""
        self.log(message)
        click.echo(click.style(message, fg="yellow"), err=True, color=color_flag())

    def json(self, value: Any, err: bool = False) -> None:
        """The JSON document asked for with --json (printed even with -q)."""
        text = json.dumps(value, ensure_ascii=False, default=str)
        self.log(text)
        click.echo(text, err=err)

    def fail(self, message: str, code: int = EXIT_FAILURE) -> NoReturn:
        self.log(f"Error: {message}")
        fail(message, code)


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """One line on stderr and the exit code (never a traceback)."""
    click.echo(click.style(f"Error: {message}", fg="red"), err=True, color=color_flag())
    sys.exit(code)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, default=str))


def parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _remember(key: str) -> Callable:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value not in (None, False):
            ctx.ensure_object(dict)[key] = value
    return callback


def common_options(command: Callable) -> Callable:
    """`--db PATH` and `-q/--quiet`, accepted after the subcommand as well as before it."""
    command = click.option("--db", "db_path", type=click.Path(dir_okay=False), expose_value=False,
                           callback=_remember("db_path"),
                           help="SQLite database (also before the command; env OFFRES_DB).")(command)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember("quiet"),
                        help="Print nothing on success (errors still go to stderr).")(command)


def json_option(command: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(command)


def _writable_log(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            open(value, "a", encoding="utf-8").close()
        except OSError as exc:
            raise click.BadParameter(f"cannot write {value}: {exc.strerror}") from None
    return value


def log_file_option(command: Callable) -> Callable:
    return click.option("--log-file", type=click.Path(dir_okay=False), callback=_writable_log,
                        help="Append the log and the summary here.")(command)


def db_path(ctx: click.Context) -> str:
    return str(ctx.obj["db_path"])


def out(ctx: click.Context, as_json: bool = False, log_file: str | None = None) -> Output:
    return Output(quiet=bool((ctx.obj or {}).get("quiet")), as_json=as_json, log_file=log_file)


def read_db(ctx: click.Context):
    """The database opened read-only; "database not found: PATH" (exit 1) when it does not exist."""
    from pipeline.store import DatabaseNotFound, open_db_readonly

    try:
        return open_db_readonly(db_path(ctx))
    except DatabaseNotFound as exc:
        fail(str(exc))


def write_db(ctx: click.Context):
    """The database opened for writing (created with its folder when missing)."""
    from pipeline.store import open_db

    return open_db(db_path(ctx))


class OffresGroup(click.Group):
    """Turns the errors a user can meet (files, database, closed pipe) into one line and an exit code."""

    def invoke(self, ctx: click.Context):
        import sqlite3

        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            quiet_broken_pipe()
        except (OSError, sqlite3.DatabaseError) as exc:
            fail(f"{type(exc).__name__}: {exc}")


def quiet_broken_pipe() -> NoReturn:
    """The reader went away (`offres changes | head`): stop quietly, as `cat` would."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush finds no closed pipe
    except (OSError, ValueError):
        pass
    sys.exit(EXIT_BROKEN_PIPE)


def export_path_default() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "export" / "offres.json"

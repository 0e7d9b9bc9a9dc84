"""The `offres` commands, one module per concern; `cli.py` registers them.

| module | commands |
| --- | --- |
| `base` | shared: exit codes, `common_options` (`--db`, `-q`), `Output`, `read_db` / `write_db` |
| `crawl` | `crawl`, `accept` |
| `data` | `export` (every format), `ingest`, `reprocess` |
| `audit` | `audit` (a hand-kept page against the board; read-only) |
| `read` | `stats`, `changes`, `explain`, `taxonomy unmapped` (read-only: never create a database) |
| `tools` | `normalize`, `classify`, `demo` (no database) |
| `../cluster_cli.py` | `cluster ...` (Scrapyd nodes; a module of its own, registered the same way) |

Adding a command: write it in a module here (a new one for a new concern) as
`@click.command()` + `@common_options` + `@click.pass_context`, with a docstring that
ends with an `Example:` line; open the database with `read_db(ctx)` when the command only
reads, `write_db(ctx)` otherwise; print through `out(ctx, as_json)` (honours `-q`,
`--json`, `--log-file`, NO_COLOR); end with a meaningful code (`commands.base.EXIT_*`).
Then add it to the tuple registered in `cli.py`, and a test in tests/test_cli*.py
(tests/test_cli.py checks that every command has help with an example).
"""

# Every target builds its own virtual environment (.venv) from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Bytecode of the project's own modules: an editable install writes none, and where
# PYTHONDONTWRITEBYTECODE is set Python never does, so each short command (a cron run, a
# benchmark's child process) would compile every module it imports again (about 0.2 s).
BYTECODE := $(BIN)/python -m compileall -q cli.py cluster_cli.py commands parsers pipeline replica spiders bench

.PHONY: install test demo crawl export bench clean preview browse

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BYTECODE)
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/offres demo

# The preview site and Datasette, on the demo database (built by `make demo` if missing); DB=... for another.
DB ?= demo-output/demo.db
preview: $(STAMP)
	test -f $(DB) || $(BIN)/offres demo
	$(BIN)/offres --db $(DB) preview -o demo-output/preview
	@echo "Open demo-output/preview/index.html, or: $(BIN)/python -m http.server -d demo-output/preview"

browse: $(STAMP)
	test -f $(DB) || $(BIN)/offres demo
	$(BIN)/offres --db $(DB) browse

# Crawls the real sites (politely): only from a machine allowed to reach them.
crawl: $(STAMP)
	$(BIN)/offres crawl csp
	$(BIN)/offres export --format json --output data/export/offres.json

bench: $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# Every target builds its own virtual environment (.venv) from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo crawl export bench clean preview browse

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
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
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

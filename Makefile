# `make run`: set up .venv and run the whole workflow on the bundled example data.
# `make test`: set up .venv and run the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2

.PHONY: run test setup browser lint report clean-results

# An interrupted run (Ctrl-C, a kill, a crash) needs nothing extra: the stale lock goes (only when no
# Snakemake runs here) and the jobs it left half-done run again.
RUN := $(BIN)/python tools/unlock_if_stale.py && $(BIN)/snakemake --cores $(CORES) --rerun-incomplete

run: setup
	$(RUN)

test: setup browser
	$(BIN)/pytest

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# deduce builds its lookup tables on first use (about a minute): once here, not in parallel jobs
	$(BIN)/python -c "import deduce; deduce.Deduce()"
	touch $(STAMP)

# The report tests open the HTML in headless Chromium and convert the Word file with LibreOffice
# (Debian's packages); install them where we can.
VIEWERS := chromium soffice pdftotext
VIEWER_PACKAGES := chromium libreoffice-writer-nogui poppler-utils

browser:
	@missing=""; for c in $(VIEWERS); do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(VIEWER_PACKAGES) >/dev/null; \
	  else echo "missing:$$missing: install $(VIEWER_PACKAGES), or set BORGING_ALLOW_NO_BROWSER=1 to skip those tests"; fi; fi

lint: setup
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

report: run
	$(RUN) --report results/report.zip

clean-results:
	rm -rf results logs benchmarks

# Every target sets up .venv itself, so `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXTRAS := rl,lab,serve,scale,dev

.PHONY: demo demo-sim test test-slow test-all lint bench venv clean

venv: $(STAMP)

# Browser tests drive Debian's chromium through Playwright (its own browser download is not
# reachable from here): installed once when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m experiments.demo

demo-sim: $(STAMP)
	$(PY) -m scripts.demo

test: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -n auto

test-slow: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -m slow

test-all: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) scripts/bench_all.py   # every benchmark in one run -> reports/bench.md (+ bench/*.json)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

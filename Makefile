# The two commands of the README: `make demo` and `make test`. Both set up what they need:
# `make demo` only the product (`pip install -e .`), `make test` and `make lint` the dev tools
# on top (pytest, ruff, mypy, Playwright, PySpark and the Segment libraries for the tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PRODUCT := $(VENV)/.installed-product
DEV := $(VENV)/.installed-dev

.PHONY: demo test test-fast lint install install-product browser java clean

$(PRODUCT): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(PRODUCT)

$(DEV): $(PRODUCT)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV)

install-product: $(PRODUCT)

install: $(DEV)

# Debian's Chromium for the browser tests, installed only where missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# A JDK for the PySpark portability tests, installed only where missing.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Debian's openjdk-17 for the Spark tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

demo: $(PRODUCT)
	$(BIN)/outsidein demo

test: $(DEV) browser java
	$(BIN)/pytest

test-fast: $(DEV)
	$(BIN)/pytest -m "not slow"

lint: $(DEV)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) outsidein-data

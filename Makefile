# DeerTrack: `make run` starts the dashboard, `make test` runs the whole suite.
# Both create the virtualenv and install everything on first use; later runs reuse it.

PYTHON ?= python3.11
VENV ?= .venv
REQ_HASH := $(shell sha256sum requirements.txt | cut -c1-16)
STAMP := $(VENV)/.deps-$(REQ_HASH)
BIN := $(VENV)/bin
export HF_HUB_OFFLINE ?= 1
PORT ?= 8501
# Loopback unless configured: beyond it, the servers need user accounts (deertrack user add).
DASHBOARD_ADDRESS ?= $(or $(DEERTRACK_DASHBOARD_ADDRESS),127.0.0.1)

.PHONY: install system-deps run test lint bench

# Browser tests drive Debian's Chromium; report tests read PDFs with poppler's pdftoppm/pdftotext;
# Tesseract is the second data-bar OCR engine (RapidOCR, a pip requirement, is the first).
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || ! command -v tesseract >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium, chromium-driver, poppler-utils and tesseract-ocr"; \
	    apt-get update -qq && apt-get install -y -qq chromium chromium-driver poppler-utils tesseract-ocr >/dev/null; \
	  else \
	    echo "note: install chromium, poppler-utils and tesseract-ocr (apt-get install chromium chromium-driver poppler-utils tesseract-ocr) for the browser, PDF and OCR tests"; \
	  fi; \
	fi

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q -r requirements.txt
	@rm -f $(VENV)/.deps-*
	@touch $(STAMP)

# The project itself is installed editable; re-done when the venv points at another checkout.
install: $(STAMP)
# (-I: isolated, so the check cannot find the package through the current directory.)
	@test -x $(BIN)/deertrack && $(BIN)/python -I -c "import deertrack_core, pathlib, sys; sys.exit(pathlib.Path(deertrack_core.__file__).resolve().parents[1] != pathlib.Path('$(CURDIR)').resolve())" 2>/dev/null \
	  || $(BIN)/pip install -q --no-deps --no-build-isolation -e .

run: install
	$(BIN)/deertrack migrate
	$(BIN)/deertrack demo --if-empty
	$(BIN)/deertrack listen-check dashboard $(DASHBOARD_ADDRESS)
	@echo "Starting the worker, the API on http://localhost:$${DEERTRACK_API_PORT:-8001} and the dashboard on http://$(DASHBOARD_ADDRESS):$(PORT)"
# Ctrl-C reaches all three (one process group) and each stops cleanly; the trap then stops
# whatever is left and waits for it. It clears itself first: a trap whose `kill 0` signals its
# own shell re-entered itself until bash crashed ("Segmentation fault" on every Ctrl-C).
	@trap 'trap - INT TERM EXIT; kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	  $(BIN)/deertrack worker & \
	  $(BIN)/deertrack api & \
	  $(BIN)/python -m ui.launch --server.port $(PORT) --server.address $(DASHBOARD_ADDRESS) --server.headless true

test: install system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/ingest.py

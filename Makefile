# Two entry points: `make run` (set up, index the bundled corpus, open the chat) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test ingest bench train clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check $$( [ -d /opt/wheels ] && echo --find-links /opt/wheels ) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rag ingest
	$(BIN)/rag chat

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

train: $(STAMP)
	cd train && ../$(BIN)/python reader.py pairs && ../$(BIN)/python judge.py pairs
	cd train && ../$(BIN)/python cross_encoder.py && ../$(BIN)/python export_onnx.py && ../$(BIN)/python reader.py fit && ../$(BIN)/python judge.py fit

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py
	$(BIN)/python bench/startup.py

clean:
	rm -rf .rag $(VENV)

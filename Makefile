VENV ?= .venv
PYTHON := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install serve index test evaluate clean

install: $(STAMP)

# torch first, pinned to the CPU wheel; the project's own dependencies then find it satisfied.
$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet torch==2.13.0
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $@

# The checkout keeps its index in index/default (an installed package defaults to the user data directory);
# INDEX=DIR or RETRIEVER_INDEX_DIR choose another directory, RETRIEVER_MILVUS_URI a Milvus collection instead.
INDEX ?= $(or $(RETRIEVER_INDEX_DIR),index/default)
serve index: export RETRIEVER_INDEX_DIR := $(INDEX)

serve: install
	$(VENV)/bin/retriever serve --host $(HOST) --port $(PORT)

index: install
	$(VENV)/bin/retriever build

test: install
	$(PYTHON) -m pytest -q

evaluate: install
	$(VENV)/bin/retriever evaluate --questions data/eval/seed_questions.jsonl --answers

clean:
	rm -rf $(INDEX) .pytest_cache

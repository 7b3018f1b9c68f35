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

serve: install
	HOST=$(HOST) PORT=$(PORT) $(PYTHON) scripts/serve.py

index: install
	$(PYTHON) scripts/build_index.py --corpus data/corpus

test: install
	$(PYTHON) -m pytest -q

evaluate: install
	$(PYTHON) scripts/evaluate.py --questions data/eval/seed_questions.jsonl --answers

clean:
	rm -rf index/default .pytest_cache

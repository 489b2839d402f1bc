# Two commands for a fresh machine: `make run` and `make test`. Each does its own set-up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
# uv from PATH when present, else a private copy in .tools/.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python
NLU_PY := .venv-nlu/bin/python

.PHONY: help setup run chat test lint nlu-model nlu-eval eval bench clean

help:
	@echo "make run    - start the assistant (console chat without TELEGRAM_BOT_TOKEN)"
	@echo "make test   - run the whole test suite"
	@echo "make setup  - both Python environments and the trained NLU model"
	@echo "make lint   - ruff"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# The bot's environment (Python >= 3.11), from the committed uv.lock.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(command -v python3.11 || command -v python3)"
	touch $@

# The NLU service's environment (Python 3.10, Rasa), from nlu/requirements.lock.
.venv-nlu/.synced: nlu/requirements.lock | $(UV)
	[ -x $(NLU_PY) ] || UV="$(UV)" $(UV) venv --quiet --python "$$(UV=$(UV) scripts/find-python310)" .venv-nlu
	$(UV) pip sync --quiet --python $(NLU_PY) nlu/requirements.lock
	touch $@

# Trains only when the fingerprint of the NLU inputs has no model yet.
nlu-model: .venv/.synced .venv-nlu/.synced
	$(PY) -m nlu.model

setup: .venv/.synced .venv-nlu/.synced nlu-model

run: setup
	$(PY) -m bot

chat: setup
	$(PY) -m bot chat

# The tests also need PostgreSQL's server binaries (they start their own cluster) and,
# for the reverse-proxy test, Caddy (skipped without it).
test: setup
	scripts/ensure-postgres
	scripts/ensure-proxy
	$(PY) -m pytest -q

lint: .venv/.synced
	$(PY) -m ruff check .

clean:
	rm -rf .venv .venv-nlu .tools nlu/models var

# Per-intent precision/recall/F1 on the held-out set nlu/tests/.
nlu-eval: setup
	$(PY) -m nlu.evaluate

# Real people's questions (evaluation split) and the written set through the whole dialogue,
# as `ask --json` answers them: direct, within one tap, declined, dead ends.
eval: setup
	$(PY) -m bot evaluate

bench: setup
	$(PY) -m benchmarks.run

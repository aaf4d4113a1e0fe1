# The two commands of the README, plus the pieces they are made of.
PY := .venv/bin/python
OUT ?= outputs/demo

.PHONY: install install-dev demo test lint benchmark

install:
	bash tools/install.sh

install-dev:
	bash tools/install.sh --dev

# Main job: segment the sample images bundled with scikit-image (no download) into $(OUT).
demo: install
	$(PY) tools/demo.py --output_folder $(OUT)

# -rs lists every skipped test with its reason, so a skip cannot hide behind a green summary.
test: install-dev
	$(PY) -m pytest -q -rs tests

# Lint, format, spelling and types: CI runs this before the tests.
lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	.venv/bin/codespell dynaseg tools tests configs README.md CHANGELOG.md data/README.md
	$(PY) -m mypy

benchmark: install
	$(PY) tools/benchmark.py

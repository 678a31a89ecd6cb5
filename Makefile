# The two commands of the README: `make demo` (the main job) and `make test` (the test suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install test demo clean-venv

install:
	bash tools/install.sh

test: install
	$(PY) -m pytest tests -rs $(PYTEST_ARGS)

demo: install
	$(PY) tools/run_demo.py

clean-venv:
	rm -rf $(VENV)

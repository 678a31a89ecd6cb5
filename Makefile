# The two commands of the README: `make demo` (the main job) and `make test` (the test suite);
# `make device-check` benchmarks and tests a GPU machine (CPU part only without CUDA).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install test demo device-check clean-venv

install:
	bash tools/install.sh

test: install
	$(PY) -m pytest tests -rs $(PYTEST_ARGS)

demo: install
	$(PY) tools/run_demo.py

device-check: install
	$(PY) tools/analysis_tools/device_check.py

clean-venv:
	rm -rf $(VENV)

# The targets CI runs (`.ci/run` is `make ci` without make).
.PHONY: install lint test ci bench bench-publish docs

install:
	python3 -m pip install -e '.[dev]'

lint:
	ruff check src tests benchmarks docs
	mypy src/papertide

test:
	pytest

ci:
	bash .ci/run

bench:
	python benchmarks/bench_pipeline.py

bench-publish:
	python benchmarks/bench_publish.py

docs:
	python docs/cli_reference.py

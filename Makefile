# The targets CI runs (`.ci/run` is `make ci` without make).
.PHONY: install lint test ci bench bench-publish docs functional-expected

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

# Regenerate the functional test's expected output (tests/functional/expected) after a change
# meant to alter the site, feeds or posts; review the diff before committing it.
functional-expected:
	python tests/functional/build.py --regenerate

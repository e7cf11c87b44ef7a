"""Running the command line in tests as a user would, through click's test runner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from papertide.cli import main


def papertide(config: Path, *args: str) -> tuple[int, str, str]:
    """Run `papertide --config CONFIG ARGS...`; return (exit code, stdout, stderr).

    Papertide's own errors end as an exit code; anything else (a bug) is raised."""
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr

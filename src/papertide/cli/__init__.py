"""The command line: a thin layer over the pipeline.

Progress goes to stderr (bars on a terminal, a line a minute in a log), results to stdout.
Exit codes: 0 success, 1 a papertide error (bad config or input, locked store, ...), 2 a usage
error, 3 arXiv unreachable, 4 nothing announced since the last run.

One module per command family; each imports only ``console`` from this package.
"""

from __future__ import annotations

from pathlib import Path

import click

from papertide import __version__
from papertide.cli import feedback, figures, init, ops, rollup, run, select, store, write
from papertide.config import DEFAULT_CONFIG


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="papertide")
@click.option(
    "--config",
    "-c",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PAPERTIDE_CONFIG",
    help=f"Config file (default: ./{DEFAULT_CONFIG}, or $PAPERTIDE_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config_file: Path | None) -> None:
    """papertide turns arXiv announcements into per-topic daily digests.

    \b
    Typical use:
      papertide init                 # write a commented papertide.toml
      papertide run --from feed.xml  # import, select, publish to ./site
      papertide serve                # preview the site on http://127.0.0.1:8000

    \b
    Exit codes: 0 success; 1 a papertide error (bad config or input file,
    store in use, ...), explained in one line on stderr; 2 a usage error;
    3 arXiv unreachable or unusable: what came is stored, the site built
    from the store, the next run fetches the rest; 4 arXiv announced
    nothing since the last run (a weekend or holiday). The README's
    outcome table says which run record goes with each.
    """
    ctx.obj = config_file


main.add_command(init.init)
main.add_command(run.run_cmd)
main.add_command(run.backfill_cmd)
main.add_command(run.fetch_cmd)
main.add_command(run.import_cmd)
main.add_command(run.build)
main.add_command(rollup.rollup_cmd)
main.add_command(ops.serve)
main.add_command(ops.status)
main.add_command(ops.doctor)
main.add_command(ops.backup)
main.add_command(store.store_group)
main.add_command(ops.prune)
main.add_command(select.select_cmd)
main.add_command(select.eval_group)
main.add_command(select.calibrate_cmd)
main.add_command(write.write_cmd)
main.add_command(write.model_group)
main.add_command(figures.figures_cmd)
main.add_command(feedback.feedback_group)
main.add_command(feedback.library_group)

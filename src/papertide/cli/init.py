"""`papertide init`: a starter config, or the set-up of daily runs for an existing one."""

from __future__ import annotations

import click

from papertide.cli.console import config_file, load, reports_errors, stderr, stdout
from papertide.config import Config, starter_config


@click.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option(
    "--schedule",
    type=click.Choice(["github", "cron"]),
    help="Set up daily runs: write a GitHub Actions workflow (github) or print a crontab "
    "line and a systemd timer (cron), for the existing config.",
)
@click.pass_context
@reports_errors
def init(ctx: click.Context, force: bool, schedule: str | None) -> None:
    """Write a commented starter config with six example topics.

    With --schedule, set up daily runs for the config instead (see "Run it every day").

    \b
    Examples:
      papertide init && papertide run --from rss.xml
      papertide init --schedule github   # writes .github/workflows/papertide.yml
      papertide init --schedule cron     # prints a crontab line and a systemd timer
    """
    if schedule:
        _init_schedule(load(ctx), schedule, force)
        return
    path = config_file(ctx)
    if path.exists() and not force:
        stderr.print(f"{path} already exists; keeping it (use --force to overwrite)")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_config(), encoding="utf-8")
    stdout.print(f"wrote {path}: edit its [[topics]], then run `papertide run`")


def _init_schedule(config: Config, schedule: str, force: bool) -> None:
    from papertide.schedule import WORKFLOW_PATH, cron_setup, github_workflow

    if schedule == "cron":
        stdout.print(cron_setup(config), end="")
        return
    target = config.base_dir / WORKFLOW_PATH
    if target.exists() and not force:
        stderr.print(f"{target} already exists; keeping it (use --force to overwrite)")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(github_workflow(config), encoding="utf-8")
    stdout.print(
        f"wrote {target}: commit it, add the LLM key as a repository secret and set"
        " Settings -> Pages -> Source to GitHub Actions"
    )

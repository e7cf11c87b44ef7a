"""Scheduling templates: a GitHub Actions workflow, a crontab line, a systemd timer.

arXiv announces Sunday to Thursday at 20:00 US Eastern, which is 00:00 or 01:00 UTC Monday to
Friday; the schedules run at 01:30 UTC Monday to Friday, after either. A run when nothing was
announced (a holiday) exits with code 4, which the templates treat as success.

The GitHub workflow keeps the state (the store, its run log, the PDF cache, the local model)
in the Actions cache: restored at the start of each run under the newest key, saved under a
new key at the end, also when the run failed, so nothing fetched or paid for is lost.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from papertide.config import Config

CRON = "30 1 * * 1-5"
WORKFLOW_PATH = Path(".github/workflows/papertide.yml")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def github_workflow(config: Config) -> str:
    """The workflow for a repository whose root holds the config file."""
    root = config.base_dir
    # What the Actions cache keeps between runs: the store, the run log, the PDFs and crops,
    # and the user cache (the local model).
    kept = (
        _relative(config.store_path, root),
        _relative(config.store_path.parent / "logs", root),
        _relative(root / config.figures.pdf_dir, root),
        "~/.cache/papertide",
    )
    state = "\n".join(f"            {path}" for path in kept)
    site = _relative(config.output_dir, root)
    key_env = config.llm.api_key_env or "OPENAI_API_KEY"
    return f"""\
# Written by `papertide init --schedule github`. Runs after each arXiv announcement,
# keeps the store in the Actions cache and publishes the site with GitHub Pages
# (Settings -> Pages -> Source: GitHub Actions). Put the LLM key in the repository
# secret {key_env} (Settings -> Secrets and variables -> Actions).
name: papertide

on:
  schedule:
    - cron: "{CRON}"  # arXiv announces Sun-Thu 20:00 US Eastern = 00:00/01:00 UTC Mon-Fri
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: papertide
  cancel-in-progress: false

jobs:
  digest:
    runs-on: ubuntu-latest
    timeout-minutes: 120
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install papertide
        run: pip install "papertide[figures]"
      - name: Restore the state
        uses: actions/cache/restore@v4
        with:
          path: |
{state}
          key: papertide-state-${{{{ github.run_id }}}}
          restore-keys: papertide-state-
      - name: Check the setup
        run: papertide doctor
        env:
          {key_env}: ${{{{ secrets.{key_env} }}}}
      - name: Run
        run: papertide run || test $? -eq 4
        env:
          {key_env}: ${{{{ secrets.{key_env} }}}}
      - name: Save the state
        if: always()
        uses: actions/cache/save@v4
        with:
          path: |
{state}
          key: papertide-state-${{{{ github.run_id }}}}
      - name: Show the run history
        if: always()
        run: papertide status --limit 5
      - uses: actions/upload-pages-artifact@v3
        with:
          path: {site}
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def _papertide() -> str:
    found = shutil.which("papertide")
    return found or f"{sys.executable} -m papertide"


def cron_setup(config: Config) -> str:
    """A crontab line and a systemd service + timer pair, for a machine that stays on."""
    folder = config.base_dir
    exe = _papertide()
    cfg = config.source.resolve()
    user = os.environ.get("USER", "papertide")
    return f"""\
# crontab -e: at 01:30 UTC Monday to Friday, after arXiv's announcement (the machine's
# clock must be UTC, or adjust the hour); exit code 4 means nothing was announced.
CRON_TZ=UTC
{CRON} cd {folder} && {exe} --config {cfg} run >> {folder}/papertide-cron.log 2>&1

# --- or with systemd: /etc/systemd/system/papertide.service
[Unit]
Description=papertide daily arXiv digest
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User={user}
WorkingDirectory={folder}
ExecStart={exe} --config {cfg} run
SuccessExitStatus=4

# --- /etc/systemd/system/papertide.timer
[Unit]
Description=Run papertide after each arXiv announcement

[Timer]
OnCalendar=Mon..Fri *-*-* 01:30:00 UTC
Persistent=true

[Install]
WantedBy=timers.target

# then: systemctl daemon-reload && systemctl enable --now papertide.timer
"""

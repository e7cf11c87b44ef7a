"""A build removes only files it wrote inside ``[site] output_dir``, whatever its manifest
says, and a config whose output_dir would hold other files is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import papertide
from test_hostile_input import GOOD, jsonl

from papertide.config import load_config
from papertide.errors import ConfigError

SITE_CONFIG = (
    '[store]\npath = "store.db"\n[select]\nembedder = "none"\n[llm]\nbackend = "none"\n'
    '[site]\noutput_dir = "{out}"\n[[topics]]\nname = "Splats"\nslug = "3dgs"\n'
    "query = 'abs:\"gaussian splatting\"'\n"
)


def config(folder: Path, out: str = "site") -> Path:
    path = folder / "papertide.toml"
    path.write_text(SITE_CONFIG.format(out=out), encoding="utf-8")
    return path


def test_the_manifest_cannot_make_a_build_delete_files_outside_the_site(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    code, _, err = papertide(cfg, "run", "--from", str(jsonl(tmp_path, GOOD)))
    assert code == 0, err
    site = tmp_path / "site"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    victims = [outside / "thesis.tex", tmp_path / "papertide.toml.bak", outside / "linked.txt"]
    for victim in victims:
        victim.write_text("not papertide's", encoding="utf-8")
    (site / "link").symlink_to(outside, target_is_directory=True)
    (site / "3dgs" / "2020-01-01.html").write_text("a stale page of an earlier build")
    manifest = site / ".papertide-files"
    manifest.write_text(
        manifest.read_text(encoding="utf-8")
        + f"{victims[0]}\n../papertide.toml.bak\nlink/linked.txt\n3dgs/2020-01-01.html\n",
        encoding="utf-8",
    )
    code, _, err = papertide(cfg, "build")
    assert code == 0, err
    assert all(victim.read_text(encoding="utf-8") == "not papertide's" for victim in victims)
    assert not (site / "3dgs" / "2020-01-01.html").exists()  # its own stale page still goes
    listed = manifest.read_text(encoding="utf-8").splitlines()
    assert not [line for line in listed if line.startswith(("/", "..", "link/"))]


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("/", "is the root folder"),
        ("HOME", "is the home folder or holds it"),
        (".", "holds the config file"),
        ("..", "holds the config file"),
    ],
    ids=["root", "home", "config-folder", "above-config"],
)
def test_an_output_dir_holding_other_files_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, reason: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    folder = home / "work" / "digests"
    folder.mkdir(parents=True)
    # The config is only loaded: were the check missing, no build may write into / or ~.
    with pytest.raises(ConfigError) as refused:
        load_config(config(folder, str(home) if out == "HOME" else out))
    assert "site.output_dir: " in str(refused.value) and reason in str(refused.value)
    assert "give the site a folder of its own" in str(refused.value)


def test_the_run_stops_before_touching_anything(tmp_path: Path) -> None:
    code, _, err = papertide(config(tmp_path, "."), "build")
    assert code == 1 and "holds the config file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papertide.toml"]


def test_an_output_dir_holding_the_store_is_refused(tmp_path: Path) -> None:
    cfg = config(tmp_path, "public")
    cfg.write_text(cfg.read_text().replace('"store.db"', '"public/store.db"'), encoding="utf-8")
    code, _, err = papertide(cfg, "build")
    assert code == 1 and "holds the store (public/store.db)" in err

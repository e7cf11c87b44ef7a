"""Config mistakes a hostile or careless hand makes: each is refused when the config is
loaded, in one line naming its key, before anything runs — never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirun import papertide

TOPIC = '[[topics]]\nname = "Splats"\nquery = "gaussian"\n'
EMAIL = (
    '[email]\nhost = "127.0.0.1"\nsender = "{sender}"\n'
    '[[email.recipients]]\naddress = "ada@example.org"\n'
)


def refused(folder: Path, text: str) -> str:
    path = folder / "papertide.toml"
    path.write_text(text, encoding="utf-8")
    code, out, err = papertide(path, "build")
    assert code == 1, out + err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert not (folder / "papertide.db").exists()  # stopped before the store was opened
    return err


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("(" * 3000 + "gaussian" + ")" * 3000, "parentheses nested more than 100 deep"),
        ("gaussian" + " ANDNOT x" * 3000, "more than 100 ANDNOT in a row"),
    ],
    ids=["parentheses", "andnot-chain"],
)
def test_a_query_nested_too_deep_is_a_config_error(
    tmp_path: Path, query: str, expected: str
) -> None:
    err = refused(tmp_path, f'[[topics]]\nname = "Deep"\nquery = "{query}"\n')
    assert "topics[0] (Deep).query: invalid query: " + expected in err


@pytest.mark.parametrize(
    "sender",
    ["papertide <a@example.org>\\r\\nBcc: all@example.com", "a@example.org\\nX-Spam: yes"],
    ids=["crlf", "lf"],
)
def test_a_line_break_in_the_sender_is_refused_at_load(tmp_path: Path, sender: str) -> None:
    err = refused(tmp_path, EMAIL.format(sender=sender) + TOPIC)
    assert "email.sender: must be one line" in err


def test_a_sender_that_is_no_address_is_refused(tmp_path: Path) -> None:
    assert "email.sender: 'papertide' is not an address" in refused(
        tmp_path, EMAIL.format(sender="papertide") + TOPIC
    )


def test_a_control_character_in_any_value_is_refused(tmp_path: Path) -> None:
    err = refused(tmp_path, '[site]\ntitle = "Digest\\u009f"\n' + TOPIC)
    assert "site.title: holds the control character U+009F" in err
    err = refused(tmp_path, '[[topics]]\nname = "Spl\\u0000ats"\nquery = "gaussian"\n')
    assert "topics[0].name: holds the control character U+0000" in err


def test_a_bad_topic_is_reported_once_without_a_false_missing_topics(tmp_path: Path) -> None:
    err = refused(tmp_path, '[[topics]]\nname = "A"\nslug = "A B"\nquery = "x"\n')
    assert "topics[0] (A): slug 'A B' must be lowercase" in err
    assert "add at least one [[topics]] table" not in err


@pytest.mark.parametrize("command", ["build", "doctor"])
def test_a_key_pasted_as_the_variable_name_is_refused_and_never_shown(
    tmp_path: Path, command: str
) -> None:
    key = "sk_live_PLANTED0123456789abcdefghijklmn"  # a valid variable name, but a key
    path = tmp_path / "papertide.toml"
    path.write_text(
        f'[llm]\nbackend = "openai"\nmodel = "m"\napi_key_env = "{key}"\n' + TOPIC,
        encoding="utf-8",
    )
    code, out, err = papertide(path, command)
    assert code == 1
    assert "llm.api_key_env: must be the NAME of an environment variable" in out + err
    assert "PLANTED" not in out + err

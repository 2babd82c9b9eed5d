"""``hidden-character`` (dtracepy/checks/hidden.py): a character that shows a D line otherwise than
D reads it ("Trojan source": a bidirectional override in a string or a comment), found by the
review of issue 8 (finding 12: check said nothing about them)."""

from __future__ import annotations

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.cli import main
from dtracepy.parser import parse
from real_dtrace import judge_scripts

TROJAN = 'BEGIN\n{\n\tx = "access\u202e granted"; /* ok \u2066 */\n\ty = "caf\u00e9 \u2192";\n\texit(0);\n}\n'


def hidden(text: str) -> list:
    return [f for f in check_program(parse(text, "x.d"), CheckOptions(), source=text) if f.check == "hidden-character"]


def test_a_bidi_override_is_a_warning_at_its_line_and_column_once_per_line():
    found = hidden(TROJAN)
    assert [(f.severity, f.pos.line, f.pos.col) for f in found] == [("warning", 3, 13)]
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in found[0].message and r"\342\200\256" in found[0].message


@pytest.mark.parametrize("ch", ["\u2066", "\u200b", "\u2028", "\x85", "\ufeff"])
def test_other_hidden_characters_are_found_in_comments_too(ch):
    assert [(f.pos.line, f.pos.col) for f in hidden(f"/* a{ch}b */\nBEGIN {{ }}\n")] == [(1, 5)]


def test_visible_text_is_left_alone():
    assert hidden('BEGIN { x = "café → ü"; /* naïve */ }\n') == []
    assert hidden('BEGIN { x = "access\\342\\200\\256 granted"; }\n') == []  # written as escapes


def test_dtrace_reads_them_so_it_is_a_warning_not_an_error(tmp_path, capsys):
    assert judge_scripts({"t": {"text": TROJAN}}) == {"t": None}
    path = tmp_path / "t.d"
    path.write_text(TROJAN)
    assert main(["check", str(path)]) == 0
    assert f"{path}:3:13: warning: U+202E" in capsys.readouterr().err
    path.write_text("/* dtracepy: disable[hidden-character] */\n" + TROJAN)
    assert main(["check", str(path)]) == 0
    assert "hidden-character" not in capsys.readouterr().err

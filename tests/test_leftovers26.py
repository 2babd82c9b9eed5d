"""Session 25's leftovers of session 24 (helper leftovers26, issue 8).

1. Under ``check -C`` the main file's own ``#line`` names its lines as cpp names them (the line
   after ``#line 20`` is line 20, whatever pcpp's later line markers count), and the text shown
   under a finding or error is the line it is really on (none when no one line is named so).
   The numbers below are real dtrace -C's and gcc -E's, run on these files.
2. ``__has_include("")`` and ``__has_include(<>)`` read 0, as dtrace -C's cpp reads them.
3. An invisible letter (the Hangul fillers, U+034F, the variation selectors, the tags) hides as a
   format character does: escaped where those are.
4. A lone carriage return in a comment is written ``<U+000D>`` (a CRLF's is kept).
5. ``source.positions_at`` is made from ``source.lines_and_columns``: the same positions.
6. A finding made by ``checks.said`` rendered alone makes no ``Pos`` and renders as before.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=120)


def _findings(text: str, filename: str, include_dirs=()):
    from dtracepy.checks import check_program
    from dtracepy.parser import parse_bytes

    program = parse_bytes(text.encode(), filename, cpp=True, include_dirs=list(include_dirs))
    return check_program(program, source=text)


# --- 1: #line under -C --------------------------------------------------------------------------

SKIPPED = "BEGIN { x = 1; }\n#line 20\n" + "\n" * 11 + "BEGIN { y = 2 +; }\n"
SKIPPED_IF = "#define A 1\n#line 20\nBEGIN { x = 1 }\n#if 0\n" + "\n" * 10 + "#endif\nBEGIN { y = 2 +; }\n"


@pytest.mark.parametrize("text, line", [(SKIPPED, 31), (SKIPPED_IF, 33)])
def test_a_line_after_a_line_directive_is_named_as_dtrace_C_names_it(tmp_path, text, line):
    # dtrace -C: "failed to compile script x.d: line 31 (33): syntax error near ";""
    (tmp_path / "x.d").write_text(text)
    result = _cli("check", "-C", "x.d", cwd=tmp_path)
    assert result.stderr.splitlines() == [f'x.d:{line}:16: error: syntax error near ";"',
                                          "BEGIN { y = 2 +; }", " " * 15 + "^"], result.stderr


def test_the_preprocessors_errors_after_a_line_directive_are_named_as_gcc_names_them(tmp_path):
    # gcc -E: 2:2 the #warning, 3:8 the #if, 6:2 the #error (and it shows the text of lines 2, 3
    # and 6 under them, which are other lines: ours are the lines the directives are on)
    (tmp_path / "x.d").write_text("BEGIN { x = 1; }\n#line 2\n#warning hello\n#if 1 +\n#endif\n"
                                  "BEGIN { z = 1; }\n#error hi there\n")
    lines = _cli("check", "-C", "x.d", cwd=tmp_path).stderr.splitlines()
    assert lines[0] == "x.d:2:2: warning: #warning hello", lines
    assert lines[1].startswith("x.d:3:8: error: ") and lines[2] == "#if 1 +", lines
    assert lines[4] == "x.d:6:1: error: #error hi there" and lines[5] == "#error hi there", lines


def test_a_findings_source_line_under_C_is_the_line_it_is_on():
    text = "BEGIN { x = 1; }\n#line 2\nBEGIN { trace(self->a); }\n#if 0\n\n\n\n#endif\nBEGIN { trace(self->b); }\n"
    found = _findings(text, "h.d")
    assert [(f.pos.line, f.source_line) for f in found] == [
        (2, "BEGIN { trace(self->a); }"), (8, "BEGIN { trace(self->b); }")], found


def test_a_findings_source_line_under_C_with_a_header_is_the_line_it_is_on(tmp_path):
    (tmp_path / "hh.h").write_text("#define FOO 1\n")
    text = '#include "hh.h"\nBEGIN { x = 1; }\n#line 2\nBEGIN { trace(self->a); }\n#if 0\n\n\n\n#endif\n' \
        "BEGIN { trace(self->b); }\n"
    found = _findings(text, "i.d", [str(tmp_path)])
    assert [(f.pos.line, f.source_line) for f in found] == [
        (2, "BEGIN { trace(self->a); }"), (8, "BEGIN { trace(self->b); }")], found


def test_a_line_named_twice_under_C_shows_no_text():
    # lines 2 and 4 of the file are both named line 7: no one line of the file is line 7
    text = "BEGIN { x = 1; }\n#line 7\nBEGIN { trace(self->a); }\n#line 7\nBEGIN { trace(self->b); }\n"
    found = _findings(text, "t.d")
    assert [f.pos.line for f in found] == [7, 7], found
    assert all(f.source_line in (None, "BEGIN { trace(self->a); }", "BEGIN { trace(self->b); }") for f in found)
    assert [f.source_line for f in found if f.message.startswith("self->a")] in ([None], ["BEGIN { trace(self->a); }"])


def test_an_ignore_comment_under_C_silences_the_line_it_is_on(tmp_path):
    (tmp_path / "x.d").write_text("BEGIN { x = 1; }\n#line 20\n#if 0\n\n\n\n#endif\n"
                                  "BEGIN { trace(self->a); } /* dtracepy: ignore */\n\n\nBEGIN { trace(self->b); }\n")
    result = _cli("check", "-C", "x.d", cwd=tmp_path)
    # (dtrace -C: "line 25: self->a has not yet been declared or assigned"; without it, line 28 self->b)
    assert result.stderr.splitlines() == [
        "x.d:28:15: error: self->b is read but never assigned or declared [self-undefined]"], result.stderr


# --- 2: __has_include of an empty name ----------------------------------------------------------

@pytest.mark.parametrize("operand", ['("")', "(<>)", '( "" )'])
def test_has_include_of_an_empty_name_reads_0(operand):
    from dtracepy.preprocess import preprocess

    out, _ = preprocess(f"#if __has_include{operand}\nyes\n#else\nno\n#endif\n", "x.d")
    assert out.split() == ["no"]


# --- 3, 4: what hides in a comment --------------------------------------------------------------

INVISIBLE = ["\u3164", "\u115f", "\u1160", "\uffa0", "\u034f", "\u17b4", "\u180b", "\ufe0f", "\U000e0041",
             "\U000e0100", "\u2065"]


@pytest.mark.parametrize("ch", INVISIBLE)
def test_an_invisible_letter_is_escaped_where_a_format_character_is(ch):
    from dtracepy import tree as t
    from dtracepy.importer.body_comments import comment_lines
    from dtracepy.printer import escape_string, to_d

    shown = f"<U+{ord(ch):04X}>"
    assert t.hidden_character(ch)
    assert to_d(t.Program([t.Comment(f"a{ch}b")])) == f"/*a{shown}b*/\n"
    assert comment_lines(f"a{ch}b") == [f"a{shown}b"]
    assert escape_string(f"a{ch}") == "a" + "".join("\\%03o" % b for b in ch.encode())


def test_visible_letters_are_not_escaped():
    from dtracepy import tree as t

    assert t.hidden_shown("h\u00e9llo \u3131 \u2764 \uac00") == "h\u00e9llo \u3131 \u2764 \uac00"


def test_a_lone_carriage_return_in_a_comment_is_escaped_alike_in_D_and_in_Python():
    from dtracepy import tree as t
    from dtracepy.importer.body_comments import comment_lines
    from dtracepy.printer import to_d

    assert to_d(t.Program([t.Comment("a\rb\r\nc\r")])) == "/*a<U+000D>b\r\nc<U+000D>*/\n"
    assert comment_lines("a\rb\r\nc") == ["a<U+000D>b", "c"]


# --- 5: positions_at from lines_and_columns -----------------------------------------------------

def test_positions_at_is_made_from_lines_and_columns(monkeypatch):
    from dtracepy import source
    from dtracepy.parser import parse

    program = parse("BEGIN { x = 1; }\r\n\nsyscall::read:entry { y = 2; z = x; }\n", "p.d")
    ats = [node._at for node in program.walk() if node._at.__class__ is int]
    assert source.positions_at(ats) == [source.position_at(at) for at in ats]
    file, lines, cols = source.lines_and_columns(ats)
    assert [(file, line, col) for line, col in zip(lines, cols)] == list(map(tuple, source.positions_at(ats)))
    monkeypatch.setattr(source, "lines_and_columns", lambda ats: None)
    assert source.positions_at(ats) is None


# --- 6: a finding rendered alone ----------------------------------------------------------------

def _lazy_and_eager(text, filename="x.d"):
    from dtracepy.checks import Finding, check_program
    from dtracepy.parser import parse

    found = [f for f in check_program(parse(text, filename), source=text) if f.check == "self-unused"]
    return [(f, Finding(f.severity, f.message, f.check, f.pos, f.source_line)) for f in found]


@pytest.mark.parametrize("filename", ["x.d", "", "a\udcffb.d", "e\x1b.d"])
@pytest.mark.parametrize("name", ["ts", "v" * 90, "w" * 40])
def test_a_finding_made_when_asked_renders_alone_as_one_made_whole(filename, name):
    text = f"BEGIN\n{{\n    self->{name} = timestamp;\n}}\n"
    pairs = _lazy_and_eager(text, filename)
    assert pairs
    for lazy, eager in pairs:
        assert lazy.render() == eager.render()
        assert lazy.render(True) == eager.render(True)
        assert lazy.render(with_context=True).endswith("\n    self->%s = timestamp;\n    ^" % name) \
            or len(name) > 80


def test_a_finding_made_when_asked_renders_alone_without_a_pos(monkeypatch):
    from dtracepy import checks

    (lazy, eager), = _lazy_and_eager("BEGIN\n{\n    self->ts = timestamp;\n}\n")
    expected = eager.render()

    def refused(at):
        raise AssertionError("a Pos was made")

    monkeypatch.setattr(checks, "position_at", refused)
    assert lazy.render() == expected == "x.d:3:5: warning: self->ts is assigned but never read [self-unused]"

"""Session 24, helper leftovers25: what review23 and newuser23 left (issue 8).

Each test fails on the code before its fix; where a real dtrace (or gcc's cpp) is installed it
judges the same cases (skipped where there is none).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy import parser as P
from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import DSyntaxError

DTRACE = "/usr/local/bin/dtrace"
HAVE_DTRACE = os.access(DTRACE, os.X_OK) and os.geteuid() == 0


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


# --- 1. #line in a script dtrace reads itself (no -C): later lines are named as it says ---------

# (text, where check and dtrace -e name its first error): dtrace names the line after `#line N`
# N + 1 (as `#pragma line` and `#pragma D line`), after a line marker `# N` N; the number is a D
# integer constant; a directive without a file name keeps the file named before.
LINES = [
    ('BEGIN { trace(1); }\n#line 100 "foo.d"\nBEGIN { x = ; }\n', "foo.d:101"),
    ('BEGIN { trace(1); }\n#line 100\nBEGIN { x = ; }\n', "l.d:101"),
    ('BEGIN { trace(1); }\n# 100 "foo.d"\nBEGIN { x = ; }\n', "foo.d:100"),
    ('#line 100 "foo.d"\n\n\nBEGIN { x = ; }\n', "foo.d:103"),
    ('#pragma line 100 "foo.d"\nBEGIN { x = ; }\n', "foo.d:101"),
    ('BEGIN {}\n#pragma D line 100 "foo.d"\nBEGIN { x = ; }\n', "foo.d:101"),
    ('#line 0x10\nBEGIN { x = ; }\n', "l.d:17"),
    ('#line 010\nBEGIN { x = ; }\n', "l.d:9"),
    ('#line 100 "foo.d"\n#line 7\nBEGIN { x = ; }\n', "foo.d:8"),
    ('#line 100 "foo.d"\n#line 7 "bar.d"\nBEGIN { x = ; }\n', "bar.d:8"),
    ('# 5 "x.d"\n\n/* a\n b */ BEGIN { x = ; }\n', "x.d:7"),
    ('#line 5 "x.d" 1\nBEGIN { x = ; }\n', "x.d:6"),
    ('#line 100 "foo.d"\nBEGIN { x = 1; }\n#pragma D option nosuch\n', "foo.d:102"),
    ('#line 100 "foo.d"\nBEGIN { y = z; }\n', "foo.d:101"),         # a check's finding
    ('BEGIN\n{\n#pragma line 100 "foo.d"\n x = ; }\n', "foo.d:101"),  # (a pragma in a clause)
    ('#line 5\n#line 5\r\nBEGIN {}\n', "l.d:6"),                       # (a lexer's error)
]


def _dtracepy_where(tmp_path, text: str) -> str:
    (tmp_path / "l.d").write_text(text)
    result = _cli("check", "l.d", cwd=tmp_path)
    assert result.returncode != 0 or "warning" in result.stderr, result.stderr
    return ":".join(result.stderr.split(":")[:2])


def _dtrace_where(tmp_path, text: str) -> str:
    (tmp_path / "l.d").write_text(text)
    result = subprocess.run([DTRACE, "-e", "-s", "l.d"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    found = re.search(r'(?:"([^"]*)", )?line (\d+):', result.stderr)
    assert found, result.stderr
    return f"{found[1] or 'l.d'}:{found[2]}"


@pytest.mark.parametrize("text, where", LINES)
def test_check_names_the_line_a_line_directive_names(tmp_path, text, where):
    assert _dtracepy_where(tmp_path, text) == where


@pytest.mark.skipif(not HAVE_DTRACE, reason="no dtrace to ask (needs /usr/local/bin/dtrace and root)")
@pytest.mark.parametrize("text, where", LINES)
def test_dtrace_names_those_lines_so(tmp_path, text, where):
    assert _dtrace_where(tmp_path, text) == where


def test_a_syntax_error_after_a_line_directive_is_at_the_line_named_and_shows_its_own_text():
    with pytest.raises(DSyntaxError) as caught:
        P.parse('BEGIN { trace(1); }\n#line 100 "foo.d"\nBEGIN { x = ; }\n', "l.d")
    assert str(caught.value.pos) == "foo.d:101:13"
    assert caught.value.source_line == "BEGIN { x = ; }"


def _findings(text):
    return check_program(P.parse(text, "l.d"), CheckOptions(), source=text)


def test_a_finding_after_a_line_directive_shows_its_own_source_line():
    text = 'BEGIN { x = 1; }\n#line 1 "l.d"\n\n\n\nBEGIN { y = z; }\n'
    [finding] = [f for f in _findings(text) if f.check == "undefined-name"]
    assert str(finding.pos) == "l.d:5:13"
    assert finding.source_line == "BEGIN { y = z; }"  # (not the file's line 5, blank)


def test_a_line_named_twice_shows_each_findings_own_source_line():
    text = '#line 5\nBEGIN { y = z; }\n#line 5\nBEGIN { w = q; }\n'
    found = [f for f in _findings(text) if f.check == "undefined-name"]
    assert [str(f.pos) for f in found] == ["l.d:6:13", "l.d:6:13"]
    assert [f.source_line for f in found] == ["BEGIN { y = z; }", "BEGIN { w = q; }"]
    # (what only a position says, no node, is not told which: no line rather than a wrong one)
    from dtracepy.source import LineMarks

    marks = LineMarks("l.d")
    marks.add(2, None, 6)
    marks.add(4, None, 6)
    assert [marks.physical("l.d", n) for n in (6, 7, 1, 8)] == [None, None, 1, 6]


def test_an_ignore_comment_silences_the_finding_below_it_after_a_line_directive():
    text = ('#line 100 "foo.d"\nBEGIN { x = 1; }\n/* dtracepy: ignore[undefined-name] */\nBEGIN { y = z; }\n'
            'BEGIN { w = q; }\n')
    found = [f for f in _findings(text) if f.check == "undefined-name"]
    assert [str(f.pos) for f in found] == ["foo.d:104:13"]  # (q's; z's is silenced)


def test_findings_read_from_the_text_are_named_as_the_line_directive_says():
    text = '#line 100 "foo.d"\nBEGIN { x = "\u202e"; }\n/* dtracepy: ignore[nosuch] */\n'
    found = {f.check: str(f.pos) for f in _findings(text)}
    assert found["hidden-character"] == "foo.d:101:14"
    assert found["directive"] == "foo.d:102:21"


def test_a_malformed_line_directive_names_nothing():
    text = '#line 08 "foo.d"\nBEGIN { y = z; }\n'
    found = {f.check: str(f.pos) for f in _findings(text)}
    assert found["undefined-name"] == "l.d:2:13"


# --- 2-4. #if under -C: errors at the token's column, all of them, and gcc's words --------------

# (text, what check -C says: each "line:col: severity: message" of gcc's, in its order)
IFS = [
    ("#if ''\n#endif\n", ["1:5: error: empty character constant"]),
    ("#if 1 +\n#endif\n", ["1:8: error: "]),
    ("#if 1 2\n#endif\n", ["1:7: error: "]),
    ('#if  "s"\n#endif\n', ['1:6: error: token ""s"" is not valid in preprocessor expressions']),
    ("#if 1 && __has_include\n#endif\n", ["1:10: error: missing '(' before \"__has_include\" operand"]),
    # errors read before an #error it then reaches: all, in order (before: the #error alone)
    ("#if ''\n#else\n#error no\n#endif\n", ["1:5: error: empty character constant", "3:", "#error no"]),
    ("#if ''\n#endif\n#if 1 2\n#endif\n", ["1:5: error: empty character constant", "3:7: error: "]),
    # a code point past Unicode's: gcc warns and reads it as UTF-8 carried on (f4 90 80 80)
    ("#if '\\U00110000' == -191856512\n#error yes\n#endif\n",
     ["1:5: warning: \\U00110000 is outside the UCS codespace", "2:", "#error yes"]),
    ("#if '\\U00200000' == -2004844416\n#error yes\n#endif\n",
     ["1:5: warning: \\U00200000 is outside the UCS codespace", "2:", "#error yes"]),
    ("#if L'\\U00110000' == 0x110000\n#error yes\n#endif\n",
     ["1:5: warning: \\U00110000 is outside the UCS codespace", "2:", "#error yes"]),
    ("#if '\\U80000000'\n#endif\n", ["1:5: error: \\U80000000 is not a valid universal character"]),
    # an unterminated constant: gcc's warning and its error, in its words
    ("#if '\\'\n#endif\n", ["1:5: warning: missing terminating ' character",
                           "1:5: error: token \"'\\'\" is not valid in preprocessor expressions"]),
    ("#if 1 + L'a\n#endif\n", ["1:9: warning: missing terminating ' character",
                              "1:9: error: token \"L'a\" is not valid in preprocessor expressions"]),
]


def _said_in_order(said: str, expected) -> bool:
    at = 0
    for piece in expected:
        found = said.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


@pytest.mark.parametrize("text, expected", IFS)
def test_check_c_says_what_gcc_says_of_an_if_where_gcc_says_it(tmp_path, text, expected):
    (tmp_path / "c.d").write_text(text + "BEGIN { exit(0); }\n")
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    said = result.stderr.replace("C preprocessor: ", "")
    assert result.returncode == 1 or "#error" not in text, said
    assert _said_in_order(said, [f"c.d:{piece}" if piece[:1].isdigit() else piece for piece in expected]), said


@pytest.mark.skipif(not os.access("/usr/bin/gcc", os.X_OK), reason="no gcc to ask")
@pytest.mark.parametrize("text, expected", IFS)
def test_gcc_says_so(tmp_path, text, expected):
    (tmp_path / "c.d").write_text(text)
    result = subprocess.run(["/usr/bin/gcc", "-E", "-x", "c", "-std=c99", "c.d", "-o", os.devnull], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    said = "\n".join(line for line in result.stderr.splitlines() if line.startswith("c.d:"))
    assert _said_in_order(said, [f"c.d:{piece}" if piece[:1].isdigit() else piece for piece in expected]), said


@pytest.mark.skipif(not HAVE_DTRACE, reason="no dtrace to ask (needs /usr/local/bin/dtrace and root)")
def test_dtrace_c_reads_a_code_point_past_unicode_as_gcc_does(tmp_path):
    (tmp_path / "c.d").write_text("#if '\\U00110000' == -191856512\n#error yes\n#endif\nBEGIN { exit(0); }\n")
    result = subprocess.run([DTRACE, "-C", "-e", "-s", "c.d"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert "#error yes" in result.stderr or "#error: yes" in result.stderr, result.stderr


# --- 5. run -c through the exec script: the target's execname is the command's -----------------

def test_the_exec_script_is_named_as_the_command(tmp_path):
    from dtracepy.run.argv import target_command

    path = target_command('sh -c "ls /; echo hi"', str(tmp_path))
    assert os.path.basename(path) == "sh"  # (before: target.sh, the target's execname until its exec)
    assert open(path).read() == "#!/bin/sh\nexec sh -c 'ls /; echo hi'\n"
    assert os.access(path, os.X_OK)
    # a name dtrace would split, or one already there (the D script's): the script keeps target.sh
    (tmp_path / "ls").write_text("")
    assert os.path.basename(target_command(["ls", "a b"], str(tmp_path))) == "target.sh"
    assert target_command("/bin/echo x", str(tmp_path)) == "/bin/echo x"  # (no script at all)


@pytest.mark.skipif(not HAVE_DTRACE, reason="live: needs /usr/local/bin/dtrace and root (run under flock /work/suite.lock)")
def test_the_targets_execname_is_the_commands_from_its_first_probe(tmp_path):
    (tmp_path / "x.d").write_text('syscall:::entry /pid == $target/ { printf("[%s]\\n", execname); exit(0); }\n')
    result = _cli("run", "x.d", "--duration", "20", "-c", 'sh -c "sleep 1; echo hi there"', cwd=tmp_path,
                  timeout=180)
    assert "[sh]" in result.stdout, (result.stdout, result.stderr)
    assert "target.sh" not in result.stdout


def test_a_division_by_zero_in_if_is_at_its_operator(tmp_path):
    (tmp_path / "c.d").write_text("#if 1/0\n#endif\nBEGIN { exit(0); }\n")
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert result.stderr.startswith("c.d:1:6: error: C preprocessor: division by zero in #if"), result.stderr  # (gcc's)

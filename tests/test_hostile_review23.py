"""A hostile review of session 22's fast paths and review 22's leftovers (session 23, /work/review23.md).

Each test fails on the code before its fix; where a real dtrace is installed it judges the same
cases (skipped where there is none).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO

DTRACE = "/usr/local/bin/dtrace"


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


# --- L1: a character that hides ("Trojan source") written raw into a comment of the output ------

HIDING = "\u202e"


def test_import_writes_a_hiding_character_of_a_comment_escaped(tmp_path):
    (tmp_path / "c.d").write_text(f"/* hi {HIDING} there */\nBEGIN /* in \u2066 */ {{ trace(1); /* c {HIDING} */ }}\n",
                                  encoding="utf-8")
    result = _cli("import", "c.d", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert HIDING not in result.stdout and "\u2066" not in result.stdout
    assert result.stdout.count("<U+202E>") == 2 and "<U+2066>" in result.stdout


def test_a_tree_comment_added_to_a_tracer_is_printed_with_its_hiding_character_escaped(tmp_path):
    (tmp_path / "v.py").write_text(
        "from dtracepy import Tracer, trace, tree\nt = Tracer()\n"
        f"t.add(tree.Comment(' x \\u202e y '))\n\n@t.probe('BEGIN')\ndef b():\n    trace(1)\n")
    result = _cli("compile", "v.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert HIDING not in result.stdout and "/* x <U+202E> y */" in result.stdout


# --- L2: glob.f(...) called: a spurious global-unset beside unknown-function ------------------

def test_a_glob_name_called_is_no_global_read(tmp_path):
    (tmp_path / "v.py").write_text("from dtracepy import *\nt = Tracer()\n\n@t.probe('BEGIN')\ndef _():\n"
                                   "    stmt(glob.f(1))\n    trace(glob.g + 1)\n")
    result = _cli("compile", "v.py", cwd=tmp_path)
    assert result.returncode == 1
    assert "f() is no D action" in result.stderr
    assert "global f is read" not in result.stderr
    assert "global g is read but never assigned" in result.stderr  # (a name read still is)


# --- L3: #if's character constants and strings as gcc's cpp (dtrace -C's) reads them -----------

CHARS = [
    ("'\\377' < 0", True),          # a signed char (pcpp: 255)
    ("'\\xff' == -1", True),
    ("'\\200' == -128", True),
    ("'\\177' == 127", True),
    ("'ab' == 24930", True),         # a multi-character constant: an int (pcpp refused it)
    ("'\\377\\377' == 65535", True),
    ("'\\377\\377\\377\\377' == -1", True),
    ("'abcde' == 1650680933", True),  # its last four bytes
    ("'\\x1ff' == -1", True),        # the low byte of an escape out of range
    ("'\\777' == -1", True),
    ("'\\e' == 27", True),
    ("'\\u00e9' == 50089", True),
    ("'\\n' == 10 && 'a' == 97 && '\\0' == 0", True),
    ("L'\\377' == 255", True),       # (a wide one: pcpp's own value, gcc's too)
    ("L'ab' == 98", True),           # (a wide one's last character: pcpp refused it)
    ("L'\\xffffffff' == -1", True),  # (a 32-bit signed wchar_t)
]


def _branch(tmp_path, condition: str, cpp: str) -> str:
    text = f"#if {condition}\n#error yes\n#else\n#error no\n#endif\nBEGIN {{ exit(0); }}\n"
    (tmp_path / "c.d").write_text(text, encoding="utf-8")
    if cpp == "dtracepy":
        result = _cli("check", "-C", "c.d", cwd=tmp_path)
    else:
        result = subprocess.run([DTRACE, "-C", "-e", "-s", "c.d"], cwd=tmp_path, capture_output=True, text=True,
                                timeout=60)
    said = result.stdout + result.stderr
    assert ("#error yes" in said) != ("#error no" in said), said
    return "yes" if "#error yes" in said else "no"


@pytest.mark.parametrize("condition, true", CHARS)
def test_a_character_constant_in_if_has_gccs_value(tmp_path, condition, true):
    assert _branch(tmp_path, condition, "dtracepy") == ("yes" if true else "no")


@pytest.mark.skipif(not os.access(DTRACE, os.X_OK) or os.geteuid() != 0, reason="no dtrace to ask")
@pytest.mark.parametrize("condition, true", CHARS[:3] + CHARS[4:5])
def test_dtrace_agrees_on_the_character_constants(tmp_path, condition, true):
    assert _branch(tmp_path, condition, "dtrace") == ("yes" if true else "no")


def test_a_char_macro_in_if_hides_no_destructive_branch_from_check(tmp_path):
    # dtrace -C runs the system() (gcc: '\377' is -1); check took the other branch and passed it
    (tmp_path / "c.d").write_text("#define C '\\377'\n#if C < 0\nBEGIN { system(\"id\"); }\n#endif\n"
                                  "BEGIN { exit(0); }\n")
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert "[destructive]" in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_string_in_if_is_refused_in_cpps_words(tmp_path):
    (tmp_path / "c.d").write_text('#if __DATE__\n#endif\n#if "x"\n#endif\nBEGIN { exit(0); }\n')
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert result.returncode == 1
    assert 'is not valid in preprocessor expressions' in result.stderr, result.stderr
    assert "AttributeError" not in result.stderr


@pytest.mark.parametrize("constant, said", [
    ("''", "empty character constant"),
    ("'\\x'", "\\x used with no following hex digits"),
    ("'\\u12'", "incomplete universal character name \\u12"),
    ("'\\ud800'", "\\ud800 is not a valid universal character"),
])
def test_a_character_constant_gcc_refuses_is_refused_in_its_words(tmp_path, constant, said):
    (tmp_path / "c.d").write_text(f"#if {constant}\n#endif\nBEGIN {{ exit(0); }}\n")
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert result.returncode == 1 and said in result.stderr, result.stderr
    assert "Could not evaluate" not in result.stderr


def test_date_is_spelled_as_gcc_spells_it():
    import time

    from dtracepy.preprocess import preprocess

    out, _ = preprocess("BEGIN { printf(__DATE__); }\n", "x.d")
    day = time.localtime()
    assert f'"{time.strftime("%b", day)} {day.tm_mday:2d} {day.tm_year}"' in out, out


# --- L-A: an expansion that fails named a directive by pcpp's output line, not the printed one ----

def test_a_failed_expansion_names_no_directive_it_did_not_fail_on(monkeypatch):
    # pcpp's output drops lines (an #ifdef's group, #define lines): its line 9 was the printed
    # program's `#define A1(a) 1u`, named "here" for a syntax error at the end of the input
    from dtracepy import parser, preprocess

    text = ("#ifdef B\n#define AB XY\n#endif\n#ifdef B\n#define X trace\n#endif\n#define A1(a) 1u\n"
            "#define G(a) system\n#define X() F\n#define system {\nBEGIN { system(A); trace('A'); }\n")
    for left_out in (True, False):  # (with and without the #defines nothing names)
        if not left_out:
            monkeypatch.setattr(preprocess, "unnamed_defines", lambda defines, text: set())
        expanded, failure = parser.expanded(parser.parse(text, "x.d"))
        assert expanded is None and failure is not None
        item, where, message = failure
        assert item is None and where == "" and "syntax error" in message, failure


# --- M2: __has_include, which pcpp does not know: its branch was skipped where gcc takes it -------

@pytest.mark.parametrize("condition, true", [
    ('__has_include("stdio.h")', True),
    ("__has_include(<stdio.h>)", True),
    ("__has_include(<sys/types.h>) && 1", True),
    ("__has_include(<no_such_dir/no_such.h>)", False),
    ('__has_include("no_such.h") || 0', False),
    ("defined(__has_include_next) && defined __has_include", True),
])
def test_has_include_is_answered_as_gcc_answers_it(tmp_path, condition, true):
    assert _branch(tmp_path, condition, "dtracepy") == ("yes" if true else "no")


@pytest.mark.skipif(not os.access(DTRACE, os.X_OK) or os.geteuid() != 0, reason="no dtrace to ask")
def test_dtrace_takes_the_has_include_branch(tmp_path):
    assert _branch(tmp_path, '__has_include("stdio.h")', "dtrace") == "yes"


def test_a_has_include_branch_hides_no_destructive_action_from_check(tmp_path):
    (tmp_path / "c.d").write_text('#ifdef __has_include\n#if __has_include(<stdio.h>)\nBEGIN { system("id"); }\n'
                                  "#endif\n#endif\nBEGIN { exit(0); }\n")
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert "[destructive]" in result.stdout + result.stderr, result.stdout + result.stderr


def test_a_malformed_has_include_is_refused_in_cpps_words(tmp_path):
    (tmp_path / "c.d").write_text("#if __has_include(stdio)\n#endif\nBEGIN { exit(0); }\n")
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert result.returncode == 1 and 'operator "__has_include" requires a header-name' in result.stderr, result.stderr


# --- M3: names gcc's cpp knows as defined that pcpp's table lacks ------------------------------

@pytest.mark.parametrize("name", ["__LINE__", "__COUNTER__", "__INCLUDE_LEVEL__", "__BASE_FILE__", "__TIMESTAMP__",
                                  "_Pragma", "__has_builtin", "__has_attribute", "__has_c_attribute",
                                  "__has_cpp_attribute", "__FILE__"])
def test_gccs_special_names_are_defined(tmp_path, name):
    assert _branch(tmp_path, f"defined({name})", "dtracepy") == "yes"
    assert _branch(tmp_path, "defined(NO_SUCH_NAME_23)", "dtracepy") == "no"


def test_an_ifdef_line_branch_hides_no_destructive_action_from_check(tmp_path):
    (tmp_path / "c.d").write_text('#ifdef __LINE__\nBEGIN { system("id"); }\n#endif\n'
                                  '#ifndef __COUNTER__\n#error gcc knows __COUNTER__\n#endif\nBEGIN { exit(0); }\n')
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    said = result.stdout + result.stderr
    assert "[destructive]" in said and "#error" not in said, said


def test_has_builtin_in_if_is_refused_not_guessed(tmp_path):
    (tmp_path / "c.d").write_text('#if __has_builtin(__builtin_expect)\nBEGIN { system("id"); }\n#endif\n'
                                  "BEGIN { exit(0); }\n")
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert result.returncode == 1 and "__has_builtin() asks gcc's own tables" in result.stderr, result.stderr

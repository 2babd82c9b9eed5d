"""Review 25 (helper hostile25; issue 8): a hostile look at session 23's fast paths (perf24a-f,
review23).  The fast paths were fuzzed against their general paths and the code before them
(/work/review25.md); these are what the review found wrong, each failing on the code before it,
and the controls beside them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO
from dtracepy.errors import LayoutError
from dtracepy.layout.cdecl import parse_layouts

DTRACE = "/usr/local/bin/dtrace"


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


# --- M1: gcc 12's __FILE_NAME__ is defined to #ifdef (review23's M3 set lacked it) -----------------

_FILE_NAME_BRANCH = '#ifdef __FILE_NAME__\nBEGIN { system("id"); }\n#endif\nBEGIN { exit(0); }\n'


def test_an_ifdef_file_name_branch_hides_no_destructive_action_from_check(tmp_path):
    # dtrace -C (gcc 12's cpp) keeps the branch; check -C skipped it and passed the system()
    (tmp_path / "c.d").write_text(_FILE_NAME_BRANCH)
    result = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert "[destructive]" in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize("condition", ["defined(__FILE_NAME__)", "defined __FILE_NAME__"])
def test_file_name_is_defined_in_if(tmp_path, condition):
    (tmp_path / "c.d").write_text(f"#if {condition}\n#error yes\n#else\n#error no\n#endif\nBEGIN {{ exit(0); }}\n")
    said = _cli("check", "-C", "c.d", cwd=tmp_path)
    assert "#error yes" in said.stdout + said.stderr, said.stdout + said.stderr


@pytest.mark.skipif(not os.access(DTRACE, os.X_OK) or os.geteuid() != 0, reason="no dtrace to ask")
def test_dtrace_takes_the_file_name_branch(tmp_path):
    (tmp_path / "c.d").write_text("#ifdef __FILE_NAME__\nBEGIN { this is no D }\n#endif\nBEGIN { exit(0); }\n")
    result = subprocess.run([DTRACE, "-C", "-e", "-s", "c.d"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "syntax error" in result.stderr, result.stderr


# --- M2: layout laid out arrays gcc refuses (of an incomplete type; of void and of functions, which
# layout25 refuses too since c7c0f0f, at the converter) ----------------------------------------------

_PRELUDE = "typedef int F(int);\ntypedef int A[3];\nstruct inc;\nstruct in { int a; };\n"


@pytest.mark.parametrize(("member", "said"), [
    ("void m[2];", "declaration of 'm' as array of voids"),          # was laid out: 2 bytes
    ("void m[0];", "declaration of 'm' as array of voids"),
    ("void m[2][3];", "declaration of 'm' as array of voids"),       # 6 bytes
    ("F m[2][3];", "declaration of 'm' as array of functions"),      # 0 bytes (F m[2] was refused)
    ("struct inc m[2];", "array type has incomplete element type 'struct inc'"),   # 0 bytes
    ("struct inc m[2][2];", "array type has incomplete element type 'struct inc'"),
    ("struct inc m[];", "array type has incomplete element type 'struct inc'"),
    ("struct s m[1];", "array type has incomplete element type 'struct s'"),       # 4 bytes
])
@pytest.mark.parametrize("short", [True, False])
def test_an_array_gcc_refuses_is_refused_in_its_words(member, said, short, monkeypatch):
    from dtracepy.layout import cdecl

    monkeypatch.setattr(cdecl, "_SHORT_MEMBERS", short)
    with pytest.raises(LayoutError) as caught:
        parse_layouts(f"{_PRELUDE}struct s {{ int a; {member} }};\n", filename="a.h")
    assert said in caught.value.message
    assert caught.value.pos is not None and caught.value.pos.line == 5


@pytest.mark.parametrize(("member", "size"), [
    ("F *m[2];", 24), ("A m[2];", 28), ("struct in m[2];", 12), ("struct inc *m[2];", 24), ("char m[0];", 4),
    ("struct in m[];", 4),
])
def test_arrays_gcc_takes_are_still_laid_out(member, size):
    assert parse_layouts(f"{_PRELUDE}struct s {{ int a; {member} }};\n", filename="a.h")["struct s"].size == size


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no gcc to ask")
@pytest.mark.parametrize("member", ["void m[2];", "F m[2][3];", "struct inc m[2];", "struct s m[1];"])
def test_gcc_refuses_those_arrays(tmp_path, member):
    (tmp_path / "a.c").write_text(f"{_PRELUDE}struct s {{ int a; {member} }};\n")
    result = subprocess.run(["gcc", "-fsyntax-only", "a.c"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode != 0, result.stderr


def test_the_layout_command_refuses_an_array_of_void_located(tmp_path):
    (tmp_path / "a.h").write_text(f"{_PRELUDE}struct s {{ int a; void m[2]; }};\n")
    result = _cli("layout", "a.h", "struct s", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("a.h:5:"), result.stdout + result.stderr


# --- L1: ASCII control characters (ESC, backspace, DEL) raw in comments of dtracepy's output --------
# review23's hidden_shown returned an ASCII text as it was: `import` wrote a D comment's
# `\x1b[2J` (clear the screen) into the module's `#` comments, the printer a Comment's into D.

ESCAPE = "\x1b[2J"


def test_import_writes_an_escape_sequence_of_a_comment_escaped(tmp_path):
    (tmp_path / "e.d").write_text(f"BEGIN {{ /* a{ESCAPE}b \x08 \x7f */ exit(0); }}\n/* top{ESCAPE} */\n")
    result = _cli("import", "e.d", "-o", "e.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    module = (tmp_path / "e.py").read_text()
    assert "\x1b" not in module and "\x08" not in module and "\x7f" not in module
    assert "a<U+001B>[2Jb <U+0008> <U+007F>" in module and "top<U+001B>[2J" in module


def test_a_tree_comment_with_an_escape_sequence_is_printed_escaped():
    from dtracepy import tree
    from dtracepy.printer import to_d

    text = to_d(tree.Program((tree.Comment(f" x{ESCAPE} é\x1b "),)))
    assert "\x1b" not in text and "x<U+001B>[2J é<U+001B>" in text


def test_tabs_and_line_ends_in_comments_stay_as_they_are():
    from dtracepy import tree

    assert tree.hidden_shown("a\tb\nc\r\nd") == "a\tb\nc\r\nd"
    assert tree.comment_safe("x\0y\x1b") == "x\\0y<U+001B>"

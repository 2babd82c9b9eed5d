"""What review 15 (/work/review15.md) found and session 15 left unfixed, fixed in session 16.

Each test fails on the code before its fix.  CASES are D text, the dialect check is told (None:
none) and the rule check reports as its first error (None: no error); the real dtrace (Oracle D
2.0, ``dtrace -e``) judges each the same way round where it is installed (skipped, saying so,
where it is not, or where we are not root).

* F18: ``args[i]`` in a clause of ``BEGIN``, ``END``, ``ERROR``, ``profile-N`` or ``tick-N``
  (probes with no typed arguments: "index 0 is out of range for :::BEGIN args[ ]"), in check and
  in compile, by one rule (``checks/rules.py``, the fact in ``facts/translated.untyped_probe``);
* F20a: an enumerator named above its enum, an inline named above it in a declaration;
* F20b: a variable given an element (``self->a[1] = 2``) then used whole (``self->a = 3``);
* F11: ``layout`` of a typedef name declared again as another type;
* F13: ``check -C`` of ``#line 99999999999999999999`` put later errors at line 1;
* F9: a tracer module's exception message printed its control characters raw;
* F17: ``reprlib.repr(pid)`` in a probe body put ``"<D instance at 0x...>"`` in the D.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from real_dtrace import judge_scripts
from test_check_gaps12 import _errors, assert_first_error, dtrace_disagreements
from test_new_user_review15 import _cli

CASES = {
    # F18: probes with no typed arguments
    "BEGIN args[0]": ("BEGIN { trace(args[0]); }", None, "array-use"),
    "END args[0]": ("END { trace(args[0]); }", None, "array-use"),
    "ERROR args[0]": ("ERROR { trace(args[0]); }", None, "array-use"),
    "dtrace:::BEGIN args[1]": ("dtrace:::BEGIN { x = args[1]; }", None, "array-use"),
    "profile-97 args[0]": ("profile-97 { trace(args[0]); }", None, "array-use"),
    "profile:::tick-1s args[0]": ("profile:::tick-1s { trace(args[0]); }", None, "array-use"),
    "tick-1s predicate": ("tick-1s /args[0]/ { trace(1); }", None, "array-use"),
    "BEGIN args[arg0]": ("BEGIN { trace(args[arg0]); }", None, "array-use"),
    "tick and syscall": ("tick-1s, syscall::read:entry { trace(args[1 + 1]); }", None, "array-use"),
    "syscall and BEGIN": ("syscall::read:entry, BEGIN { trace(args[0]); }", None, "array-use"),
    "syscall args[0]": ("syscall::read:entry { trace(args[0]); }", None, None),
    "BEGIN arg0": ("BEGIN { trace(arg0); }", None, None),
    "profile arg1": ("profile-97 { trace(arg1); }", None, None),
    # F20a: an enumerator above its enum; an inline above it in a declaration
    "enumerator in a clause above": ("BEGIN { trace(A); }\nenum e { A, B };", None, "used-before-assigned"),
    "enumerator in a predicate above": ("BEGIN /A/ { }\nenum e { A, B };", None, "used-before-assigned"),
    "enumerator in an inline above": ("inline int M = A;\nenum e { A, B };\nBEGIN { trace(M); }", None,
                                      "used-before-assigned"),
    "enumerator in a dimension above": ("int x[A];\nenum e { A = 2, B };\nBEGIN { trace(x[0]); }", None,
                                        "used-before-assigned"),
    "enumerator before it in its enum": ("enum e { A = B, B };\nBEGIN { trace(A); }", None, "used-before-assigned"),
    "inline in an inline above": ("inline int M = N + 1;\ninline int N = 3;\nBEGIN { trace(M); }", None,
                                  "used-before-assigned"),
    "inline in an enumerator above": ("enum e { A = N };\ninline int N = 3;\nBEGIN { trace(A); }", None,
                                      "used-before-assigned"),
    "inline in a dimension above": ("int x[N];\ninline int N = 3;\nBEGIN { trace(x[0]); }", None,
                                    "used-before-assigned"),
    "inline in its own value": ("inline int foo = foo + 3;\nBEGIN { trace(foo); }", None, "used-before-assigned"),
    "inline in a clause above": ("BEGIN { trace(N); }\ninline int N = 3;", None, None),
    "inline in a predicate above": ("BEGIN /N/ { trace(1); }\ninline int N = 3;", None, None),
    "enumerator below its enum": ("enum e { A, B = A + 1 };\nBEGIN { trace(B); }", None, None),
    # F20b: given an element, then used whole
    "self element then whole, two clauses": ("BEGIN { self->a[1] = 2; }\nEND { self->a = 3; }", None, "array-use"),
    "self element then whole, one clause": ("BEGIN { self->a[1] = 2; self->a = 3; }", None, "array-use"),
    "self element then read": ("BEGIN { self->a[1] = 2; }\nEND { trace(self->a); }", None, "array-use"),
    "self element then ++": ("BEGIN { self->a[1] = 2; }\nEND { self->a++; }", None, "array-use"),
    "self element then +=": ("BEGIN { self->a[1] = 2; }\nEND { self->a += 1; }", None, "array-use"),
    "self element then predicate": ("BEGIN { self->a[1] = 2; }\nEND /self->a/ { }", None, "array-use"),
    "self element ++ then whole": ('BEGIN { self->a["x"]++; }\nEND { self->a = 1; }', None, "array-use"),
    "self body before its predicate": ("END /self->a/ { self->a[1] = 2; }", None, "array-use"),
    "self element then arg0": ("BEGIN { self->a[1] = 2; }\nEND { self->a = arg0; }", None, "array-use"),
    "global element then whole": ("BEGIN { a[1] = 2; }\nEND { a = 3; }", None, "array-use"),
    "global element then +=": ("BEGIN { a[1] = 2; }\nEND { a += 3; }", None, "array-use"),
    "global element then zero": ("BEGIN { a[1] = 2; }\nEND { a = 0; }", None, "array-use"),
    # (dtrace 2.0 crashes compiling these: a segmentation fault)
    "self element then zero": ("BEGIN { self->a[1] = 2; }\nEND { self->a = 0; }", None, "array-use"),
    "self element then 1 - 1": ("BEGIN { self->a[1] = 2; }\nEND { self->a = 1 - 1; }", None, "array-use"),
    "self element then NULL": ("BEGIN { self->a[1] = 2; }\nEND { self->a = NULL; }", None, "array-use"),
    "self element then element": ("BEGIN { self->a[1] = 2; }\nEND { trace(self->a[1]); }", None, None),
    "pointer then element": ("BEGIN { self->p = (int *)alloca(8); self->p[0] = 1; }", None, None),
}


@pytest.mark.parametrize("name", CASES)
def test_check_judges_each_case(name):
    assert_first_error(CASES, name)


def test_the_real_dtrace_judges_them_the_same_way():
    assert dtrace_disagreements(CASES) == {}


def test_the_findings_are_located_and_say_what_dtrace_says():
    found = _errors("BEGIN\n{\n\ttrace(args[0]);\n}\n", None)
    assert [(f.pos.line, f.pos.col) for f in found] == [(3, 8)]
    assert 'dtrace: "index 0 is out of range for :::BEGIN args[ ]"' in found[0].message
    found = _errors("BEGIN { trace(A); }\nenum e { A, B };\n", None)
    assert [(f.pos.line, f.pos.col) for f in found] == [(1, 15)]
    assert "enumerator 'A' may not be referenced as scalar" in found[0].message
    found = _errors("BEGIN { self->a[1] = 2; }\nEND { self->a = 3; }\n", None)
    assert [(f.pos.line, f.pos.col) for f in found] == [(2, 7)]
    assert '"associative array" = ' in found[0].message


_TRACER = "from dtracepy import Tracer, args, glob, self, trace, pid, printf, if_\nt = Tracer()\n"


@pytest.mark.parametrize("probe", ["BEGIN", "END", "profile-97", "tick-1s"])
def test_a_tracer_naming_args_in_a_probe_without_typed_arguments_is_refused_at_its_line(tmp_path, probe):
    """The same rule as check's: `trace(args[0])` in a BEGIN body compiled to D dtrace refuses."""
    (tmp_path / "t.py").write_text(_TRACER + f"@t.probe({probe!r})\ndef b():\n    trace(args[0])\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("t.py:5: error: args[] has no elements in a clause of " + probe)
    assert result.stderr.rstrip().endswith("[array-use]\n    trace(args[0])".rstrip())


def test_a_tracer_naming_args_at_a_syscall_still_compiles(tmp_path):
    (tmp_path / "t.py").write_text(_TRACER + "@t.probe('syscall::read:entry')\ndef b():\n    trace(args[0])\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_tracer_using_an_array_whole_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(_TRACER + "@t.probe('BEGIN')\ndef b():\n    glob.a[1] = 2\n    self.b[1] = 2\n"
                                   "@t.probe('END')\ndef e():\n    trace(glob.a)\n    self.b = 3\nt.keep(self.b)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert lines[0].startswith("t.py:9: error: a is an associative array")
    assert lines[1].startswith("t.py:10: error: self->b is an associative array")
    # (each said once: the operands' check said line 9's again in other words, seen once the
    # errors were ordered by line)
    assert len(lines) == 2, result.stderr


# --- F11: a typedef name declared again as another type ----------------------------------------

TYPEDEFS = {
    # header: (refused at (line, col), None: laid out)
    "typedef int T;\ntypedef long T;\n": (2, 14),
    "typedef int T;\nstruct s { T a; };\ntypedef long T;\n": (3, 14),
    "typedef const int T;\ntypedef int T;\n": (2, 13),
    "typedef signed char T;\ntypedef char T;\n": (2, 14),
    "typedef int T[3];\ntypedef int T[4];\n": (2, 13),
    "typedef struct { int a; } T;\ntypedef struct { int a; } T;\n": (2, 27),
    "typedef char *P;\ntypedef const P T;\ntypedef const char *T;\n": (3, 21),
    "typedef void (*F)(int);\ntypedef int (*F)(int);\n": (2, 15),
    "typedef int T;\ntypedef int T;\n": None,
    "typedef long int T;\ntypedef long T;\n": None,
    "typedef unsigned T;\ntypedef unsigned int T;\n": None,
    "typedef int A;\ntypedef A T;\ntypedef int T;\n": None,
    "typedef char *P;\ntypedef const P T;\ntypedef char *const T;\n": None,
    "struct q { int a; };\ntypedef struct q T;\ntypedef struct q T;\n": None,
    "typedef int T[3];\ntypedef int T[2 + 1];\n": None,
    "typedef void (*F)(int);\ntypedef void (*F)(int);\n": None,
}


@pytest.mark.parametrize("header", TYPEDEFS)
def test_a_typedef_declared_again_as_another_type_is_refused_by_both_readers(header, monkeypatch):
    from test_layout_reader import same

    text = header + "struct s { int z; };\n"
    found = same(text, monkeypatch)  # (the fast reader and pycparser's path give one answer)
    where = TYPEDEFS[header]
    if where is None:
        assert found[0] == "ok", found
    else:
        assert found[0] == "error" and found[1].startswith("conflicting types for "), found
        assert found[2] == f"h.h:{where[0]}:{where[1]}"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed: C's own verdict is not available")
def test_gcc_judges_the_typedefs_the_same_way(tmp_path):
    wrong = {}
    for header, where in TYPEDEFS.items():
        path = tmp_path / "h.c"
        path.write_text(header)
        result = subprocess.run(["gcc", "-std=c11", "-fsyntax-only", str(path)], capture_output=True, text=True)
        if (result.returncode != 0) != (where is not None):
            wrong[header] = result.stderr
    assert wrong == {}


def test_layout_command_names_the_second_declaration(tmp_path):
    (tmp_path / "t.h").write_text("typedef int T;\ntypedef long T;\nstruct s { T a; };\n")
    result = _cli("layout", "t.h", "struct s", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.h:2:14: error: conflicting types for 'T'")


# --- F13: #line beyond what a line number may be -------------------------------------------------

@pytest.mark.parametrize("number", ["1000000000", "2147483647"])
def test_a_ten_digit_line_number_is_kept(tmp_path, number):
    """`#line 2147483647` (C's largest) put the next error at line 1."""
    (tmp_path / "l.d").write_text(f"#line {number}\nBEGIN {{ trace(x[0]; }}\n")
    result = _cli("check", "-C", "l.d", cwd=tmp_path)
    assert result.stderr.startswith(f"l.d:{number}:19: error: syntax error"), result.stderr


@pytest.mark.parametrize("number", ["2147483648", "4294967295", "99999999999999999999", "9" * 5000])
def test_a_line_number_out_of_range_is_a_located_warning_and_the_lines_keep_their_numbers(tmp_path, number):
    """`#line 99999999999999999999` put every later error at line 1, silently."""
    (tmp_path / "l.d").write_text(f"\n#line {number}\nBEGIN {{ trace(x[0]; }}\n")
    result = _cli("check", "-C", "l.d", cwd=tmp_path)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("l.d:2:7: warning: #line "), result.stderr
    assert "a line number goes up to 2147483647" in lines[0] and "ignores the directive" in lines[0]
    assert lines[1].startswith("l.d:3:19: error: syntax error"), result.stderr


def test_dtrace_wraps_a_line_number_out_of_range():
    """What the warning says dtrace does (cpp keeps line numbers in 32 bits, dtrace prints an int)."""
    verdicts = judge_scripts({n: {"text": f"#line {n}\nBEGIN {{ trace(x[0]; }}\n", "flags": "C"}
                              for n in ("2147483647", "2147483648", "4294967295")})
    assert "line 2147483647:" in verdicts["2147483647"]
    assert "line -2147483648:" in verdicts["2147483648"]
    assert "line -1:" in verdicts["4294967295"]


# --- F9: a tracer module's exception with control characters -------------------------------------

def test_a_tracer_modules_exception_message_shows_its_control_characters_escaped(tmp_path):
    (tmp_path / "e.py").write_text('raise ValueError("a\\x1b[2Jb\\rc\\x07d\\u202ee")\n')
    result = _cli("compile", "e.py", cwd=tmp_path)
    assert result.returncode == 1
    first = result.stderr.splitlines()[0]
    assert first == "e.py:1: error: ValueError: a\\x1b[2Jb\\rc\\x07d\\u202ee", result.stderr
    assert not any(c in result.stderr for c in "\x1b\r\x07\u202e")


def test_a_message_keeps_its_newlines_and_tabs():
    from dtracepy.source import shown_text

    assert shown_text("a\nb\tc") == "a\nb\tc"
    assert shown_text("a\udcffb\x1b") == "a\\xffb\\x1b"


# --- F17: reprlib.repr of a D value ----------------------------------------------------------------

@pytest.mark.parametrize("body", [
    '    printf("%s\\n", reprlib.repr(pid))\n',
    '    with if_(pid > 1):\n        x = reprlib.repr([pid])\n    trace(1)\n',
])
def test_reprlib_of_a_d_value_in_a_probe_body_is_an_error_at_the_users_line(tmp_path, body):
    """reprlib catches the error repr() raises and gives "<D instance at 0x...>", which reached
    the D (`printf("%s\\n", "<D instance at 0x7f...>")`, exit 0)."""
    (tmp_path / "t.py").write_text("import reprlib\n" + _TRACER + "@t.probe('BEGIN')\ndef b():\n" + body)
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "instance at" not in result.stdout
    line = 6 if "if_" not in body else 7
    assert result.stderr.startswith(f"t.py:{line}: error: a D value (pid) made into a Python string (repr())")


def test_reprlib_of_a_d_value_outside_a_probe_body_still_shows_it(tmp_path):
    (tmp_path / "t.py").write_text("import reprlib, sys\n" + _TRACER + "@t.probe('BEGIN')\ndef b():\n"
                                   "    trace(pid)\nprint(reprlib.repr(pid), file=sys.stderr)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "D(pid)" in result.stderr


# --- print(x, file=buf) of a D value -------------------------------------------------------------

def test_print_of_a_d_value_into_a_string_buffer_is_an_error_at_the_users_line(tmp_path):
    """`print(pid, file=buf)` with an io.StringIO put the text "pid" into buf, and from there into
    the D (`printf("pid\\n")`, exit 0): print was let show a D value's text wherever it wrote."""
    (tmp_path / "t.py").write_text("import io\n" + _TRACER + "@t.probe('BEGIN')\ndef b():\n"
                                   "    buf = io.StringIO()\n    print(pid, file=buf)\n    printf(buf.getvalue())\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("t.py:7: error: a D value (pid) made into a Python string"), result.stderr


def test_print_of_a_d_value_to_standard_error_still_shows_it(tmp_path):
    (tmp_path / "t.py").write_text("import sys\n" + _TRACER + "@t.probe('BEGIN')\ndef b():\n"
                                   "    print(pid,\n          file=sys.stderr)\n    print(pid)\n    trace(pid)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("pid\n") >= 2

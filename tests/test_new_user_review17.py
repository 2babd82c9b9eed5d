"""A hostile new user's walk (session 17, /work/review17.md): what got through, fixed.

Each test fails on the code before its fix.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.pythonpath import env_with

from conftest import REPO


def _cli(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "dtracepy", *args], cwd=cwd, capture_output=True,
                          text=True, env=env_with(REPO), timeout=timeout)


def _errors(tmp_path, text, *flags):
    d = tmp_path / "a.d"
    d.write_text(text)
    result = _cli("check", *flags, "a.d", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    return [line for line in result.stderr.splitlines() if ": error: " in line]


# --- R1: args[] beyond a probe's arguments --------------------------------------------------------
# dtrace types args[] from the probe the description matches: index i is refused where the probe
# has i arguments or fewer, whether the description names the probe plainly or by a glob, and a
# description matching several of the dtrace provider's probes refuses any args[].

_ARGS_REFUSED = [  # (clause, dialect flags), each refused by Oracle's dtrace -e
    ("*:::BEGIN { trace(args[0]); }", ()),
    ("d*:::END { trace(args[0]); }", ()),
    ("dtrace:*:*:BEGIN { trace(args[0]); }", ()),
    ("dtrace:::BEG* { trace(args[0]); }", ()),
    ("dtrace:::* { trace(args[0]); }", ()),
    ("dtrace:::E* { trace(args[1]); }", ()),
    ("dtrace::: { trace(args[0]); }", ()),
    ("*:::tick-1s { trace(args[0]); }", ()),
    ("proc:::exec-success { trace(args[0]); }", ()),
    ("proc:vmlinux::exec-success { trace(args[0]); }", ()),
    ("sched:::on-cpu { trace(args[1]); }", ()),
    ("proc:::start /args[0]/ { }", ()),
    ("io:::start { trace(args[3]); }", ()),
    ("proc:::exit { trace(args[1]); }", ()),
    ("sched:::enqueue { trace(args[3]); }", ("--dialect", "oracle")),
]

_ARGS_TAKEN = [  # each accepted by Oracle's dtrace -e
    ("sched:::enqueue { trace(args[2]->cpu_id); }", ("--dialect", "oracle")),
    ("proc:::exec { trace(stringof(args[0])); }", ()),
    ("proc:::exit { trace(args[0]); }", ()),
    ("io:::start { trace(args[0]->b_bcount); }", ()),
    ("syscall::read:entry { trace(args[0]); }", ()),
    ("dtrace:::* { trace(arg0); }", ()),
    ("*:::BEGIN { exit(0); }", ()),
]


@pytest.mark.parametrize("clause, flags", _ARGS_REFUSED)
def test_check_refuses_args_beyond_the_probes_arguments(tmp_path, clause, flags):
    errors = _errors(tmp_path, clause + "\n", *flags)
    assert errors and "[array-use]" in errors[0], (clause, errors)


@pytest.mark.parametrize("clause, flags", _ARGS_TAKEN)
def test_check_takes_args_within_the_probes_arguments(tmp_path, clause, flags):
    assert _errors(tmp_path, clause + "\n", *flags) == []


def test_sched_enqueue_has_a_fourth_argument_but_in_oracles_d(tmp_path):
    assert _errors(tmp_path, "sched:::enqueue { trace(args[3]); }\n") == []


def test_a_tracer_refuses_args_beyond_its_probes_arguments_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, trace, args\n"
        "t = Tracer(dialect='oracle')\n"
        "@t.probe('sched:::enqueue')\n"
        "def b():\n"
        "    trace(args[3])\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.py:5: error: args[3] is out of range"), result.stderr


def test_the_real_dtrace_judges_args_as_check_does():
    from tests.real_dtrace import compile_scripts

    scripts = {clause: clause + "\n" for clause, _ in _ARGS_REFUSED + _ARGS_TAKEN}
    verdicts = compile_scripts(scripts)
    for clause, _ in _ARGS_REFUSED:
        assert verdicts[clause] is not None and "args[ ]" in verdicts[clause], (clause, verdicts[clause])
    for clause, _ in _ARGS_TAKEN:
        assert verdicts[clause] is None, (clause, verdicts[clause])


# --- R2: descriptions dtrace takes that probe-desc refused ---------------------------------------
# A glob that matches an empty module or function matches the dtrace provider's probes, and a
# provider glob that matches profile names the profile provider.

_DESCS_TAKEN = ["dtrace:*:*:BEGIN", "*:*:*:BEGIN", "dtrace:*::END", ":*::ERROR", "*:::tick-1s",
                "p*:::tick-1s", "pr?file:::profile-97"]
_DESCS_REFUSED = ["dtrace:?*::END", "dtrace:a::BEGIN", "profile:*:*:tick-1s", "profile:a::tick-1s",
                  "s*:::tick-1s", "syscall:::tick-1s"]


@pytest.mark.parametrize("desc", _DESCS_TAKEN)
def test_check_takes_a_glob_that_matches_the_probe(tmp_path, desc):
    assert _errors(tmp_path, f"{desc} {{ exit(0); }}\n") == []


@pytest.mark.parametrize("desc", _DESCS_REFUSED)
def test_check_still_refuses_a_description_that_matches_nothing(tmp_path, desc):
    errors = _errors(tmp_path, f"{desc} {{ exit(0); }}\n")
    assert errors and "[probe-desc]" in errors[0], errors


def test_a_tracer_takes_a_glob_that_matches_begin(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, exit_\n"
        "t = Tracer()\n"
        "@t.probe('dtrace:*:*:BEGIN', '*:::tick-1s')\n"
        "def b():\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dtrace:*:*:BEGIN,\n*:::tick-1s\n" in result.stdout


def test_the_real_dtrace_judges_the_descriptions_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({desc: f"{desc} {{ exit(0); }}\n" for desc in _DESCS_TAKEN + _DESCS_REFUSED})
    for desc in _DESCS_TAKEN:
        assert verdicts[desc] is None, (desc, verdicts[desc])
    for desc in _DESCS_REFUSED:
        assert verdicts[desc] is not None and "does not match any probes" in verdicts[desc], (desc, verdicts[desc])


# --- R3: #pragma D binding of a name the program never declares ----------------------------------
# dtrace keeps a binding of an unknown name pending for a declaration to come, and refuses the
# program when none comes ("unused #pragma binding"), as it does for #pragma D attributes.

_BINDINGS_REFUSED = [
    '#pragma D binding "1.0" x\nBEGIN { exit(0); }\n',
    '#pragma D binding "1.0" x\nBEGIN { x = 1; exit(0); }\n',
    '#pragma D binding "1.0" execname\nBEGIN { exit(0); }\n',
    'int x;\n#pragma D binding "abc" x\nBEGIN { exit(0); }\n',
    'int x;\n#pragma D binding "1.0.0.0" x\nBEGIN { exit(0); }\n',
    'int x;\n#pragma D binding "256.0" x\nBEGIN { exit(0); }\n',
    'int x;\n#pragma D binding "1.4096" x\nBEGIN { exit(0); }\n',
    '#pragma D binding "1.0" translator\nBEGIN { exit(0); }\n',
    'struct s { int a; };\ntranslator struct s < int *x > { a = *x; };\n'
    '#pragma D binding "1.0" translator\nBEGIN { exit(0); }\n',
]
_BINDINGS_TAKEN = [
    'inline int x = 1;\n#pragma D binding "1.0" x\nBEGIN { exit(0); }\n',
    '#pragma D binding "1.0" x\ninline int x = 1;\nBEGIN { exit(0); }\n',
    'int x;\n#pragma D binding "99.0" x y\nBEGIN { x = 1; exit(0); }\n',
    'int x;\n#pragma D binding "255.4095.4095" x\nBEGIN { exit(0); }\n',
    'struct s { int a; };\n#pragma D binding "1.0" translator\n'
    'translator struct s < int *x > { a = *x; };\nBEGIN { exit(0); }\n',
]


@pytest.mark.parametrize("text", _BINDINGS_REFUSED)
def test_check_refuses_a_binding_dtrace_refuses(tmp_path, text):
    errors = _errors(tmp_path, text)
    assert errors and "[pragma]" in errors[0], errors


@pytest.mark.parametrize("text", _BINDINGS_TAKEN)
def test_check_takes_a_binding_dtrace_takes(tmp_path, text):
    assert _errors(tmp_path, text) == []


def test_a_tracer_binding_an_undeclared_name_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, exit_\n"
        "t = Tracer()\n"
        "t.pragma('D', 'binding', '\"1.0\"', 'x')\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.py:3: error: #pragma D binding names x"), result.stderr


def test_the_real_dtrace_judges_bindings_as_check_does():
    from tests.real_dtrace import compile_scripts

    # (one script a run: a global one script declares is "defined outside program scope" to the next)
    verdicts = compile_scripts({text: text for text in _BINDINGS_REFUSED + _BINDINGS_TAKEN}, batch=1)
    for text in _BINDINGS_REFUSED:
        assert verdicts[text] is not None and "#pragma binding" in verdicts[text], (text, verdicts[text])
    for text in _BINDINGS_TAKEN:
        assert verdicts[text] is None, (text, verdicts[text])


# --- R4: the header lists as arguments only what a run is given -----------------------------------

def test_the_header_lists_no_dollar_zero_as_an_argument(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, exit_, trace, macro\n"
        "t = Tracer()\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    trace(macro(0))\n"
        "    trace(macro('pid'))\n"
        "    trace(macro(1, 'the port'))\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header = result.stdout.split("*/")[0]
    assert " * Arguments:\n *   $1  the port\n" in header, header
    assert "$0" not in header and "$pid" not in header, header


# --- R5: #line as dtrace reads it ----------------------------------------------------------------
# dtrace reads #line (a line marker, #pragma line, #pragma D line) itself: a line number that is an
# integer constant as in a program, then optionally a quoted file name and integer flags.  check
# passed a number past 64 bits, a decimal past INT64_MAX, an octal 08, `1a`, `-1`, a comment, and
# refused a comment delimiter inside the quoted file name, which dtrace reads as text.

_LINES_REFUSED = [
    '#line 99999999999999999999999999 "a"', "# 99999999999999999999999999", "#line 9223372036854775808",
    "# 18446744073709551615", "#line 0x10000000000000000", "#line 08", '# 5 "x" 08', "#line 1a",
    "#line -1", "#line 5 x", '#line 5 "x" "y"', "#line 5 /* c */", '# 5 "x" 1a', "#line",
    "#pragma line 1a", "#pragma D line 99999999999999999999",
]
_LINES_TAKEN = [
    '#line 5 "a*/b"', '# 5 "a/*b" 1', '#pragma line 5 "a*/b"', '#pragma D line 5 "a*/b"',
    "#line 9223372036854775807", "# 0x8000000000000000", "#line 9223372036854775808u", "# 10UL",
    "#line 010", '# 5 "x" 1 3', "#line 0",
]


@pytest.mark.parametrize("line", _LINES_REFUSED)
def test_check_refuses_a_line_directive_dtrace_refuses(tmp_path, line):
    errors = _errors(tmp_path, f"{line}\nBEGIN {{ exit(0); }}\n")
    assert errors and errors[0].startswith("a.d:1:"), errors


@pytest.mark.parametrize("line", _LINES_TAKEN)
def test_check_takes_a_line_directive_dtrace_takes(tmp_path, line):
    assert _errors(tmp_path, f"{line}\nBEGIN {{ exit(0); }}\n") == []


@pytest.mark.parametrize("line, refused", [("#line 0x10", True), ("#line 1a", True), ("#line -1", True),
                                           ("#line 5", False), ('#line 5 "a*/b"', False)])
def test_check_under_cpp_judges_line_as_cpp_does(tmp_path, line, refused):
    for flags, text in ((("-C",), f"{line}\nBEGIN {{ exit(0); }}\n"),
                        ((), f"#!/usr/sbin/dtrace -Cs\n{line}\nBEGIN {{ exit(0); }}\n")):
        errors = _errors(tmp_path, text, *flags)
        assert bool(errors) == refused, (flags, errors)


def test_a_tracer_line_directive_is_judged_at_its_line(tmp_path):
    # (under cpp, which refuses 0x10; a #line alone no longer makes a tracer -Cs, and dtrace -s
    # takes "#line 0x10": tests/test_leftovers24.py)
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, exit_\n"
        "t = Tracer(cpp=True)\n"
        "t.directive('line', '0x10')\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("t.py:3: error: #line"), result.stderr


def test_the_real_dtrace_judges_line_directives_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({line: f"{line}\nBEGIN {{ exit(0); }}\n" for line in _LINES_REFUSED + _LINES_TAKEN},
                               batch=1)
    for line in _LINES_REFUSED:
        assert verdicts[line] is not None, line
    for line in _LINES_TAKEN:
        assert verdicts[line] is None, (line, verdicts[line])
    under_cpp = compile_scripts({line: f"{line}\nBEGIN {{ exit(0); }}\n" for line in ("#line 0x10", "#line 1a", "#line 5")},
                                flags=("-C",), batch=1)
    assert under_cpp["#line 0x10"] and under_cpp["#line 1a"] and under_cpp["#line 5"] is None, under_cpp


# --- R7: #pragma D error (and #pragma error) stops dtrace, as #error does --------------------------

@pytest.mark.parametrize("line", ["#pragma D error boom", "#pragma error boom"])
def test_check_refuses_a_pragma_error(tmp_path, line):
    errors = _errors(tmp_path, f"{line}\nBEGIN {{ exit(0); }}\n")
    assert errors and "[pragma]" in errors[0] and "#error: boom" in errors[0], errors


def test_a_tracer_pragma_error_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, exit_\n"
        "t = Tracer()\n"
        "t.pragma('D', 'error', 'boom')\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("t.py:3: error: #pragma D error"), result.stderr


def test_the_real_dtrace_stops_at_a_pragma_error():
    from tests.real_dtrace import compile_scripts

    lines = ["#pragma D error boom", "#pragma error boom", "#pragma D ident x", "#pragma errors x"]
    verdicts = compile_scripts({line: f"{line}\nBEGIN {{ exit(0); }}\n" for line in lines}, batch=1)
    assert "#error: boom" in verdicts[lines[0]] and "#error: boom" in verdicts[lines[1]], verdicts
    assert verdicts[lines[2]] is None and verdicts[lines[3]] is None, verdicts


# --- R6: translated data used whole, in Oracle's D ------------------------------------------------
# Oracle's D 2.0 cannot trace, assign or key by a translated variable (curpsinfo), what it points to
# or an element of fds[]; a member of one, a cast or %p is fine.  (illumos' D traces *curpsinfo:
# Apple's tst.dyn.d; so only with the dialect.)

_WHOLE = ["curpsinfo", "curlwpsinfo", "fds[0]", "*curpsinfo"]
_WHOLE_USES_REFUSED = ["trace(X);", "x = X;", "this->x = X;", "@[X] = count();", "a[X] = 1;"]
_WHOLE_USES_TAKEN = ["trace(curpsinfo->pr_pid);", 'printf("%p", curpsinfo);', "trace((long)curlwpsinfo);",
                     "trace(fds[0].fi_oflags);", "trace(stringof(curpsinfo->pr_fname));"]


def _whole_clause(use, value="X"):
    return f"BEGIN {{ {use.replace('X', value)} exit(0); }}\n"


@pytest.mark.parametrize("value", _WHOLE)
@pytest.mark.parametrize("use", _WHOLE_USES_REFUSED)
def test_check_refuses_translated_data_used_whole_in_oracles_d(tmp_path, use, value):
    text = _whole_clause(use, value)
    errors = _errors(tmp_path, text, "--dialect", "oracle")
    assert errors and "translated data" in errors[0] and "[array-use]" in errors[0], errors
    assert _errors(tmp_path, text) == []  # (another dialect may take it)


@pytest.mark.parametrize("use", _WHOLE_USES_TAKEN)
def test_check_takes_a_member_of_translated_data(tmp_path, use):
    assert _errors(tmp_path, _whole_clause(use), "--dialect", "oracle") == []


def test_an_oracle_tracer_refuses_translated_data_used_whole_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, trace, curpsinfo, exit_\n"
        "t = Tracer(dialect='oracle')\n"
        "@t.probe('BEGIN')\n"
        "def b():\n"
        "    trace(curpsinfo)\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("t.py:5: error: curpsinfo is translated data"), \
        result.stderr


def test_the_real_dtrace_judges_translated_data_as_check_does():
    from tests.real_dtrace import compile_scripts

    refused = {f"{use}/{value}": _whole_clause(use, value) for use in _WHOLE_USES_REFUSED for value in _WHOLE}
    taken = {use: _whole_clause(use) for use in _WHOLE_USES_TAKEN}
    verdicts = compile_scripts({**refused, **taken}, batch=1)
    for name in refused:
        assert verdicts[name] is not None and "translated" in verdicts[name] or "dynamic" in (verdicts[name] or ""), \
            (name, verdicts[name])
    for name in taken:
        assert verdicts[name] is None, (name, verdicts[name])


_ARGS_WHOLE_REFUSED = ["sched:::enqueue { trace(args[0]); }", "sched:::enqueue { x = args[1]; }",
                       "sched:::enqueue { @[args[0]] = count(); }", "io:::start { trace(args[1]); }",
                       "proc:::create { trace(args[0]); }", "ip:::send { self->p = args[2]; }",
                       "sched:::enqueue, proc:::exec { trace(args[0]); }"]
_ARGS_WHOLE_TAKEN = ["sched:::enqueue { trace(args[2]); }", "sched:::enqueue { trace(args[0]->pr_pri); }",
                     "proc:::signal-handle { trace(args[1]); }", "proc:::exec { trace(args[0]); }",
                     "syscall::read:entry { trace(args[0]); }"]


@pytest.mark.parametrize("clause", _ARGS_WHOLE_REFUSED)
def test_check_refuses_a_translated_argument_used_whole_in_oracles_d(tmp_path, clause):
    errors = _errors(tmp_path, clause + "\n", "--dialect", "oracle")
    assert errors and "translated data" in errors[0], errors


@pytest.mark.parametrize("clause", _ARGS_WHOLE_TAKEN)
def test_check_takes_an_argument_that_is_not_translated(tmp_path, clause):
    assert _errors(tmp_path, clause + "\n", "--dialect", "oracle") == []


def test_the_real_dtrace_judges_translated_arguments_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({c: c + "\n" for c in _ARGS_WHOLE_REFUSED + _ARGS_WHOLE_TAKEN}, batch=1)
    for clause in _ARGS_WHOLE_REFUSED:
        assert verdicts[clause] is not None and ("translated" in verdicts[clause] or "dynamic" in verdicts[clause]), \
            (clause, verdicts[clause])
    for clause in _ARGS_WHOLE_TAKEN:
        assert verdicts[clause] is None, (clause, verdicts[clause])


# --- char() of a character beyond ASCII (review 17, noticed) -----------------------------------

@pytest.mark.parametrize("value, said", [
    ("\xff", "'ÿ' (U+00FF) would be its 2 bytes in UTF-8, the number 50111; for the byte 0xff write "
             "charlit(\"\\377\") or 0xff"),
    ("é", "'é' (U+00E9) would be its 2 bytes in UTF-8, the number 50089; for the byte 0xe9"),
    ("a€", "'€' (U+20AC) would be its 3 bytes in UTF-8, the number 14844588"),
])
def test_char_beyond_ascii_is_refused_at_the_users_line(value, said):
    """`char("\\xff")` compiled to the two UTF-8 bytes of U+00FF, which dtrace reads as 50111, not
    the byte 255 it seems to mean (dtrace live: `trace('ÿ')` prints 50111, `trace('\\377')` 255)."""
    from dtracepy import char
    from dtracepy.errors import DSLError

    with pytest.raises(DSLError) as caught:
        char(value)
    message = str(caught.value)
    assert "test_new_user_review17.py:" in message and "error: char() takes ASCII characters" in message, message
    assert said in message, message


def test_charlit_of_the_byte_is_what_dtrace_reads_as_255():
    from dtracepy import charlit, expr
    from dtracepy.printer import to_d

    assert to_d(expr(charlit("\\377"))) == "'\\377'"

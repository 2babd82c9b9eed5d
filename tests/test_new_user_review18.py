"""A hostile new user's walk (session 18, /work/review18.md): what got through, fixed.

Each test fails on the code before its fix; where the verdict is about D, the real dtrace judges
the same cases (skipped where there is none).
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


def _in_process_errors(text, check, dialect=None):
    from dtracepy.checks import CheckOptions, check_program
    from dtracepy.parser import parse

    options = CheckOptions(dialect=dialect, dialect_given=True) if dialect else CheckOptions()
    return [f for f in check_program(parse(text, "a.d"), options, source=text) if f.check == check]


# --- R1: a pointer where a prototype has an integer, an integer where it has a pointer ----------
# dtrace refuses both ("argument #1 is incompatible with prototype"); check took them, and a
# tracer compiled them.

_POINTER_ARGS_REFUSED = [  # (clause, dialect or None), each refused by Oracle's dtrace -e
    ("BEGIN { trace(copyinstr((char *)arg0)); }", None),
    ("BEGIN { trace(copyin((char *)arg0, 4)); }", None),
    ("BEGIN { trace(copyinstr(copyin(arg0, 8))); }", None),
    ("BEGIN { trace(copyinstr(alloca(8))); }", None),
    ("BEGIN { trace(copyinstr(arg0, curthread)); }", None),
    ("BEGIN { trace(htonl(curthread)); }", None),
    ("BEGIN { trace(lltostr(curthread)); }", None),
    ("BEGIN { exit(curthread); }", None),
    ("BEGIN { trace(progenyof(curthread)); }", None),
    ("BEGIN { trace(substr(\"abc\", curthread)); }", None),
    ("BEGIN { trace(strchr(\"abc\", curthread)); }", None),
    ("BEGIN { trace(index(\"a\", \"b\", curthread)); }", None),
    ("BEGIN { trace(inet_ntop(curthread, 0)); }", None),
    ("BEGIN { @t1 = count(); trunc(@t1, curthread); }", None),
    ("BEGIN { @t2 = count(); normalize(@t2, curthread); }", None),
    ("BEGIN { commit(curthread); }", None),
    ("BEGIN { copyinto(curthread, 4, alloca(4)); }", None),
    ("BEGIN { trace(copyinstr(curthread->mm)); }", "oracle"),
    ("BEGIN { trace(copyin(curthread->comm, 4)); }", "oracle"),
    ("BEGIN { trace(inet_ntoa(arg0)); }", None),
    ("BEGIN { trace(inet_ntoa(\"abc\")); }", None),
    ("BEGIN { trace(inet_ntoa6(arg0)); }", None),
    ("BEGIN { trace(inet_ntop(2, arg0)); }", None),
    ("BEGIN { trace(inet_ntop(2, \"abc\")); }", None),
    ("BEGIN { trace(link_ntop(1, 2)); }", None),
    ("BEGIN { bcopy(arg0, alloca(4), 4); }", None),
    ("BEGIN { bcopy((void *)arg0, arg1, 4); }", None),
    ("BEGIN { copyinto(arg0, 4, arg1); }", None),
    ("BEGIN { pcap(arg0, 1); }", None),
    ("BEGIN { trace(d_path(arg0)); }", "oracle"),
    ("BEGIN { trace(mutex_owned(arg0)); }", None),
    ("BEGIN { trace(mutex_owner(arg0)); }", None),
    ("BEGIN { trace(rw_read_held(arg0)); }", None),
]

_POINTER_ARGS_TAKEN = [  # each compiled by Oracle's dtrace -e
    ("BEGIN { trace(copyinstr((uintptr_t)arg0)); trace(copyinstr(0)); }", None),
    ("BEGIN { trace(copyinstr(curthread->pid)); trace(copyinstr(curthread->mm->arg_start)); }", "oracle"),
    ("BEGIN { @s1 = sum(curthread); @s2 = avg(curthread); @s3 = min(curthread); @s4 = max(curthread); }", None),
    ("BEGIN { @q1 = quantize(1, curthread); @q2 = lquantize(curthread, 0, 10, 1, curthread); }", None),
    ("BEGIN { @q3 = llquantize(curthread, 10, 0, 6, 20, curthread); }", None),
    ("BEGIN { tracemem(curthread, 10); }", None),
    ("BEGIN { trace(inet_ntoa(0)); trace(inet_ntoa6(0)); trace(inet_ntop(2, 0)); trace(d_path(0)); }", "oracle"),
    ("BEGIN { trace(inet_ntoa((ipaddr_t *)arg0)); trace(inet_ntoa((void *)arg0)); }", None),
    ("BEGIN { trace(inet_ntop(2, (void *)arg0)); trace(link_ntop(1, (void *)arg0)); }", None),
    ("BEGIN { trace(inet_ntoa6((struct in6_addr *)arg0)); }", None),
    ("BEGIN { bcopy((void *)arg0, alloca(4), 4); bcopy(\"abc\", alloca(4), 4); }", None),
    ("BEGIN { pcap(\"abc\", 1); pcap((void *)arg0, 1); }", None),
    ("BEGIN { trace(link_ntop(1, \"abc\")); }", None),
]


def _flags(dialect):
    return ("--dialect", dialect) if dialect else ()


@pytest.mark.parametrize("clause, dialect", _POINTER_ARGS_REFUSED)
def test_check_refuses_a_pointer_for_an_integer_parameter_and_the_reverse(clause, dialect):
    found = _in_process_errors(clause + "\n", "argument-type", dialect)
    assert found, clause


@pytest.mark.parametrize("clause, dialect", _POINTER_ARGS_TAKEN)
def test_check_takes_the_arguments_dtrace_takes(clause, dialect):
    assert _in_process_errors(clause + "\n", "argument-type", dialect) == []


def test_check_says_it_at_the_argument(tmp_path):
    errors = _errors(tmp_path, "BEGIN\n{\n\ttrace(copyinstr((char *)arg0));\n\ttrace(inet_ntoa(arg0));\n}\n")
    assert errors == [
        "a.d:3:18: error: copyinstr() argument #1 must be an integer, not a pointer: cast it to an "
        "integer first ((uintptr_t)p) [argument-type]",
        "a.d:4:18: error: inet_ntoa() argument #1 must be a pointer, not an integer (an address held "
        "in an integer is cast first: (void *)arg0) [argument-type]"], errors


def test_a_tracer_passing_a_pointer_to_copyinstr_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, trace, copyinstr, inet_ntoa, cast, arg0, arg1\n"
        "t = Tracer()\n"
        "@t.probe('syscall::open:entry')\n"
        "def _():\n"
        "    trace(copyinstr(cast(arg0, 'char *')))\n"
        "    trace(inet_ntoa(arg1))\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0] for line in lines] == ["t.py:5", "t.py:6"], result.stderr
    assert "copyinstr() argument #1 must be an integer, not a pointer" in lines[0]


def test_the_real_dtrace_judges_pointer_arguments_as_check_does():
    from tests.real_dtrace import compile_scripts

    scripts = {clause: clause + "\n" for clause, _ in _POINTER_ARGS_REFUSED + _POINTER_ARGS_TAKEN}
    verdicts = compile_scripts(scripts)
    for clause, _ in _POINTER_ARGS_REFUSED:
        said = verdicts[clause]
        assert said is not None and ("incompatible with prototype" in said or "invalid cast" in said), (clause, said)
    for clause, _ in _POINTER_ARGS_TAKEN:
        assert verdicts[clause] is None, (clause, verdicts[clause])


# --- R2: speculation's clause rules as dtrace has them -------------------------------------------
# check refused speculate() then commit() or discard() in one clause, which dtrace compiles and
# runs, and took commit() before speculate(), an aggregation or exit() in a clause that commits.

_SPECULATION_TAKEN = [
    "BEGIN { s = speculation(); speculate(s); discard(s); }",
    "BEGIN { s = speculation(); speculate(s); commit(s); }",
    "BEGIN { s = speculation(); speculate(s); printf(\"x\"); discard(s); }",
    "BEGIN { s = speculation(); speculate(s); discard(s); printf(\"x\"); }",
    "BEGIN { s = speculation(); discard(s); speculate(s); }",
    "BEGIN { s = speculation(); @d1 = count(); discard(s); }",
]

_SPECULATION_REFUSED = [
    "BEGIN { s = speculation(); commit(s); speculate(s); }",
    "BEGIN { s = speculation(); commit(s); @c1 = count(); }",
    "BEGIN { s = speculation(); @c2 = count(); commit(s); }",
    "BEGIN { s = speculation(); commit(s); exit(0); }",
    "BEGIN { s = speculation(); speculate(s); printf(\"x\"); commit(s); }",
    "BEGIN { s = speculation(); speculate(s); commit(s); printf(\"x\"); }",
]


@pytest.mark.parametrize("clause", _SPECULATION_TAKEN)
def test_check_takes_a_speculation_committed_or_discarded_in_its_clause(clause):
    assert _in_process_errors(clause + "\n", "speculation") == []


@pytest.mark.parametrize("clause", _SPECULATION_REFUSED)
def test_check_refuses_what_may_not_follow_or_precede_commit(clause):
    assert _in_process_errors(clause + "\n", "speculation"), clause


def test_a_commit_before_speculate_is_refused_at_the_speculate(tmp_path):
    errors = _errors(tmp_path, "BEGIN\n{\n\ts = speculation();\n\tcommit(s);\n\tspeculate(s);\n}\n")
    assert errors == ["a.d:5:2: error: speculate() may not follow commit() [speculation]"], errors


def test_the_real_dtrace_judges_speculations_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({clause: clause + "\n" for clause in _SPECULATION_TAKEN + _SPECULATION_REFUSED})
    for clause in _SPECULATION_TAKEN:
        assert verdicts[clause] is None, (clause, verdicts[clause])
    for clause in _SPECULATION_REFUSED:
        assert verdicts[clause] is not None and "commit( )" in verdicts[clause], (clause, verdicts[clause])


# --- R3: options Oracle's dtrace refuses in a program ---------------------------------------------
# "Option cannot be used from within a D program" (the compile-time options only dtrace -x may
# set), and `core`, on which dtrace dumps core.

_PROGRAM_REFUSED = ["cppargs=-x", "cpphdrs", "cpppath=/usr/bin/cpp", "ctfpath=/x", "define=X", "incdir=/tmp",
                    "ldpath=/bin/ld", "modpath=/tmp", "procfspath=/proc", "stdc=a", "undef=X"]
_PROGRAM_TAKEN = ["cpp", "libdir=/tmp", "syslibdir=/tmp", "version=2.0", "linkmode=kernel", "quiet", "iregs=8"]


def _option_script(option):
    return f"#pragma D option {option}\nBEGIN {{ exit(0); }}\n"


@pytest.mark.parametrize("option", _PROGRAM_REFUSED + ["core"])
def test_check_refuses_an_option_oracles_dtrace_refuses_in_a_program(option):
    found = _in_process_errors(_option_script(option), "pragma", "oracle")
    assert [f.severity for f in found] == ["error"], (option, found)


@pytest.mark.parametrize("option", _PROGRAM_TAKEN)
def test_check_takes_an_option_a_program_may_set(option):
    assert _in_process_errors(_option_script(option), "pragma", "oracle") == []


def test_without_a_dialect_such_an_option_is_a_warning(tmp_path):
    (tmp_path / "a.d").write_text(_option_script("cpppath=/usr/bin/cpp"))
    result = _cli("check", "a.d", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr.startswith(
        "a.d:1:1: warning: option cpppath cannot be set from a program in oracle D"), result.stderr


def test_an_oracle_tracer_setting_cpppath_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, exit_\n"
        "t = Tracer(dialect='oracle',\n"
        "           options={'define': 'X'})\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.py:2: error: option define cannot be set from a program"), result.stderr


def test_the_real_dtrace_refuses_those_options_in_a_program():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({option: _option_script(option) for option in _PROGRAM_REFUSED + _PROGRAM_TAKEN})
    for option in _PROGRAM_REFUSED:
        assert verdicts[option] is not None and "cannot be used from within a D program" in verdicts[option], \
            (option, verdicts[option])
    for option in _PROGRAM_TAKEN:
        assert verdicts[option] is None, (option, verdicts[option])


# --- R4: a parameterised inline used with the wrong number of keys, or without them --------------

_INLINE_REFUSED = [
    "inline int f1[int a] = a + 1;\nBEGIN { trace(f1[1, 2]); }\n",
    "inline int f2[int a, int b] = a + b;\nBEGIN { trace(f2[1]); }\n",
    "inline int f3[int a] = a + 1;\nBEGIN { trace(f3); }\n",
    "inline int f4[int a] = a + 1;\nBEGIN { x = f4 + 1; }\n",
]
_INLINE_TAKEN = [
    "inline int g1[int a] = a + 1;\nBEGIN { trace(g1[1]); }\n",
    "inline int g2[int a, int b] = a + b;\nBEGIN { trace(g2[1, 2]); }\n",
    "inline int g3 = 3;\nBEGIN { trace(g3); }\n",
    "int g4x[4];\ninline int g4[int a] = g4x[a];\nBEGIN { trace(g4[1]); }\n",
]


@pytest.mark.parametrize("text", _INLINE_REFUSED)
def test_check_refuses_a_parameterised_inline_misused(text):
    assert _in_process_errors(text, "array-use"), text


@pytest.mark.parametrize("text", _INLINE_TAKEN)
def test_check_takes_a_parameterised_inline_used_right(text):
    assert _in_process_errors(text, "array-use") == []


def test_a_tracer_naming_a_parameterised_inline_alone_is_refused_at_the_use(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, trace\n"
        "t = Tracer()\n"
        "f = t.inline('f', 'int', lambda a: a + 1, params=['int a'])\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    trace(f[1, 2])\n"
        "    trace(f)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0] for line in lines] == ["t.py:6", "t.py:7"], result.stderr
    assert "takes 1 key, not 2" in lines[0] and "not alone" in lines[1]


def test_the_real_dtrace_judges_inline_keys_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({text: text for text in _INLINE_REFUSED + _INLINE_TAKEN})
    for text in _INLINE_REFUSED:
        assert verdicts[text] is not None and ("prototype mismatch" in verdicts[text] or "scalar" in verdicts[text]), \
            (text, verdicts[text])
    for text in _INLINE_TAKEN:
        assert verdicts[text] is None, (text, verdicts[text])


# --- R5: a profile probe's unit is read in any case ----------------------------------------------

_TICKS_TAKEN = ["tick-1S", "tick-1MS", "tick-1Hz", "tick-5000HZ", "profile-1SEC", "tick-1Day", "tick-1M"]
_TICKS_REFUSED = ["tick-1NSEC", "tick-1Xs", "tick-5001HZ"]


@pytest.mark.parametrize("name", _TICKS_TAKEN)
def test_check_takes_a_profile_unit_in_capitals(name):
    assert _in_process_errors(f"{name} {{ exit(0); }}\n", "probe-desc") == []


@pytest.mark.parametrize("name", _TICKS_REFUSED)
def test_check_still_refuses_a_profile_probe_dtrace_refuses(name):
    assert _in_process_errors(f"{name} {{ exit(0); }}\n", "probe-desc"), name


def test_a_tracer_takes_tick_1S(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, exit_\n"
        "t = Tracer()\n"
        "@t.probe('tick-1S')\n"
        "def _():\n"
        "    exit_(0)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_real_dtrace_judges_profile_units_as_check_does():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({name: f"{name} {{ exit(0); }}\n" for name in _TICKS_TAKEN + _TICKS_REFUSED})
    for name in _TICKS_TAKEN:
        assert verdicts[name] is None, (name, verdicts[name])
    for name in _TICKS_REFUSED:
        assert verdicts[name] is not None, name


# --- R6: an inline assigned ------------------------------------------------------------------------

_INLINE_ASSIGNED = [
    "inline int h1 = 3;\nBEGIN { h1 = 4; }\n",
    "inline int h2 = 3;\nBEGIN { h2++; }\n",
    "inline int h3 = 3;\nBEGIN { --h3; }\n",
    "inline int h4 = 3;\nBEGIN { h4 += 1; }\n",
    "inline int h5[int a] = a;\nBEGIN { h5[1] = 2; }\n",
]
_INLINE_READ = ["inline int k1 = 3;\nBEGIN { k1y = k1; k1y = 4; }\n"]


@pytest.mark.parametrize("text", _INLINE_ASSIGNED)
def test_check_refuses_an_inline_assigned(text):
    assert _in_process_errors(text, "assigned-read-only"), text


@pytest.mark.parametrize("text", _INLINE_READ)
def test_check_takes_an_inline_read(text):
    assert _in_process_errors(text, "assigned-read-only") == []


def test_a_tracer_assigning_its_inline_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, trace, glob\n"
        "t = Tracer()\n"
        "g = t.inline('g', 'int', 3)\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    glob.g = 4\n"
        "    trace(g)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.py:6: error: g cannot be assigned (=): g is an inline"), result.stderr


def test_the_real_dtrace_refuses_an_inline_assigned():
    from tests.real_dtrace import compile_scripts

    verdicts = compile_scripts({text: text for text in _INLINE_ASSIGNED + _INLINE_READ})
    for text in _INLINE_ASSIGNED:
        assert verdicts[text] is not None and ("lvalue" in verdicts[text] or "writable" in verdicts[text]), \
            (text, verdicts[text])
    for text in _INLINE_READ:
        assert verdicts[text] is None, (text, verdicts[text])


# --- R7: a clause-local or thread-local named as an inline: Oracle's dtrace crashes ---------------

_CRASHING = [
    "inline int m1 = 3;\nBEGIN { this->m1 = 4; }\n",
    "inline int m2 = 3;\nBEGIN { self->m2 = 1; self->m2 = 0; }\n",
]


@pytest.mark.parametrize("text", _CRASHING)
def test_check_refuses_a_local_named_as_an_inline_for_oracle(text):
    found = _in_process_errors(text, "redeclared", "oracle")
    assert [f.severity for f in found] == ["error"] and "crashes" in found[0].message, found


def test_without_a_dialect_it_is_a_warning_and_illumos_takes_it():
    text = _CRASHING[0]
    assert [f.severity for f in _in_process_errors(text, "redeclared")] == ["warning"]
    assert _in_process_errors(text, "redeclared", "illumos") == []
    assert _in_process_errors("inline int m3 = 3;\nBEGIN { this->m4 = 4; trace(m3); }\n", "redeclared", "oracle") == []


def test_an_oracle_tracer_with_such_a_local_is_refused_at_its_line(tmp_path):
    (tmp_path / "t.py").write_text(
        "from dtracepy import Tracer, trace, this\n"
        "t = Tracer(dialect='oracle')\n"
        "x = t.inline('x', 'int', 3)\n"
        "@t.probe('BEGIN')\n"
        "def _():\n"
        "    this.x = 4\n"
        "    trace(this.x + x)\n")
    result = _cli("compile", "t.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("t.py:6: error: this->x has the name of inline x"), result.stderr


def test_the_real_dtrace_crashes_on_a_local_named_as_an_inline(tmp_path):
    from tests.real_dtrace import need_dtrace

    dtrace = need_dtrace()
    for i, text in enumerate(_CRASHING):
        (tmp_path / f"c{i}.d").write_text(text)
        result = subprocess.run(["timeout", "-s", "KILL", "60", dtrace, "-e", "-s", f"c{i}.d"], cwd=tmp_path,
                                capture_output=True, text=True)
        assert result.returncode in (139, -11), (text, result.returncode, result.stderr)

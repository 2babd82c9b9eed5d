"""Session 25's new user, following the README from the top: what did not do what it says.

Each test fails on the code before the fix."""

from __future__ import annotations

import pytest

from dtracepy.cli import main


def _compile(tmp_path, monkeypatch, capsys, name: str, text: str):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    status = main(["compile", name])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("use", ["printa(anon_agg)", "trunc(anon_agg, 20)", "clear(anon_agg)"])
def test_anon_agg_used_before_any_assignment_is_located_at_its_use(tmp_path, monkeypatch, capsys, use):
    # README, "What a real dtrace refuses is refused at your line": an aggregation given to
    # printa, clear, trunc ... above any assignment [used-before-assigned].  `agg.x` was located
    # at its line; `anon_agg` (section 2's `printa(anon_agg)`, `trunc(anon_agg, 20)`) is one node
    # dtracepy makes where it defines it, with no line of the user's, so the error named the
    # clause's decorator (line 4) instead.
    status, err = _compile(tmp_path, monkeypatch, capsys, "aa.py",
                           "from dtracepy import *\n\nt = Tracer()\n@t.probe('BEGIN')\ndef _():\n"
                           f"    trace(1)\n    {use}\n")
    assert status == 1
    assert err.startswith("aa.py:7: error: @ is used here before any aggregating function"), err
    assert f"    {use}\n" in err


def test_anon_agg_still_compiles_to_the_anonymous_aggregation(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.py").write_text(
        "from dtracepy import *\n\nt = Tracer()\n@t.probe('BEGIN')\ndef _():\n"
        "    anon_agg[execname] = count()\n    printa(anon_agg)\n    trunc(anon_agg, 20)\n")
    assert main(["compile", "ok.py"]) == 0
    out = capsys.readouterr().out
    assert "\t@[execname] = count();\n\tprinta(@);\n\ttrunc(@, 20);\n" in out


def test_the_self_clear_error_of_an_array_read_elsewhere_names_an_element(tmp_path, monkeypatch, capsys):
    # README, section 3: "D cannot zero a thread-local associative array whole, so its clear point
    # names the element: t.clear(self.fd[arg0], at=...)".  The error for one read outside its
    # entry/return pair said to write t.clear(self.fd, at=...), which is then refused in turn.
    status, err = _compile(tmp_path, monkeypatch, capsys, "fd.py",
                           "from dtracepy import *\n\nt = Tracer()\n"
                           "@t.probe('syscall::open:entry')\ndef o():\n    self.fd[arg0] = 1\n"
                           "@t.probe('syscall::close:entry', when=self.fd[arg0])\ndef c():\n    trace(1)\n")
    assert status == 1
    assert "zeroed with t.clear(self.fd[key], at=...)" in err, err
    assert "t.clear(self.fd, at" not in err


def _check(tmp_path, monkeypatch, capsys, name: str, text: str, *flags: str):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    status = main(["check", "--strict", *flags, name])
    return status, capsys.readouterr().err


def test_check_dash_c_of_a_script_that_includes_a_system_header_finds_nothing(tmp_path, monkeypatch, capsys):
    # README, check: `-C` runs the C preprocessor first, as `dtrace -C` does, and a system header
    # is kept as written (dtrace -C's cpp reads it).  That kept `#include` was then judged as a
    # directive left in a script read without -C: "#include needs the C preprocessor ... check -C
    # checks the script so" -- said of `check -C` itself (an error under --strict).
    status, err = _check(tmp_path, monkeypatch, capsys, "inc.d",
                         "#define N 4\n#include <sys/types.h>\nBEGIN { trace(N); }\n", "-C")
    assert (status, err) == (0, "")
    # without -C the same script is still told it needs the preprocessor
    status, err = _check(tmp_path, monkeypatch, capsys, "inc.d",
                         "#define N 4\n#include <sys/types.h>\nBEGIN { trace(N); }\n")
    assert status == 1 and "inc.d:2:1: warning: #include needs the C preprocessor" in err, err


def test_a_line_marker_does_not_hide_the_hash_bang_lines_flags(tmp_path, monkeypatch, capsys):
    # README, check: a script's #! line is read as running ./x.d gives dtrace its flags, its -C
    # and its -w.  With a line marker naming another file (`# 12 "file"`, as `t.directive("", ...)`
    # writes) the preprocessor's output starts with a blank line, and the #! line was no longer
    # taken for one: its -w was not seen (system() an error [destructive]) nor its -C (the kept
    # system #include an error [cpp-directive]).
    status, err = _check(tmp_path, monkeypatch, capsys, "w.d",
                         '#!/usr/sbin/dtrace -Cws\n#include <sys/types.h>\n# 5 "x"\n'
                         'BEGIN { system("id"); }\n')
    assert (status, err) == (0, "")


def test_compile_check_of_a_tracer_with_a_header_and_a_line_marker_says_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lm.py").write_text(
        "from dtracepy import Tracer, trace\n\nt = Tracer(includes=['sys/types.h'])\n"
        "t.directive('', '12 \"lm.py\"')\n\n@t.probe('BEGIN')\ndef _():\n    trace(1)\n")
    assert main(["compile", "--check", "lm.py"]) == 0
    assert capsys.readouterr().err == ""


def test_layout_for_another_abi_asks_for_its_headers_in_english(tmp_path, monkeypatch, capsys):
    # `dtracepy layout /usr/include/netinet/ip.h ip --abi i386` said "(a i386 sysroot's usr/include)"
    from dtracepy.layout.abi import host_abi_name

    if host_abi_name() != "x86_64":
        pytest.skip("the message is for an ABI other than this machine's")
    assert main(["layout", "/usr/include/netinet/ip.h", "ip", "--abi", "i386"]) == 1
    err = capsys.readouterr().err
    assert "-I the i386 headers (the usr/include of a sysroot for i386)" in err, err


def test_a_records_wrong_number_of_values_is_said_in_english(tmp_path, monkeypatch, capsys):
    # README, section 6: "a wrong number of values is an error at the emit line"; it said
    # "this record has 2 columns (A, B) but 1 values were given"
    status, err = _compile(tmp_path, monkeypatch, capsys, "rec.py",
                           "from dtracepy import *\n\nt = Tracer()\nrow = t.record(('A', '%d'), ('B', '%d'))\n"
                           "@t.probe('BEGIN')\ndef _():\n    row.emit(1)\n")
    assert status == 1
    assert "rec.py:7: error: this record has 2 columns (A, B) but 1 value was given\n" in err, err
    status, err = _compile(tmp_path, monkeypatch, capsys, "rec.py",
                           "from dtracepy import *\n\nt = Tracer()\none = t.record(('C', '%d'))\n"
                           "@t.probe('BEGIN')\ndef _():\n    one.emit(1, 2)\n")
    assert status == 1
    assert "rec.py:7: error: this record has 1 column (C) but 2 values were given\n" in err, err


@pytest.mark.parametrize("expr", ['1 ? 2 : printf("")', '1 ? 2 : printf("%d")', '1 ? 2 : printf("%s", 1)',
                                  '0 ? printf("%d") : 2'])
def test_a_printf_in_the_branch_a_constant_condition_never_takes_is_not_judged(tmp_path, monkeypatch, capsys, expr):
    # README, check (void-value): "a condition that is an integer constant ... drops the branch not
    # taken unjudged ... `x = 1 ? 2 : printf("")` is fine" -- and the real dtrace compiles each of
    # these; the printf checks still judged that branch's format and arguments (an error each).
    status, err = _check(tmp_path, monkeypatch, capsys, "t.d", f"BEGIN {{ x = {expr}; }}\n", "--dialect", "oracle")
    assert (status, err) == (0, ""), err


def test_a_printf_in_the_branch_taken_is_still_judged(tmp_path, monkeypatch, capsys):
    status, err = _check(tmp_path, monkeypatch, capsys, "t.d", 'BEGIN { x = 1 ? printf("%d") : 2; }\n')
    assert status == 1 and "[printf-args]" in err and "[void-value]" in err, err


@pytest.mark.parametrize("expr", ["1 ? 2 : count()", "1 ? 2 : strlen(12)", '0 ? htons("a") : 2',
                                  "1 ? 2 : copyinstr(curthread)", "1 ? 2 : inet_ntoa(arg0)"])
def test_a_call_in_the_branch_a_constant_condition_never_takes_is_not_judged(tmp_path, monkeypatch, capsys, expr):
    # The same for the rules of calls (aggregation-value, argument-type): the real dtrace
    # (`dtrace -e`) compiles each of these, since its parser drops that branch before typing it.
    status, err = _check(tmp_path, monkeypatch, capsys, "t.d", f"BEGIN {{ x = {expr}; }}\n", "--dialect", "oracle")
    assert (status, err) == (0, ""), err


def test_a_call_in_the_branch_taken_is_still_judged(tmp_path, monkeypatch, capsys):
    status, err = _check(tmp_path, monkeypatch, capsys, "t.d",
                         "BEGIN { x = 1 ? strlen(12) : 2; y = 0 ? 2 : count(); }\n")
    assert status == 1 and "[argument-type]" in err and "[aggregation-value]" in err, err
    status, err = _compile(tmp_path, monkeypatch, capsys, "dc.py",
                           "from dtracepy import *\n\nt = Tracer()\n@t.probe('BEGIN')\ndef _():\n"
                           "    glob.x = cond(1, 2, strlen(12))\n    glob.y = cond(1, strlen(12), 2)\n")
    assert status == 1 and err.startswith("dc.py:7: error: strlen() argument #1 must be a string"), err
    assert "dc.py:6:" not in err
